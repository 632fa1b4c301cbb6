#!/usr/bin/env bash
# What sym_access costs per escalate + deescalate, against the seed's way
# (a bot with ADMIN OPTION running raw GRANT/REVOKE), measured in the same
# run on the same throwaway cluster.  Prints both rates and their ratio.
#
#   bench/grant_revoke.sh [TRANSACTIONS]      (default 2000 per side)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-2000}
tmp=$(mktemp -d /tmp/sym_access_bench.XXXXXX)
chmod 755 "$tmp"
trap '"$root/test/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"' EXIT

make -s -C "$root" install >/dev/null
"$root/test/cluster.sh" start "$tmp/pg" >/dev/null
# shellcheck disable=SC1091
. "$tmp/pg/env"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION sym_access;
CREATE ROLE b_role NOLOGIN;
CREATE ROLE b_user LOGIN;
CREATE ROLE b_bot LOGIN;
GRANT sym_access_operator TO b_bot;
CREATE ROLE b_seed_bot LOGIN;
GRANT b_role TO b_seed_bot WITH ADMIN OPTION;
SELECT sym_access.allow_role('b_role') \gset
SQL

cat >"$tmp/seed.sql" <<'SQL'
GRANT b_role TO b_user;
REVOKE b_role FROM b_user;
SQL
cat >"$tmp/sym.sql" <<'SQL'
SELECT outcome FROM sym_access.grant('b_role', 'b_user', '1 hour', '{"run_srn": "bench", "reason": "benchmark"}');
SELECT outcome FROM sym_access.revoke('b_role', 'b_user', '{"run_srn": "bench"}');
SQL

rate() { # user script -> transactions per second (each = escalate + deescalate)
	pgbench -n -U "$1" -f "$2" -t "$n" postgres 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
# Warm both paths, then alternate twice and keep the better of each.
rate b_seed_bot "$tmp/seed.sql" >/dev/null
rate b_bot "$tmp/sym.sql" >/dev/null
s1=$(rate b_seed_bot "$tmp/seed.sql"); y1=$(rate b_bot "$tmp/sym.sql")
s2=$(rate b_seed_bot "$tmp/seed.sql"); y2=$(rate b_bot "$tmp/sym.sql")
python3 - "$s1" "$s2" "$y1" "$y2" "$n" <<'PY'
import sys
s = max(float(sys.argv[1]), float(sys.argv[2]))
y = max(float(sys.argv[3]), float(sys.argv[4]))
n = sys.argv[5]
print(f"escalate+deescalate pairs, {n} per run, best of two runs each:")
print(f"  seed (raw GRANT/REVOKE, ADMIN OPTION bot): {s:9.1f} pairs/s  {1000/s:6.3f} ms/pair")
print(f"  sym_access.grant/revoke with audit:       {y:9.1f} pairs/s  {1000/y:6.3f} ms/pair")
print(f"  cost ratio sym_access/seed: {s/y:.2f}x")
PY
psql -X -At -c "SELECT 'audit rows written: ' || count(*) FROM sym_access.audit"

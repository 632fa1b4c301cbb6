#!/usr/bin/env bash
# expire() must cost what the expired rows cost, not what the table holds.
# Times a sweep that revokes K expired grants with a small and with a large
# number of live (unexpired) rows in active_grant, in the same run, and
# prints the ratio (close to 1 when the expires_at index does its job).
#
#   bench/expire_scaling.sh [K] [SMALL] [LARGE]   (default 50 1000 200000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
k=${1:-50}
small=${2:-1000}
large=${3:-200000}
tmp=$(mktemp -d /tmp/sym_access_bench.XXXXXX)
chmod 755 "$tmp"
trap '"$root/test/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"' EXIT

make -s -C "$root" install >/dev/null
"$root/test/cluster.sh" start "$tmp/pg" >/dev/null
# shellcheck disable=SC1091
. "$tmp/pg/env"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION sym_access;
CREATE ROLE e_role NOLOGIN;
SELECT sym_access.allow_role('e_role', terminate_sessions => false) \gset
SELECT format('CREATE ROLE e_user%s LOGIN', i) FROM generate_series(1, $k) i \gexec
SQL

# Live filler rows are written directly (as the owner): only their count
# matters, and grant() for 200k distinct users would time the setup instead.
sweep_ms() { # live-rows -> milliseconds for one expire() revoking k grants
	psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
TRUNCATE sym_access.active_grant;
INSERT INTO sym_access.active_grant (role, grantee, run_srn, expires_at)
  SELECT 'e_role', 'e_user1', 'live-' || i, now() + interval '1 day' FROM generate_series(1, $1) i;
SELECT sym_access.grant('e_role', 'e_user' || i, '1 second', jsonb_build_object('run_srn', 'due')) FROM generate_series(2, $k) i;
ANALYZE sym_access.active_grant;
SQL
	sleep 1.2
	psql -X -At -v ON_ERROR_STOP=1 <<'SQL' | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
\timing on
SELECT sym_access.expire();
SQL
}
a=$(sweep_ms "$small"); b=$(sweep_ms "$large")
a2=$(sweep_ms "$small"); b2=$(sweep_ms "$large")
python3 - "$a" "$a2" "$b" "$b2" "$k" "$small" "$large" <<'PY'
import sys
a = min(float(sys.argv[1]), float(sys.argv[2]))
b = min(float(sys.argv[3]), float(sys.argv[4]))
k, small, large = sys.argv[5:8]
print(f"expire() revoking {int(k)-1} due grants, best of two:")
print(f"  with {small:>7} live rows: {a:8.2f} ms")
print(f"  with {large:>7} live rows: {b:8.2f} ms")
print(f"  ratio large/small: {b/a:.2f}x for {int(large)/int(small):.0f}x the rows")
PY

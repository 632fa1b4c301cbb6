#!/usr/bin/env bash
# grant+revoke latency must not grow with the audit trail: one cluster, two
# databases, one with an empty sym_access.audit and one with ROWS rows in it
# (written directly, as the owner), pgbench at 1 client against each in
# turn, SECONDS per point, ROUNDS rounds, median latency.
#
#   bench/audit_size.sh [ROWS] [SECONDS] [ROUNDS]   (default 1000000 5 3)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
rows=${1:-1000000}
secs=${2:-5}
rounds=${3:-3}

bench_install
bench_cluster
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE a_role NOLOGIN;
CREATE ROLE a_user LOGIN;
CREATE ROLE a_bot LOGIN;
CREATE DATABASE small;
CREATE DATABASE large;
SQL
for db in small large; do
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION sym_access;
GRANT sym_access_operator TO a_bot;
SELECT sym_access.allow_role('a_role') \gset
SQL
done
echo "# writing $rows audit rows" >&2
psql -X -q -v ON_ERROR_STOP=1 -d large <<SQL
INSERT INTO sym_access.audit (action, outcome, role_name, grantee, run_srn, reason, expires_at, detail)
SELECT CASE WHEN i % 2 = 0 THEN 'grant' ELSE 'revoke' END, 'granted', 'a_role', 'u' || (i % 5000),
       'filler:' || i, 'filler', now(), '{"message": "filler"}'
  FROM generate_series(1, $rows) i;
VACUUM ANALYZE sym_access.audit;
SQL
cat >"$tmp/sym.sql" <<'SQL'
SELECT outcome FROM sym_access.grant('a_role', 'a_user', '1 hour', '{"run_srn": "bench", "reason": "benchmark"}');
SELECT outcome FROM sym_access.revoke('a_role', 'a_user', '{"run_srn": "bench"}');
SQL
lat() { # database -> ms per grant+revoke
	pgbench -n -M simple -U a_bot -f "$tmp/sym.sql" -T "$secs" "$1" 2>/dev/null |
		sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p'
}
lat small >/dev/null
lat large >/dev/null
s=() l=()
for ((i = 0; i < rounds; i++)); do
	s+=("$(lat small)")
	l+=("$(lat large)")
done
echo "# grant+revoke ms: 0 audit rows ${s[*]}; $rows rows ${l[*]}" >&2
row "grant+revoke latency, $rows vs 0 audit rows" "$(median "${l[@]}")" "$(median "${s[@]}")" \
	ms "~1 (flat)" "bench/audit_size.sh $rows $secs $rounds"

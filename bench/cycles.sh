#!/usr/bin/env bash
# Escalate + deescalate cycles per second through sym_access against the
# floor a user would otherwise run, side by side in the same run, at several
# client counts.  The floor is a bot with ADMIN OPTION on the role doing, in
# one transaction, GRANT r TO u; INSERT an audit-like row; REVOKE r FROM u;
# INSERT another.  sym_access's side is what Sym sends: grant() then
# revoke(), each its own transaction.  Each client has its own grantee.
# pgbench, SECONDS per point, the sides alternating, ROUNDS rounds, median.
#
#   bench/cycles.sh [SECONDS] [ROUNDS] [CLIENTS]   (default 10 3 "1 4 8")
#
# Prints one report row per client count (see bench/run.sh).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
secs=${1:-10}
rounds=${2:-3}
clients=${3:-1 4 8}

bench_install
bench_cluster
psql -X -q -v ON_ERROR_STOP=1 -f "$root/bench/setup.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "DO \$\$BEGIN FOR i IN 1..15 LOOP EXECUTE format('CREATE ROLE b_u%s LOGIN', i); END LOOP; END\$\$"

# pgbench substitutes :client_id textually (simple protocol), quotes or not.
cat >"$tmp/floor.sql" <<'SQL'
BEGIN;
GRANT b_role TO b_u:client_id;
INSERT INTO floor_audit (action, outcome, role_name, grantee, run_srn, detail) VALUES ('grant', 'granted', 'b_role', 'b_u:client_id', 'bench', '{"reason": "benchmark"}');
REVOKE b_role FROM b_u:client_id;
INSERT INTO floor_audit (action, outcome, role_name, grantee, run_srn, detail) VALUES ('revoke', 'revoked', 'b_role', 'b_u:client_id', 'bench', '{"terminated_sessions": 0}');
COMMIT;
SQL
cat >"$tmp/sym.sql" <<'SQL'
SELECT outcome FROM sym_access.grant('b_role', 'b_u:client_id', '1 hour', '{"run_srn": "bench", "reason": "benchmark"}');
SELECT outcome FROM sym_access.revoke('b_role', 'b_u:client_id', '{"run_srn": "bench"}');
SQL

rate() { # user script clients -> cycles per second
	pgbench -n -M simple -U "$1" -f "$2" -c "$3" -j "$3" -T "$secs" postgres 2>"$tmp/pgbench.err" |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1 | grep . ||
		{ cat "$tmp/pgbench.err" >&2; return 1; }
}
# Warm both sides (caches, the tables' first pages).
secs_saved=$secs secs=2
rate b_floor_bot "$tmp/floor.sql" 1 >/dev/null
rate b_bot "$tmp/sym.sql" 1 >/dev/null
secs=$secs_saved
for c in $clients; do
	f=() s=()
	for ((i = 0; i < rounds; i++)); do
		# alternate which side goes first
		if ((i % 2 == 0)); then
			f+=("$(rate b_floor_bot "$tmp/floor.sql" "$c")")
			s+=("$(rate b_bot "$tmp/sym.sql" "$c")")
		else
			s+=("$(rate b_bot "$tmp/sym.sql" "$c")")
			f+=("$(rate b_floor_bot "$tmp/floor.sql" "$c")")
		fi
	done
	echo "# $c client(s): sym_access ${s[*]}; floor ${f[*]} cycles/s" >&2
	row "escalate+deescalate, $c client(s)" "$(median "${s[@]}")" "$(median "${f[@]}")" \
		"cycles/s" ">= 0.8" "bench/cycles.sh $secs $rounds $c"
done
n=$(psql -X -At -c "SELECT count(*) FROM sym_access.audit WHERE action IN ('grant', 'revoke')")
echo "# sym_access audit rows written: $n" >&2

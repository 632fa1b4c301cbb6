#!/usr/bin/env bash
# Instructions per escalate+deescalate cycle, sym_access against the floor
# (the same statements as bench/cycles.sh, one client), counted by callgrind
# in a single-user backend: unlike a rate, this does not move with the load
# of a shared machine, so it shows a change's effect to the percent.
# Ir(N + 200 cycles) - Ir(N cycles), divided by 200, start-up cancelled out.
#
#   bench/instructions.sh            (needs valgrind)
#   BENCH_PROFILE=1 bench/instructions.sh
#                                    also: where sym_access's instructions go,
#                                    per guarantee (bench/profile.py)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_install
bindir=$("$PG_CONFIG" --bindir)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" != 0 ] || chown postgres: "$tmp"
as_owner "$bindir/initdb" -D "$tmp/data" -U postgres -A trust >/dev/null
single() { as_owner "$@" "$bindir/postgres" --single -D "$tmp/data" postgres; }
grep -v '^--' "$root/bench/setup.sql" | single >/dev/null 2>"$tmp/setup.err"
! grep -q ERROR "$tmp/setup.err" || { cat "$tmp/setup.err" >&2; exit 1; }
python3 - "$tmp" <<'PY'
import sys
tmp = sys.argv[1]
for n in (20, 220):
    with open(f"{tmp}/sym{n}.sql", "w") as f:
        f.write("SET ROLE b_bot\n")
        for _ in range(n):
            f.write("""SELECT outcome FROM sym_access.grant('b_role', 'b_u0', '1 hour', '{"run_srn": "bench", "reason": "benchmark"}')\n""")
            f.write("""SELECT outcome FROM sym_access.revoke('b_role', 'b_u0', '{"run_srn": "bench"}')\n""")
    with open(f"{tmp}/floor{n}.sql", "w") as f:
        f.write("SET ROLE b_floor_bot\n")
        for _ in range(n):
            f.write("BEGIN\nGRANT b_role TO b_u0\n")
            f.write("""INSERT INTO floor_audit (action, outcome, role_name, grantee, run_srn, detail) VALUES ('grant', 'granted', 'b_role', 'b_u0', 'bench', '{"reason": "benchmark"}')\n""")
            f.write("REVOKE b_role FROM b_u0\n")
            f.write("""INSERT INTO floor_audit (action, outcome, role_name, grantee, run_srn, detail) VALUES ('revoke', 'revoked', 'b_role', 'b_u0', 'bench', '{"terminated_sessions": 0}')\nCOMMIT\n""")
PY
ir() { # side cycles -> instructions of the whole single-user run
	single valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1$2" <"$tmp/$1$2.sql" 2>&1 >"$tmp/out" |
		sed -n 's/.*Collected : //p'
	grep -q "ERROR" "$tmp/out" && { grep ERROR "$tmp/out" >&2; return 1; }
	[ "$1" = floor ] || [ "$(grep -c '"revoked"' "$tmp/out")" = "$2" ] || { echo "bench: $1 did not revoke" >&2; return 1; }
}
per_cycle() { echo $((($(ir "$1" 220) - $(ir "$1" 20)) / 200)); }
s=$(per_cycle sym) f=$(per_cycle floor)
echo "# instructions per cycle: sym_access $s, floor $f" >&2
row "instructions per escalate+deescalate (callgrind, 1 backend)" "$s" "$f" Ir "-" "bench/instructions.sh"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	python3 "$root/bench/profile.py" "$tmp/cg.sym20" "$tmp/cg.sym220" 200 "$s" >&2
fi

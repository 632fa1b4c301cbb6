#!/usr/bin/env bash
# make matrix: each edition's suites against each PostgreSQL major we can
# build and run here.
#
#   scripts/matrix.sh                 C: 15, 17 and 18; pg_tle: 15 and 18
#   MATRIX_VERSIONS="17 18" PGTLE_MAJORS=18 scripts/matrix.sh
#   MATRIX_EDITIONS=c scripts/matrix.sh       one edition (c, pgtle)
#
# The C edition (pg_regress, isolation, worker, faults, attacks, tempusers): 15 is
# Debian's; 17 and 18 are assembled by scripts/pg-versions.sh under .cache/pg/
# (no system-wide install).  16 cannot be built here: no Debian suite we
# reach ships its server headers (pg-versions.sh says so).
# The pg_tle edition (test/pgtle/run.sh: pg_regress, isolation, RDS
# emulation, attacks, the shim's sweep): 15 and 18, in trees of its own
# (.cache/pg-tle); 17 builds pg_tle but does not load it here (README).
# Ends with one line per edition and version.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

scripts/deps.sh extension matrix shim faults pgtle || exit 1
editions=" ${MATRIX_EDITIONS:-c pgtle} "

results=()
status=0
[[ $editions == *" c "* ]] && for v in ${MATRIX_VERSIONS:-15 17 18}; do
	printf '\n######## C edition, PostgreSQL %s ########\n' "$v"
	if ! pgc=$(scripts/pg-versions.sh "$v"); then
		results+=("c $v: toolchain unavailable")
		status=1
		continue
	fi
	log=/tmp/sym_access_matrix_$v.log
	if PG_CONFIG="$pgc" SUITES="regress isolation worker faults attacks tempusers" scripts/test.sh 2>&1 | tee "$log"; then
		results+=("c $v: $(sed -n 's/^suites: //p' "$log" | tail -1) — $(tail -1 "$log")")
	else
		results+=("c $v: FAILED ($(sed -n 's/^suites: //p' "$log" | tail -1) — $(tail -1 "$log"))")
		status=1
	fi
done
# Leave the tree built for the system's own server again.
make -s clean >/dev/null 2>&1

if [[ $editions == *" pgtle "* ]]; then
	printf '\n######## pg_tle edition, PostgreSQL %s ########\n' "${PGTLE_MAJORS:-15 18}"
	log=/tmp/sym_access_matrix_pgtle.log
	test/pgtle/run.sh 2>&1 | tee "$log"
	[ "${PIPESTATUS[0]}" = 0 ] || status=1
	mapfile -t lines < <(grep -E '^pgtle [0-9]+: ' "$log")
	[ ${#lines[@]} -gt 0 ] || lines=("pgtle: FAILED ($(tail -1 "$log"))")
	results+=("${lines[@]}")
fi

printf '\n######## matrix ########\n'
printf '%s\n' "${results[@]}"
exit $status

#!/usr/bin/env bash
# make matrix: the extension's suites (pg_regress, isolation, worker, faults,
# attacks, tempusers) against
# each PostgreSQL major we can build and run here.
#
#   scripts/matrix.sh                 15, 17 and 18
#   MATRIX_VERSIONS="17 18" scripts/matrix.sh
#
# 15 is Debian's; 17 and 18 are assembled by scripts/pg-versions.sh under
# .cache/pg/ (no system-wide install).  16 cannot be built here: no Debian
# suite we reach ships its server headers (pg-versions.sh says so).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

scripts/deps.sh extension matrix shim faults || exit 1

results=()
status=0
for v in ${MATRIX_VERSIONS:-15 17 18}; do
	printf '\n######## PostgreSQL %s ########\n' "$v"
	if ! pgc=$(scripts/pg-versions.sh "$v"); then
		results+=("$v: toolchain unavailable")
		status=1
		continue
	fi
	if PG_CONFIG="$pgc" SUITES="regress isolation worker faults attacks tempusers" scripts/test.sh 2>&1 | tee "/tmp/sym_access_matrix_$v.log"; then
		results+=("$v: $(tail -1 "/tmp/sym_access_matrix_$v.log")")
	else
		results+=("$v: FAILED ($(tail -1 "/tmp/sym_access_matrix_$v.log"))")
		status=1
	fi
done
# Leave the tree built for the system's own server again.
make -s clean >/dev/null 2>&1

printf '\n######## matrix ########\n'
printf '%s\n' "${results[@]}"
exit $status

#!/usr/bin/env bash
# Prints "PASSED FAILED" from a pg_regress / pg_isolation_regress summary
# ("All N tests passed." or "M of N tests failed."); "0 1" when there is none.
#   scripts/regress-counts.sh SUMMARY_FILE
set -uo pipefail
out=${1:?usage: regress-counts.sh SUMMARY_FILE}
if n=$(sed -n 's/.*All \([0-9]*\) tests passed.*/\1/p' "$out") && [ -n "$n" ]; then
	echo "$n 0"
elif m=$(sed -n 's/.* \([0-9]*\) of \([0-9]*\) tests failed.*/\1 \2/p' "$out") && [ -n "$m" ]; then
	read -r bad all <<<"$m"
	echo "$((all - bad)) $bad"
else
	echo "0 1"
fi

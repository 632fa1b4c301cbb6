#!/usr/bin/env bash
# Runs each libFuzzer harness of the shim for a bounded time and reports.
#
#   shim/fuzz/run.sh [HARNESS ...]        default: event duration runtime secrets
#
# FUZZ_SECONDS   seconds per harness (default 60)
# FUZZ_TOTAL     seconds for all of them, split evenly (overrides FUZZ_SECONDS;
#                make test uses 30)
#
# Each harness starts from its committed seeds and regression inputs (corpus/NAME,
# plus, for events, the bad-event corpus of shim/test/bad_events.py) and keeps
# what it learns in build/work/NAME. A crash, leak, UBSan report, timeout or
# failed property is saved as build/artifacts/NAME-*, and the harness fails.
# Prints one line per harness (executions, crashes) and "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1

harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(event duration runtime secrets)
seconds=${FUZZ_SECONDS:-60}
if [ -n "${FUZZ_TOTAL:-}" ]; then
	seconds=$((FUZZ_TOTAL / ${#harnesses[@]}))
	[ "$seconds" -ge 1 ] || seconds=1
fi

# longest input each harness may grow to: past the 16 kB context limit for
# events, a few header sets for the runtime, a few parts for durations
declare -A max_len=([event]=20000 [duration]=64 [runtime]=8192 [secrets]=4096)
# value profiling steers toward the range checks (it found the duration overflow)
declare -A extra=([duration]=-use_value_profile=1)

if ! make -s all >build.log 2>&1; then
	cat build.log
	rm -f build.log
	echo "0 passed, ${#harnesses[@]} failed"
	exit 1
fi
rm -f build.log
mkdir -p build/artifacts build/seeds/bad-events
python3 ../test/bad_events.py build/seeds/bad-events ../test/fixtures >/dev/null || exit 1

passed=0 failed=0
for h in "${harnesses[@]}"; do
	[ -n "${max_len[$h]:-}" ] || { echo "not ok - $h: no such harness"; failed=$((failed + 1)); continue; }
	mkdir -p "build/work/$h"
	seeds=("corpus/$h")
	[ "$h" != event ] || seeds+=(build/seeds/bad-events)
	before=$(find build/artifacts -name "$h-*" | wc -l)
	log="build/$h.log"
	# -timeout: one input taking over 10 s is a hang; -rss_limit_mb bounds memory
	# shellcheck disable=SC2086 # extra holds zero or one flag
	./build/fuzz_"$h" -max_total_time="$seconds" -max_len="${max_len[$h]}" -dict="dict/$h.dict" \
		${extra[$h]:-} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="build/artifacts/$h-" "build/work/$h" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crashes=$(($(find build/artifacts -name "$h-*" | wc -l) - before))
	if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
		passed=$((passed + 1))
		echo "ok - $h: ${execs:-0} executions in ${seconds}s, 0 crashes, corpus $(find "build/work/$h" -type f | wc -l) inputs"
	else
		failed=$((failed + 1))
		echo "not ok - $h: ${execs:-0} executions, $crashes crash(es), exit $rc; log $here/$log"
		grep -E 'property failed|ERROR: |runtime error|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/    /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# make bench: every performance figure of sym_access as a ratio against its
# floor, each side measured in the same run, one table (README "Performance").
#
#   bench/run.sh            (PG_CONFIG picks the server; sym_access is installed
#                            into that server's tree: use a private one on a
#                            shared machine, see README)
#
# Knobs (environment): BENCH_SECONDS per pgbench point (10), BENCH_ROUNDS (3),
# BENCH_CLIENTS ("1 4 8"), BENCH_AUDIT_ROWS (1000000; the issue's figure is
# 1e7, which takes several minutes to write here), BENCH_COLD (30), BENCH_WARM (301),
# BENCH_INSTALL (1; 0 measures the build already installed in PG_CONFIG's tree).
# Each row ends with the command that re-runs it alone.  bench/instructions.sh
# needs valgrind.  bench/expiry_latency.sh
# (how late the worker revokes) is separate: it waits out real worker cycles.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
out=$tmp/report

# Build and install once (bench_install says where); the parts then measure
# what is installed.
bench_install
export BENCH_INSTALL=0
{
	"$here/cycles.sh" "${BENCH_SECONDS:-10}" "${BENCH_ROUNDS:-3}" "${BENCH_CLIENTS:-1 4 8}"
	"$here/instructions.sh"
	"$here/shim.sh" "${BENCH_COLD:-30}" "${BENCH_WARM:-301}"
	"$here/expire_scaling.sh"
	"$here/audit_size.sh" "${BENCH_AUDIT_ROWS:-1000000}" 5 "${BENCH_ROUNDS:-3}"
} >"$out"

echo
echo "sym_access performance, PostgreSQL $("$PG_CONFIG" --version | sed 's/^PostgreSQL //'), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo "ratio = sym_access / floor (cycles/s: higher is better; ms and kB: lower is better)"
echo
echo "| what | sym_access | floor | ratio | target | re-run |"
echo "|---|---|---|---|---|---|"
cat "$out"

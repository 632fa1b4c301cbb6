#!/usr/bin/env bash
# make test: every test of the project, from a fresh machine.
#
#   1. install missing Debian packages (scripts/deps.sh); pgindent style check
#   2. build the extension with -Werror and install it into $PG_CONFIG's server
#   3. start a throwaway cluster (test/cluster.sh) with the library preloaded
#   4. pg_regress (sql/, expected/) and pg_isolation_regress (test/isolation/)
#   5. the background-worker test (test/worker.sh)
#   5a. the fault-injection suite and the SQL-level property test
#      (test/faults/run.sh): bursts of calls from psql and the shim while the
#      server is stopped, restarted, out of connections, locked, ...; no lost
#      audit row, no orphan membership, no crash
#   5b. the attack suite (test/attacks/run.sh): each case fails if an attack
#      by the bot, a grantee, an admin, a database owner or a CREATEROLE
#      user succeeds
#   5c. temporary users end to end (test/tempusers/run.sh, own cluster): the
#      password is in no log line, pg_stat_statements text, audit row or
#      message; it logs in over TCP with SCRAM until replaced or revoked
#      (on 15 only the 0A000 refusal)
#   6. the shim's tests against the same cluster (shim/test/run.sh)
#   7. the deployment lint (scripts/lint-deploy.sh)
#   8. the shim's libFuzzer harnesses, about 30 s in all (shim/fuzz/run.sh)
#   9. packaging (test/package.sh): make deb, lintian, make dist (PGXN), the
#      reproducible lambda zip, and the .deb installed, used, upgraded and
#      removed in a clean debootstrap'ed Debian 12 root (needs root)
#
#  10. the pg_tle edition (test/pgtle/run.sh): its own PostgreSQL 15 and 18
#      trees with pg_tle built from ../shared/vendor, the sql/ suite and the
#      isolation specs against the edition installed by a non-superuser admin,
#      the RDS emulation suite, the attack suite and the shim's sweep event;
#      a line of counts per major ("pgtle 15: regress ...")
#
# SUITES="style regress isolation worker faults attacks tempusers shim lint fuzz package pgtle" selects parts (default: all).
# PG_CONFIG=... runs against another server build (see scripts/matrix.sh).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export PG_CONFIG=${PG_CONFIG:-pg_config}
SUITES=${SUITES:-style regress isolation worker faults attacks tempusers shim lint fuzz package pgtle}

t0=$(date +%s)
t_step=$t0
timings=()
# Each step's heading; the previous step's wall time goes into the summary.
step() {
	local now
	now=$(date +%s)
	[ -z "${step_name:-}" ] || timings+=("$(printf '%5d s  %s' $((now - t_step)) "$step_name")")
	step_name=$*
	t_step=$now
	printf '\n==> %s\n' "$*"
}
want() { case " $SUITES " in *" $1 "*) return 0 ;; esac; return 1; }

passed=0
failed=0
failures=()
counts=()
count() { # suite-name passed failed
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ "$3" = 0 ] || failures+=("$1")
	counts+=("$1 $2/$3")
}

step "checking packages"
scripts/deps.sh || exit 1

if want style; then
	step "pgindent style of extension/src (scripts/indent.sh --check)"
	if scripts/indent.sh --check; then count style 1 0; else count style 0 1; fi
	step "generated install script is up to date (make check-generated)"
	if make -s check-generated; then count generated 1 0; else count generated 0 1; fi
fi

# sudo only where the install tree is not ours to write.
as_installer=()
if [ ! -w "$("$PG_CONFIG" --pkglibdir)" ] && [ "$(id -u)" != 0 ]; then
	as_installer=(sudo)
fi

step "building the extension ($("$PG_CONFIG" --version)) with -Werror"
make -s clean >/dev/null 2>&1 || true
make -s WERROR=1 PG_CONFIG="$PG_CONFIG" || exit 1
step "installing it into $("$PG_CONFIG" --pkglibdir)"
"${as_installer[@]}" make -s install PG_CONFIG="$PG_CONFIG" >/dev/null || exit 1

tmp=$(mktemp -d /tmp/sym_access_test.XXXXXX)
chmod 755 "$tmp"
cleanup() { test/cluster.sh stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

# Not preloaded: the suites run the library as CREATE EXTENSION loads it
# (the pg_cron set-up); test/worker.sh covers shared_preload_libraries.
step "starting a throwaway cluster in $tmp/pg"
test/cluster.sh start "$tmp/pg" || exit 1
# shellcheck disable=SC1091
. "$tmp/pg/env"

# pg_regress output: "All N tests passed." / "M of N tests failed."
regress_counts() { scripts/regress-counts.sh "$1"; }

if want regress; then
	step "pg_regress: $(find sql -name '*.sql' | wc -l) tests"
	make -s installcheck-regress PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$tmp/regress.out"
	[ -f regression.diffs ] && cat regression.diffs
	read -r p f <<<"$(regress_counts "$tmp/regress.out")"
	count regress "$p" "$f"
fi

if want isolation; then
	step "pg_isolation_regress: $(find test/isolation/specs -name '*.spec' | wc -l) specs"
	make -s installcheck-isolation PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$tmp/isolation.out"
	[ -f output_iso/regression.diffs ] && cat output_iso/regression.diffs
	read -r p f <<<"$(regress_counts "$tmp/isolation.out")"
	count isolation "$p" "$f"
fi

if want worker; then
	step "background worker: test/worker.sh"
	test/worker.sh 2>&1 | tee "$tmp/worker.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/worker.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count worker "$p" "$f"
fi

if want faults; then
	step "fault injection and property test: test/faults/run.sh"
	test/faults/run.sh 2>&1 | tee "$tmp/faults.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/faults.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count faults "$p" "$f"
fi

if want attacks; then
	step "attack suite: test/attacks/run.sh"
	test/attacks/run.sh 2>&1 | tee "$tmp/attacks.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/attacks.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count attacks "$p" "$f"
fi

if want tempusers; then
	step "temporary users: test/tempusers/run.sh"
	test/tempusers/run.sh 2>&1 | tee "$tmp/tempusers.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/tempusers.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count tempusers "$p" "$f"
fi

if want shim; then
	step "shim: shim/test/run.sh"
	if shim/test/run.sh 2>&1 | tee "$tmp/shim.out"; then
		n=$(sed -n 's/^\([0-9]*\) passed, 0 failed.*/\1/p' "$tmp/shim.out" | tail -1)
		count shim "${n:-1}" 0
	else
		n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/shim.out" | tail -1)
		read -r p f <<<"${n:-0 1}"
		count shim "$p" "$f"
	fi
fi

if want lint; then
	step "deployment lint: scripts/lint-deploy.sh"
	if scripts/lint-deploy.sh 2>&1 | tee "$tmp/lint.out"; then
		n=$(sed -n 's/^\([0-9]*\) passed, 0 failed.*/\1/p' "$tmp/lint.out" | tail -1)
		count lint "${n:-1}" 0
	else
		count lint 0 1
	fi
fi

if want fuzz; then
	step "shim fuzzing: shim/fuzz/run.sh (FUZZ_TOTAL=${FUZZ_TOTAL:-30} s)"
	FUZZ_TOTAL=${FUZZ_TOTAL:-30} shim/fuzz/run.sh 2>&1 | tee "$tmp/fuzz.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/fuzz.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count fuzz "$p" "$f"
fi

if want package; then
	step "packaging: test/package.sh"
	test/package.sh 2>&1 | tee "$tmp/package.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/package.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count package "$p" "$f"
fi

if want pgtle; then
	step "pg_tle edition: test/pgtle/run.sh"
	test/pgtle/run.sh 2>&1 | tee "$tmp/pgtle.out"
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/pgtle.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	count pgtle "$p" "$f"
fi

step "summary"
echo "wall time per step:"
printf '  %s\n' "${timings[@]}"
echo "  total: $(($(date +%s) - t0)) s"
[ ${#failures[@]} -eq 0 ] || echo "failing suites: ${failures[*]}"
# per suite, passed/failed (scripts/matrix.sh reprints this line)
echo "suites: ${counts[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

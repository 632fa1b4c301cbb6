#!/usr/bin/env bash
# The fault-injection suite: bursts of grant/revoke/expire calls from several
# concurrent clients (psql as the bot, and the real shim binary in local mode)
# while a fault is injected; then, for each case:
#   - no lost audit row: every call that returned has its row (the id it got
#     back names a row with its action, role, grantee, run and outcome); ids
#     are unique and increase along each client, across restarts too;
#   - no orphan or missing membership: sym_access.check() is empty after one
#     expire() sweep, and every open grant row has its grant's audit row;
#   - no crash: no "terminated by signal", PANIC or TRAP in the server log,
#     except the worker this suite kills itself;
#   - every returned call has its sym_access LOG line, and calls failed only
#     the way the fault fails them (no internal error, deadlock, ...);
#   - the fault really happened (each case proves its own).
# Each case prints "PASS name (calls N, audit rows checked M, problems 0)" or
# "FAIL name: why"; then the property test (test/faults/property.sh) runs;
# the last line is "N passed, M failed".
#
#   test/faults/run.sh              PG_CONFIG=... for another server build
#   SEED=123 test/faults/run.sh     replay the clients' choices (not their timing)
#                                   and the property test exactly
#   FAULTS="fast_restart drop_role" test/faults/run.sh    some cases only
#   NO_PROPERTY=1, KEEP_LOG=FILE (the server log), KEEP_TMP=1 (the records)
#
# Runs its own cluster (test/cluster.sh), with the library preloaded and the
# worker sweeping every second in database sym_faults.  The extension must be
# installed in $PG_CONFIG's server (scripts/test.sh does that).  Only
# 127.0.0.1 and Unix sockets are used.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-pg_config}
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
SHIM="$root/shim/sym-access-shim"
BOTPW="fx-pw-$$-$RANDOM$RANDOM"
ALL_FAULTS="immediate_stop fast_restart terminate_backend proxy_cut statement_timeout
	lock_timeout max_connections auth_members_lock drop_role disallow_role worker_sigkill
	worker_cancel worker_sigterm"
FAULTS=${FAULTS:-$ALL_FAULTS}

tmp=$(mktemp -d /tmp/sym_access_faults.XXXXXX)
chmod 755 "$tmp"
pg="$tmp/pg"
all_ids="$tmp/all_ids"
: >"$all_ids"
helpers=()
cleanup() {
	local p
	for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${KEEP_LOG:-}" ] && [ -f "$pg/server.log" ] && cp "$pg/server.log" "$KEEP_LOG"
	"$root/test/cluster.sh" stop "$pg" >/dev/null 2>&1
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=test/faults/lib.sh
. "$here/lib.sh"
passed=0
failed=0
started=$(now_ms)
echo "# fault suite, SEED=$SEED ($("$PG_CONFIG" --version))"

make -s -C "$root/shim" sym-access-shim >/dev/null || { echo "cannot build the shim"; echo "0 passed, 1 failed"; exit 1; }

# --- the cluster: the worker sweeps sym_faults every second ----------------------
setup() {
	"$root/test/cluster.sh" start "$pg" >/dev/null || return 1
	# shellcheck disable=SC1091
	. "$pg/env"
	q -c "CREATE DATABASE sym_faults" >/dev/null || return 1
	"$root/test/cluster.sh" restart "$pg" "shared_preload_libraries = 'sym_access'" \
		"sym_access.expire_interval = 1" "sym_access.database = 'sym_faults'" \
		"max_connections = 20" >/dev/null || return 1
	q -d sym_faults >/dev/null <<SQL || return 1
SET client_min_messages = warning;
CREATE EXTENSION sym_access;
CREATE ROLE fx_r1 NOLOGIN;
CREATE ROLE fx_r2 NOLOGIN;
CREATE ROLE fx_u1 LOGIN;
CREATE ROLE fx_u2 LOGIN;
CREATE ROLE fx_u3 LOGIN;
CREATE ROLE fx_d LOGIN;
CREATE ROLE fx_filler LOGIN;
CREATE ROLE fx_bot LOGIN PASSWORD '$BOTPW';
GRANT sym_access_operator TO fx_bot;
SELECT sym_access.allow_role('fx_r1', default_duration => '30 seconds', max_duration => '1 minute');
SELECT sym_access.allow_role('fx_r2', default_duration => '30 seconds', max_duration => '1 minute');
SQL
	wait_worker 20 >/dev/null
}
if ! setup; then
	echo "FAIL setup: cannot start the cluster or install the extension"
	[ -f "$pg/server.log" ] && tail -20 "$pg/server.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# as_superuser SQL: in sym_faults; prints the output, returns psql's status
as_superuser() { q -d sym_faults -c "$1" 2>&1; }

# --- the cases ------------------------------------------------------------------

# across_restart: calls of this case committed before the server (re)started
# and after it; both must be there, or the restart was not mid-burst.
# Sets restart_note.
across_restart() {
	local n before after
	n=$(q -d sym_faults -c "SELECT count(*) FILTER (WHERE at < pg_postmaster_start_time()) || ' ' ||
		count(*) FILTER (WHERE at >= pg_postmaster_start_time()) FROM sym_access.audit WHERE run_srn LIKE 'fx:$case_name:%'")
	read -r before after <<<"$n"
	if [ "${before:-0}" = 0 ] || [ "${after:-0}" = 0 ]; then
		problem "fault not injected mid-burst: ${before:-?} calls committed before the restart, ${after:-?} after"
	fi
	restart_note="${before:-?} before and ${after:-?} after the restart"
}

# restart_mid_burst MODE: the server stopped in MODE (immediate: no
# shutdown checkpoint, crash recovery at start; fast: backends ended, clean
# checkpoint) once six calls of the burst returned, then started again.
restart_mid_burst() {
	local mode=$1
	burst_start
	wait_calls 6
	if [ "$mode" = immediate ]; then
		pgctl -m immediate -w stop >/dev/null 2>&1
		sleep 0.5
		pgctl -w -t 60 start >/dev/null 2>&1 || problem "the server did not start again"
	else
		pgctl -m "$mode" -w -t 60 restart >/dev/null 2>&1 || problem "the server did not restart"
	fi
	burst_wait
	[ "$(log_count "received $mode shutdown request")" -gt 0 ] || problem "fault not injected: no $mode shutdown"
	wait_worker 20 >/dev/null || problem "the worker did not come back"
	across_restart
	note="calls committed $restart_note; $(count_errors .) failed while it was down or restarting"
	finish_case
}
case_immediate_stop() { restart_mid_burst immediate; }
case_fast_restart() { restart_mid_burst fast; }

# Backends of the clients are terminated while they run a sym_access call.
case_terminate_backend() {
	local out n
	burst_start
	sleep 0.5
	out=$(as_superuser "DO \$\$ DECLARE n int := 0; k int; t0 timestamptz := clock_timestamp(); BEGIN
		WHILE clock_timestamp() < t0 + interval '2.5 s' LOOP
			PERFORM pg_stat_clear_snapshot();
			SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) INTO k FROM pg_stat_activity
			 WHERE application_name IN ('fx_client', 'sym-access-shim') AND state = 'active'
			   AND query LIKE '%sym_access.%' AND pid <> pg_backend_pid();
			n := n + k;
			PERFORM pg_sleep(0.003);
		END LOOP;
		RAISE NOTICE 'terminated %', n; END \$\$")
	burst_wait
	n=$(sed -n 's/.*terminated \([0-9]*\).*/\1/p' <<<"$out")
	[ "${n:-0}" -gt 0 ] || problem "fault not injected: no backend terminated mid-call ($out)"
	note="${n:-0} backends terminated mid-call"
	finish_case
}

# The shim's connection goes through a proxy that cuts it after a call was sent.
case_proxy_cut() {
	local pport="$cdir/proxy.port" pid stats
	python3 "$here/proxy.py" "$PGPORT" "$pport" "$cdir/proxy.stats" 0.5 "$SEED" &
	pid=$!
	helpers+=("$pid")
	for _ in $(seq 50); do [ -s "$pport" ] && break; sleep 0.1; done
	SHIM_PORT=$(cat "$pport")
	BURST_PSQL=2 BURST_SHIM=2 BURST_SECS=6
	burst_start
	burst_wait
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	stats=$(cat "$cdir/proxy.stats" 2>/dev/null)
	[[ $stats =~ cuts\ ([1-9][0-9]*) ]] || problem "fault not injected: no connection cut ($stats)"
	note="proxy: $stats; shim retries $(grep -c 'retrying once' "$cdir/shimerr.all" 2>/dev/null)"
	finish_case
}

# hold_pair SECONDS RUN: the bot keeps (fx_r1, fx_u1) locked in an open
# transaction for SECONDS after granting RUN; the grant counts as a call
# (recorded) when the transaction commits.
hold_pair() {
	local out
	echo 1 >>"$cdir/calls.h"
	out=$(PGAPPNAME=fx_holder psql -X -qAt -v ON_ERROR_STOP=1 -U fx_bot -d sym_faults \
		-c "BEGIN" \
		-c "SELECT audit_id || '|' || outcome FROM sym_access.grant('fx_r1', 'fx_u1', '3 seconds', '{\"run_srn\": \"$2\"}')" \
		-c "SELECT pg_sleep($1)" -c "COMMIT" 2>>"$cdir/holder.err") &&
		record "$cdir/ok" h grant fx_r1 fx_u1 "$2" "$(grep -E '^[0-9]+\|' <<<"$out")"
}
# grant_due RUN: a committed one-second grant of (fx_r1, fx_u1), soon due
grant_due() {
	local out
	echo 1 >>"$cdir/calls.h"
	out=$(q -U fx_bot -d sym_faults -c "SELECT audit_id || '|' || outcome FROM sym_access.grant('fx_r1', 'fx_u1', '1 second', '{\"run_srn\": \"$1\"}')") &&
		record "$cdir/ok" h grant fx_r1 fx_u1 "$1" "$out"
}

# A statement_timeout shorter than the call: the audit table and a pair are
# held by other sessions, so calls wait and are cancelled mid-way.
case_statement_timeout() {
	local i
	CLIENT_PGOPTIONS="-c statement_timeout=150"
	ROLES=(fx_r1) GRANTEES=(fx_u1 fx_u1 fx_u2)
	BURST_SECS=5
	burst_start
	for i in 1 2 3; do
		sleep 0.3
		as_superuser "BEGIN; LOCK TABLE sym_access.audit IN EXCLUSIVE MODE; SELECT pg_sleep(1); COMMIT" >/dev/null &
		hold_pair 0.8 "fx:$case_name:h:$i"
		wait $!
	done
	burst_wait
	CLIENT_PGOPTIONS=
	i=$(count_errors 57014)
	[ "$i" -gt 0 ] || problem "fault not injected: no call cancelled by statement_timeout"
	note="$i calls cancelled by statement_timeout"
	finish_case
}

# lock_timeout while the pair is held by a bot's open transaction (2 s); the
# worker's sweeps meanwhile skip the held pair instead of waiting.
case_lock_timeout() {
	local i skipped
	CLIENT_PGOPTIONS="-c lock_timeout=100"
	ROLES=(fx_r1) GRANTEES=(fx_u1 fx_u1 fx_u2)
	BURST_SECS=6
	burst_start
	for i in 1 2; do
		grant_due "fx:$case_name:h:due$i"
		sleep 1.1
		hold_pair 2 "fx:$case_name:h:$i"
	done
	burst_wait
	CLIENT_PGOPTIONS=
	i=$(count_errors 55P03)
	skipped=$(log_count 'sym_access: action=expire outcome=skipped')
	[ "$i" -gt 0 ] || problem "fault not injected: no call ran into lock_timeout"
	[ "$skipped" -gt 0 ] || problem "the sweep never skipped the held pair (did it wait?)"
	note="$i calls hit lock_timeout, $skipped sweeps skipped the held pair"
	finish_case
}

# Every connection slot taken for 2.5 seconds (max_connections is 20 on this
# cluster, 17 for non-superusers; test/faults/hold_slots.py takes each slot
# that frees, which can take seconds on a busy machine): clients are
# refused, then go on for 1.5 s.
case_max_connections() {
	local refused held
	BURST_SECS=15 BURST_CALLS=200
	burst_start
	sleep 0.3
	held=$(python3 "$here/hold_slots.py" "$PGHOST" "$PGPORT" fx_filler sym_faults 2.5)
	sleep 1.5
	touch "$cdir/stop"
	burst_wait
	refused=$(count_errors 'too many clients|connection slots are reserved')
	[ "$refused" -gt 0 ] || problem "fault not injected: no connection refused ($held)"
	note="$refused calls refused a connection; slots: $held"
	finish_case
}

# A superuser holds ACCESS EXCLUSIVE on pg_auth_members for two seconds;
# halfway through, count the sessions waiting for it.
case_auth_members_lock() {
	local out waiters
	burst_start
	sleep 0.8
	as_superuser "BEGIN; LOCK TABLE pg_catalog.pg_auth_members IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT" >"$cdir/locker.out" &
	sleep 1.5
	# pg_auth_members is OID 1261 in every version (a shared catalog)
	waiters=$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 1261 AND NOT granted")
	wait $! || problem "fault not injected: could not lock pg_auth_members ($(cat "$cdir/locker.out"))"
	burst_wait
	[ "${waiters:-0}" -gt 0 ] || problem "fault not injected: nobody waited for the lock on pg_auth_members"
	note="${waiters:-0} sessions waited for the lock; $(count_errors .) calls failed"
	finish_case
}

# A grantee is dropped (and made again, with a new OID) during the burst.
case_drop_role() {
	local drops=0 dropped
	# shellcheck disable=SC2034 # read by pick (lib.sh) through a nameref
	GRANTEES=(fx_u1 fx_d fx_d)
	burst_start
	sleep 1
	as_superuser "DROP ROLE fx_d" >/dev/null && drops=$((drops + 1))
	sleep 0.6
	as_superuser "CREATE ROLE fx_d LOGIN" >/dev/null
	sleep 0.8
	as_superuser "DROP ROLE fx_d" >/dev/null && drops=$((drops + 1))
	sleep 0.6
	as_superuser "CREATE ROLE fx_d LOGIN" >/dev/null
	burst_wait
	as_superuser "DROP ROLE IF EXISTS fx_d; CREATE ROLE fx_d LOGIN" >/dev/null
	[ "$drops" -gt 0 ] || problem "fault not injected: DROP ROLE fx_d never succeeded"
	dropped=$(q -d sym_faults -c "SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND outcome = 'dropped' AND run_srn LIKE 'fx:$case_name:%'")
	note="$drops drops; $dropped open grants of the dropped role closed by a sweep"
	finish_case
}

# The role is taken off the allow-list and put back, twice, during the burst.
case_disallow_role() {
	local ok=0 i denied
	# shellcheck disable=SC2034 # read by pick (lib.sh) through a nameref
	ROLES=(fx_r1 fx_r2 fx_r2)
	burst_start
	for i in 1 2; do
		sleep 0.8
		as_superuser "SELECT sym_access.disallow_role('fx_r2')" >/dev/null && ok=$((ok + 1))
		sleep 0.8
		as_superuser "SELECT sym_access.allow_role('fx_r2', default_duration => '30 seconds', max_duration => '1 minute')" >/dev/null && ok=$((ok + 1))
	done
	burst_wait
	[ "$ok" = 4 ] || problem "fault not injected: $ok of 4 disallow/allow calls succeeded"
	denied=$(awk -F'|' '$3 == "fx_r2" && $7 == "denied"' "$cdir/ok" | wc -l)
	note="$denied grants of fx_r2 denied while it was off the list"
	finish_case
}

# signal_worker_mid_burst HOW: the worker's PID into pid, a burst, and the
# worker signalled once six calls of it returned; HOW is kill (SIGKILL),
# cancel (pg_cancel_backend, five times) or terminate (pg_terminate_backend).
signal_worker_mid_burst() {
	local i
	pid=$(wait_worker 20) || { problem "no worker to $1"; return 1; }
	burst_start
	wait_calls 6
	case $1 in
	kill) kill -KILL "$pid" ;;
	cancel)
		for i in 1 2 3 4 5; do
			q -c "SELECT pg_cancel_backend($pid)" >/dev/null 2>&1
			sleep 0.3
		done
		;;
	terminate) q -c "SELECT pg_terminate_backend($pid)" >/dev/null ;;
	esac
	burst_wait
}

# SIGKILL to the expiry worker: the postmaster resets every backend and
# restarts; that one "terminated by signal 9" line is the case's own.
case_worker_sigkill() {
	local pid newpid
	signal_worker_mid_burst kill || { finish_case; return; }
	[ "$(log_count "\\(PID $pid\\) was terminated by signal 9")" -gt 0 ] || problem "fault not injected: no signal 9 for PID $pid"
	newpid=$(wait_worker 30) || problem "the worker did not come back"
	[ "${newpid:-$pid}" != "$pid" ] || problem "the worker still has the killed PID"
	worker_sweeps || problem "the restarted worker did not expire a one-second grant within 10 s"
	note="worker $pid killed, back as ${newpid:-none} and sweeping"
	finish_case "$pid"
}

# worker_sweeps: the worker expires a one-second grant with no call from
# here within 10 s (a grantee the bursts do not use, so no other run keeps
# the membership).  Returns 1 when it does not.
worker_sweeps() {
	local run="fx:$case_name:sweep:$RANDOM" i
	q -U fx_bot -d sym_faults -c "SELECT sym_access.grant('fx_r1', 'fx_d', '1 second', '{\"run_srn\": \"$run\"}')" >/dev/null
	for ((i = 0; i < 100; i++)); do
		[ "$(q -d sym_faults -c "SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND run_srn = '$run'")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# pg_cancel_backend of the worker mid-burst (what a superuser's "cancel
# everything that runs long" does): the worker must survive it in the same
# process, as it survives a failing sweep, and go on sweeping.
case_worker_cancel() {
	local pid newpid
	signal_worker_mid_burst cancel || { finish_case; return; }
	newpid=$(worker_pid)
	[ "$newpid" = "$pid" ] ||
		problem "the worker did not survive pg_cancel_backend: PID $pid gone ($(log_count "\\[$pid\\] ERROR") ERROR line(s), $(log_count "\\(PID $pid\\) exited with exit code 1") exit(s) with code 1), worker now [${newpid}]"
	wait_worker 15 >/dev/null || problem "no worker 15 s after the cancel"
	worker_sweeps || problem "no sweep after the cancel"
	note="worker $pid cancelled 5 times, now [${newpid}]"
	finish_case
}

# pg_terminate_backend of the worker outside a shutdown (a superuser's
# "terminate old backends" job): the postmaster must start it again (within
# bgw_restart_time, 10 s) and expiry go on; a worker that exits with code 0
# is unregistered for good.
case_worker_sigterm() {
	local pid newpid
	signal_worker_mid_burst terminate || { finish_case; return; }
	if newpid=$(wait_worker 15); then
		worker_sweeps || problem "the restarted worker does not sweep"
	else
		problem "no worker 15 s after pg_terminate_backend($pid): it logged \"shutting down\" $(log_count "\\[$pid\\] LOG:  sym_access: expiry worker shutting down") time(s) and exited with code 0, so the postmaster unregistered it: expiry stops until the server restarts"
		# put it back for what runs after: a restart registers it again
		pgctl -m fast -w -t 60 restart >/dev/null 2>&1
		wait_worker 20 >/dev/null
	fi
	note="worker $pid terminated, back as ${newpid:-none}"
	finish_case
}

for f in $FAULTS; do
	case " $(echo "$ALL_FAULTS" | tr -s '\t\n' '  ') " in
	*" $f "*) ;;
	*) echo "FAIL $f: no such case"; failed=$((failed + 1)); continue ;;
	esac
	begin_case "$f"
	"case_$f"
done

# --- the property test, on its own cluster ------------------------------------
if [ -z "${NO_PROPERTY:-}" ]; then
	[ -n "${KEEP_LOG:-}" ] && cp "$pg/server.log" "$KEEP_LOG"
	"$root/test/cluster.sh" stop "$pg" >/dev/null 2>&1
	SEED=$SEED "$here/property.sh" | tee "$tmp/property.out" | grep -E '^(PASS|FAIL|  )'
	n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/property.out" | tail -1)
	read -r p f <<<"${n:-0 1}"
	passed=$((passed + p))
	failed=$((failed + f))
fi

echo "# SEED=$SEED, $((($(now_ms) - started) / 1000)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

# shellcheck shell=bash
# Helpers of the fault-injection suite (test/faults/run.sh): the cluster, the
# concurrent clients of a burst, and the checks every case ends with.
# run.sh sets pg (the cluster folder), tmp (scratch) and all_ids (every audit
# id returned so far) before sourcing this; ROLES and GRANTEES are read by
# pick through a nameref.
# shellcheck disable=SC2154,SC2034
#
# A burst: BURST_PSQL psql clients (the bot over the Unix socket) and
# BURST_SHIM clients running the real shim binary in local mode (the bot over
# TCP, through $SHIM_PORT), each making at most BURST_CALLS calls in at most
# BURST_SECS seconds.  Every call that returns a result is recorded as
#   client|action|role|grantee|run|audit_id|outcome        in $cdir/ok
# and every failure as
#   client|action|role|grantee|run|error text              in $cdir/err
# so that the checks can look each returned audit id up.

q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}
pgctl() { as_owner "$(command -v pg_ctl)" -D "$pg/data" -l "$pg/server.log" "$@"; }

# Wait until the server answers a superuser query (at most $1 s, default 30).
wait_ready() {
	local i secs=${1:-30}
	for ((i = 0; i < secs * 10; i++)); do
		q -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
worker_pid() {
	q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'sym_access expiry worker'" 2>/dev/null
}
# Wait until the expiry worker runs (at most $1 s); prints its pid.
wait_worker() {
	local i p secs=${1:-20}
	for ((i = 0; i < secs * 10; i++)); do
		p=$(worker_pid)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

# --- the clients ----------------------------------------------------------------

# pick ARRAY-NAME: one element at random
pick() {
	local -n arr=$1
	echo "${arr[RANDOM % ${#arr[@]}]}"
}
# The next call of a client: sets op, role, grantee, run, dur.
# Runs are few per client, so grants extend and revokes find something.
next_call() {
	local id=$1 r=$((RANDOM % 100))
	if [ $r -lt 55 ]; then op=grant; elif [ $r -lt 92 ]; then op=revoke; else op=expire; fi
	role=$(pick ROLES)
	grantee=$(pick GRANTEES)
	run="fx:$case_name:$id:$((RANDOM % 3))"
	dur=$((1 + RANDOM % 4))
}
# record FILE FIELDS...: one line, fields joined by |, | and newlines removed
record() {
	local f=$1 IFS='|'
	shift
	local line="$*"
	printf '%s\n' "${line//$'\n'/ }" >>"$f"
}
clean_err() { # the first error line of a file, without the | separator
	local e
	e=$(grep -m1 -E 'ERROR|FATAL|error|timeout|terminated' "$1" || head -1 "$1")
	e=${e//|/ }
	echo "${e:-no output}"
}

# call_sql: the SQL of the current call (op, role, grantee, run, dur)
call_sql() {
	case $op in
	grant) echo "SELECT audit_id || '|' || outcome FROM sym_access.grant('$role', '$grantee', '$dur seconds', '{\"run_srn\": \"$run\"}')" ;;
	revoke) echo "SELECT audit_id || '|' || outcome FROM sym_access.revoke('$role', '$grantee', '{\"run_srn\": \"$run\"}')" ;;
	expire) echo "SELECT 'expire|' || sym_access.expire()" ;;
	esac
}

# psql_batch ID N EXTRA-PSQL-ARGS...: N calls as the bot in one session, each
# its own statement (autocommit), so a result printed is a call committed.
# Each result line is matched to its call in order; the first call without a
# line is the one that failed, the ones after it never ran.  Returns 1 when
# the batch failed.
psql_batch() {
	local id=$1 n=$2 k out ef="$cdir/stderr.$1" calls=() args=() lines=()
	shift 2
	for ((k = 0; k < n; k++)); do
		next_call "$id"
		calls+=("$op|$role|$grantee|$run")
		args+=(-c "$(call_sql)")
	done
	out=$(PGOPTIONS=${CLIENT_PGOPTIONS:-} PGAPPNAME=fx_client PGCONNECT_TIMEOUT=3 timeout 10 \
		psql -X -qAt -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -U fx_bot "$@" "${args[@]}" 2>"$ef")
	local rc=$?
	mapfile -t lines <<<"$out"
	[ -n "$out" ] || lines=()
	for ((k = 0; k < n; k++)); do
		if [ $k -lt ${#lines[@]} ] && [[ ${lines[k]} =~ ^[0-9]+\|[a-z_]+$ ]] && [[ ${calls[k]} != expire* ]]; then
			record "$cdir/ok" "$id" "${calls[k]}" "${lines[k]}"
		elif [ $k -lt ${#lines[@]} ] && [[ ${lines[k]} == expire\|* ]] && [[ ${calls[k]} == expire* ]]; then
			record "$cdir/expired" "$id" "${lines[k]}"
		elif [ $k -eq ${#lines[@]} ] && [ $rc != 0 ]; then
			record "$cdir/err" "$id" "${calls[k]}" "$(clean_err "$ef")"
		elif [ $k -lt ${#lines[@]} ]; then
			record "$cdir/err" "$id" "${calls[k]}" "unexpected output: ${lines[k]}"
		fi
	done
	echo $((n > ${#lines[@]} + 1 ? ${#lines[@]} + 1 : n)) >>"$cdir/made.$id"
	[ $rc = 0 ]
}

# The event the shim reads for one call (Sym's shape, only what it uses).
shim_event() {
	local type=escalate
	[ "$op" = revoke ] && type=deescalate
	printf '{"id":"ev-%s-%s","type":"event","run":{"srn":"%s","actors":{"request":{"username":"%s@example.com"},"approve":{"username":"approver@example.com"}}},"event":{"type":"%s"},"fields":{"reason":"fault suite","duration":%s,"target":{"name":"%s"}}}\n' \
		"$RANDOM" "$RANDOM" "$run" "$grantee" "$type" "$dur" "$role"
}
# shim_call ID: one call through the real shim binary in local mode
shim_call() {
	local id=$1 ev="$cdir/event.$1" ef="$cdir/shimerr.$1" line
	[ "$op" = expire ] && op=grant # the shim's sweep answers no audit id; grant instead
	shim_event >"$ev"
	env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGOPTIONS PGHOST=127.0.0.1 "PGPORT=$SHIM_PORT" \
		PGUSER=fx_bot "PGPASSWORD=$BOTPW" PGDATABASE=sym_faults PGSSLMODE=disable \
		PGCONNECT_TIMEOUT=3 timeout 15 "$SHIM" --event "$ev" >"$cdir/shimout.$id" 2>"$ef"
	cat "$ef" >>"$cdir/shimerr.all"
	line=$(grep -Eo '(grant|revoke): outcome=[a-z_]+ .* audit_id=[0-9]+' "$ef" | tail -1)
	if [[ $line =~ ^(grant|revoke):\ outcome=([a-z_]+)\ .*audit_id=([0-9]+)$ ]]; then
		record "$cdir/ok" "$id" "$op" "$role" "$grantee" "$run" "${BASH_REMATCH[3]}" "${BASH_REMATCH[2]}"
	else
		record "$cdir/err" "$id" "$op" "$role" "$grantee" "$run" "$(clean_err "$ef")"
		return 1
	fi
}

# client ID KIND [PSQL-ARGS...]: the loop of one client, KIND psql or shim;
# at most BURST_CALLS calls in at most BURST_SECS seconds, or until the case
# creates $cdir/stop.  A psql client
# makes BATCH calls per session; a shim client one call per process (as on
# Lambda, a new process per cold start).
client() {
	local id=$1 kind=$2 n=0 end made
	shift 2
	end=$(($(now_ms) + BURST_SECS * 1000))
	RANDOM=$((SEED + ${id//[!0-9]/} * 7919 + ${#id}))
	: >"$cdir/made.$id"
	while [ $n -lt "$BURST_CALLS" ] && [ "$(now_ms)" -lt $end ] && [ ! -e "$cdir/stop" ]; do
		# errors come back at once while the server is down: do not spin
		if [ "$kind" = shim ]; then
			n=$((n + 1))
			next_call "$id"
			shim_call "$id" || sleep 0.05
		else
			psql_batch "$id" "$BATCH" "$@" || sleep 0.05
			n=$((n + BATCH))
		fi
	done
	# calls made: the shim's, or those psql reached (not the skipped rest of a batch)
	if [ "$kind" = shim ]; then made=$n; else made=$(awk '{ s += $1 } END { print s + 0 }' "$cdir/made.$id"); fi
	echo "$made" >"$cdir/calls.$id"
}

# burst_start: starts the clients in the background (pids in client_pids)
burst_start() {
	local i
	client_pids=()
	for ((i = 1; i <= BURST_PSQL; i++)); do
		client "p$i" psql "${PSQL_ARGS[@]}" &
		client_pids+=($!)
	done
	for ((i = 1; i <= BURST_SHIM; i++)); do
		client "s$i" shim &
		client_pids+=($!)
	done
}
burst_wait() {
	local p
	for p in "${client_pids[@]}"; do wait "$p"; done
	client_pids=()
}

# --- the checks -----------------------------------------------------------------

# wait_calls N [SECS]: until N calls of this case returned (at most SECS, 5),
# so that a fault falls into a burst that is really under way
wait_calls() {
	local i
	for ((i = 0; i < ${2:-5} * 20; i++)); do
		[ "$(wc -l <"$cdir/ok")" -ge "$1" ] && return 0
		sleep 0.05
	done
}

# count_errors PATTERN: failed calls of this case whose error matches
count_errors() { grep -c -E -- "$1" "$cdir/err" 2>/dev/null || true; }
log_since_start() { tail -c +$((log_offset + 1)) "$pg/server.log"; }
# log_count PATTERN: lines of the server log since the case began that match
# (through a file: grep -q on a pipe would fail the pipeline under pipefail)
log_count() {
	log_since_start >"$cdir/server.log"
	grep -c -E -- "$1" "$cdir/server.log" || true
}

# Adds to problems (and prints why) for every broken invariant.
problem() {
	problems=$((problems + ${2:-1}))
	why+=("$1")
}

# Every returned audit id names its own row (action, role, grantee, run,
# outcome as returned); ids are unique, and increase along each client.
check_audit_rows() {
	local res n found mismatched
	touch "$cdir/ok"
	res=$(q -d sym_faults <<SQL
CREATE TEMP TABLE rec (client text, action text, role text, grantee text, run text, id bigint, outcome text);
\copy rec FROM '$cdir/ok' (FORMAT csv, DELIMITER '|', QUOTE E'\x01')
SELECT count(*) || ' ' || count(a.id) || ' ' ||
       count(*) FILTER (WHERE a.id IS NOT NULL AND (a.action, a.role_name, a.grantee, a.run_srn, a.outcome)
                        IS DISTINCT FROM (r.action, r.role, r.grantee, r.run, r.outcome))
  FROM rec r LEFT JOIN sym_access.audit a ON a.id = r.id;
SQL
	) || { problem "could not read the audit table"; return; }
	read -r n found mismatched <<<"$res"
	checked=$found
	[ "$found" = "$n" ] || problem "$((n - found)) returned audit id(s) have no audit row (lost)" $((n - found))
	[ "$mismatched" = 0 ] || problem "$mismatched audit row(s) differ from what the call returned" "$mismatched"
	cut -d'|' -f6 "$cdir/ok" >>"$all_ids"
	n=$(sort "$all_ids" | uniq -d | wc -l)
	[ "$n" = 0 ] || problem "$n audit id(s) returned to two calls (reused)" "$n"
	n=$(awk -F'|' '($1 in last) && $6 + 0 <= last[$1] { bad++ } { last[$1] = $6 + 0 } END { print bad + 0 }' "$cdir/ok")
	[ "$n" = 0 ] || problem "$n audit id(s) not above the same client's previous one" "$n"
	n=$(q -d sym_faults -c "SELECT count(*) - count(DISTINCT id) FROM sym_access.audit")
	[ "$n" = 0 ] || problem "$n duplicate id(s) in the audit table" "$n"
	# the LOG line is the second copy of the trail: one for every returned call
	n=$(awk -F'|' 'NR == FNR { if (match($0, /sym_access: action=[a-z]+ .* audit_id=[0-9]+/)) { sub(/.* audit_id=/, ""); logged[$0 + 0] = 1 } next }
		!(($6 + 0) in logged) { missing++ } END { print missing + 0 }' "$pg/server.log" "$cdir/ok")
	[ "$n" = 0 ] || problem "$n returned call(s) without their sym_access LOG line" "$n"
}

# One sweep, then check() must be empty; and every open row of this case has
# the audit row of the grant that made it (no change without its audit row).
check_consistent() {
	local rows n
	q -d sym_faults -c "SELECT sym_access.expire()" >/dev/null ||
		{ problem "expire() failed after the burst"; return; }
	rows=$(q -d sym_faults -F' ' -c "SELECT problem, role, grantee, detail FROM sym_access.check()")
	if [ -n "$rows" ]; then
		problem "check() after a sweep: $(echo "$rows" | head -3 | tr '\n' ';')" "$(echo "$rows" | wc -l)"
	fi
	n=$(q -d sym_faults -c "SELECT count(*) FROM sym_access.active_grant g
		WHERE g.run_srn LIKE 'fx:$case_name:%' AND NOT EXISTS (
		  SELECT FROM sym_access.audit a WHERE a.action = 'grant' AND a.run_srn = g.run_srn
		     AND a.role_name = g.role::text AND a.grantee = g.grantee::text
		     AND a.outcome IN ('granted', 'extended', 'already_member'))")
	[ "$n" = 0 ] || problem "$n open grant row(s) without the audit row of their grant" "$n"
}

# Calls may fail while a fault is on, but only the way that fault fails them:
# cancelled (57014), lock timeout (55P03), ended by an administrator or a
# shutdown (57P01-57P03), too many connections (53300), or no connection at
# all (no SQLSTATE).  Anything else (an internal error, a deadlock, a
# unique violation, ...) is a problem even when the data stay consistent.
check_errors() {
	local odd
	odd=$(grep -oE '(ERROR|FATAL):  [0-9A-Z]{5}' "$cdir/err" | grep -vE ':  (57014|55P03|57P0[123]|53300)$' || true)
	[ -z "$odd" ] || problem "unexpected error(s): $(sort <<<"$odd" | uniq -c | tr -s ' \n' ' ')" "$(wc -l <<<"$odd")"
}

# No process died of a signal, except those the case killed itself (pids
# given), and no PANIC or failed assertion.
check_no_crash() {
	local lines allowed=("$@") p
	lines=$(log_since_start | grep -E 'terminated by signal|PANIC|TRAP:' || true)
	for p in "${allowed[@]}"; do
		lines=$(grep -v -- "(PID $p) was terminated by signal" <<<"$lines" || true)
	done
	if [ -n "$lines" ]; then
		problem "crash: $(head -2 <<<"$lines" | tr '\n' ';')" "$(wc -l <<<"$lines")"
	fi
}

# finish_case [EXEMPT-PIDS...]: the checks, then the PASS/FAIL line
finish_case() {
	local ncalls
	wait_ready 30 || problem "server not answering after the case"
	ncalls=$(cat "$cdir"/calls.* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	checked=0
	check_audit_rows
	check_consistent
	check_errors
	check_no_crash "$@"
	[ "$ncalls" -gt 0 ] || problem "no call was made"
	if [ "$problems" = 0 ] && [ ${#why[@]} = 0 ]; then
		passed=$((passed + 1))
		echo "PASS $case_name (calls $ncalls, audit rows checked $checked, problems 0)${note:+ — $note}"
	else
		failed=$((failed + 1))
		echo "FAIL $case_name: $(printf '%s; ' "${why[@]}")(calls $ncalls, audit rows checked $checked, problems $problems)"
	fi
}

# begin_case NAME: a fresh record folder and the defaults of a burst
begin_case() {
	case_name=$1
	cdir="$tmp/case.$1"
	mkdir -p "$cdir"
	: >"$cdir/ok"
	: >"$cdir/err"
	problems=0
	why=()
	note=
	log_offset=$(stat -c %s "$pg/server.log")
	ROLES=(fx_r1 fx_r2)
	GRANTEES=(fx_u1 fx_u2 fx_u3)
	BURST_PSQL=3 BURST_SHIM=1 BURST_CALLS=120 BURST_SECS=4 BATCH=5
	SHIM_PORT=$PGPORT
	PSQL_ARGS=(-d sym_faults)
}

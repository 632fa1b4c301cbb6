#!/usr/bin/env bash
# The shim's test suite: the real binary against a real PostgreSQL over TCP.
#
#   shim/test/run.sh
#
# Uses the cluster whose client environment is exported (PGHOST, PGPORT,
# PGUSER=postgres superuser, PATH with the server's bin dir; `. DIR/env` of
# test/cluster.sh) with the sym_access extension installed on the server. When
# PGHOST is unset it starts (and stops) a throwaway cluster itself. It creates
# its own database (sym_shim_test), the roles it needs, and a bot login that is a
# member of sym_access_operator only; it drops them again at the end.
# The database-restart test restarts the cluster: through test/cluster.sh when
# SYM_TEST_CLUSTER names it (as its env file does), else by terminating the
# bot's backends (a broken connection, the same thing from the shim's side).
#
# Prints one "ok"/"not ok" line per check and finally "N passed, M failed";
# exits non-zero when anything failed. Needs python3, valgrind, unzip, chroot.
# Last, shim/test/tempusers.sh (temporary users against its own PostgreSQL 18
# and a Secrets Manager stand-in); its counts are added to these.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
shimdir=$(cd "$here/.." && pwd)
root=$(cd "$shimdir/.." && pwd)
shim="$shimdir/sym-access-shim"
unit="$shimdir/test/unit"
zip="$root/dist/sym-access-lambda.zip"
DB=sym_shim_test
BOT=sym_shim_bot
BOTPW="shim-pw-$$-$RANDOM$RANDOM"

passed=0 failed=0
tmp=$(mktemp -d /tmp/sym-shim-test.XXXXXX)
chmod 755 "$tmp"
own_cluster=
peer_pid=
shim_pid=
created_roles=()

# shellcheck source=shim/test/lib.sh
. "$here/lib.sh"

cleanup() {
	[ -n "$shim_pid" ] && kill "$shim_pid" 2>/dev/null
	[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
	if [ -n "${PGPORT:-}" ]; then
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
		for r in "${created_roles[@]}"; do
			psql -X -q -d postgres -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1
		done
	fi
	[ -n "$own_cluster" ] && "$root/test/cluster.sh" stop "$own_cluster" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build what we test ------------------------------------------------------
make -s -C "$shimdir" sym-access-shim test/unit launcher/bootstrap >/dev/null || { echo "build failed"; exit 1; }
make -s -C "$shimdir" lambda-zip >/dev/null || { echo "lambda-zip failed"; exit 1; }

# --- cluster -----------------------------------------------------------------
if [ -z "${PGHOST:-}" ]; then
	own_cluster="$tmp/cluster"
	"$root/test/cluster.sh" start "$own_cluster" >/dev/null || { echo "cannot start a cluster"; exit 1; }
	# shellcheck disable=SC1091
	. "$own_cluster/env"
	chmod 755 "$tmp"
fi
: "${PGPORT:?PGPORT must be set}"
cluster_dir=${SYM_TEST_CLUSTER:-$own_cluster}

q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

section "set-up: database $DB, roles, bot $BOT"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || { echo "cannot create $DB"; exit 1; }
for spec in "readonly:NOLOGIN" "sym_user:LOGIN" "shim_other:LOGIN" "shim_sweeper:LOGIN" \
	"shim_secret:NOLOGIN" "$BOT:LOGIN"; do
	r=${spec%%:*} attr=${spec#*:}
	if [ "$(q "SELECT count(*) FROM pg_roles WHERE rolname = '$r'")" = 0 ]; then
		q "CREATE ROLE \"$r\" $attr" && created_roles+=("$r")
	fi
done
q "CREATE EXTENSION sym_access" >/dev/null || { echo "CREATE EXTENSION sym_access failed"; exit 1; }
q "ALTER ROLE $BOT LOGIN PASSWORD '$BOTPW'; GRANT sym_access_operator TO $BOT;
   SET client_min_messages = error; REVOKE readonly FROM sym_user, shim_other, shim_sweeper" >/dev/null
q "SELECT sym_access.allow_role('readonly')" >/dev/null || { echo "allow_role failed"; exit 1; }
check "bot is a member of sym_access_operator only, without ADMIN OPTION" \
	test "$(q "SELECT string_agg(r.rolname || ':' || m.admin_option, ',') FROM pg_auth_members m
	           JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = '$BOT'::regrole")" = "sym_access_operator:false"

# --- helpers -----------------------------------------------------------------
fixtures="$here/fixtures"
allerr="$tmp/all-stderr.log"
: >"$allerr"

# Every shim run: TCP as the bot, through the seed's alias names (the socket
# PG* variables of the cluster env are removed so the aliases are what counts).
shim_env=(env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD -u PGSERVICE
	-u AWS_LAMBDA_RUNTIME_API PG_HOST=127.0.0.1 "PG_PORT=$PGPORT" "PG_NAME=$DB" "PG_USER=$BOT"
	"PG_PASSWORD=$BOTPW")

# run_local EVENTFILE [VAR=VALUE ...]: sets RC, OUT (file), ERR (file)
n_run=0
run_local() {
	local ev=$1
	shift
	n_run=$((n_run + 1))
	OUT="$tmp/out.$n_run" ERR="$tmp/err.$n_run" RUN_AT=$(date +%s.%N)
	"${shim_env[@]}" "$@" "$shim" --event "$ev" >"$OUT" 2>"$ERR"
	RC=$?
	cat "$ERR" >>"$allerr"
}
audit_count() { q "SELECT count(*) FROM sym_access.audit"; }
last_audit() { q "SELECT $1 FROM sym_access.audit ORDER BY id DESC LIMIT 1"; }
is_member() { [ "$(q "SELECT count(*) FROM pg_auth_members WHERE roleid = '$2'::regrole AND member = '$1'::regrole")" = 1 ]; }
not_member() { ! is_member "$@"; }
# near TS SECONDS: the timestamp is within 10 s of SECONDS after the last
# run_local started (not after now(): on a loaded machine the checks between
# the run and this one can take longer than the tolerance)
near() { [ "$(q "SELECT abs(extract(epoch FROM '$1'::timestamptz - pg_catalog.to_timestamp($RUN_AT)) - $2) < 10")" = t ]; }

ESC="$fixtures/sym-escalate.json"
DEESC="$fixtures/sym-deescalate.json"
RUN=$(j "$ESC" 'd["run"]["srn"]')

# --- unit tests ----------------------------------------------------------------
section "unit tests (event mapping, durations, cutting, UTF-8)"
while read -r status name; do
	case "$status" in
	PASS) ok "unit: $name" ;;
	FAIL) not_ok "unit: $name" ;;
	esac
done < <(cd "$shimdir" && "$unit" "$fixtures")

# --- local mode ------------------------------------------------------------------
section "local mode: command line"
"$shim" --help >"$tmp/help" 2>&1
check "--help exits 0 and shows usage" test $? = 0
check "--help mentions --event" grep -q -- "--event" "$tmp/help"
check "--version prints the version" bash -c "'$shim' --version | grep -Eq '^sym-access-shim [0-9]'"
"$shim" --bogus >/dev/null 2>&1
check "unknown option exits 2" test $? = 2
run_local "$tmp/does-not-exist.json"
check "missing event file exits 2" test "$RC" = 2
run_local "$ESC" PG_PORT=notaport
check "bad PG_PORT exits 2" test "$RC" = 2
run_local "$ESC" SYM_SHIM_LOG_LEVEL=loud
check "bad SYM_SHIM_LOG_LEVEL exits 2" test "$RC" = 2
run_local "$ESC" PG_PASSWORD= PG_PASSWORD_KEY=/sym/pw AWS_SESSION_TOKEN=
check "PG_PASSWORD_KEY without AWS_SESSION_TOKEN exits 2" test "$RC" = 2

section "local mode: escalate (fixture)"
before=$(audit_count)
run_local "$ESC"
check "escalate exits 0" test "$RC" = 0
check "escalate outcome granted" test "$(j "$OUT" 'd["body"]["outcome"]')" = granted
check "escalate username sym_user" test "$(j "$OUT" 'd["body"]["username"]')" = sym_user
check "escalate role readonly" test "$(j "$OUT" 'd["body"]["role"]')" = readonly
check "escalate errors empty" test "$(j "$OUT" 'len(d["errors"])')" = 0
exp=$(j "$OUT" 'd["body"]["expires_at"]')
check "escalate expires_at is ISO 8601 UTC" bash -c "[[ '$exp' =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]"
check "escalate expires_at = now + 30 s (duration 30)" near "$exp" 30
check "sym_user is a member of readonly" is_member sym_user readonly
check "active_grant row for the run" test "$(q "SELECT count(*) FROM sym_access.active_grant WHERE run_srn = '$RUN' AND grantee = 'sym_user'::regrole")" = 1
check "one audit row written" test "$(audit_count)" = $((before + 1))
check "audit: grant/granted" test "$(last_audit "action || '/' || outcome")" = grant/granted
check "audit: requester, approver" test "$(last_audit "requester || ' ' || approver")" = "sym-user@healthy-health.co sym-implementer@healthy-health.co"
check "audit: run_srn, reason, duration" test "$(last_audit "run_srn || '|' || reason || '|' || duration")" = "$RUN|Fix Ticket 123|00:00:30"
check "audit: called_by the bot over TCP" test "$(last_audit "called_by || ' ' || host(client_addr)")" = "$BOT 127.0.0.1"
check "audit: event id kept" bash -c "grep -q 38ddcda0-2589-4922-88ce-f5fe4224c51c <<<'$(last_audit "detail::text")'"

section "local mode: escalate replayed (stdin)"
before=$(audit_count)
"${shim_env[@]}" "$shim" <"$ESC" >"$tmp/replay.out" 2>>"$allerr"
check "replay exits 0" test $? = 0
check "replay outcome extended" test "$(j "$tmp/replay.out" 'd["body"]["outcome"]')" = extended
check "replay: still a member, one active row" test "$(q "SELECT count(*) FROM sym_access.active_grant WHERE run_srn = '$RUN'")" = 1
check "replay: one audit row grant/extended" test "$(audit_count)/$(last_audit "action || '/' || outcome")" = "$((before + 1))/grant/extended"

section "local mode: deescalate (fixture) and its replay"
before=$(audit_count)
run_local "$DEESC"
check "deescalate exits 0" test "$RC" = 0
check "deescalate outcome revoked" test "$(j "$OUT" 'd["body"]["outcome"]')" = revoked
check "deescalate username sym_user, expires_at null" test "$(j "$OUT" 'd["body"]["username"], d["body"]["expires_at"]')" = "('sym_user', None)"
check "sym_user no longer a member" not_member sym_user readonly
check "no active rows for the run" test "$(q "SELECT count(*) FROM sym_access.active_grant WHERE run_srn = '$RUN'")" = 0
check "audit: revoke/revoked with run and approver" test "$(audit_count)/$(last_audit "action || '/' || outcome || '/' || run_srn || '/' || approver")" = "$((before + 1))/revoke/revoked/$RUN/sym-implementer@healthy-health.co"
before=$(audit_count)
run_local "$DEESC"
check "deescalate replay exits 0" test "$RC" = 0
check "deescalate replay outcome not_granted" test "$(j "$OUT" 'd["body"]["outcome"]')" = not_granted
check "deescalate replay: one audit row revoke/not_granted" test "$(audit_count)/$(last_audit "action || '/' || outcome")" = "$((before + 1))/revoke/not_granted"

section "local mode: denied role, unknown user, over-long names"
mkev "$ESC" "$tmp/denied.json" 'd["fields"]["target"]["name"]="shim_secret"; d["run"]["srn"]="test:run:denied"'
before=$(audit_count)
run_local "$tmp/denied.json"
check "denied role exits 1" test "$RC" = 1
check "denied role outcome denied" test "$(j "$OUT" 'd["body"]["outcome"]')" = denied
check "denied role: errors[0] names the role" bash -c "grep -q shim_secret <<<'$(j "$OUT" 'd["errors"][0]')'"
check "denied role: not a member" not_member sym_user shim_secret
check "denied role: audited as grant/denied" test "$(audit_count)/$(last_audit "action || '/' || outcome || '/' || role_name")" = "$((before + 1))/grant/denied/shim_secret"

mkev "$ESC" "$tmp/unknown.json" 'd["run"]["actors"]["request"]["username"]="nobody-here@healthy-health.co"; d["run"]["srn"]="test:run:unknown"'
before=$(audit_count)
run_local "$tmp/unknown.json"
check "unknown user exits 1" test "$RC" = 1
check "unknown user outcome denied" test "$(j "$OUT" 'd["body"]["outcome"], d["body"]["username"]')" = "('denied', 'nobody_here')"
check "unknown user: errors[0] says why" bash -c "grep -q nobody_here <<<'$(j "$OUT" 'd["errors"][0]')'"
check "unknown user: audited as grant/denied" test "$(audit_count)/$(last_audit "action || '/' || outcome || '/' || grantee")" = "$((before + 1))/grant/denied/nobody_here"

mkev "$ESC" "$tmp/long-role.json" 'd["fields"]["target"]["name"]="r"*64; d["run"]["srn"]="test:run:longrole"'
before=$(audit_count)
run_local "$tmp/long-role.json"
check "64-byte role name: exits 1, denied, never truncated" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 1/denied
check "64-byte role name: message gives the limit" bash -c "grep -q 63 <<<'$(j "$OUT" 'd["errors"][0]')'"
check "64-byte role name: refusal audited" test "$(audit_count)" = $((before + 1))

mkev "$ESC" "$tmp/long-user.json" 'd["run"]["actors"]["request"]["username"]="u"*64+"@x.co"; d["run"]["srn"]="test:run:longuser"'
run_local "$tmp/long-user.json"
check "64-byte user name: exits 1 with a database error" test "$RC" = 1
check "64-byte user name: error mentions the limit" bash -c "grep -q 63 <<<'$(j "$OUT" 'd["errors"][0]')'"

section "local mode: durations, long reason, pre-existing membership"
mkev "$ESC" "$tmp/5m.json" 'd["fields"]["duration"]="5m"; d["run"]["srn"]="test:run:5m"'
run_local "$tmp/5m.json"
check "duration \"5m\": granted" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 0/granted
check "duration \"5m\": expires in 300 s" near "$(j "$OUT" 'd["body"]["expires_at"]')" 300
check "duration \"5m\": audit duration 00:05:00" test "$(last_audit "duration")" = 00:05:00
mkev "$ESC" "$tmp/1d.json" 'd["fields"]["duration"]="1d"; d["run"]["srn"]="test:run:1d"'
run_local "$tmp/1d.json"
check "duration \"1d\": clamped to max_duration 12 h" near "$(j "$OUT" 'd["body"]["expires_at"]')" 43200
mkev "$ESC" "$tmp/nodur.json" 'del d["fields"]["duration"]; d["run"]["srn"]="test:run:nodur"'
run_local "$tmp/nodur.json"
check "no duration: role default (1 h)" near "$(j "$OUT" 'd["body"]["expires_at"]')" 3600
mkev "$ESC" "$tmp/zero.json" 'd["fields"]["duration"]=0; d["run"]["srn"]="test:run:zero"'
run_local "$tmp/zero.json"
check "duration 0: denied by the database" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 1/denied
mkev "$ESC" "$tmp/reason.json" 'd["fields"]["reason"]="Ticket 42 "+"é"*5000; d["run"]["srn"]="test:run:reason"'
run_local "$tmp/reason.json"
# other runs of sym_user hold readonly now, so the membership is extended
check "10 kB reason: accepted (cut, not refused)" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 0/extended
check "10 kB reason: stored cut to <= 1024 bytes ending in …" test "$(last_audit "octet_length(reason) <= 1024 AND reason LIKE 'Ticket 42 é%…'")" = t
for r in 5m 1d nodur reason; do
	mkev "$DEESC" "$tmp/de-$r.json" "d['run']['srn']='test:run:$r'"
	run_local "$tmp/de-$r.json"
done
check "deescalating those runs leaves no membership" not_member sym_user readonly

q "GRANT readonly TO shim_other" >/dev/null
mkev "$ESC" "$tmp/pre.json" 'd["run"]["actors"]["request"]["username"]="shim-other@healthy-health.co"; d["run"]["srn"]="test:run:pre"'
mkev "$DEESC" "$tmp/pre-de.json" 'd["run"]["actors"]["request"]["username"]="shim-other@healthy-health.co"; d["run"]["srn"]="test:run:pre"'
run_local "$tmp/pre.json"
check "pre-existing member: outcome already_member" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 0/already_member
run_local "$tmp/pre-de.json"
check "pre-existing member: deescalate outcome preexisting" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 0/preexisting
check "pre-existing member keeps the role" is_member shim_other readonly
q "REVOKE readonly FROM shim_other" >/dev/null

section "local mode: sweep"
mkev "$ESC" "$tmp/short.json" 'd["run"]["actors"]["request"]["username"]="shim-sweeper@x.co"; d["fields"]["duration"]=1; d["run"]["srn"]="test:run:short"'
run_local "$tmp/short.json"
check "1 s grant for the sweep test" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 0/granted
sleep 2
echo '{"type":"sweep"}' >"$tmp/sweep.json"
run_local "$tmp/sweep.json"
check "sweep event exits 0" test "$RC" = 0
check "sweep revoked 1 membership" test "$(j "$OUT" 'd["body"]["action"], d["body"]["revoked"]')" = "('sweep', 1)"
check "swept membership is gone" not_member shim_sweeper readonly
check "sweep audited as expire" test "$(last_audit "action || '/' || grantee")" = expire/shim_sweeper
echo '{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","detail":{}}' >"$tmp/sched.json"
env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD PGHOST=127.0.0.1 "PGPORT=$PGPORT" \
	"PGDATABASE=$DB" "PGUSER=$BOT" "PGPASSWORD=$BOTPW" "$shim" --event "$tmp/sched.json" >"$tmp/sched.out" 2>>"$allerr"
check "scheduled event (libpq PG* names) exits 0" test $? = 0
check "scheduled event is a sweep with nothing to do" test "$(j "$tmp/sched.out" 'd["body"]["revoked"]')" = 0

section "local mode: the database owner's default_transaction_* settings do not stop the shim"
# sym_access's functions refuse anything but READ COMMITTED, and a read-only
# transaction cannot grant: the shim pins both at connection start.
q "ALTER DATABASE $DB SET default_transaction_isolation = 'serializable';
   ALTER DATABASE $DB SET default_transaction_read_only = on"
check "a plain client of the database now gets SERIALIZABLE, read-only" test \
	"$(PGOPTIONS='' psql -X -qAt -d "$DB" -c 'SHOW transaction_isolation' -c 'SHOW transaction_read_only' | tr '\n' /)" = "serializable/on/"
mkev "$ESC" "$tmp/pinned.json" 'd["run"]["actors"]["request"]["username"]="shim-sweeper@x.co"; d["fields"]["duration"]=1; d["run"]["srn"]="test:run:pinned"'
run_local "$tmp/pinned.json"
check "escalate under the owner's settings: granted" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')" = 0/granted
sleep 2
run_local "$tmp/sweep.json"
check "sweep under the owner's settings: exits 0, no errors" test "$RC/$(j "$OUT" 'd["errors"]')" = "0/[]"
check "sweep under the owner's settings: the due membership is gone" not_member shim_sweeper readonly
PGOPTIONS='-c default_transaction_read_only=off' q "ALTER DATABASE $DB RESET default_transaction_isolation; ALTER DATABASE $DB RESET default_transaction_read_only"

section "local mode: connection lost during the call -> one reconnect and retry"
# The grant blocks on a lock held by another session; the bot's backend is
# terminated while it waits; the shim must reconnect, retry once and succeed.
mkev "$ESC" "$tmp/retry.json" 'd["run"]["srn"]="test:run:retry"'
psql -X -q -d "$DB" -c "BEGIN; LOCK TABLE sym_access.active_grant IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null &
locker=$!
sleep 0.5
"${shim_env[@]}" "$shim" --event "$tmp/retry.json" >"$tmp/retry.out" 2>"$tmp/retry.err" &
retry_pid=$!
for _ in $(seq 40); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE usename = '$BOT' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '$BOT' AND wait_event_type = 'Lock'" >/dev/null
wait "$retry_pid"
rc=$?
wait "$locker"
cat "$tmp/retry.err" >>"$allerr"
check "retry: the call succeeded after the backend was killed mid-call" test "$rc/$(j "$tmp/retry.out" 'd["body"]["outcome"]')" = 0/granted
check "retry: the shim said it reconnected and retried once" grep -q "reconnecting and retrying once" "$tmp/retry.err"
mkev "$DEESC" "$tmp/retry-de.json" 'd["run"]["srn"]="test:run:retry"'
run_local "$tmp/retry-de.json"

section "local mode: failures and logs"
run_local "$ESC" PG_PASSWORD=wrong-password
check "wrong password: exits 1" test "$RC" = 1
check "wrong password: errors[] says authentication failed" bash -c "grep -q 'authentication failed' <<<'$(j "$OUT" 'd["errors"][0]')'"
run_local "$ESC" PG_PORT=1
check "unreachable database: exits 1 with a connection error" bash -c "test $RC = 1 && grep -q 'could not connect' '$OUT'"
run_local "$DEESC" SYM_SHIM_LOG_FORMAT=json
check "json log format: every stderr line is a JSON object with level and message" python3 -c '
import json,sys
lines=[l for l in open(sys.argv[1]) if l.strip()]
assert lines
for l in lines:
    o=json.loads(l); assert o["level"] and o["message"]' "$ERR"
check "the password never appears in any log" bash -c "! grep -qF '$BOTPW' '$allerr'"
check "the full event is not logged (no reason text in logs)" bash -c "! grep -qF 'Fix Ticket 123' '$allerr'"

# --- bad events under valgrind -----------------------------------------------------
section "bad events under valgrind (memcheck, --leak-check=full)"
python3 "$here/bad_events.py" "$tmp/bad" "$fixtures" >/dev/null
# shellcheck disable=SC2054 # the commas belong to valgrind's option
vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes)
while IFS=$'\t' read -r name want; do
	"${shim_env[@]}" "${vg[@]}" "$shim" --event "$tmp/bad/$name" >"$tmp/bad/$name.out" 2>"$tmp/bad/$name.err"
	rc=$?
	got=$(j "$tmp/bad/$name.out" 'd["errors"][0]')
	if [ "$rc" = 1 ] && [[ "$got" == *"$want"* ]]; then
		ok "bad event $name: \"${got:0:90}\""
	else
		not_ok "bad event $name" "exit $rc (99 = valgrind error), wanted \"$want\", got \"${got:0:200}\"" \
			"$(grep -m5 '==' "$tmp/bad/$name.err")"
	fi
done <"$tmp/bad/cases.tsv"
check "bad events left no membership and no active row" test "$(q "SELECT count(*) FROM sym_access.active_grant")" = 0

"${shim_env[@]}" "${vg[@]}" "$shim" --event "$ESC" >"$tmp/vg.out" 2>"$tmp/vg.err"
check "valgrind: escalate through the database, zero errors and leaks" test $? = 0
"${shim_env[@]}" "${vg[@]}" "$shim" --event "$DEESC" >"$tmp/vg.out" 2>"$tmp/vg.err"
check "valgrind: deescalate through the database, zero errors and leaks" test $? = 0

# --- Lambda mode ---------------------------------------------------------------------
# start_peer SCRIPT: runs runtime_peer.py; sets PEER (host:port) and PLOG
start_peer() {
	PLOG="$tmp/peer.$RANDOM.log"
	: >"$PLOG"
	rm -f "$tmp/port"
	python3 "$here/runtime_peer.py" "$1" "$PLOG" "$tmp/port" &
	peer_pid=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	PEER="127.0.0.1:$(cat "$tmp/port")"
}
stop_peer() { kill "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; peer_pid=; }
# pq 'python expression over log (list of entries)': succeeds when true
pq() { python3 -c 'import json,sys; log=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if eval(sys.argv[2]) else 1)' "$PLOG" "$1"; }
# wait_for_log 'expression' [seconds]
wait_for_log() {
	local _
	for _ in $(seq $((${2:-20} * 10))); do pq "$1" && return 0; sleep 0.1; done
	return 1
}
# script EVENT-FILES... -> JSON script; see runtime_peer.py
resp() { python3 -c 'import json,sys; log=[json.loads(l) for l in open(sys.argv[1])]; r=[e for e in log if e["kind"]=="response" and e["id"]==sys.argv[2]]; d=json.loads(r[0]["body"]); print(eval(sys.argv[3]))' "$PLOG" "$1" "$2" 2>/dev/null; }

section "Lambda mode: several invocations on one process"
LRUN=test:run:lambda
mkev "$ESC" "$tmp/l-esc.json" "d['run']['srn']='$LRUN'"
mkev "$DEESC" "$tmp/l-de.json" "d['run']['srn']='$LRUN'"
python3 - "$tmp/l-esc.json" "$tmp/l-de.json" >"$tmp/script1.json" <<'PY'
import json, sys
esc, de = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"invocations": [
    {"id": "req-1", "event": esc, "header_case": "lower", "deadline_in_ms": 20000,
     "trace": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
    {"id": "req-2", "event": esc, "header_case": "upper", "deadline_in_ms": 20000},
    {"id": "req-3", "event": de, "header_case": "canonical", "deadline_in_ms": 20000},
    {"id": "req-4", "raw": "{not json", "deadline_in_ms": 20000},
    {"id": "req-5", "event": esc, "deadline_in_ms": 150},
    {"id": "req-6", "event": de, "deadline_in_ms": 10**15, "trace": "Root=1 not a trace id"},
], "when_done": 500}))
PY
start_peer "$tmp/script1.json"
start=$(date +%s)
"${shim_env[@]}" AWS_LAMBDA_RUNTIME_API="$PEER" SYM_SHIM_LOG_LEVEL=debug timeout 60 "$shim" 2>"$tmp/l1.err"
rc=$?
elapsed=$(($(date +%s) - start))
cat "$tmp/l1.err" >>"$allerr"
stop_peer
check "exits 1 when next answers 500" test "$rc" = 1
check "exits promptly after the 500 (${elapsed}s)" test "$elapsed" -le 15
check "six responses, no error posts" pq 'sum(e["kind"]=="response" for e in log)==6 and not any(e["kind"]=="error" for e in log)'
check "responses posted to each request id in order" pq '[e["id"] for e in log if e["kind"]=="response"]==["req-1","req-2","req-3","req-4","req-5","req-6"]'
check "responses carry Content-Type application/json" pq 'all(e["headers"].get("content-type")=="application/json" for e in log if e["kind"]=="response")'
check "req-1 (lower-case headers): granted" test "$(resp req-1 'd["body"]["outcome"]')" = granted
check "req-2 (upper-case headers): extended" test "$(resp req-2 'd["body"]["outcome"]')" = extended
check "req-3: revoked" test "$(resp req-3 'd["body"]["outcome"], d["body"]["username"]')" = "('revoked', 'sym_user')"
check "req-4 (not JSON): errors[] in a normal response" bash -c "grep -q 'not valid JSON' <<<'$(resp req-4 'd["errors"][0]')'"
check "req-5 (150 ms left): refused before the database" bash -c "grep -q 'before the invocation deadline' <<<'$(resp req-5 'd["errors"][0]')'"
check "one connection served every invocation (same backend pid)" test "$(q "SELECT count(DISTINCT backend_pid) FROM sym_access.audit WHERE run_srn = '$LRUN'")/$(q "SELECT count(*) FROM sym_access.audit WHERE run_srn = '$LRUN'")" = 1/4
check "logs are JSON lines with the request id" python3 -c '
import json,sys
ids=set()
for l in open(sys.argv[1]):
    o=json.loads(l); assert o["level"] and o["message"]; ids.add(o.get("requestId"))
assert {"req-1","req-2","req-3","req-4","req-5","req-6"} <= ids' "$tmp/l1.err"
check "deadline drives statement_timeout (below 20 s, above 17 s)" python3 -c '
import json,re,sys
for l in open(sys.argv[1]):
    o=json.loads(l)
    m=re.search(r"statement_timeout set to (\d+) ms", o["message"])
    if m and o.get("requestId")=="req-1":
        sys.exit(0 if 17000 < int(m.group(1)) < 20000 else 1)
sys.exit(1)' "$tmp/l1.err"
check "_X_AMZN_TRACE_ID set from the trace header" grep -q '_X_AMZN_TRACE_ID=Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' "$tmp/l1.err"
check "req-6 (deadline 10^15 ms away): answered, not a database error" test "$(resp req-6 'd["body"]["outcome"], d["errors"]')" = "('not_granted', [])"
check "req-6: statement_timeout capped at Lambda's 15 minutes less 1 s" python3 -c '
import json,sys
sys.exit(0 if any(json.loads(l).get("requestId")=="req-6" and "statement_timeout set to 899000 ms" in json.loads(l)["message"] for l in open(sys.argv[1])) else 1)' "$tmp/l1.err"
check "req-6: a trace id with spaces is ignored, not exported" python3 -c '
import json,sys
m=[json.loads(l)["message"] for l in open(sys.argv[1]) if json.loads(l).get("requestId")=="req-6"]
sys.exit(0 if any("ignoring a Lambda-Runtime-Trace-Id" in x for x in m) and any("_X_AMZN_TRACE_ID=(none)" in x for x in m) else 1)' "$tmp/l1.err"
check "one next call per invocation plus the final one (7)" pq 'sum(e["kind"]=="next" for e in log)==7'

section "Lambda mode: database restart between two invocations"
RRUN=test:run:restart
mkev "$ESC" "$tmp/r-esc.json" "d['run']['srn']='$RRUN'"
mkev "$DEESC" "$tmp/r-de.json" "d['run']['srn']='$RRUN'"
python3 - "$tmp/r-esc.json" "$tmp/r-de.json" "$tmp/go" >"$tmp/script2.json" <<'PY'
import json, sys
esc, de = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"invocations": [
    {"id": "r-1", "event": esc},
    {"id": "r-2", "event": de, "wait_for": sys.argv[3]},
], "when_done": 500}))
PY
start_peer "$tmp/script2.json"
"${shim_env[@]}" AWS_LAMBDA_RUNTIME_API="$PEER" "$shim" 2>"$tmp/l2.err" &
shim_pid=$!
if wait_for_log 'any(e["kind"]=="response" and e["id"]=="r-1" for e in log)'; then
	if [ -n "$cluster_dir" ]; then
		"$root/test/cluster.sh" restart "$cluster_dir" >/dev/null
		how="cluster restarted"
	else
		q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '$BOT'" >/dev/null
		how="bot backend terminated (no SYM_TEST_CLUSTER to restart)"
	fi
	touch "$tmp/go"
fi
wait_for_log 'any(e["kind"]=="response" and e["id"]=="r-2" for e in log)' 60
wait "$shim_pid" 2>/dev/null
shim_pid=
cat "$tmp/l2.err" >>"$allerr"
stop_peer
check "r-1 granted before the restart" test "$(resp r-1 'd["body"]["outcome"]')" = granted
check "r-2 revoked after the restart (${how:-restart did not happen})" test "$(resp r-2 'd["body"]["outcome"], len(d["errors"])')" = "('revoked', 0)"
check "the shim noticed and reconnected" grep -q 'reconnect' "$tmp/l2.err"
check "two backends served the two invocations" test "$(q "SELECT count(DISTINCT backend_pid) FROM sym_access.audit WHERE run_srn = '$RRUN'")" = 2

section "Lambda mode: init error for a missing configuration"
echo '{"invocations": [], "when_done": 500}' >"$tmp/script3.json"
start_peer "$tmp/script3.json"
env -u PGHOST -u PG_HOST -u PGUSER AWS_LAMBDA_RUNTIME_API="$PEER" PG_USER=x "$shim" 2>"$tmp/l3.err"
rc=$?
stop_peer
check "missing host: exits 2" test "$rc" = 2
check "missing host: init/error posted, no next" pq '[e["kind"] for e in log]==["init_error"]'
check "init error type header Runtime.ConfigurationError" pq 'log[0]["headers"].get("lambda-runtime-function-error-type")=="Runtime.ConfigurationError"'
check "init error body names PG_HOST" pq 'json.loads(log[0]["body"])["errorType"]=="Runtime.ConfigurationError" and "PG_HOST" in json.loads(log[0]["body"])["errorMessage"]'

section "Lambda mode: password from the Parameters and Secrets extension"
python3 - "$ESC" "$BOTPW" >"$tmp/script4.json" <<'PY'
import json, sys
esc = json.load(open(sys.argv[1]))
esc["run"]["srn"] = "test:run:secret"
print(json.dumps({"invocations": [{"id": "s-1", "event": esc}, {"id": "s-2", "event": esc}],
                  "when_done": 500,
                  "secrets": {"token": "fake-session-token", "name": "/sym/postgres/bot", "value": sys.argv[2]}}))
PY
start_peer "$tmp/script4.json"
"${shim_env[@]}" PG_PASSWORD= AWS_LAMBDA_RUNTIME_API="$PEER" SYM_SHIM_SECRETS_URL="http://$PEER" \
	PG_PASSWORD_KEY=/sym/postgres/bot AWS_SESSION_TOKEN=fake-session-token "$shim" 2>"$tmp/l4.err"
cat "$tmp/l4.err" >>"$allerr"
check "secret: both invocations succeed" test "$(resp s-1 'd["body"]["outcome"]')/$(resp s-2 'd["body"]["outcome"]')" = granted/extended
check "secret: fetched once, lazily after the first next, and cached" pq '[e["kind"] for e in log if e["kind"] in ("next","secret")][:3]==["next","secret","next"] and sum(e["kind"]=="secret" for e in log)==1'
check "secret: token header, name and withDecryption sent" pq '[e for e in log if e["kind"]=="secret"][0]["headers"]["x-aws-parameters-secrets-token"]=="fake-session-token" and "withDecryption=true" in [e for e in log if e["kind"]=="secret"][0]["path"]'
stop_peer
start_peer "$tmp/script4.json"
"${shim_env[@]}" PG_PASSWORD= AWS_LAMBDA_RUNTIME_API="$PEER" SYM_SHIM_SECRETS_URL="http://$PEER" \
	PG_PASSWORD_KEY=/sym/postgres/bot AWS_SESSION_TOKEN=wrong-token "$shim" 2>"$tmp/l5.err"
cat "$tmp/l5.err" >>"$allerr"
check "secret with a wrong token: errors[] gives the HTTP status" bash -c "grep -q 'HTTP 403' <<<'$(resp s-1 'd["errors"][0]')'"
check "secret with a wrong token: asked again on the next invocation" pq 'sum(e["kind"]=="secret" for e in log)==2'
stop_peer
# Rotation: the cached password stops working; the failed login drops it and
# the next invocation reads the parameter again.
python3 - "$ESC" "$BOTPW" >"$tmp/script5.json" <<'PY'
import json, sys
esc = json.load(open(sys.argv[1]))
esc["run"]["srn"] = "test:run:secret"
print(json.dumps({"invocations": [{"id": "r-1", "event": esc}, {"id": "r-2", "event": esc}],
                  "when_done": 500,
                  "secrets": {"token": "fake-session-token", "name": "/sym/postgres/bot",
                              "values": ["a-password-rotated-away", sys.argv[2]]}}))
PY
start_peer "$tmp/script5.json"
"${shim_env[@]}" PG_PASSWORD= AWS_LAMBDA_RUNTIME_API="$PEER" SYM_SHIM_SECRETS_URL="http://$PEER" \
	PG_PASSWORD_KEY=/sym/postgres/bot AWS_SESSION_TOKEN=fake-session-token "$shim" 2>"$tmp/l5r.err"
cat "$tmp/l5r.err" >>"$allerr"
check "rotated secret: the stale password fails with a clear error" bash -c "grep -q 'authentication failed' <<<'$(resp r-1 'd["errors"][0]')'"
check "rotated secret: the next invocation reads it again and succeeds" test "$(resp r-2 'd["body"]["outcome"]')" = extended
check "rotated secret: fetched exactly twice" pq 'sum(e["kind"]=="secret" for e in log)==2'
check "rotated secret: neither password is logged" bash -c "! grep -q -e 'a-password-rotated-away' -e '$BOTPW' '$tmp/l5r.err'"
stop_peer
mkev "$DEESC" "$tmp/s-de.json" 'd["run"]["srn"]="test:run:secret"'
run_local "$tmp/s-de.json"

section "Lambda mode: refused response, error post answered 500"
python3 - "$tmp/s-de.json" >"$tmp/script6.json" <<'PY'
import json, sys
de = json.load(open(sys.argv[1]))
print(json.dumps({"invocations": [{"id": "e-1", "event": de, "response_status": 413, "error_status": 500},
                                  {"id": "e-2", "event": de}], "when_done": "hang"}))
PY
start_peer "$tmp/script6.json"
start=$(date +%s)
"${shim_env[@]}" AWS_LAMBDA_RUNTIME_API="$PEER" timeout 30 "$shim" 2>"$tmp/l6.err"
rc=$?
elapsed=$(($(date +%s) - start))
stop_peer
check "413 on the response: an error is posted with Runtime.ResponseTooLarge" pq 'any(e["kind"]=="error" and e["headers"].get("lambda-runtime-function-error-type")=="Runtime.ResponseTooLarge" and json.loads(e["body"])["errorType"]=="Runtime.ResponseTooLarge" for e in log)'
check "500 on the error post: exits at once, non-zero (${elapsed}s, rc $rc)" test "$rc" != 0 -a "$rc" != 124 -a "$elapsed" -le 10
check "500 on the error post: no further next call" pq 'sum(e["kind"]=="next" for e in log)==1'

section "Lambda mode under valgrind"
python3 - "$tmp/l-esc.json" "$tmp/l-de.json" >"$tmp/script7.json" <<'PY'
import json, sys
esc, de = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"invocations": [{"id": "v-1", "event": esc}, {"id": "v-2", "raw": "[[["},
                                  {"id": "v-3", "event": de}], "when_done": 500}))
PY
start_peer "$tmp/script7.json"
"${shim_env[@]}" AWS_LAMBDA_RUNTIME_API="$PEER" "${vg[@]}" "$shim" 2>"$tmp/l7.err"
rc=$?
stop_peer
check "valgrind: a Lambda session (curl + libpq) exits 1 on the final 500 with zero errors and leaks" test "$rc" = 1
check "valgrind Lambda session: responses correct" test "$(resp v-1 'd["body"]["outcome"]')/$(resp v-3 'd["body"]["outcome"]')" = granted/revoked

# --- the Lambda zip, self-contained under chroot ------------------------------------
section "Lambda zip: unpacked into an empty directory, run under chroot (when root)"
croot="$tmp/chroot"
mkdir -p "$croot/var/task"
(cd "$croot/var/task" && unzip -q "$zip")
check "zip holds bootstrap, bin/ and lib/ only" test "$(cd "$croot/var/task" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "bin bootstrap lib "
check "zip bundles the dynamic loader and libc" test -x "$croot/var/task/lib/ld-linux-x86-64.so.2" -a -f "$croot/var/task/lib/libc.so.6"
check "bootstrap is static (no interpreter)" bash -c "! readelf -l '$croot/var/task/bootstrap' | grep -q 'program interpreter'"
check "the chroot holds nothing but the zip" test "$(find "$croot" -mindepth 1 -maxdepth 2 | sort | tr '\n' ' ')" = "$croot/var $croot/var/task "
check "every library resolves inside the bundle (bundled loader --list)" bash -c "
	cd '$croot/var/task' && out=\$(env -i lib/ld-linux-x86-64.so.2 --inhibit-cache --library-path lib --list bin/sym-access-shim) &&
	! grep -v -e 'linux-vdso' -e '=> lib/' -e '^[[:space:]]*lib/ld-linux' <<<\"\$out\" | grep -q . && grep -q '=> lib/libc.so.6' <<<\"\$out\""
if [ "$(id -u)" = 0 ]; then
	inroot=("$(command -v chroot)" "$croot") task=/var/task
else
	echo "# not root: running the unpacked zip with an empty environment instead of chroot"
	inroot=() task="$croot/var/task"
fi
check "--version from the unpacked zip" bash -c "env -i ${inroot[*]} $task/bootstrap --version | grep -q sym-access-shim"
ZRUN=test:run:zip
mkev "$ESC" "$tmp/z-esc.json" "d['run']['srn']='$ZRUN'"
mkev "$DEESC" "$tmp/z-de.json" "d['run']['srn']='$ZRUN'"
python3 - "$tmp/z-esc.json" "$tmp/z-de.json" >"$tmp/script8.json" <<'PY'
import json, sys
esc, de = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"invocations": [{"id": "z-1", "event": esc}, {"id": "z-2", "event": de}],
                  "when_done": 500}))
PY
start_peer "$tmp/script8.json"
# LD_LIBRARY_PATH as Lambda sets it: the bundle must not be affected by it
env -i AWS_LAMBDA_RUNTIME_API="$PEER" LAMBDA_TASK_ROOT="$task" PG_HOST=127.0.0.1 "PG_PORT=$PGPORT" \
	"PG_NAME=$DB" "PG_USER=$BOT" "PG_PASSWORD=$BOTPW" \
	LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
	"${inroot[@]}" "$task/bootstrap" 2>"$tmp/l8.err"
rc=$?
stop_peer
check "chroot Lambda session ends on the final 500 (rc 1)" test "$rc" = 1
check "chroot: escalate granted over TCP with scram" test "$(resp z-1 'd["body"]["outcome"]')" = granted
check "chroot: deescalate revoked" test "$(resp z-2 'd["body"]["outcome"]')" = revoked
check "chroot: audit rows written by the bot" test "$(q "SELECT string_agg(action || '/' || outcome, ',' ORDER BY id) FROM sym_access.audit WHERE run_srn = '$ZRUN'")" = "grant/granted,revoke/revoked"

# --- temporary users: PostgreSQL 18 and the Secrets Manager stand-in ------------------
section "temporary users (PostgreSQL 18, Secrets Manager stand-in): shim/test/tempusers.sh"
"$here/tempusers.sh" 2>&1 | tee "$tmp/tempusers.out"
read -r tp tf <<<"$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/tempusers.out" | tail -1)"
passed=$((passed + ${tp:-0}))
failed=$((failed + ${tf:-1}))

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

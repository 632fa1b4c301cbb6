#!/usr/bin/env bash
# The shim's temporary-user tests (SPEC "Temporary users", the shim bullets):
# the real shim against a real PostgreSQL 18 and a Secrets Manager stand-in
# (sm_peer.py) that checks every request's SigV4 signature with botocore.
#
#   shim/test/tempusers.sh
#
# Temporary users need PostgreSQL 16+, and the shim suite's cluster is Debian's
# 15: this script gets PostgreSQL 18 with scripts/pg-versions.sh 18 (the
# repository's .cache/pg/18, fetched when missing), installs the extension into
# THAT tree only (built from a copy of the sources, so the checkout's build for
# the main suite is left alone), and starts its own throwaway cluster
# (test/cluster.sh). shim/test/run.sh runs it and adds its counts.
#
# Prints "ok"/"not ok" lines and "N passed, M failed"; exits non-zero on failure.
# Needs python3 with botocore (Debian's python3-botocore), valgrind, unzip, chroot.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
shimdir=$(cd "$here/.." && pwd)
root=$(cd "$shimdir/.." && pwd)
shim="$shimdir/sym-access-shim"
zip="$root/dist/sym-access-lambda.zip"
# the cluster env of a calling suite must not leak into this one
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE SYM_TEST_CLUSTER AWS_LAMBDA_RUNTIME_API
DB=sym_tu_test
BOT=sym_tu_bot
BOTPW="tu-pw-$$-$RANDOM$RANDOM"
EMAIL=sym-user@healthy-health.co
AKID=AKIDSYMACCESSTEST01
SECRET="tu/Secret+Key-$RANDOM$RANDOM"
TOKEN="session-token-$RANDOM"
REGION=eu-central-1
FN=sym-access-test-fn
PREFIX="sym-access/$FN"

passed=0 failed=0
tmp=$(mktemp -d /tmp/sym-tu-test.XXXXXX)
chmod 755 "$tmp"
cluster=
sm_pid=
peer_pid=

# shellcheck source=shim/test/lib.sh
. "$here/lib.sh"
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$sm_pid" ] && kill "$sm_pid" 2>/dev/null
	[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
	[ -n "$cluster" ] && PG_CONFIG=$pgc "$root/test/cluster.sh" stop "$cluster" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# python3 with botocore: Debian's (/usr/bin/python3) first, as CI has it
boto_py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import botocore.auth, botocore.awsrequest' 2>/dev/null; then boto_py=$p; break; fi
done
[ -n "$boto_py" ] || { not_ok "python3 with botocore (apt-get install python3-botocore)"; finish; }

section "PostgreSQL 18 (scripts/pg-versions.sh 18), the extension installed into that tree only"
if ! pgc=$("$root/scripts/pg-versions.sh" 18); then
	not_ok "scripts/pg-versions.sh 18 prepared PostgreSQL 18"
	finish
fi
if ! "$root/scripts/install-ext-copy.sh" "$pgc" "$tmp/build.log"; then
	not_ok "extension built and installed into $("$pgc" --pkglibdir)" "$(tail -5 "$tmp/build.log")"
	finish
fi
make -s -C "$shimdir" sym-access-shim launcher/bootstrap lambda-zip >/dev/null || { not_ok "shim build"; finish; }
cluster="$tmp/pg18"
if ! PG_CONFIG=$pgc "$root/test/cluster.sh" start "$cluster" >"$tmp/cluster.log" 2>&1; then
	not_ok "PostgreSQL 18 cluster started" "$(tail -5 "$tmp/cluster.log")"
	cluster=
	finish
fi
# shellcheck disable=SC1091
. "$cluster/env"
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
check "server is PostgreSQL 18" test "$(psql -X -qAt -d postgres -c 'SHOW server_version_num' | cut -c1-2)" = 18
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null || { not_ok "create $DB"; finish; }
if ! q "CREATE EXTENSION sym_access;
	CREATE ROLE tu_reader NOLOGIN;
	CREATE TABLE public.tu_data (v int); INSERT INTO public.tu_data VALUES (42);
	GRANT SELECT ON public.tu_data TO tu_reader;
	CREATE ROLE $BOT LOGIN PASSWORD '$BOTPW'; GRANT sym_access_operator TO $BOT;
	SELECT sym_access.allow_role('tu_reader', mode => 'temporary_user');" >"$tmp/setup.log" 2>&1; then
	not_ok "set-up: extension, tu_reader allowed with mode temporary_user" "$(cat "$tmp/setup.log")"
	finish
fi
ok "set-up: tu_reader allowed with mode => 'temporary_user'"

# --- the Secrets Manager stand-in ------------------------------------------------
start_sm() { # CONFIG-JSON: sets SM (base URL), SMLOG
	SMLOG="$tmp/sm.$RANDOM.log"
	: >"$SMLOG"
	rm -f "$tmp/smport"
	printf '%s' "$1" >"$tmp/sm.json"
	"$boto_py" "$here/sm_peer.py" "$tmp/sm.json" "$SMLOG" "$tmp/smport" &
	sm_pid=$!
	for _ in $(seq 100); do [ -s "$tmp/smport" ] && break; sleep 0.05; done
	SM="http://127.0.0.1:$(cat "$tmp/smport")"
}
start_sm "{\"access_key\": \"$AKID\", \"secret_key\": \"$SECRET\", \"session_token\": \"$TOKEN\",
           \"region\": \"$REGION\", \"page_size\": 2}"
sm_state() { curl -s "$SM/_state"; }
sm_fail() { curl -s -X POST -d "$1" "$SM/_fail" >/dev/null; }
sm_put() { curl -s -X POST -d "$1" "$SM/_put" >/dev/null; }
# smq 'python expression over st (the stand-in state) and log (its request log)'
smq() {
	sm_state >"$tmp/state.json"
	python3 -c 'import json,sys; st=json.load(open(sys.argv[1])); log=[json.loads(l) for l in open(sys.argv[2])]; v=eval(sys.argv[3]); print(v); sys.exit(0 if v else 1)' \
		"$tmp/state.json" "$SMLOG" "$1"
}

allout="$tmp/all-out.log"
: >"$allout"
shim_env=(env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD PG_HOST=127.0.0.1 "PG_PORT=$PGPORT" "PG_NAME=$DB" "PG_USER=$BOT" "PG_PASSWORD=$BOTPW"
	"AWS_ACCESS_KEY_ID=$AKID" "AWS_SECRET_ACCESS_KEY=$SECRET" "AWS_SESSION_TOKEN=$TOKEN" "AWS_REGION=$REGION"
	"AWS_LAMBDA_FUNCTION_NAME=$FN")
n_run=0
# run_local EVENTFILE [VAR=VALUE ...]: sets RC, OUT, ERR
run_local() {
	local ev=$1
	shift
	n_run=$((n_run + 1))
	OUT="$tmp/out.$n_run" ERR="$tmp/err.$n_run"
	"${shim_env[@]}" "SYM_SHIM_SECRETSMANAGER_URL=$SM" "$@" "$shim" --event "$ev" >"$OUT" 2>"$ERR"
	RC=$?
	cat "$OUT" "$ERR" >>"$allout"
}
# rc_err RC REGEX: the last run exited RC and its errors[0] matches REGEX (bash =~)
# shellcheck disable=SC2317 # called through check
rc_err() { [ "$RC" = "$1" ] && [[ "$(j "$OUT" 'd["errors"][0]')" =~ $2 ]]; }
# the password stored for secret NAME (empty when none)
stored() { sm_state | python3 -c 'import json,sys; s=json.load(sys.stdin)["secrets"].get(sys.argv[1]); print(json.loads(s["SecretString"])["password"] if s else "")' "$1"; }
# login_as LOGIN PASSWORD: over TCP with SCRAM; prints current_user and the row it can read
login_as() { PGPASSWORD=$2 psql -X -qAt -h 127.0.0.1 -p "$PGPORT" -U "$1" -d "$DB" -c "SELECT current_user || ':' || v FROM public.tu_data" 2>&1; }
logins_of_run() { q "SELECT count(*) FROM pg_roles r JOIN sym_access.temporary_login t ON t.login = r.oid WHERE t.run_srn = '$1'"; }

ESC="$here/fixtures/sym-escalate.json"
DEESC="$here/fixtures/sym-deescalate.json"
ev_pair() { # RUN-ID NAME: writes $tmp/NAME-esc.json and $tmp/NAME-de.json for run RUN-ID, role tu_reader
	mkev "$ESC" "$tmp/$2-esc.json" "d['run']['srn']='healthy-health:run:postgres:2.0.0:$1'; d['fields']['target']['name']='tu_reader'; d['fields']['duration']=600"
	mkev "$DEESC" "$tmp/$2-de.json" "d['run']['srn']='healthy-health:run:postgres:2.0.0:$1'; d['fields']['target']['name']='tu_reader'"
}

# --- escalate --------------------------------------------------------------------
section "escalate: a temporary login, its credentials stored in Secrets Manager"
RUN_A=0b6c1a5e-aaaa-4c4c-8d8d-000000000001
ev_pair "$RUN_A" a
run_local "$tmp/a-esc.json"
NAME_A="$PREFIX/$EMAIL/$RUN_A"
LOGIN=$(j "$OUT" 'd["body"]["username"]')
check "escalate exits 0 with no errors" test "$RC/$(j "$OUT" 'len(d["errors"])')" = 0/0
check "outcome granted, role tu_reader" test "$(j "$OUT" 'd["body"]["outcome"]')/$(j "$OUT" 'd["body"]["role"]')" = granted/tu_reader
check "username is the new login (sym_user_ + hex), not the base name" bash -c "[[ '$LOGIN' =~ ^sym_user_[0-9a-f]{8}$ ]]"
check "secret_name is <prefix>/<e-mail>/<run id>" test "$(j "$OUT" 'd["body"]["secret_name"]')" = "$NAME_A"
check "secret_arn is the stand-in's ARN of that secret" test "$(j "$OUT" 'd["body"]["secret_arn"]')" = "$(smq "st['secrets']['$NAME_A']['ARN']")"
check "the response has no password field and no password" bash -c "! grep -qi password '$OUT'"
check "one CreateSecret, signed and accepted" smq "[(e['action'], e['status']) for e in log] == [('CreateSecret', 200)]"
check "request: JSON 1.1 headers, SigV4 with the session token signed" smq "
all(e['headers']['content-type']=='application/x-amz-json-1.1' and e['headers']['x-amz-target']=='secretsmanager.'+e['action']
    and e['headers']['x-amz-security-token']=='$TOKEN' and 'x-amz-security-token' in e['headers']['authorization']
    and '/$REGION/secretsmanager/aws4_request' in e['headers']['authorization'] for e in log)"
check "CreateSecret carries a 32..64-character ClientRequestToken" smq "32 <= len(json.loads(log[0]['body'])['ClientRequestToken']) <= 64"
check "tags: sym.user=<e-mail>, sym-access:expires-at=<the response's expires_at>" smq "st['secrets']['$NAME_A']['Tags'] == {'sym.user': '$EMAIL', 'sym-access:expires-at': '$(j "$OUT" 'd["body"]["expires_at"]')'}"
check "SecretString has exactly engine, host, port, dbname, username, password, expires_at" smq "sorted(json.loads(st['secrets']['$NAME_A']['SecretString'])) == sorted(['engine','host','port','dbname','username','password','expires_at'])"
check "SecretString: engine postgres, host 127.0.0.1, port (a number), dbname, username = the login" smq "
(lambda s: (s['engine'], s['host'], s['port'], s['dbname'], s['username'], s['expires_at']) == ('postgres', '127.0.0.1', $PGPORT, '$DB', '$LOGIN', '$(j "$OUT" 'd["body"]["expires_at"]')'))(json.loads(st['secrets']['$NAME_A']['SecretString']))"
PW_A=$(stored "$NAME_A")
# smc COMMAND...: with the test's AWS credentials (SMC_KEY overrides the secret key)
smc() { env "AWS_ACCESS_KEY_ID=$AKID" "AWS_SECRET_ACCESS_KEY=${SMC_KEY:-$SECRET}" "AWS_SESSION_TOKEN=$TOKEN" "AWS_REGION=$REGION" "$@"; }
check "the stand-in accepts botocore's own client (GetSecretValue signed by botocore)" \
	test "$(smc "$boto_py" "$here/sm_client.py" "$SM" "$NAME_A" password)" = "$PW_A"
check "the stand-in refuses botocore's client with a wrong secret key: InvalidSignatureException" \
	test "$(SMC_KEY=wrong smc "$boto_py" "$here/sm_client.py" "$SM" "$NAME_A" 2>&1 >/dev/null)" = InvalidSignatureException
check "the password has 32+ characters of [A-Za-z0-9_-]" bash -c "[[ '$PW_A' =~ ^[A-Za-z0-9_-]{32,}$ ]]"
check "the stored password logs in over TCP (SCRAM) and reads through tu_reader" test "$(login_as "$LOGIN" "$PW_A")" = "$LOGIN:42"
check "a wrong password does not" bash -c "! PGPASSWORD=wrong psql -X -qAt -h 127.0.0.1 -p $PGPORT -U '$LOGIN' -d $DB -c 'SELECT 1'"

section "escalate replayed: PutSecretValue with a fresh password"
run_local "$tmp/a-esc.json"
check "replay exits 0, outcome extended, same login" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')/$(j "$OUT" 'd["body"]["username"]')" = "0/extended/$LOGIN"
check "replay: PutSecretValue then TagResource (no new secret)" smq "[(e['action'], e['status']) for e in log if e['action'] != 'GetSecretValue'][1:] == [('PutSecretValue', 200), ('TagResource', 200)] and len(st['secrets']) == 1"
check "replay: the response names the same secret" test "$(j "$OUT" 'd["body"]["secret_name"]')" = "$NAME_A"
PW_A2=$(stored "$NAME_A")
check "replay: a fresh password was stored" test -n "$PW_A2" -a "$PW_A2" != "$PW_A"
check "replay: the new password logs in" test "$(login_as "$LOGIN" "$PW_A2")" = "$LOGIN:42"
check "replay: the old password no longer does" bash -c "! PGPASSWORD='$PW_A' psql -X -qAt -h 127.0.0.1 -p $PGPORT -U '$LOGIN' -d $DB -c 'SELECT 1'"
check "replay: the secret has two versions" smq "len(st['secrets']['$NAME_A']['versions']) == 2"

section "deescalate: revoke, then DeleteSecret"
run_local "$tmp/a-de.json"
check "deescalate exits 0, outcome revoked, username the login" test "$RC/$(j "$OUT" 'd["body"]["outcome"]')/$(j "$OUT" 'd["body"]["username"]')" = "0/revoked/$LOGIN"
check "DeleteSecret with ForceDeleteWithoutRecovery, after the revoke" smq "log[-1]['action'] == 'DeleteSecret' and json.loads(log[-1]['body']) == {'SecretId': '$NAME_A', 'ForceDeleteWithoutRecovery': True}"
check "the secret is gone" smq "'$NAME_A' not in st['secrets'] and '$NAME_A' in st['deleted']"
check "the login is dropped" test "$(q "SELECT count(*) FROM pg_roles WHERE rolname = '$LOGIN'")" = 0
check "the last password is refused" bash -c "! PGPASSWORD='$PW_A2' psql -X -qAt -h 127.0.0.1 -p $PGPORT -U '$LOGIN' -d $DB -c 'SELECT 1'"
run_local "$tmp/a-de.json"
# the run's login and its record are gone: nothing to do, as for a membership
check "deescalate replay: not_granted, no error, no Secrets Manager call" test "$RC/$(j "$OUT" 'd["body"]["outcome"], d["errors"]')/$(smq "sum(e['action']=='DeleteSecret' for e in log)")" = "0/('not_granted', [])/1"

section "the password is seen only by Secrets Manager, inside SecretString"
check "no password in any response or shim log line" bash -c "! grep -qF -e '$PW_A' -e '$PW_A2' '$allout'"
check "the stand-in saw each password only inside a SecretString" smq "
all(p not in json.dumps(e['headers']) and p not in json.dumps({k: v for k, v in json.loads(e['body']).items() if k != 'SecretString'})
    for e in log for p in ['$PW_A', '$PW_A2'])"
check "the password is in no audit row" test "$(q "SELECT count(*) FILTER (WHERE a::text LIKE '%$PW_A%' OR a::text LIKE '%$PW_A2%') || '/' || (count(*) >= 4) FROM sym_access.audit a")" = 0/true
check "the secret access key is in no log line" bash -c "! grep -qF '$SECRET' '$allout'"

# --- failures to store --------------------------------------------------------------
section "the stand-in refuses the signature (wrong secret key): the run is revoked"
RUN_B=0b6c1a5e-bbbb-4c4c-8d8d-000000000002
ev_pair "$RUN_B" b
run_local "$tmp/b-esc.json" AWS_SECRET_ACCESS_KEY=not-the-key
check "exits 1" test "$RC" = 1
check "the stand-in answered 403 InvalidSignatureException" smq "(log[-1]['status'], log[-1]['error']) == (403, 'InvalidSignatureException')"
check "errors[0] says the store failed, why, and that the login was revoked" rc_err 1 'could not store.*InvalidSignatureException.*was revoked'
check "body: outcome revoked, no secret_name" test "$(j "$OUT" 'd["body"]["outcome"], "secret_name" in d["body"]')" = "('revoked', False)"
check "no login left for the run" test "$(logins_of_run "healthy-health:run:postgres:2.0.0:$RUN_B")/$(q "SELECT count(*) FROM sym_access.active_grant WHERE run_srn LIKE '%$RUN_B'")" = 0/0
check "audit: grant/granted then revoke/revoked for the run" test "$(q "SELECT string_agg(action || '/' || outcome, ',' ORDER BY id) FROM sym_access.audit WHERE run_srn LIKE '%$RUN_B'")" = grant/granted,revoke/revoked
check "no secret stored" smq "not any('$RUN_B' in n for n in st['secrets'])"

section "Secrets Manager throttles CreateSecret: the run is revoked"
RUN_C=0b6c1a5e-cccc-4c4c-8d8d-000000000003
ev_pair "$RUN_C" c
sm_fail '{"action": "CreateSecret", "status": 400, "type": "ThrottlingException", "count": 1}'
run_local "$tmp/c-esc.json"
check "exits 1, errors[0] names ThrottlingException and the revoke" rc_err 1 'ThrottlingException.*was revoked'
check "no login left for the run" test "$(logins_of_run "healthy-health:run:postgres:2.0.0:$RUN_C")" = 0
sm_fail '{"action": "PutSecretValue", "status": 500, "type": "InternalServiceError", "count": 1}'
RUN_C2=0b6c1a5e-cccc-4c4c-8d8d-000000000033
ev_pair "$RUN_C2" c2
run_local "$tmp/c2-esc.json"
LOGIN_C2=$(j "$OUT" 'd["body"]["username"]')
run_local "$tmp/c2-esc.json"
check "replay whose PutSecretValue fails (HTTP 500): exits 1, login revoked" rc_err 1 'InternalServiceError.*was revoked'
check "replay failure: the login is gone" test "$(q "SELECT count(*) FROM pg_roles WHERE rolname = '$LOGIN_C2'")" = 0
run_local "$tmp/c2-de.json"
check "deescalate after that: no Secrets Manager call (nothing was revoked)" smq "log[-1]['action'] != 'DeleteSecret'"

section "no AWS credentials: nothing to store with, the run is revoked"
RUN_N=0b6c1a5e-dddd-4c4c-8d8d-000000000004
ev_pair "$RUN_N" n
run_local "$tmp/n-esc.json" AWS_ACCESS_KEY_ID=
check "exits 1, errors[0] names the missing credentials" rc_err 1 'no AWS credentials'
check "no login left for the run" test "$(logins_of_run "healthy-health:run:postgres:2.0.0:$RUN_N")" = 0

section "deescalate when the secret is already gone (ResourceNotFoundException is fine)"
RUN_D=0b6c1a5e-eeee-4c4c-8d8d-000000000005
ev_pair "$RUN_D" d
run_local "$tmp/d-esc.json"
check "escalate granted" test "$(j "$OUT" 'd["body"]["outcome"]')" = granted
sm_fail '{"action": "DeleteSecret", "status": 400, "type": "ResourceNotFoundException", "count": 1}'
run_local "$tmp/d-de.json"
check "deescalate exits 0 with no errors, outcome revoked" test "$RC/$(j "$OUT" 'len(d["errors"]), d["body"]["outcome"]')" = "0/(0, 'revoked')"
RUN_D2=0b6c1a5e-eeee-4c4c-8d8d-000000000055
ev_pair "$RUN_D2" d2
run_local "$tmp/d2-esc.json"
LOGIN_D2=$(j "$OUT" 'd["body"]["username"]')
sm_fail '{"action": "DeleteSecret", "status": 500, "type": "InternalServiceError", "count": 1}'
run_local "$tmp/d2-de.json"
check "DeleteSecret failing (HTTP 500): exits 1, outcome still revoked, errors[] names the secret" rc_err 1 'could not be deleted.*InternalServiceError'
check "DeleteSecret failing: the body still says revoked" test "$(j "$OUT" 'd["body"]["outcome"]')" = revoked
check "the login is dropped all the same" test "$(q "SELECT count(*) FROM pg_roles WHERE rolname = '$LOGIN_D2'")" = 0

section "SYM_SHIM_SECRET_PREFIX"
RUN_E=0b6c1a5e-ffff-4c4c-8d8d-000000000006
ev_pair "$RUN_E" e
run_local "$tmp/e-esc.json" SYM_SHIM_SECRET_PREFIX=team/db-access/
check "the secret is named under the prefix (trailing / dropped)" test "$(j "$OUT" 'd["body"]["secret_name"]')" = "team/db-access/$EMAIL/$RUN_E"
check "stored there" smq "'team/db-access/$EMAIL/$RUN_E' in st['secrets']"
run_local "$tmp/e-de.json" SYM_SHIM_SECRET_PREFIX=team/db-access
check "deescalate deletes it there" smq "'team/db-access/$EMAIL/$RUN_E' not in st['secrets']"
run_local "$tmp/e-esc.json" SYM_SHIM_SECRET_PREFIX='bad prefix!'
check "a prefix with characters a name cannot hold: errors[], no login left" rc_err 1 'SYM_SHIM_SECRET_PREFIX'

# --- sweep ---------------------------------------------------------------------------
section "sweep: expired secrets under the prefix are deleted, others kept"
past=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000000Z)
future=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%S.000000Z)
for n in 1 2 3; do sm_put "{\"name\": \"$PREFIX/old@x.co/run-$n\", \"tags\": {\"sym-access:expires-at\": \"$past\"}}"; done
sm_put "{\"name\": \"$PREFIX/new@x.co/run-4\", \"tags\": {\"sym-access:expires-at\": \"$future\"}}"
sm_put "{\"name\": \"$PREFIX/untagged@x.co/run-5\", \"tags\": {}}"
sm_put "{\"name\": \"other/prefix/old@x.co/run-6\", \"tags\": {\"sym-access:expires-at\": \"$past\"}}"
sm_put "{\"name\": \"${PREFIX}-lookalike/old@x.co/run-7\", \"tags\": {\"sym-access:expires-at\": \"$past\"}}"
echo '{"type": "sweep"}' >"$tmp/sweep.json"
mark=$(wc -l <"$SMLOG")
run_local "$tmp/sweep.json"
check "sweep exits 0, secrets_deleted 3" test "$RC/$(j "$OUT" 'd["body"]["secrets_deleted"], d["errors"]')" = "0/(3, [])"
check "the three expired secrets under the prefix are gone" smq "not any(n.startswith('$PREFIX/old@') for n in st['secrets'])"
check "unexpired, untagged, other-prefix and look-alike-prefix secrets are kept" smq "all(n in st['secrets'] for n in ['$PREFIX/new@x.co/run-4', '$PREFIX/untagged@x.co/run-5', 'other/prefix/old@x.co/run-6', '${PREFIX}-lookalike/old@x.co/run-7'])"
check "ListSecrets filtered on the name prefix and paginated with NextToken" smq "
(lambda ls: len(ls) >= 3 and all(json.loads(e['body'])['Filters'] == [{'Key': 'name', 'Values': ['$PREFIX/']}] for e in ls) and sum('NextToken' in json.loads(e['body']) for e in ls) == len(ls) - 1)([e for e in log[$mark:] if e['action'] == 'ListSecrets'])"
run_local "$tmp/sweep.json" AWS_SECRET_ACCESS_KEY=
check "sweep without AWS credentials: expire() only, no Secrets Manager call" test "$RC/$(j "$OUT" '"secrets_deleted" in d["body"]')" = 0/False
sm_fail '{"action": "ListSecrets", "status": 400, "type": "ThrottlingException", "count": 1}'
run_local "$tmp/sweep.json"
check "a failing ListSecrets: errors[] says so, the database sweep still counted" rc_err 1 'ListSecrets failed.*ThrottlingException'
check "a failing ListSecrets: the database sweep's count is still there" test "$(j "$OUT" 'd["body"]["revoked"]')" = 0
sm_fail '{"action": "ListSecrets", "status": 400, "type": "AccessDeniedException", "count": 1}'
run_local "$tmp/sweep.json"
check "ListSecrets not permitted (temporary users not enabled in IAM): no error, nothing deleted, said in the log" \
	test "$RC/$(j "$OUT" 'd["errors"], d["body"].get("secrets_deleted", 0)')/$(grep -c 'temporary users are not enabled for this function' "$ERR")" = "0/([], 0)/1"
sm_fail '{"action": "ListSecrets", "status": 500, "type": "InternalServiceError", "count": 1}'
run_local "$tmp/sweep.json"
check "any other ListSecrets failure is still an error" rc_err 1 'ListSecrets failed.*InternalServiceError'

# --- valgrind ------------------------------------------------------------------------
section "valgrind (memcheck, --leak-check=full) on the new paths"
# shellcheck disable=SC2054 # the commas belong to valgrind's option
vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes)
RUN_V=0b6c1a5e-9999-4c4c-8d8d-000000000007
ev_pair "$RUN_V" v
for step in v-esc v-esc v-de; do
	run_local "$tmp/$step.json" "${vg[@]}"
	check "valgrind: $step exits 0 with zero errors and leaks ($(j "$OUT" 'd["body"]["outcome"]'))" test "$RC" = 0
done
RUN_W=0b6c1a5e-9999-4c4c-8d8d-000000000008
ev_pair "$RUN_W" w
run_local "$tmp/w-esc.json" AWS_SECRET_ACCESS_KEY=wrong "${vg[@]}"
check "valgrind: a refused store and its revoke exit 1 (not 99)" test "$RC" = 1
run_local "$tmp/sweep.json" "${vg[@]}"
check "valgrind: the sweep with ListSecrets exits 0" test "$RC" = 0

# --- Lambda zip under chroot ------------------------------------------------------------
section "Lambda zip, chroot'ed, Lambda mode: a temporary user end to end"
croot="$tmp/chroot"
mkdir -p "$croot/var/task"
(cd "$croot/var/task" && unzip -q "$zip")
if [ "$(id -u)" = 0 ]; then
	inroot=("$(command -v chroot)" "$croot") task=/var/task
else
	echo "# not root: running the unpacked zip with an empty environment instead of chroot"
	inroot=() task="$croot/var/task"
fi
RUN_Z=0b6c1a5e-7777-4c4c-8d8d-000000000009
ev_pair "$RUN_Z" z
python3 - "$tmp/z-esc.json" "$tmp/z-de.json" >"$tmp/zscript.json" <<'PY'
import json, sys
esc, de = (json.load(open(p)) for p in sys.argv[1:3])
print(json.dumps({"invocations": [{"id": "z-1", "event": esc}, {"id": "z-2", "event": de, "wait_for": sys.argv[1] + ".go"}],
                  "when_done": 500}))
PY
PLOG="$tmp/peer.log"
: >"$PLOG"
python3 "$here/runtime_peer.py" "$tmp/zscript.json" "$PLOG" "$tmp/port" &
peer_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
PEER="127.0.0.1:$(cat "$tmp/port")"
env -i AWS_LAMBDA_RUNTIME_API="$PEER" LAMBDA_TASK_ROOT="$task" PG_HOST=127.0.0.1 "PG_PORT=$PGPORT" \
	"PG_NAME=$DB" "PG_USER=$BOT" "PG_PASSWORD=$BOTPW" "AWS_ACCESS_KEY_ID=$AKID" "AWS_SECRET_ACCESS_KEY=$SECRET" \
	"AWS_SESSION_TOKEN=$TOKEN" "AWS_REGION=$REGION" "AWS_LAMBDA_FUNCTION_NAME=$FN" "SYM_SHIM_SECRETSMANAGER_URL=$SM" \
	LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
	"${inroot[@]}" "$task/bootstrap" 2>"$tmp/z.err" &
zpid=$!
resp() { python3 -c 'import json,sys; log=[json.loads(l) for l in open(sys.argv[1])]; r=[e for e in log if e["kind"]=="response" and e["id"]==sys.argv[2]]; d=json.loads(r[0]["body"]); print(eval(sys.argv[3]))' "$PLOG" "$1" "$2" 2>/dev/null; }
for _ in $(seq 200); do [ -n "$(resp z-1 'd["body"]["outcome"]')" ] && break; sleep 0.1; done
NAME_Z="$PREFIX/$EMAIL/$RUN_Z"
LOGIN_Z=$(resp z-1 'd["body"]["username"]')
PW_Z=$(stored "$NAME_Z")
check "chroot: escalate granted, secret_name in the response" test "$(resp z-1 'd["body"]["outcome"], d["body"]["secret_name"]')" = "('granted', '$NAME_Z')"
check "chroot: the password from the stand-in logs in" test "$(login_as "$LOGIN_Z" "$PW_Z")" = "$LOGIN_Z:42"
touch "$tmp/z-esc.json.go"
wait "$zpid"
zrc=$?
kill "$peer_pid" 2>/dev/null
wait "$peer_pid" 2>/dev/null
peer_pid=
check "chroot: Lambda session ends on the final 500 (rc 1)" test "$zrc" = 1
check "chroot: deescalate revoked, secret deleted, login refused" bash -c "[ \"\$1\" = revoked ] && ! PGPASSWORD='$PW_Z' psql -X -qAt -h 127.0.0.1 -p $PGPORT -U '$LOGIN_Z' -d $DB -c 'SELECT 1' 2>/dev/null" _ "$(resp z-2 'd["body"]["outcome"]')"
check "chroot: secret gone from the stand-in" smq "'$NAME_Z' not in st['secrets']"
check "chroot: JSON log lines, no password in them nor in the Runtime API posts" bash -c "[ -s '$tmp/z.err' ] && ! grep -qF '$PW_Z' '$tmp/z.err' '$PLOG'"

finish

#!/usr/bin/env bash
# The shim's sweep event against the pg_tle edition (no background worker:
# the sweep is pg_cron's or the shim's scheduled event).
#
#   test/pgtle/shim-sweep.sh
#
# Uses the cluster in the environment (`. DIR/env` of test/cluster.sh; pg_tle
# preloaded) after test/pgtle/platform.sh template1: the admin rds_admin makes
# a database, installs the edition, creates the role to hand out, the bot's
# login (password, over TCP) and two grantees. The bot grants one of them for
# 1 second and the other for 1 hour; then the real shim binary runs in Lambda
# mode against shim/test/runtime_peer.py (the Runtime API stand-in), which
# hands it a {"type": "sweep"} event and an EventBridge scheduled event.
# The due grant must be revoked and audited (an expire row), the other kept.
# Prints one ok/not ok line per check and "N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shim=$root/shim/sym-access-shim
DB=sym_tle_shim
BOT=tle_shim_bot
BOTPW="tle-pw-$$-$RANDOM$RANDOM"
passed=0
failed=0
tmp=$(mktemp -d /tmp/sym_access_tle_shim.XXXXXX)
chmod 755 "$tmp"
peer_pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -z "$peer_pid" ] || kill "$peer_pid" 2>/dev/null
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	for r in $BOT tle_shim_due tle_shim_kept tle_shim_ro; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1${2:+: $2}"; }
check() { # name, got, want
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

if ! make -s -C "$root/shim" sym-access-shim >"$tmp/build.log" 2>&1; then
	not_ok "build the shim" "$(tail -5 "$tmp/build.log")"
	finish
fi

# The edition, installed and operated by the platform's admin.
if ! psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB OWNER rds_admin" >/dev/null ||
	! q -U rds_admin >/dev/null <<SQL; then
CREATE EXTENSION sym_access;
CREATE ROLE tle_shim_ro NOLOGIN;
CREATE ROLE tle_shim_due LOGIN;
CREATE ROLE tle_shim_kept LOGIN;
CREATE ROLE $BOT LOGIN PASSWORD '$BOTPW';
GRANT sym_access_operator TO $BOT;
SELECT sym_access.allow_role('tle_shim_ro');
SQL
	not_ok "set-up as the admin (edition, roles, bot)"
	finish
fi
check "the edition is the pg_tle one" "$(q -c "SELECT count(*) FROM pgtle.available_extensions() WHERE name = 'sym_access'")" 1
check "bot grants the soon-due grant" \
	"$(q -U "$BOT" -c "SELECT outcome FROM sym_access.grant('tle_shim_ro', 'tle_shim_due', '1 second', '{\"run_srn\": \"tle:shim:due\"}')")" granted
check "bot grants the grant that must outlive the sweep" \
	"$(q -U "$BOT" -c "SELECT outcome FROM sym_access.grant('tle_shim_ro', 'tle_shim_kept', '1 hour', '{\"run_srn\": \"tle:shim:kept\"}')")" granted
sleep 1.5

# Lambda mode: the sweep event, then a scheduled event with nothing left to do.
cat >"$tmp/script.json" <<'JSON'
{"invocations": [
  {"id": "sweep-1", "event": {"type": "sweep"}, "deadline_in_ms": 30000},
  {"id": "sched-1", "event": {"version": "0", "id": "x", "detail-type": "Scheduled Event",
                              "source": "aws.events", "detail": {}}, "deadline_in_ms": 30000}],
 "when_done": 500}
JSON
python3 "$root/shim/test/runtime_peer.py" "$tmp/script.json" "$tmp/peer.log" "$tmp/port" &
peer_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD \
	AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$tmp/port")" PG_HOST=127.0.0.1 "PG_PORT=$PGPORT" \
	"PG_NAME=$DB" "PG_USER=$BOT" "PG_PASSWORD=$BOTPW" timeout 60 "$shim" 2>"$tmp/shim.err"
rc=$?
kill "$peer_pid" 2>/dev/null
wait "$peer_pid" 2>/dev/null
peer_pid=
check "the shim exits 1 once the Runtime API answers 500 (after both events)" "$rc" 1
# resp ID 'python expression over d, the response body'
resp() {
	python3 -c 'import json,sys
r=[json.loads(e["body"]) for e in map(json.loads, open(sys.argv[1])) if e["kind"]=="response" and e["id"]==sys.argv[2]]
d=r[0] if r else {}
print(eval(sys.argv[3]))' "$tmp/peer.log" "$1" "$2" 2>/dev/null
}
check "sweep event: answered as a sweep that revoked 1 membership" \
	"$(resp sweep-1 'd["body"]["action"], d["body"]["revoked"], d["errors"]')" "('sweep', 1, [])"
check "scheduled event: a sweep with nothing left to do" "$(resp sched-1 'd["body"]["revoked"]')" 0
check "the due grant's membership is gone" \
	"$(q -c "SELECT pg_has_role('tle_shim_due', 'tle_shim_ro', 'MEMBER')")" f
check "the due grant's row is closed" \
	"$(q -c "SELECT count(*) FROM sym_access.active_grant WHERE grantee::text = 'tle_shim_due'")" 0
check "the revoke is audited as expire/revoked, with its run" \
	"$(q -c "SELECT string_agg(action || '/' || outcome || '/' || run_srn, ',') FROM sym_access.audit WHERE grantee = 'tle_shim_due' AND action = 'expire'")" \
	expire/revoked/tle:shim:due
check "the sweep came from the shim: the bot over TCP (called_by, client_addr)" \
	"$(q -c "SELECT called_by || '@' || host(client_addr) FROM sym_access.audit WHERE grantee = 'tle_shim_due' AND action = 'expire'")" "$BOT@127.0.0.1"
check "the grant that is not due is kept" \
	"$(q -c "SELECT pg_has_role('tle_shim_kept', 'tle_shim_ro', 'MEMBER')")" t
grep -q "$BOTPW" "$tmp/shim.err" && not_ok "the password appears in the shim's log"
finish

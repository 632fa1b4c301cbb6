#!/usr/bin/env bash
# The expiry background worker, end to end, with no SQL call to expire()
# from the test: a grant runs out, the worker revokes it and ends the
# session that ran SET ROLE.  Also: the worker waits for the extension,
# reloads on SIGHUP, survives an error in one sweep, and stops cleanly; the
# LOG lines have a fixed prefix and cannot be forged through role names.
#
# Runs its own cluster (the worker's GUCs need a restart to change).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/sym_access_worker.XXXXXX)
chmod 755 "$tmp"
pg="$tmp/pg"
fifo="$tmp/session.in"
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "${keep_log:-}" ] && cp "$pg/server.log" /tmp/worker-server.log; "$root/test/cluster.sh" stop "$pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
# Poll a query until it prints the expected value (at most $3 seconds).
wait_for() {
	local sql=$1 want=$2 secs=${3:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(q -c "$sql" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	echo "   waited ${secs}s for [$sql] = [$want], last: [$(q -c "$sql" 2>&1)]" >&2
	return 1
}
log_count() { grep -c -- "$1" "$pg/server.log" || true; }

"$root/test/cluster.sh" start "$pg" \
	"shared_preload_libraries = 'sym_access'" \
	"sym_access.expire_interval = 1" >/dev/null || exit 1
# shellcheck disable=SC1091
. "$pg/env"

# 1. Without the extension in its database the worker logs once and waits.
sleep 3
check "worker reports the missing extension once, and keeps running" \
	test "$(log_count 'extension is not installed in database "postgres"')" = 1
check "worker is running" \
	test "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'sym_access expiry worker'")" = 1
worker_pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'sym_access expiry worker'")

q >/dev/null <<'SQL'
CREATE EXTENSION sym_access;
CREATE ROLE w_role NOLOGIN;
CREATE ROLE w_user LOGIN;
CREATE ROLE w_bot LOGIN;
GRANT sym_access_operator TO w_bot;
CREATE TABLE w_data (x int);
GRANT SELECT ON w_data TO w_role;
SELECT sym_access.allow_role('w_role');
SQL

# 2. A two-second grant, and a session of the grantee that takes the role.
q -U w_bot -c "SELECT outcome FROM sym_access.grant('w_role', 'w_user', '2 seconds', '{\"run_srn\": \"w-1\"}')" >/dev/null
mkfifo "$fifo"
psql -X -At -U w_user <"$fifo" >"$tmp/session.out" 2>&1 &
exec 3>"$fifo"
echo "SET ROLE w_role; SELECT 'as ' || current_user, count(*) FROM w_data;" >&3
check "the grantee's session acts as the role" \
	wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = 'w_user' AND state = 'idle'" 1 10

check "the worker revokes the expired grant with no call from the test" \
	wait_for "SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND outcome = 'revoked' AND run_srn = 'w-1'" 1 20
check "the membership is gone" \
	test "$(q -c "SELECT pg_has_role('w_user', 'w_role', 'MEMBER')")" = f
check "the grantee's session was terminated" \
	wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = 'w_user'" 0 10
echo "SELECT 'still here', current_user;" >&3 2>/dev/null
exec 3>&-
wait 2>/dev/null
check "the terminated session could not go on as the role" \
	bash -c "grep -q 'as w_role' '$tmp/session.out' && ! grep -q 'still here' '$tmp/session.out'"
check "the audit row says who swept and how many sessions ended" \
	test "$(q -c "SELECT called_by || ':' || (detail->>'terminated_sessions') FROM sym_access.audit WHERE action = 'expire' AND run_srn = 'w-1'")" = "postgres:1"
latency=$(q -c "SELECT round(extract(epoch FROM at - expires_at)::numeric, 2) FROM sym_access.audit WHERE action = 'expire' AND run_srn = 'w-1'")
echo "   expiry to revocation with a 1 s interval: ${latency}s"
check "the worker's LOG line" \
	test "$(log_count 'sym_access: expiry worker revoked 1 membership')" -ge 1

# 3. SIGHUP: a new interval takes effect without a restart.
q -c "ALTER SYSTEM SET sym_access.expire_interval = 2" -c "SELECT pg_reload_conf()" >/dev/null
check "the worker reloads its interval on SIGHUP" \
	bash -c "for i in \$(seq 50); do grep -q 'expiry interval is now 2 s' '$pg/server.log' && exit 0; sleep 0.1; done; exit 1"

# 4. An error in one sweep is reported; the next sweep works; same process.
q -U w_bot -c "SELECT outcome FROM sym_access.grant('w_role', 'w_user', '1 second', '{\"run_srn\": \"w-3\"}')" >/dev/null
errors_before=$(log_count 'permission denied for table audit')
# The sweep must write an audit row; take that right away from the grantor.
q -c "REVOKE INSERT ON sym_access.audit FROM sym_access_grantor" >/dev/null
check "a failing sweep is reported in the log" \
	bash -c "for i in \$(seq 100); do [ \$(grep -c 'permission denied for table audit' '$pg/server.log') -gt $errors_before ] && exit 0; sleep 0.1; done; exit 1"
check "the failed sweep changed nothing" \
	test "$(q -c "SELECT pg_has_role('w_user', 'w_role', 'MEMBER') AND EXISTS (SELECT FROM sym_access.active_grant WHERE run_srn = 'w-3')")" = t
q -c "GRANT INSERT ON sym_access.audit TO sym_access_grantor" >/dev/null
check "the next sweep succeeds" \
	wait_for "SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND outcome = 'revoked' AND run_srn = 'w-3'" 1 20
check "the worker survived the error in the same process" \
	test "$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'sym_access expiry worker'")" = "$worker_pid"

# 5. LOG lines: one per call, fixed prefix, values that cannot forge fields.
q -U w_bot -c "SELECT outcome FROM sym_access.grant('w_role', E'x outcome=granted\nsym_access: action=grant', '1 hour')" >/dev/null 2>&1
check "one LOG line per call with the fixed prefix" \
	test "$(log_count 'sym_access: action=grant outcome=granted role=w_role grantee=w_user run=w-3 audit_id=')" = 1
check "a hostile grantee name is quoted, not a new field or line" \
	test "$(log_count 'sym_access: action=grant outcome=denied role=w_role grantee="x outcome=granted\\nsym_access: action=grant" run=- audit_id=')" = 1

# 6. A database owner's settings cannot stall the sweep: the worker's
#    session gets ALTER DATABASE settings like any other, and pins its own.
q >/dev/null <<'SQL'
CREATE ROLE w_nobody NOLOGIN;
ALTER DATABASE postgres SET default_transaction_isolation = 'serializable';
ALTER DATABASE postgres SET default_transaction_read_only = on;
ALTER DATABASE postgres SET statement_timeout = '1ms';
ALTER DATABASE postgres SET lock_timeout = '1ms';
ALTER DATABASE postgres SET role = 'w_nobody';
ALTER DATABASE postgres SET search_path = 'pg_temp, public';
SQL
"$root/test/cluster.sh" restart "$pg" >/dev/null || exit 1
sane=(-c "default_transaction_isolation=read\ committed" -c default_transaction_read_only=off
	-c statement_timeout=0 -c lock_timeout=0 -c role=none)
PGOPTIONS="${sane[*]}" q -U w_bot -c "SELECT outcome FROM sym_access.grant('w_role', 'w_user', '1 second', '{\"run_srn\": \"w-6\"}')" >/dev/null
check "hostile database settings: the worker still revokes on time" \
	bash -c "for i in \$(seq 100); do [ \"\$(PGOPTIONS='${sane[*]}' psql -X -At -c \"SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND outcome = 'revoked' AND run_srn = 'w-6'\")\" = 1 ] && exit 0; sleep 0.1; done; exit 1"
PGOPTIONS="${sane[*]}" q -c "ALTER DATABASE postgres RESET ALL" >/dev/null

# 7. SIGTERM: a fast shutdown stops the worker cleanly.
# (PATH from the cluster's env puts the server's own pg_ctl first.)
if [ "$(id -u)" = 0 ]; then
	runuser -u postgres -- "$(command -v pg_ctl)" -D "$pg/data" -m fast -w stop >/dev/null
else
	pg_ctl -D "$pg/data" -m fast -w stop >/dev/null
fi
# (It exits with code 1, so that outside a shutdown the postmaster starts it
# again; test/faults covers that.  During a shutdown it is not restarted.)
check "fast shutdown: the worker stops between sweeps on SIGTERM, no crash" \
	bash -c "grep -q 'database system is shut down' '$pg/server.log' && grep -q 'sym_access: expiry worker shutting down' '$pg/server.log' && ! grep -q 'terminated by signal' '$pg/server.log'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

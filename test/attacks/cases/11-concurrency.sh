# shellcheck shell=bash
# 8d. Concurrency between allow/disallow/grant/revoke/expire: several
# sessions at once, then the invariants — no membership granted by
# sym_access without a live active row of an allowed role, no live
# non-preexisting row without its membership, no deadlock or other error,
# and check() healthy.

CC=${P}_cc
setup "CREATE ROLE $CC NOLOGIN; SELECT sym_access.allow_role('$CC')"
for i in 1 2 3; do setup "CREATE ROLE ${P}_ccg$i LOGIN"; done
setup "CREATE ROLE ${P}_ccbot2 LOGIN IN ROLE sym_access_operator"

# One script per session: many autocommit statements.
bot_script() { # seed
	local i g run
	for ((i = 0; i < 40; i++)); do
		g=${P}_ccg$(((i + $1) % 3 + 1))
		run="run-$(((i * 7 + $1) % 4))"
		case $(((i + $1) % 4)) in
		0 | 1) echo "SELECT outcome FROM sym_access.grant('$CC', '$g', '$((1 + i % 3)) seconds', '{\"run_srn\": \"$run\"}');" ;;
		2) echo "SELECT outcome FROM sym_access.revoke('$CC', '$g', '{\"run_srn\": \"$run\"}');" ;;
		3) echo "SELECT sym_access.expire();" ;;
		esac
	done
}
admin_script() {
	local i
	for ((i = 0; i < 12; i++)); do
		echo "SELECT sym_access.disallow_role('$CC');"
		echo "SELECT pg_sleep(0.05);"
		echo "SELECT sym_access.allow_role('$CC', default_duration => '1 second', max_duration => '1 hour');"
	done
}
invariants="NOT EXISTS (
	SELECT FROM pg_auth_members m
	 WHERE m.grantor = 'sym_access_grantor'::regrole AND m.roleid = '$CC'::regrole AND NOT m.admin_option
	   AND NOT EXISTS (SELECT FROM sym_access.active_grant g JOIN sym_access.allowed_role a ON a.role = g.role
	                    WHERE g.role::oid = m.roleid AND g.grantee::oid = m.member AND NOT g.preexisting))
 AND NOT EXISTS (
	SELECT FROM sym_access.active_grant g
	 WHERE g.role = '$CC'::regrole AND NOT g.preexisting
	   AND NOT EXISTS (SELECT FROM pg_auth_members m WHERE m.roleid = g.role::oid AND m.member = g.grantee::oid))
"
# check() (1.1.0) must agree, where it exists
if [ "$(su -c "SELECT count(*) FROM pg_proc WHERE proname = 'check' AND pronamespace = 'sym_access'::regnamespace")" != 0 ]; then
	invariants+=" AND NOT EXISTS (SELECT FROM sym_access.check() c WHERE c.role = '$CC')"
fi

attack "concurrency/bot+admin/grant, revoke, expire and disallow/allow at once keep the invariants"
for s in 1 2 3; do bot_script $s >"$T/cc$s.sql"; done
admin_script >"$T/ccadmin.sql"
pids=()
for s in 1 2; do
	psql -X -At -q -v VERBOSITY=verbose -U "$BOT" -d "$DB" -f "$T/cc$s.sql" >"$T/cc$s.out" 2>&1 &
	pids+=($!)
done
psql -X -At -q -v VERBOSITY=verbose -U "${P}_ccbot2" -d "$DB" -f "$T/cc3.sql" >"$T/cc3.out" 2>&1 &
pids+=($!)
psql -X -At -q -v VERBOSITY=verbose -U "$ADMIN" -d "$DB" -f "$T/ccadmin.sql" >"$T/ccadmin.out" 2>&1 &
pids+=($!)
for p in "${pids[@]}"; do
	timeout 120 tail --pid="$p" -f /dev/null || { kill "$p" 2>/dev/null; reason "a session did not finish within 120 s (stalled)"; }
done
errs=$(cat "$T"/cc*.out | grep -E '^(ERROR|FATAL)' | sort | uniq -c | head -5)
[ -z "$errs" ] || reason "errors: $(echo "$errs" | tr '\n' ' ' | cut -c1-300)"
want "$invariants" "an invariant broke right after the storm"
judge_preds
sleep 3.1
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
want "$invariants" "an invariant broke after a final expire()"
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$CC'::regrole AND NOT admin_option AND member IN (SELECT oid FROM pg_roles WHERE rolname LIKE '${P}_ccg%'))" "a membership survived every expiry"
verdict

attack "concurrency/admin/disallow_role while a grantee is being dropped"
CD=${P}_cd
setup "CREATE ROLE $CD NOLOGIN; SELECT sym_access.allow_role('$CD')"
for i in 1 2 3 4 5 6; do
	setup "CREATE ROLE ${P}_cdg$i LOGIN"
	as "$BOT" -c "SELECT sym_access.grant('$CD', '${P}_cdg$i', '1 hour')" >/dev/null
done
open_session dropper postgres
say dropper "BEGIN; DROP ROLE ${P}_cdg1; DROP ROLE ${P}_cdg2;"
sleep 0.3
psql -X -At -q -v VERBOSITY=verbose -U "$ADMIN" -d "$DB" -c "SELECT sym_access.disallow_role('$CD')" >"$T/cd.out" 2>&1 &
dpid=$!
sleep 0.5
say dropper "COMMIT;"
close_session dropper
timeout 30 tail --pid="$dpid" -f /dev/null || reason "disallow_role did not finish"
grep -qE '^(ERROR|FATAL)' "$T/cd.out" && reason "disallow_role failed: $(grep -m1 -E '^(ERROR|FATAL)' "$T/cd.out" | cut -c1-120)"
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$CD'::regrole AND NOT admin_option)" "a grantee kept the disallowed role"
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
want_eq "$(last_error)" "" "expire() afterwards"
verdict

attack "concurrency/bot/many grants of the same pair and run at once leave one row and one membership"
CS=${P}_cs
setup "CREATE ROLE $CS NOLOGIN; CREATE ROLE ${P}_csg LOGIN; SELECT sym_access.allow_role('$CS')"
pids=()
for i in 1 2 3 4 5 6; do
	psql -X -At -q -U "$BOT" -d "$DB" -c "SELECT outcome FROM sym_access.grant('$CS', '${P}_csg', '1 hour', '{\"run_srn\": \"same\"}')" >"$T/csame$i.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do timeout 60 tail --pid="$p" -f /dev/null; done
want_eq "$(cat "$T"/csame*.out | sort | uniq -c | sed 's/^ *//' | sort | tr '\n' ' ')" "1 granted 5 extended " "outcomes"
want "(SELECT count(*) FROM sym_access.active_grant WHERE role = '$CS'::regrole) = 1" "not exactly one active row"
want "(SELECT count(*) FROM pg_auth_members WHERE roleid = '$CS'::regrole AND NOT admin_option) = 1" "not exactly one membership"
verdict

# shellcheck shell=bash
# 8c. What each actor can try with what it already holds: the grantee with
# the role (hand it on, alter it, keep it after the revoke), the bot outside
# the functions, the admin giving itself something, pre-existing
# memberships, and pg_temp shadowing by the bot.

# The grantee actor: $G holds $R through sym_access.
as "$BOT" -c "SELECT sym_access.grant('$R', '$G', '1 hour', '{\"run_srn\": \"actor\"}')" >/dev/null
setup "CREATE ROLE ${P}_friend LOGIN"

while IFS='|' read -r what stmt; do
	[ -n "$what" ] || continue
	attack "grantee/grantee/$what"
	before=$(memberships)
	as "$G" -c "SET ROLE $R" -c "$stmt" >/dev/null
	want_error "the statement was accepted"
	[ "$(memberships)" = "$before" ] || reason "pg_auth_members changed"
	want "NOT (SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication FROM pg_roles WHERE rolname = '$R')" "the role gained an attribute"
	want "$(not_member "${P}_friend" "$R")" "a friend got the role"
	verdict
done <<EOS
hand the role to a friend|GRANT $R TO ${P}_friend
hand the role to itself again (a second, permanent grant)|GRANT $R TO $G
hand it on WITH ADMIN OPTION|GRANT $R TO ${P}_friend WITH ADMIN OPTION
alter the role (CREATEDB)|ALTER ROLE $R CREATEDB
rename the role|ALTER ROLE $R RENAME TO ${P}_renamed
set the role's password and LOGIN|ALTER ROLE $R LOGIN PASSWORD 'x'
make itself a member of sym_access_operator|GRANT sym_access_operator TO $G
call grant() as the role|SELECT sym_access.grant('$R', '${P}_friend', '1 hour')
call revoke() to cut its own audit trail|SELECT sym_access.revoke('$R', '$G')
revoke the grantor's ADMIN OPTION|REVOKE ADMIN OPTION FOR $R FROM sym_access_grantor
EOS

attack "grantee/grantee/the session that ran SET ROLE ends at revoke (terminate_sessions)"
open_session gsess "$G"
say gsess "SET ROLE $R; SELECT 'as ' || current_user, count(*) FROM public.${P}_secret;"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '$G' AND state = 'idle'" 1 10 || reason "the grantee's session did not start"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$R', '$G', '{\"run_srn\": \"actor\"}')")
want_eq "$out" revoked "revoke outcome"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '$G'" 0 5 || reason "the grantee's session is still connected after the revoke"
say gsess "SELECT 'still ' || current_user, count(*) FROM public.${P}_secret;"
close_session gsess
grep -q "still $R" "$T/gsess.out" && reason "the session still read as the role after the revoke"
want "$(not_member "$G" "$R")" "the membership survived the revoke"
verdict

attack "grantee/grantee/a session with SET ROLE ends at expiry (terminate_sessions)"
setup "CREATE ROLE ${P}_eg LOGIN"
as "$BOT" -c "SELECT sym_access.grant('$R', '${P}_eg', '1 second', '{\"run_srn\": \"exp\"}')" >/dev/null
open_session esess "${P}_eg"
say esess "SET ROLE $R; SELECT 'as ' || current_user;"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '${P}_eg' AND state = 'idle'" 1 10 || reason "the grantee's session did not start"
sleep 1.2
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '${P}_eg'" 0 5 || reason "the grantee's session survived expire()"
close_session esess
want "$(not_member "${P}_eg" "$R")" "the membership survived expire()"
verdict

attack "grantee/grantee/a prepared transaction or cursor does not keep the role (session ended)"
setup "CREATE ROLE ${P}_cg LOGIN"
as "$BOT" -c "SELECT sym_access.grant('$R', '${P}_cg', '1 hour', '{\"run_srn\": \"cur\"}')" >/dev/null
open_session csess "${P}_cg"
say csess "BEGIN; SET LOCAL ROLE $R; DECLARE c CURSOR WITH HOLD FOR SELECT x FROM public.${P}_secret; COMMIT;"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '${P}_cg' AND state = 'idle'" 1 10 || reason "the session did not start"
as "$BOT" -c "SELECT sym_access.revoke('$R', '${P}_cg', '{\"run_srn\": \"cur\"}')" >/dev/null
say csess "FETCH ALL FROM c;"
close_session csess
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '${P}_cg'" 0 5 || reason "the session survived the revoke"
grep -qx 2 "$T/csess.out" && reason "the cursor still read the role's data after the revoke"
verdict

# Pre-existing memberships are never revoked.
PE=${P}_pe
setup "CREATE ROLE $PE NOLOGIN; SELECT sym_access.allow_role('$PE')"
setup "CREATE ROLE ${P}_pg1 LOGIN; GRANT $PE TO ${P}_pg1"
attack "preexisting/bot/revoke and expire keep a membership that was there before"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$PE', '${P}_pg1', '1 second', '{\"run_srn\": \"pre\"}')")
want_eq "$out" already_member "grant outcome"
as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$PE', '${P}_pg1', '{\"run_srn\": \"pre\"}')" >/dev/null
as "$BOT" -c "SELECT sym_access.grant('$PE', '${P}_pg1', '1 second', '{\"run_srn\": \"pre2\"}')" >/dev/null
sleep 1.2
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
as "$BOT" -c "SELECT sym_access.revoke('$PE', '${P}_pg1', '{\"run_srn\": \"other\"}')" >/dev/null
want "$(member "${P}_pg1" "$PE")" "the pre-existing membership was revoked"
verdict

attack "preexisting/admin/disallow_role keeps a membership that was there before"
setup "CREATE ROLE ${P}_pe2 NOLOGIN; CREATE ROLE ${P}_pg2 LOGIN; GRANT ${P}_pe2 TO ${P}_pg2; SELECT sym_access.allow_role('${P}_pe2')"
as "$BOT" -c "SELECT sym_access.grant('${P}_pe2', '${P}_pg2', '1 hour', '{\"run_srn\": \"pre3\"}')" >/dev/null
as "$ADMIN" -c "SELECT sym_access.disallow_role('${P}_pe2')" >/dev/null
want "$(member "${P}_pg2" "${P}_pe2")" "disallow_role revoked a pre-existing membership"
verdict

attack "preexisting/bot/membership through an intermediate role is never revoked"
setup "CREATE ROLE ${P}_pe3 NOLOGIN; CREATE ROLE ${P}_pm3 NOLOGIN; CREATE ROLE ${P}_pg3 LOGIN; GRANT ${P}_pe3 TO ${P}_pm3; GRANT ${P}_pm3 TO ${P}_pg3; SELECT sym_access.allow_role('${P}_pe3')"
as "$BOT" -c "SELECT sym_access.grant('${P}_pe3', '${P}_pg3', '1 hour', '{\"run_srn\": \"pre4\"}')" >/dev/null
as "$BOT" -c "SELECT sym_access.revoke('${P}_pe3', '${P}_pg3', '{\"run_srn\": \"pre4\"}')" >/dev/null
want "$(member "${P}_pg3" "${P}_pe3")" "the chain membership was broken"
want "pg_has_role('${P}_pm3', '${P}_pe3', 'MEMBER')" "the intermediate role lost the role"
verdict

attack "preexisting/bot/a replayed grant does not turn a sym_access membership into a pre-existing one"
setup "CREATE ROLE ${P}_pe4 NOLOGIN; CREATE ROLE ${P}_pg4 LOGIN; SELECT sym_access.allow_role('${P}_pe4')"
as "$BOT" -c "SELECT sym_access.grant('${P}_pe4', '${P}_pg4', '1 hour', '{\"run_srn\": \"r1\"}')" >/dev/null
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('${P}_pe4', '${P}_pg4', '1 hour', '{\"run_srn\": \"r2\"}')")
want_eq "$out" extended "second run's outcome"
as "$BOT" -c "SELECT sym_access.revoke('${P}_pe4', '${P}_pg4', '{\"run_srn\": \"r1\"}')" >/dev/null
as "$BOT" -c "SELECT sym_access.revoke('${P}_pe4', '${P}_pg4', '{\"run_srn\": \"r2\"}')" >/dev/null
want "$(not_member "${P}_pg4" "${P}_pe4")" "the membership outlived both runs"
verdict

# The bot outside the functions.
while IFS='|' read -r what stmt; do
	[ -n "$what" ] || continue
	attack "bot/bot/$what"
	before=$(memberships)
	as "$BOT" -c "$stmt" >/dev/null
	want_error "accepted"
	[ "$(memberships)" = "$before" ] || reason "pg_auth_members changed"
	want "$(not_super "$BOT")" "the bot became a superuser"
	verdict
done <<EOS
GRANT the allowed role directly|GRANT $R TO $BOT
SET ROLE the grantor|SET ROLE sym_access_grantor
allow a role itself|SELECT sym_access.allow_role('${P}_friend')
map a user|SELECT sym_access.map_user('x@example.com', 'postgres')
purge the audit|SELECT sym_access.purge_audit('1 year')
read the audit|SELECT count(*) FROM sym_access.audit
call the audit trigger function|SELECT sym_access.audit_guard()
ALTER the grant function|ALTER FUNCTION sym_access.grant(text, text, interval, jsonb) SECURITY INVOKER
EOS

attack "bot/bot/pg_temp tables, functions and operators shadowing what the functions use"
before=$(memberships)
as "$BOT" >/dev/null <<SQL
SET search_path = pg_temp, public, pg_catalog;
CREATE TEMP TABLE pg_auth_members (roleid oid, member oid, admin_option boolean);
CREATE TEMP TABLE allowed_role (role regrole);
CREATE TEMP TABLE active_grant (role regrole, grantee regrole, expires_at timestamptz);
CREATE TEMP TABLE pg_roles (rolname name, oid oid, rolsuper boolean);
CREATE FUNCTION pg_temp.pg_has_role(name, name, text) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS \$\$SELECT 'infinity'::timestamptz\$\$;
CREATE FUNCTION pg_temp.${P}_ge(interval, interval) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR pg_temp.> (LEFTARG = interval, RIGHTARG = interval, FUNCTION = pg_temp.${P}_ge);
SELECT sym_access.grant('${P}_r', 'postgres', '1 hour');
SELECT sym_access.grant('${P}_pe', '$BOT', '1 hour');
SELECT sym_access.grant('${P}_r', '${P}_friend', '100 years');
SQL
want "NOT EXISTS (SELECT FROM sym_access.active_grant WHERE expires_at > now() + interval '1 day' AND grantee::text IN ('${P}_friend', 'postgres', '$BOT'))" "a grant runs for more than a day"
want "$(not_member "$BOT" "${P}_pe")" "the bot got a role"
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE member = 'postgres'::regrole AND roleid = '${P}_r'::regrole)" "granted to the superuser"
verdict

# The admin giving itself something.
attack "admin/admin/allow_role cannot give the admin (or the grantor) anything usable"
before=$(memberships)
as "$ADMIN" -c "SELECT sym_access.allow_role('sym_access_operator')" >/dev/null
as "$ADMIN" -c "SELECT sym_access.allow_role('$ADMIN')" >/dev/null
as "$ADMIN" -c "SELECT sym_access.map_user('admin@example.com', '$ADMIN')" >/dev/null
as "$ADMIN" -c "SELECT sym_access.grant('$R', '$ADMIN', '1 hour')" >/dev/null
as "$ADMIN" -c "GRANT $R TO $ADMIN" >/dev/null
as "$ADMIN" -c "SET ROLE sym_access_grantor" >/dev/null
want "$(not_member "$ADMIN" "$R") AND $(not_member "$ADMIN" sym_access_operator) AND $(not_member "$ADMIN" sym_access_grantor)" "the admin gained a role"
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE member = '$ADMIN'::regrole AND admin_option)" "the admin gained ADMIN OPTION"
verdict

attack "admin/admin/disallow_role of the extension's roles or of a role never allowed"
before=$(memberships)
for r in sym_access_grantor sym_access_operator sym_access_admin pg_signal_backend; do
	as "$ADMIN" -c "SELECT sym_access.disallow_role('$r')" >/dev/null
done
want "pg_has_role('sym_access_grantor', 'pg_signal_backend', 'MEMBER')" "the grantor lost pg_signal_backend"
want "pg_has_role('$BOT', 'sym_access_operator', 'MEMBER')" "the bot lost sym_access_operator"
want "pg_has_role('$ADMIN', 'sym_access_admin', 'MEMBER')" "the admin lost sym_access_admin"
verdict

attack "admin/admin/allow_role with terminate_sessions => NULL or durations NULL"
setup "CREATE ROLE ${P}_an NOLOGIN"
as "$ADMIN" -c "SELECT sym_access.allow_role('${P}_an', NULL, NULL, NULL, NULL)" >/dev/null
want "NOT EXISTS (SELECT FROM sym_access.allowed_role WHERE role::text = '${P}_an' AND (max_duration IS NULL OR default_duration IS NULL OR terminate_sessions IS NULL))" "a row with NULL policy fields"
verdict

attack "admin/admin/map_user to a superuser cannot get it a grant"
setup "CREATE ROLE ${P}_sux LOGIN SUPERUSER"
as "$ADMIN" -c "SELECT sym_access.map_user('boss@example.com', '${P}_sux')" >/dev/null
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$R', sym_access.resolve_user('BOSS@example.com'), '1 hour')")
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$R'::regrole AND member = '${P}_sux'::regrole)" "the superuser was given the role"
want_eq "$out" denied "outcome for a superuser grantee"
verdict

# shellcheck shell=bash
# 13. Temporary users (16+; 15 refuses the mode): a bot steering the login
# onto an existing or privileged role, hostile base names, a replay with
# another base name, a temporary login trying to keep itself, and the
# grantor's CREATEROLE used to reach other roles.

TR=${P}_tr
# The login of a run, by the superuser ('' when none).
login_of() { su -c "SELECT login_name FROM sym_access.temporary_login WHERE run_srn = '$1'"; }
tgrant() { # base run -> outcome, as the bot (the names as psql variables)
	as "$BOT" -v base="$1" -v run="$2" <<<"SELECT outcome FROM sym_access.grant('$TR', :'base', '1 hour', jsonb_build_object('run_srn', :'run'))"
}
setup "CREATE ROLE $TR NOLOGIN; GRANT SELECT ON public.${P}_secret TO $TR"

if ! ver_at_least 160000; then
	attack "tempusers/admin/allow_role(mode => temporary_user) on 15"
	as "$ADMIN" -c "SELECT sym_access.allow_role('$TR', mode => 'temporary_user')" >/dev/null
	want_state 0A000
	want "NOT (SELECT rolcreaterole FROM pg_roles WHERE rolname = 'sym_access_grantor')" "the grantor got CREATEROLE"
	want "NOT $(allowed "$TR")" "the role was allowed"
	verdict
	for c in "a login named like a privileged role" "hostile base names" "replay with another base name" \
		"a temporary login keeping itself" "the grantor's CREATEROLE"; do
		attack "tempusers/$c"
		skip "PostgreSQL 15 refuses temporary users (0A000)"
	done
	return 0
fi

setup "SELECT sym_access.allow_role('$TR', mode => 'temporary_user')"

attack "tempusers/bot/a login named like the superuser, the grantor and a CREATEROLE user"
for base in postgres sym_access_grantor "$CR"; do
	out=$(tgrant "$base" "priv-$base")
	want_eq "$out" granted "outcome for base name $base"
done
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$TR'::regrole
                   AND member IN ('postgres'::regrole, 'sym_access_grantor'::regrole, '$CR'::regrole)
                   AND NOT admin_option)" "an existing role got the role"
want "(SELECT count(*) = 3 FROM sym_access.temporary_login t JOIN pg_authid a ON a.oid = t.login
        WHERE t.run_srn LIKE 'priv-%' AND a.rolname <> t.base_name AND a.rolname LIKE t.base_name || '\\_%'
          AND a.rolcanlogin AND NOT (a.rolsuper OR a.rolcreaterole OR a.rolcreatedb OR a.rolreplication OR a.rolbypassrls))" \
	"a login is not a new role named after its base, or has an attribute"
want "(SELECT NOT rolsuper AND NOT rolcanlogin FROM pg_roles WHERE rolname = 'sym_access_grantor')" "the grantor changed"
verdict

attack "tempusers/createrole/a squatted login name does not receive the role"
squat=$(su -c "SELECT '${P}_sq_' || lpad(to_hex(hashtext('$TR'::regrole::oid::text || '/sq-1')), 8, '0')")
as "$CR" -c "CREATE ROLE \"$squat\" LOGIN PASSWORD 'known'" >/dev/null
out=$(tgrant "${P}_sq" sq-1)
want_eq "$out" granted "outcome"
want "NOT pg_has_role('$squat', '$TR', 'MEMBER')" "the squatter's role got the allowed role"
want "(SELECT login_name = '${squat}_2' FROM sym_access.temporary_login WHERE run_srn = 'sq-1')" "the login did not get a fresh name"
verdict

attack "tempusers/bot/base names with quotes, newlines and SQL"
n=0
for base in "${P}_q'\"x" "${P}_nl
x" "${P}_x'); ALTER ROLE $BOT SUPERUSER; --"; do
	n=$((n + 1))
	out=$(tgrant "$base" "hostile-$n")
	want_eq "$out" granted "outcome for a hostile base name"
done
want "$(not_super "$BOT")" "the bot became superuser"
want "(SELECT count(*) = 3 FROM sym_access.temporary_login t JOIN pg_roles r ON r.oid = t.login
        WHERE t.run_srn LIKE 'hostile-%' AND starts_with(r.rolname, t.base_name))" "a login's name does not begin with its base name"
verdict

attack "tempusers/bot/a NUL in the base name"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$TR', E'${P}_nul\\000x', '1 hour', '{\"run_srn\": \"nul-1\"}')")
want_error "a NUL was accepted (outcome '$out')"
want "NOT EXISTS (SELECT FROM sym_access.temporary_login WHERE run_srn = 'nul-1')" "a login was made"
verdict

attack "tempusers/bot/multibyte characters at the cut"
# 53 ASCII bytes, then 2- and 4-byte characters across byte 54
pad=$(printf '%s%0*d' "${P}_c" $((53 - ${#P} - 2)) 0)
tgrant "${pad}éé" mb-1 >/dev/null
tgrant "${pad}😀😀" mb-2 >/dev/null
want "(SELECT count(*) = 2 FROM sym_access.temporary_login
        WHERE run_srn IN ('mb-1', 'mb-2') AND octet_length(login_name) <= 63
          AND starts_with(login_name, '$pad') AND login_name ~ ('^' || '$pad' || '_[0-9a-f]{8}$'))" \
	"a login name split a character or is longer than 63 bytes"
verdict

attack "tempusers/bot/a replay of a run with another base name"
tgrant "${P}_alice" rp-1 >/dev/null
alice=$(login_of rp-1)
out=$(tgrant "${P}_mallory" rp-1)
want_eq "$out" denied "outcome"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$TR', '${P}_mallory', '{\"run_srn\": \"rp-1\"}')")
[ "$out" != revoked ] || reason "revoke by another base name revoked the run's login"
want "(SELECT count(*) = 1 FROM sym_access.temporary_login WHERE run_srn = 'rp-1')" "a second login was made"
want "NOT EXISTS (SELECT FROM pg_roles WHERE rolname LIKE '${P}\\_mallory%')" "a login for the other base name exists"
want "pg_has_role('$alice', '$TR', 'MEMBER')" "the run's login lost the role"
verdict

attack "tempusers/login/keeping itself: VALID UNTIL, new roles, granting itself or its role"
tgrant "${P}_keep" keep-1 >/dev/null
keep=$(login_of keep-1)
as "$keep" -c "ALTER ROLE \"$keep\" VALID UNTIL 'infinity'" >/dev/null
want_state 42501
as "$keep" -c "CREATE ROLE ${P}_keep_twin LOGIN" >/dev/null
want_state 42501
as "$keep" -c "GRANT \"$keep\" TO $G" >/dev/null
want_error "the login granted itself to another role"
as "$keep" -c "GRANT $TR TO $G" >/dev/null
want_error "the login granted its role to another role"
as "$keep" -c "SET ROLE sym_access_grantor" >/dev/null
want_state 42501
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$TR', '${P}_keep', '{\"run_srn\": \"keep-1\"}')")
want_eq "$out" revoked "revoke outcome"
want "NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$keep')" "the login survived its revoke"
want "$(not_member "$G" "$TR")" "another role got the allowed role"
verdict

attack "tempusers/login/owning an object: disabled, not kept"
tgrant "${P}_own" own-1 >/dev/null
own=$(login_of own-1)
setup "GRANT CREATE ON SCHEMA public TO \"$own\""
as "$own" -c "CREATE TABLE public.${P}_own_t (x int)" >/dev/null
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$TR', '${P}_own', '{\"run_srn\": \"own-1\"}')")
want_eq "$out" revoked "revoke outcome"
as "$own" -c "SELECT 1" >/dev/null && reason "the disabled login could still connect"
want "(SELECT NOT rolcanlogin AND rolpassword IS NULL FROM pg_authid WHERE rolname = '$own')" "the login can log in or has a password"
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = '$own'))" "the login kept a membership"
want "(SELECT disabled_at IS NOT NULL FROM sym_access.temporary_login WHERE run_srn = 'own-1')" "the login is not marked disabled"
out=$(tgrant "${P}_own" own-1)
want_eq "$out" denied "a replay of the revoked run"
verdict
setup "DROP TABLE public.${P}_own_t; REVOKE CREATE ON SCHEMA public FROM \"$own\""

attack "tempusers/bot/createrole_self_grant does not hand the grantor the login's privileges"
out=$(as "$BOT" -c "SET createrole_self_grant = 'set, inherit'; SELECT outcome FROM sym_access.grant('$TR', '${P}_sg', '1 hour', '{\"run_srn\": \"sg-1\"}')")
want_eq "$out" granted "outcome"
sg=$(login_of sg-1)
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE member = 'sym_access_grantor'::regrole
                   AND roleid = (SELECT oid FROM pg_roles WHERE rolname = '$sg') AND (inherit_option OR set_option))" \
	"the grantor inherits or can SET ROLE to the login"
want "NOT pg_has_role('sym_access_grantor', '$TR', 'USAGE')" "the grantor has the allowed role's privileges"
verdict

attack "tempusers/bot/the grantor's CREATEROLE does not reach roles that are not allowed"
before=$(memberships)
for role in "$CR" pg_read_all_data pg_write_server_files; do
	out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$role', '${P}_reach', '1 hour', '{\"run_srn\": \"reach\"}')")
	want_eq "$out" denied "outcome for $role"
done
want "NOT EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
                   WHERE m.member = 'sym_access_grantor'::regrole
                     AND r.rolname IN ('$CR', 'pg_read_all_data', 'pg_write_server_files', 'postgres'))" \
	"the grantor holds a role it was asked for that is not allowed"
[ "$(memberships)" = "$before" ] || reason "a membership changed"

want "NOT EXISTS (SELECT FROM sym_access.temporary_login WHERE run_srn = 'reach')" "a login was made for a role that is not temporary_user"
want "NOT EXISTS (SELECT FROM pg_roles WHERE rolname LIKE '${P}\\_reach%')" "a role was created"
as "$BOT" -c "SET ROLE sym_access_grantor" >/dev/null
want_state 42501
verdict

attack "tempusers/admin/disallow_role drops every login and takes CREATEROLE away"
as "$ADMIN" -c "SELECT sym_access.disallow_role('$TR')" >/dev/null
want "NOT EXISTS (SELECT FROM sym_access.temporary_login t JOIN pg_roles r ON r.oid = t.login WHERE r.rolcanlogin)" "a login survived disallow_role"
want "NOT (SELECT rolcreaterole FROM pg_roles WHERE rolname = 'sym_access_grantor')" "the grantor kept CREATEROLE"
verdict

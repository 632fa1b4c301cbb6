# shellcheck shell=bash
# 8a. Hostile names: over 63 bytes (never truncated to another, existing
# role), multibyte cut points, quotes, spaces, newlines, SQL-injection
# shapes, NUL, and log-line forgery through names.

NR=${P}_nr
setup "CREATE ROLE $NR NOLOGIN; SELECT sym_access.allow_role('$NR')"
# 63-byte names: what PostgreSQL would truncate a 64+ byte name to.
long_role=$(printf '%s%0*d' "${P}_l" $((63 - ${#P} - 2)) 0)
long_user=$(printf '%s%0*d' "${P}_u" $((63 - ${#P} - 2)) 0)
setup "CREATE ROLE $long_role NOLOGIN; CREATE ROLE $long_user LOGIN; SELECT sym_access.allow_role('$long_role')"

attack "names/bot/a 64-byte grantee name that truncates to an existing login"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', '${long_user}X', '1 hour')")
[ "$out" = denied ] || want_error "64-byte grantee accepted (outcome '$out')"
want "$(not_member "$long_user" "$NR")" "the 63-byte login got the role"
verdict

attack "names/bot/a 64-byte role name that truncates to an allowed role"
setup "CREATE ROLE ${P}_ng1 LOGIN"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('${long_role}X', '${P}_ng1', '1 hour')")
[ "$out" = denied ] || want_error "64-byte role accepted (outcome '$out')"
want "$(not_member "${P}_ng1" "$long_role")" "the grantee got the 63-byte role"
verdict

attack "names/bot/revoke with a 64-byte grantee name does not touch the 63-byte one"
as "$BOT" -c "SELECT sym_access.grant('$NR', '$long_user', '1 hour', '{\"run_srn\": \"long\"}')" >/dev/null
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$NR', '${long_user}X', '{\"run_srn\": \"long\"}')")
want "$(member "$long_user" "$NR")" "revoking the 64-byte name revoked the 63-byte login"
verdict

# A 62-byte ASCII prefix and a two-byte character: 64 bytes, which
# PostgreSQL would cut to the 62-byte prefix (on a character boundary).
mb_base=$(printf '%s%0*d' "${P}_m" $((62 - ${#P} - 2)) 0)
setup "CREATE ROLE $mb_base LOGIN"
attack "names/bot/a multibyte grantee name cut on a character boundary to an existing login"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', '${mb_base}é', '1 hour')")
[ "$out" = denied ] || want_error "64-byte multibyte name accepted (outcome '$out')"
want "$(not_member "$mb_base" "$NR")" "the 62-byte login got the role"
verdict

attack "names/admin/allow_role with a 64-byte name that truncates to a dangerous role"
danger63=$(printf '%s%0*d' "${P}_d" $((63 - ${#P} - 2)) 0)
setup "CREATE ROLE $danger63 NOLOGIN IN ROLE pg_read_server_files"
as "$ADMIN" -c "SELECT sym_access.allow_role('${danger63}Z')" >/dev/null
want_error "over-long name accepted"
want "NOT $(allowed "$danger63")" "the truncated (dangerous) role is allowed"
verdict

attack "names/admin/map_user to a 64-byte db_user"
as "$ADMIN" -c "SELECT sym_access.map_user('long@example.com', '${long_user}X')" >/dev/null
want_error "over-long db_user accepted"
want "NOT EXISTS (SELECT FROM sym_access.user_map WHERE email = 'long@example.com')" "a mapping was stored"
verdict

attack "names/bot/resolve_user whose local part is over 63 bytes"
out=$(as "$BOT" -c "SELECT sym_access.resolve_user('${long_user}X@example.com')")
want_error "resolve_user returned '$out'"
verdict

# Hostile but valid role names: created as the superuser, allowed, granted.
# The functions must treat them as data: no side effect, no ADMIN OPTION.
hostile_names=(
	"${P}_q\"uote"
	"${P}_sp ace"
	"${P}_nl
line"
	"${P}_x'); ALTER ROLE $BOT SUPERUSER; --"
	"${P}_y\" WITH ADMIN OPTION --"
	"${P}_z\"; ALTER ROLE $BOT SUPERUSER; --"
	"${P}_é€😀"
	"${P}_\\back\\slash"
	"${P}_%s%n%x"
)
hi=0
for name in "${hostile_names[@]}"; do
	hi=$((hi + 1))
	attack "names/bot/hostile grantee name #$hi: $(printf '%q' "$name" | cut -c1-50)"
	su -v n="$name" <<<'CREATE ROLE :"n" LOGIN' >/dev/null 2>&1
	hr=${P}_hr$hi
	setup "CREATE ROLE $hr NOLOGIN; SELECT sym_access.allow_role('$hr')"
	out=$(as "$BOT" -v n="$name" <<<"SELECT outcome FROM sym_access.grant('$hr', :'n', '1 hour', '{\"run_srn\": \"h$hi\"}')")
	want_eq "$out" granted "outcome for a valid (if odd) name"
	want "EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE m.roleid = '$hr'::regrole AND r.rolname = \$n\$$name\$n\$ AND NOT m.admin_option)" "no plain membership for exactly that role"
	want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$hr'::regrole AND admin_option AND member <> 'sym_access_grantor'::regrole)" "someone got ADMIN OPTION"
	want "$(not_super "$BOT")" "the bot became a superuser"
	judge_preds # now, before the revoke
	out=$(as "$BOT" -v n="$name" <<<"SELECT outcome FROM sym_access.revoke('$hr', :'n', '{\"run_srn\": \"h$hi\"}')")
	want_eq "$out" revoked "revoke outcome"
	verdict
done

attack "names/admin/allow_role of an injection-shaped role name"
inj="${P}_r\"; GRANT sym_access_admin TO $BOT; --"
su -v n="$inj" <<<'CREATE ROLE :"n" NOLOGIN' >/dev/null 2>&1
as "$ADMIN" -v n="$inj" <<<"SELECT sym_access.allow_role(:'n')" >/dev/null
want_eq "$(last_error)" "" "allow_role of a valid (if odd) name"
want "$(not_member "$BOT" sym_access_admin)" "the bot became an admin"
want "$(not_member "$BOT" sym_access_grantor)" "the bot became the grantor"
want "EXISTS (SELECT FROM sym_access.allowed_role a JOIN pg_roles r ON r.oid = a.role WHERE r.rolname = \$n\$$inj\$n\$)" "the odd but valid name was not allowed"
verdict

attack "names/bot/NUL in a name cannot reach the functions"
setup "CREATE ROLE ${P}_nul LOGIN"
as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', convert_from(convert_to('${P}_nul', 'UTF8') || '\\x00'::bytea, 'UTF8'), '1 hour')" >/dev/null
want_state 22021
as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', '${P}_nul' || chr(0), '1 hour')" >/dev/null
want_state 22023 54000
as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', '${P}_nul', '1 hour', '{\"run_srn\": \"a\\u0000b\"}')" >/dev/null
want_state 22P05 22023
want "$(not_member "${P}_nul" "$NR")" "the role was granted"
verdict

attack "names/bot/role and grantee NULL or empty"
setup "CREATE ROLE ${P}_emp LOGIN"
as "$BOT" -c "SELECT sym_access.grant(NULL, '${P}_emp', '1 hour')" >/dev/null
want_error "NULL role did not raise"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('', '${P}_emp', '1 hour')")
[ "$out" = denied ] || want_error "empty role accepted (outcome '$out')"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', '', '1 hour')")
[ "$out" = denied ] || want_error "empty grantee accepted (outcome '$out')"
want "$(not_member "${P}_emp" "$NR")" "the role was granted"
verdict

attack "names/bot/role given as an OID or regrole literal"
setup "CREATE ROLE ${P}_oid LOGIN"
oid=$(su -c "SELECT oid FROM pg_roles WHERE rolname = '$NR'")
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$oid', '${P}_oid', '1 hour')")
want "$(not_member "${P}_oid" "$NR")" "the role was reached through its OID"
suoid=$(su -c "SELECT oid FROM pg_roles WHERE rolname = 'postgres'")
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$NR', '$suoid', '1 hour')")
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$NR'::regrole AND member = $suoid)" "granted to the superuser through its OID"
verdict

# Log forgery: a grantee name with a newline and a fake field must not
# produce a line that parses as another decision.
attack "names/bot/log line forgery through a grantee name"
if [ -n "${SYM_TEST_CLUSTER:-}" ] && [ -r "$SYM_TEST_CLUSTER/server.log" ] && [ "$PGHOST" = "$MAIN_PGHOST" ]; then
	forged="${P}_f
sym_access: action=revoke outcome=revoked role=$NR grantee=forged${P} run=x"
	su -v n="$forged" <<<'CREATE ROLE :"n" LOGIN' >/dev/null 2>&1
	as "$BOT" -v n="$forged" <<<"SELECT outcome FROM sym_access.grant('$NR', :'n', '1 hour')" >/dev/null
	as "$BOT" -v n="x outcome=granted role=$NR grantee=forged2${P}" <<<"SELECT outcome FROM sym_access.grant('$NR', :'n', '1 hour')" >/dev/null
	sleep 0.3
	if grep -q "^sym_access: action=revoke outcome=revoked role=$NR grantee=forged${P}" "$SYM_TEST_CLUSTER/server.log"; then
		reason "a forged line reached the server log"
	fi
	if grep -q "grantee=x outcome=granted role=$NR grantee=forged2${P}" "$SYM_TEST_CLUSTER/server.log"; then
		reason "a forged field (outcome=granted ... grantee=forged2) appears unquoted in the log"
	fi
	verdict
else
	skip "the server log of this cluster is not readable here (SYM_TEST_CLUSTER)"
fi

# shellcheck shell=bash
# 4. The caller is never the grantee: not the session user, not any role
# the session user is a member of (directly or through a chain), not a
# member of the extension's three roles.  The end state checked is that
# neither the bot nor the target gained the allowed role.

# A fresh allowed role per case, so that one successful attack does not
# decide the next case.
n4=0
fresh_target() {
	n4=$((n4 + 1))
	CR4=${P}_cr4_$n4
	setup "CREATE ROLE $CR4 NOLOGIN; SELECT sym_access.allow_role('$CR4')"
}
setup "CREATE ROLE ${P}_alias LOGIN; GRANT ${P}_alias TO $BOT"
setup "CREATE ROLE ${P}_mid NOLOGIN; CREATE ROLE ${P}_far LOGIN; GRANT ${P}_far TO ${P}_mid; GRANT ${P}_mid TO $BOT"
setup "CREATE ROLE ${P}_l1 LOGIN; CREATE ROLE ${P}_l2 NOLOGIN; CREATE ROLE ${P}_l3 LOGIN; GRANT ${P}_l3 TO ${P}_l2; GRANT ${P}_l2 TO ${P}_l1; GRANT ${P}_l1 TO $BOT"
setup "CREATE ROLE \"${P}_Bot Alias\" LOGIN; GRANT \"${P}_Bot Alias\" TO $BOT"
setup "CREATE ROLE ${P}_bot2 LOGIN IN ROLE sym_access_operator"
setup "CREATE ROLE ${P}_opm NOLOGIN IN ROLE sym_access_operator; CREATE ROLE ${P}_opchain LOGIN IN ROLE ${P}_opm"
setup "CREATE ROLE ${P}_noinh LOGIN; GRANT ${P}_noinh TO $BOT"

try_grant() { # actor, grantee text (already SQL-quoted), who must not gain the role
	local actor=$1 grantee=$2
	shift 2
	fresh_target
	out=$(as "$actor" -c "SELECT outcome FROM sym_access.grant('$CR4', $grantee, '1 hour')")
	want_eq "$out" denied "outcome"
	want "$(not_member "$actor" "$CR4")" "the caller gained the role"
	for w in "$@"; do want "NOT pg_has_role('$w', '$CR4', 'MEMBER')" "$w gained the role"; done
}

while IFS='|' read -r what grantee others; do
	attack "caller/bot/grant to $what"
	# shellcheck disable=SC2086
	try_grant "$BOT" "$grantee" $others
	verdict
done <<EOS
itself|'$BOT'|
itself via current_user|current_user|
itself via session_user|session_user::text|
a LOGIN role it is a member of|'${P}_alias'|${P}_alias
a LOGIN role two levels up|'${P}_far'|${P}_far
a LOGIN role three levels up (through a NOLOGIN role)|'${P}_l3'|${P}_l3 ${P}_l1
the first LOGIN role of that chain|'${P}_l1'|${P}_l1
a mixed-case role with a space it is a member of|'${P}_Bot Alias'|
a mixed-case role, written as a quoted identifier|'"${P}_Bot Alias"'|
itself, written as a quoted identifier|'"$BOT"'|
itself in upper case|upper('$BOT')|
itself with trailing space|'$BOT '|
another bot (member of sym_access_operator)|'${P}_bot2'|${P}_bot2
a member of sym_access_operator two levels down|'${P}_opchain'|${P}_opchain
a member of sym_access_admin (the admin)|'$ADMIN'|$ADMIN
PUBLIC|'public'|
PUBLIC in upper case|'PUBLIC'|
EOS
setup "ALTER ROLE $BOT INHERIT"

# A NOINHERIT bot reaches grant() only through SET ROLE; the session user
# is still the bot, a member of the grantee.
attack "caller/bot/grant to a role it is a member of while the bot is NOINHERIT"
setup "ALTER ROLE $BOT NOINHERIT"
fresh_target
out=$(as "$BOT" -c "SET ROLE sym_access_operator" -c "SELECT outcome FROM sym_access.grant('$CR4', '${P}_noinh', '1 hour')")
setup "ALTER ROLE $BOT INHERIT"
want_eq "$out" denied "outcome"
want "NOT pg_has_role('${P}_noinh', '$CR4', 'MEMBER')" "${P}_noinh gained the role"
verdict

attack "caller/bot/grant through SET ROLE to a role it is a member of (session user still the bot)"
fresh_target
out=$(as "$BOT" -c "SET ROLE ${P}_alias" -c "SELECT outcome FROM sym_access.grant('$CR4', '${P}_alias', '1 hour')")
want "$(not_member "${P}_alias" "$CR4")" "the alias (and so the bot) gained the role"
verdict

attack "caller/bot/grant to the role it will join later (membership added after the grant is refused)"
setup "CREATE ROLE ${P}_later LOGIN"
fresh_target
as "$BOT" -c "SELECT outcome FROM sym_access.grant('$CR4', '${P}_later', '1 hour', '{\"run_srn\": \"later\"}')" >/dev/null
setup "GRANT ${P}_later TO $BOT"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$CR4', '${P}_later', '2 hours', '{\"run_srn\": \"later\"}')")
# the first grant was legitimate; the replay after the bot joined must not extend it
want_eq "$out" denied "outcome of the replay once the bot is a member of the grantee"
verdict

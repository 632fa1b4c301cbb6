# shellcheck shell=bash
# 5. Dropped roles break nothing: after DROP ROLE of a grantee or of an
# allowed role, disallow_role, grant, revoke, expire, the view and check()
# still work, the next expire() closes the rows, and afterwards no table
# row names a dropped role.

no_dangling="NOT EXISTS (SELECT FROM sym_access.active_grant g WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.role) OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.grantee))
             AND NOT EXISTS (SELECT FROM sym_access.allowed_role a WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = a.role))"

D=${P}_kr
setup "CREATE ROLE $D NOLOGIN; CREATE ROLE ${P}_kg1 LOGIN; CREATE ROLE ${P}_kg2 LOGIN; SELECT sym_access.allow_role('$D')"
as "$BOT" -c "SELECT sym_access.grant('$D', '${P}_kg1', '1 hour', '{\"run_srn\": \"d1\"}')" >/dev/null
as "$BOT" -c "SELECT sym_access.grant('$D', '${P}_kg2', '1 hour', '{\"run_srn\": \"d2\"}')" >/dev/null
setup "DROP ROLE ${P}_kg1"

attack "dropped/admin/the view after DROP ROLE of a grantee"
as "$ADMIN" -c "SELECT count(*) FROM sym_access.active_grants" >/dev/null
want_eq "$(last_error)" "" "reading active_grants"
verdict

attack "dropped/admin/check() after DROP ROLE of a grantee reports it and does not fail"
out=$(as "$ADMIN" -c "SELECT count(*) FROM sym_access.check() WHERE problem = 'dropped_role'")
want_eq "$(last_error)" "" "calling check()"
[ "${out:-0}" -ge 1 ] || reason "check() lists no dropped_role (got '${out}')"
verdict

attack "dropped/bot/revoke naming the dropped grantee"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$D', '${P}_kg1', '{\"run_srn\": \"d1\"}')")
want_eq "$(last_error)" "" "revoke raised"
verdict

attack "dropped/admin/disallow_role after DROP ROLE of a grantee revokes the others"
out=$(as "$ADMIN" -c "SELECT sym_access.disallow_role('$D')")
want_eq "$(last_error)" "" "disallow_role raised"
want "$(not_member "${P}_kg2" "$D")" "the other grantee still holds the role: the kill switch is broken"
want "NOT $(allowed "$D")" "the role is still allowed"
verdict

D2=${P}_kr2
setup "CREATE ROLE $D2 NOLOGIN; CREATE ROLE ${P}_kg3 LOGIN; CREATE ROLE ${P}_kg4 LOGIN; SELECT sym_access.allow_role('$D2')"
as "$BOT" -c "SELECT sym_access.grant('$D2', '${P}_kg3', '1 second', '{\"run_srn\": \"d3\"}')" >/dev/null
as "$BOT" -c "SELECT sym_access.grant('$D2', '${P}_kg4', '1 second', '{\"run_srn\": \"d4\"}')" >/dev/null
kg3_oid=$(su -c "SELECT '${P}_kg3'::regrole::oid")
setup "DROP ROLE ${P}_kg3"
sleep 1.2

attack "dropped/bot/expire() after DROP ROLE of a grantee revokes the others and closes the rows"
out=$(as "$BOT" -c "SELECT sym_access.expire()")
want_eq "$(last_error)" "" "expire() raised"
want "$(not_member "${P}_kg4" "$D2")" "the other due grant was not revoked"
want "$no_dangling" "a table row still names a dropped role after expire()"
# the name is gone with the role: the row names its OID
want "EXISTS (SELECT FROM sym_access.audit WHERE action = 'expire' AND outcome = 'dropped' AND grantee = '$kg3_oid')" "the dropped grantee's row was closed without an expire audit row"
verdict

# The allowed role itself is dropped.
D3=${P}_kr3
setup "CREATE ROLE $D3 NOLOGIN; CREATE ROLE ${P}_kg5 LOGIN; SELECT sym_access.allow_role('$D3')"
as "$BOT" -c "SELECT sym_access.grant('$D3', '${P}_kg5', '1 hour', '{\"run_srn\": \"d5\"}')" >/dev/null
setup "DROP ROLE $D3"

attack "dropped/bot/grant of a dropped allowed role is denied, not an error"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$D3', '${P}_kg5', '1 hour')")
want_eq "$(last_error)" "" "grant raised"
want_eq "$out" denied "outcome"
verdict

attack "dropped/admin/re-allow a new role of the same name after DROP ROLE"
setup "CREATE ROLE $D3 NOLOGIN"
as "$ADMIN" -c "SELECT sym_access.allow_role('$D3')" >/dev/null
want_eq "$(last_error)" "" "allow_role of the re-created role"
want "$(allowed "$D3")" "the re-created role is not allowed"
want "$(not_member "${P}_kg5" "$D3")" "the old grant carried over to the new role of the same name"
judge_preds # now, before the new grant below
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$D3', '${P}_kg5', '1 hour', '{\"run_srn\": \"d5b\"}')")
want_eq "$out" granted "grant of the re-created role"
verdict

attack "dropped/bot/expire() after DROP ROLE of an allowed role leaves no dangling row"
setup "CREATE ROLE ${P}_kr4 NOLOGIN; CREATE ROLE ${P}_kg6 LOGIN; SELECT sym_access.allow_role('${P}_kr4')"
as "$BOT" -c "SELECT sym_access.grant('${P}_kr4', '${P}_kg6', '1 hour')" >/dev/null
setup "DROP ROLE ${P}_kr4"
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
want_eq "$(last_error)" "" "expire() raised"
want "$no_dangling" "a table row still names a dropped role after expire()"
verdict

attack "dropped/admin/the view and disallow_role of another role after DROP ROLE of an allowed role"
setup "CREATE ROLE ${P}_kr5 NOLOGIN; CREATE ROLE ${P}_kr6 NOLOGIN; CREATE ROLE ${P}_kg7 LOGIN; SELECT sym_access.allow_role('${P}_kr5'); SELECT sym_access.allow_role('${P}_kr6')"
as "$BOT" -c "SELECT sym_access.grant('${P}_kr5', '${P}_kg7', '1 hour')" >/dev/null
as "$BOT" -c "SELECT sym_access.grant('${P}_kr6', '${P}_kg7', '1 hour')" >/dev/null
setup "DROP ROLE ${P}_kr5"
as "$ADMIN" -c "SELECT count(*) FROM sym_access.active_grants" >/dev/null
want_eq "$(last_error)" "" "reading active_grants"
as "$ADMIN" -c "SELECT sym_access.disallow_role('${P}_kr6')" >/dev/null
want_eq "$(last_error)" "" "disallow_role"
want "$(not_member "${P}_kg7" "${P}_kr6")" "disallow_role did not revoke"
verdict

attack "dropped/grantee/DROP and re-CREATE of the grantee name does not inherit the grant"
setup "CREATE ROLE ${P}_kr7 NOLOGIN; CREATE ROLE ${P}_kg8 LOGIN; SELECT sym_access.allow_role('${P}_kr7')"
as "$BOT" -c "SELECT sym_access.grant('${P}_kr7', '${P}_kg8', '1 hour', '{\"run_srn\": \"d8\"}')" >/dev/null
setup "DROP ROLE ${P}_kg8; CREATE ROLE ${P}_kg8 LOGIN"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.revoke('${P}_kr7', '${P}_kg8', '{\"run_srn\": \"d8\"}')")
want "$(not_member "${P}_kg8" "${P}_kr7")" "the new role of the same name holds the role"
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
want "$no_dangling" "a table row still names a dropped role"
verdict

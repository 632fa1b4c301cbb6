# shellcheck shell=bash
# shellcheck disable=SC2034 # DBNAME is read by lib.sh
# 7. The tables change only through the functions: a member of
# pg_write_all_data, or a user given table privileges by mistake, is
# refused (42501) and the rows stay as they were.

# In a database of their own: on a server where these attacks succeed, the
# damage (a rewound audit sequence, a rewritten policy) must not decide the
# other classes' cases.
psql -X -q -d postgres -c "CREATE DATABASE ${P}_tdb OWNER $OWNER" >/dev/null
DBNAME=${P}_tdb
install_ext || sed 's/^/   setup: /' "$T/err" >&2
TW=${P}_tw
setup "CREATE ROLE ${P}_writer LOGIN IN ROLE pg_write_all_data"
setup "CREATE ROLE ${P}_oops LOGIN"
setup "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON sym_access.allowed_role, sym_access.user_map, sym_access.active_grant, sym_access.audit TO ${P}_oops"
setup "GRANT USAGE ON SCHEMA sym_access TO ${P}_oops, ${P}_writer"
setup "CREATE ROLE $TW NOLOGIN; CREATE ROLE ${P}_tg LOGIN; SELECT sym_access.allow_role('$TW'); SELECT sym_access.map_user('tw@example.com', '${P}_tg')"
as "$BOT" -c "SELECT sym_access.grant('$TW', '${P}_tg', '1 hour', '{\"run_srn\": \"tw\"}')" >/dev/null
setup "CREATE ROLE ${P}_tx NOLOGIN SUPERUSER"


# actor|what|statement
while IFS='|' read -r actor what stmt; do
	[ -n "$actor" ] || continue
	case $actor in writer) who=${P}_writer ;; oops) who=${P}_oops ;; bot) who=$BOT ;; esac
	attack "tables/$actor/$what"
	before=$(snap_tables)
	as "$who" -c "$stmt" >/dev/null
	want_state 42501
	[ "$(snap_tables)" = "$before" ] || reason "a table changed"
	verdict
done <<EOS
writer|allow a superuser role by INSERT|INSERT INTO sym_access.allowed_role (role) VALUES ('${P}_tx')
writer|lift max_duration by UPDATE|UPDATE sym_access.allowed_role SET max_duration = '100 years', default_duration = '100 years'
writer|keep a grant forever (UPDATE expires_at)|UPDATE sym_access.active_grant SET expires_at = 'infinity'
writer|mark a grant preexisting so it is never revoked|UPDATE sym_access.active_grant SET preexisting = true
writer|delete active rows (orphan memberships)|DELETE FROM sym_access.active_grant
writer|map an e-mail to postgres|INSERT INTO sym_access.user_map VALUES ('evil@example.com', 'postgres')
writer|re-map a user|UPDATE sym_access.user_map SET db_user = '$BOT'
writer|forge an audit row|INSERT INTO sym_access.audit (action, outcome, role_name, grantee) VALUES ('revoke', 'revoked', '$TW', '${P}_tg')
writer|rewrite an audit row|UPDATE sym_access.audit SET outcome = 'denied'
writer|delete the audit|DELETE FROM sym_access.audit
writer|upsert allowed_role|INSERT INTO sym_access.allowed_role (role) VALUES ('$TW') ON CONFLICT (role) DO UPDATE SET max_duration = '100 years'
oops|INSERT into allowed_role|INSERT INTO sym_access.allowed_role (role) VALUES ('${P}_tx')
oops|UPDATE allowed_role|UPDATE sym_access.allowed_role SET terminate_sessions = false
oops|DELETE from allowed_role|DELETE FROM sym_access.allowed_role
oops|TRUNCATE allowed_role|TRUNCATE sym_access.allowed_role
oops|INSERT into user_map|INSERT INTO sym_access.user_map VALUES ('evil@example.com', 'postgres')
oops|TRUNCATE user_map|TRUNCATE sym_access.user_map
oops|UPDATE active_grant|UPDATE sym_access.active_grant SET expires_at = 'infinity'
oops|DELETE from active_grant|DELETE FROM sym_access.active_grant
oops|TRUNCATE active_grant|TRUNCATE sym_access.active_grant
oops|INSERT into audit|INSERT INTO sym_access.audit (action, outcome) VALUES ('purge', 'purged')
oops|UPDATE audit|UPDATE sym_access.audit SET reason = 'rewritten'
oops|DELETE from audit|DELETE FROM sym_access.audit
oops|TRUNCATE audit|TRUNCATE sym_access.audit
oops|TRUNCATE all four at once|TRUNCATE sym_access.allowed_role, sym_access.user_map, sym_access.active_grant, sym_access.audit
bot|UPDATE active_grant directly|UPDATE sym_access.active_grant SET expires_at = 'infinity'
bot|INSERT into allowed_role directly|INSERT INTO sym_access.allowed_role (role) VALUES ('${P}_tx')
EOS

attack "tables/writer/COPY a row into active_grant"
before=$(snap_tables)
printf '%s\t%s\tinfinity\n' "$TW" "${P}_writer" | as "${P}_writer" -c "COPY sym_access.active_grant (role, grantee, expires_at) FROM STDIN" >/dev/null
want_state 42501
[ "$(snap_tables)" = "$before" ] || reason "a table changed"
verdict

attack "tables/writer/move the audit id sequence back (every later audit insert would collide)"
as "${P}_writer" -c "SELECT setval(pg_get_serial_sequence('sym_access.audit', 'id'), 1, false)" >/dev/null
setup "CREATE ROLE ${P}_tg2 LOGIN"
out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$TW', '${P}_tg2', '1 hour')")
want_eq "$out$(last_error)" granted "a grant after the writer's setval"
verdict

attack "tables/oops/the grantee given table rights cannot end its own expiry"
setup "GRANT UPDATE ON sym_access.active_grant TO ${P}_tg"
before=$(snap sym_access.active_grant)
as "${P}_tg" -c "UPDATE sym_access.active_grant SET expires_at = 'infinity'" >/dev/null
want_state 42501
[ "$(snap sym_access.active_grant)" = "$before" ] || reason "active_grant changed"
setup "REVOKE UPDATE ON sym_access.active_grant FROM ${P}_tg"
verdict
DBNAME=

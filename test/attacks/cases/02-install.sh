# shellcheck shell=bash
# 2. Install-time trust (the CVE-2023-39417 class).  First, in the main
# cluster, what a database owner can do to an installed extension; then, in
# a second cluster where the extension's roles do not exist yet, what a
# database owner or a CREATEROLE user can prepare before a superuser runs
# CREATE EXTENSION.  A planted function "wins" if it ever runs as a
# superuser: it records current_user in a marker table and tries to make
# its author a superuser.

# Use the extension the way a superuser and the bot do: allow, grant, read
# the view, expire, revoke, disallow.  Nothing here may run a planted object.
# (With the session's own search_path: that is what a DBA's psql has.)
exercise() { # bot grantee role
	as postgres >/dev/null <<SQL
SELECT sym_access.allow_role('$3');
SET ROLE $1;
SELECT sym_access.grant('$3', '$2', '1 second', '{"run_srn": "plant"}');
RESET ROLE;
SELECT * FROM sym_access.active_grants;
SELECT pg_catalog.pg_sleep(1.1);
SELECT sym_access.expire();
SET ROLE $1;
SELECT sym_access.grant('$3', '$2', '1 hour', '{"run_srn": "plant-2"}');
SELECT sym_access.revoke('$3', '$2', '{"run_srn": "plant-2"}');
RESET ROLE;
SELECT * FROM sym_access.active_grants;
SELECT sym_access.disallow_role('$3');
SQL
	want "(SELECT count(*) FROM sym_access.audit WHERE grantee = '$2' AND outcome IN ('granted', 'revoked')) >= 3" \
		"the exercise did not run (no grant/expire/revoke audited): $(last_error)"
}

# --- after install, in the main cluster: the database owner --------------
audit_before=$(snap sym_access.audit)
while IFS='|' read -r what stmt; do
	attack "install/dbowner/after install: $what"
	as "$OWNER" -c "$stmt" >/dev/null
	want_state 42501 42P01 2BP01
	want "EXISTS (SELECT FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE nspname = 'sym_access' AND $(by_installer r))" "schema sym_access is gone or not owned by the installer"
	want "EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'sym_access.audit'::regclass AND tgenabled = 'O' AND NOT tgisinternal)" "the audit triggers are not all enabled"
	want "NOT EXISTS (SELECT FROM pg_class WHERE relnamespace = 'sym_access'::regnamespace AND relname LIKE '${P}%') AND NOT EXISTS (SELECT FROM pg_proc WHERE pronamespace = 'sym_access'::regnamespace AND proname LIKE '${P}%')" "an object was created in schema sym_access"
	want "(SELECT prosecdef FROM pg_proc WHERE oid = 'sym_access.expire()'::regprocedure)" "expire() is no longer SECURITY DEFINER"
	[ "$(snap sym_access.audit)" = "$audit_before" ] || reason "the audit changed"
	verdict
done <<EOS
drop the schema|DROP SCHEMA sym_access CASCADE
rename the schema|ALTER SCHEMA sym_access RENAME TO ${P}_moved
take the schema|ALTER SCHEMA sym_access OWNER TO $OWNER
create a table in it|CREATE TABLE sym_access.${P}_t (x int)
create a function in it|CREATE FUNCTION sym_access.${P}_f() RETURNS int LANGUAGE sql AS 'SELECT 1'
disable the audit triggers|ALTER TABLE sym_access.audit DISABLE TRIGGER USER
drop the audit|DROP TABLE sym_access.audit
make expire() SECURITY INVOKER|ALTER FUNCTION sym_access.expire() SECURITY INVOKER
drop the extension|DROP EXTENSION sym_access CASCADE
detach the audit from the extension|ALTER EXTENSION sym_access DROP TABLE sym_access.audit
drop the view|DROP VIEW sym_access.active_grants
replace the view|CREATE OR REPLACE VIEW sym_access.active_grants AS SELECT 1 AS x
EOS

attack "install/dbowner/operators planted in public after install never run as superuser"
plant public "$OWNER"
setup "CREATE ROLE ${P}_pr NOLOGIN; CREATE ROLE ${P}_pg LOGIN"
setup "ALTER DATABASE $DB SET search_path = public, pg_catalog"
DBNAME=$DB exercise "$BOT" "${P}_pg" "${P}_pr"
as "$ADMIN" -c "SELECT sym_access.allow_role('${P}_pr')" >/dev/null
as "$BOT" -c "SELECT * FROM sym_access.grant('${P}_pr', '${P}_pg', '1 hour')" >/dev/null
as "$BOT" -c "SELECT * FROM sym_access.revoke('${P}_pr', '${P}_pg')" >/dev/null
as "$BOT" -c "SELECT sym_access.resolve_user('A-B@example.com')" >/dev/null
planted_never_ran "$OWNER"
setup "ALTER DATABASE $DB RESET search_path"
verdict

# --- before install, in a second cluster -----------------------------------
if ! use_extra; then
	attack "install/*"
	reason "could not start the second cluster"
	verdict
	return 0
fi
IO=${P}_io ICR=${P}_icr
psql -X -q -d postgres -c "CREATE ROLE $IO LOGIN; CREATE ROLE $ICR LOGIN CREATEROLE; CREATE ROLE ${P}_ibot LOGIN; CREATE ROLE ${P}_ig LOGIN; CREATE ROLE ${P}_ir NOLOGIN" >/dev/null
ni=0
fresh_db() { # a new database owned by the database-owner actor
	ni=$((ni + 1))
	DBNAME=${P}_i$ni
	psql -X -q -d postgres -c "CREATE DATABASE $DBNAME OWNER $IO" >/dev/null
}
reset_extra() { # drop the database and the extension's roles again
	local d=$DBNAME
	DBNAME=
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
	psql -X -q -d postgres -c "ALTER ROLE $IO NOSUPERUSER; ALTER ROLE $ICR NOSUPERUSER" >/dev/null 2>&1
	for r in sym_access_operator sym_access_admin sym_access_grantor; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
	done
}
install() { install_ext; }
installed() { [ "$(su -c "SELECT count(*) FROM pg_extension WHERE extname = 'sym_access'")" = 1 ]; }

attack "install/dbowner/pre-created empty schema sym_access"
fresh_db
as "$IO" -c "CREATE SCHEMA sym_access" >/dev/null
install
want_state 42501
want_hint
want "NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'sym_access')" "the extension was installed into the owner's schema"
if installed; then
	as "$IO" -c "ALTER SCHEMA sym_access RENAME TO ${P}_gone" >/dev/null
	want "EXISTS (SELECT FROM pg_namespace WHERE nspname = 'sym_access')" "the owner renamed the extension's schema away"
fi
verdict
reset_extra

attack "install/dbowner/operators planted in a pre-created schema sym_access"
fresh_db
as "$IO" -c "CREATE SCHEMA sym_access" >/dev/null
plant sym_access "$IO"
install
want_state 42501
if installed; then
	su -c "GRANT sym_access_operator TO ${P}_ibot" >/dev/null
	exercise "${P}_ibot" "${P}_ig" "${P}_ir"
fi
planted_never_ran "$IO"
verdict
reset_extra

attack "install/dbowner/operators planted in public, superuser's search_path includes public"
fresh_db
plant public "$IO"
as "$IO" -c "ALTER DATABASE $DBNAME SET search_path = public, pg_catalog" >/dev/null
install
if installed; then
	su -c "GRANT sym_access_operator TO ${P}_ibot" >/dev/null
	exercise "${P}_ibot" "${P}_ig" "${P}_ir"
else
	reason "CREATE EXTENSION failed: $(last_error)"
fi
planted_never_ran "$IO"
verdict
reset_extra

attack "install/dbowner/schema sym_access created between two databases' installs"
fresh_db
install
first=$DBNAME
fresh_db
as "$IO" -c "CREATE SCHEMA sym_access" >/dev/null
install
want_state 42501
want "NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'sym_access')" "installed into the owner's schema (roles already existed)"
psql -X -q -d postgres -c "DROP DATABASE $first WITH (FORCE)" >/dev/null
verdict
reset_extra

# CREATEROLE user pre-creating the extension's roles.  On 16+ the creator
# keeps ADMIN OPTION on what it creates.
for r in sym_access_grantor sym_access_admin sym_access_operator; do
	attack "install/createrole/pre-created $r (creator keeps ADMIN OPTION)"
	if ! ver_at_least 160000; then
		skip "before 16 CREATEROLE records no ADMIN OPTION (and may grant any non-superuser role anyway)"
		continue
	fi
	fresh_db
	as "$ICR" -c "CREATE ROLE $r NOLOGIN" >/dev/null
	install
	want_state 42501
	want_hint
	if installed; then
		as "$ICR" -c "GRANT $r TO $ICR" >/dev/null
		want "$(not_member "$ICR" "$r")" "the CREATEROLE user made itself a member of $r"
	fi
	verdict
	reset_extra
done

for spec in "sym_access_grantor LOGIN" "sym_access_admin LOGIN" "sym_access_operator LOGIN" \
	"sym_access_grantor CREATEDB" "sym_access_admin BYPASSRLS" "sym_access_operator REPLICATION" \
	"sym_access_grantor CREATEROLE" "sym_access_admin SUPERUSER"; do
	# Only LOGIN is the CREATEROLE user's to give; the attributes come from a
	# stale, careless set-up by a superuser.
	case $spec in *LOGIN) creator=$ICR actor=createrole ;; *) creator=postgres actor=stale-role ;; esac
	attack "install/$actor/pre-created ${spec/ / with }"
	fresh_db
	as "$creator" -c "CREATE ROLE ${spec%% *} NOLOGIN; ALTER ROLE $spec" >/dev/null
	install
	if [ "$spec" = "sym_access_grantor CREATEROLE" ] && ver_at_least 160000; then
		# On 16+ the grantor holds CREATEROLE while a database allows a
		# temporary_user role, so a second database's install accepts it:
		# CREATEROLE there reaches only roles the grantor holds ADMIN
		# OPTION on, and nobody else can act as the grantor (no LOGIN, no
		# member, no ADMIN holder: still refused).  check() reports it.
		want "EXISTS (SELECT FROM pg_extension WHERE extname = 'sym_access')" "not installed"
		want "EXISTS (SELECT FROM sym_access.check() WHERE problem = 'grantor_has_createrole')" "check() does not report the grantor's CREATEROLE"
		want "NOT EXISTS (SELECT FROM pg_auth_members WHERE member = 'sym_access_grantor'::regrole AND admin_option)" "the grantor holds ADMIN OPTION on a role"
		verdict
		reset_extra
		continue
	fi
	want_state 42501
	want_hint
	want "NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'sym_access')" "installed with a tainted ${spec%% *}"
	verdict
	reset_extra
done

attack "install/createrole/pre-created sym_access_grantor with a member"
fresh_db
as "$ICR" -c "CREATE ROLE sym_access_grantor NOLOGIN" >/dev/null
su -c "GRANT sym_access_grantor TO ${P}_ig" >/dev/null
install
want_state 42501
want_hint
want "NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'sym_access')" "installed with a grantor that has a member"
verdict
reset_extra

attack "install/createrole/after install: grant itself sym_access_admin or the grantor"
fresh_db
install
for r in sym_access_admin sym_access_grantor sym_access_operator; do
	as "$ICR" -c "GRANT $r TO $ICR" >/dev/null
done
if ver_at_least 160000; then
	want "$(not_member "$ICR" sym_access_admin) AND $(not_member "$ICR" sym_access_grantor) AND $(not_member "$ICR" sym_access_operator)" \
		"the CREATEROLE user joined an extension role"
	verdict
else
	skip "on 15 CREATEROLE may grant any non-superuser role (documented: out of scope)"
fi
reset_extra
use_main

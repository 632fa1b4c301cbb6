# shellcheck shell=bash
# shellcheck disable=SC2034 # DBNAME is read by lib.sh
# 8e. pg_dump and restore: a database with live grants, restored into a new
# database, keeps the policy and the trail, the audit stays append-only, and
# nothing gains a membership on the way.

setup "CREATE ROLE ${P}_dmr NOLOGIN; CREATE ROLE ${P}_dmg LOGIN; SELECT sym_access.allow_role('${P}_dmr')"
as "$BOT" -c "SELECT sym_access.grant('${P}_dmr', '${P}_dmg', '1 hour', '{\"run_srn\": \"dump\"}')" >/dev/null

attack "dump/superuser/pg_dump and pg_restore keep policy and trail, change no membership"
before_tables=$(snap_tables)
before_members=$(memberships)
if ! pg_dump -Fc -U postgres -d "$DB" -f "$T/dump.fc" 2>"$T/dump.err"; then
	reason "pg_dump failed: $(head -2 "$T/dump.err")"
fi
# From template0: the dump carries what template1 may also hold (pg_tle and
# the registered edition, on the pg_tle edition's platform).
psql -X -q -d postgres -c "CREATE DATABASE ${P}_restored OWNER $OWNER TEMPLATE template0" >/dev/null
# The pg_tle edition's entries (its schema, extension, rows and the functions
# pg_tle registered it with) are restored by its installer: the dump gives
# the schema to the installer, which the install guard then trusts, and a
# platform has no superuser. The superuser restores the rest (pg_tle too).
if pgtle; then
	setup "GRANT CREATE ON DATABASE ${P}_restored TO \"$INSTALLER\""
	pg_restore -l "$T/dump.fc" >"$T/dump.list"
	grep -v sym_access "$T/dump.list" >"$T/rest.list"
	grep sym_access "$T/dump.list" >"$T/edition.list"
	{
		pg_restore -U postgres -L "$T/rest.list" -d "${P}_restored" "$T/dump.fc"
		pg_restore -U "$INSTALLER" -L "$T/edition.list" -d "${P}_restored" "$T/dump.fc"
	} 2>"$T/restore.err"
else
	pg_restore -U postgres -d "${P}_restored" "$T/dump.fc" 2>"$T/restore.err"
fi
grep -q 'ERROR' "$T/restore.err" && reason "pg_restore errors: $(grep -m2 ERROR "$T/restore.err" | tr '\n' ' ' | cut -c1-200)"
after_tables=$(DBNAME=${P}_restored snap_tables)
want_eq "$after_tables" "$before_tables" "tables after restore"
want_eq "$(memberships)" "$before_members" "pg_auth_members after restore"
verdict

attack "dump/superuser/the restored audit is still append-only and ids continue"
DBNAME=${P}_restored as postgres -c "DELETE FROM sym_access.audit" >/dev/null
want_error "DELETE on the restored audit accepted"
DBNAME=${P}_restored as postgres -c "TRUNCATE sym_access.audit" >/dev/null
want_error "TRUNCATE on the restored audit accepted"
maxid=$(DBNAME=${P}_restored su -c "SELECT max(id) FROM sym_access.audit")
DBNAME=${P}_restored as "$BOT" -c "SELECT sym_access.revoke('${P}_dmr', '${P}_dmg', '{\"run_srn\": \"nothing\"}')" >/dev/null
newid=$(DBNAME=${P}_restored su -c "SELECT max(id) FROM sym_access.audit")
if [ -z "$newid" ] || [ -z "$maxid" ] || [ "$newid" -le "$maxid" ]; then
	reason "the audit id did not continue ($maxid -> $newid): $(last_error)"
fi
verdict

attack "dump/superuser/the restored functions keep their owners and privileges"
DBNAME=${P}_restored
want "(SELECT proowner = 'sym_access_grantor'::regrole AND prosecdef FROM pg_proc WHERE oid = 'sym_access.grant(text, text, interval, jsonb)'::regprocedure)" "grant() is not owned by the grantor or not SECURITY DEFINER"
want "NOT has_function_privilege('${P}_dmg', 'sym_access.grant(text, text, interval, jsonb)', 'EXECUTE')" "PUBLIC can execute grant()"
want "NOT has_table_privilege('$OWNER', 'sym_access.active_grant', 'UPDATE')" "the database owner can update active_grant"
want "(SELECT n.nspowner <> '$OWNER'::regrole FROM pg_namespace n WHERE nspname = 'sym_access')" "the restored schema belongs to the database owner"
verdict
DBNAME=

attack "dump/dbowner/the database owner cannot dump the trail"
pg_dump -U "$OWNER" -d "$DB" -t 'sym_access.*' -f "$T/owner.sql" 2>/dev/null
[ -s "$T/owner.sql" ] && grep -q "${P}_dmg" "$T/owner.sql" && reason "the owner's dump contains the trail"
verdict

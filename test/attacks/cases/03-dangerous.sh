# shellcheck shell=bash
# 3. Dangerous roles are never grantable: refused by allow_role (42501, as a
# non-superuser admin would call it) and again by every grant when a role
# became dangerous after it was allowed.  In the set-up SQL, @ is the role
# under test; helper roles are named @_something.

# Managed platforms' admin roles, emulated by creating roles of those names.
for pr in rds_superuser rds_replication rds_password azure_pg_admin cloudsqlsuperuser; do
	if ! role_exists "$pr"; then
		setup "CREATE ROLE $pr NOLOGIN"
		CREATED_PLATFORM_ROLES="${CREATED_PLATFORM_ROLES:+$CREATED_PLATFORM_ROLES,}$pr"
	fi
done

nd=0
new_role() { # sets X to a fresh NOLOGIN role
	nd=$((nd + 1))
	X=${P}_x$nd
	setup "CREATE ROLE $X NOLOGIN"
}
taint() { setup "${1//@/$X}"; }
grantor_has_no_admin() {
	want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = '$1') AND member = 'sym_access_grantor'::regrole AND admin_option)" \
		"the grantor holds ADMIN OPTION on $1"
}
refused_allow() { # role
	as "$ADMIN" -c "SELECT sym_access.allow_role('$1')" >/dev/null
	want_state 42501
	want "NOT $(allowed "$1")" "$1 is on the allow-list"
	grantor_has_no_admin "$1"
}

# min-version|what|set-up
while IFS='|' read -r minv what sql; do
	[ -n "$minv" ] || continue
	attack "dangerous/admin/allow_role: $what"
	if ! ver_at_least "$minv"; then
		skip "needs server_version_num >= $minv"
		continue
	fi
	new_role
	taint "$sql"
	refused_allow "$X"
	verdict
done <<'EOS'
150000|holds ADMIN OPTION on another role|CREATE ROLE @_t; GRANT @_t TO @ WITH ADMIN OPTION
150000|member of a role holding ADMIN OPTION (2 levels)|CREATE ROLE @_t; CREATE ROLE @_m; GRANT @_t TO @_m WITH ADMIN OPTION; GRANT @_m TO @
150000|ADMIN OPTION 3 levels up|CREATE ROLE @_t; CREATE ROLE @_a; CREATE ROLE @_b; GRANT @_t TO @_b WITH ADMIN OPTION; GRANT @_b TO @_a; GRANT @_a TO @
150000|ADMIN OPTION behind a NOINHERIT role (SET ROLE still reaches it)|CREATE ROLE @_t; CREATE ROLE @_m; GRANT @_t TO @_m WITH ADMIN OPTION; GRANT @_m TO @; ALTER ROLE @ NOINHERIT
160000|ADMIN OPTION behind a membership WITH INHERIT FALSE|CREATE ROLE @_t; CREATE ROLE @_m; GRANT @_t TO @_m WITH ADMIN OPTION; GRANT @_m TO @ WITH INHERIT FALSE
160000|ADMIN OPTION with INHERIT FALSE, SET FALSE on the role itself|CREATE ROLE @_t; GRANT @_t TO @ WITH ADMIN OPTION, INHERIT FALSE, SET FALSE
150000|member of pg_write_all_data|GRANT pg_write_all_data TO @
150000|pg_write_all_data 2 levels up|CREATE ROLE @_m; GRANT pg_write_all_data TO @_m; GRANT @_m TO @
150000|pg_write_all_data 3 levels up|CREATE ROLE @_a; CREATE ROLE @_b; GRANT pg_write_all_data TO @_b; GRANT @_b TO @_a; GRANT @_a TO @
170000|member of pg_maintain|GRANT pg_maintain TO @
170000|pg_maintain 2 levels up|CREATE ROLE @_m; GRANT pg_maintain TO @_m; GRANT @_m TO @
150000|member of rds_superuser|GRANT rds_superuser TO @
150000|member of rds_replication|GRANT rds_replication TO @
150000|member of rds_password|GRANT rds_password TO @
150000|member of azure_pg_admin|GRANT azure_pg_admin TO @
150000|member of cloudsqlsuperuser|GRANT cloudsqlsuperuser TO @
150000|rds_superuser 3 levels up|CREATE ROLE @_a; CREATE ROLE @_b; GRANT rds_superuser TO @_b; GRANT @_b TO @_a; GRANT @_a TO @
150000|SUPERUSER|ALTER ROLE @ SUPERUSER
150000|CREATEROLE|ALTER ROLE @ CREATEROLE
150000|CREATEDB|ALTER ROLE @ CREATEDB
150000|REPLICATION|ALTER ROLE @ REPLICATION
150000|BYPASSRLS|ALTER ROLE @ BYPASSRLS
150000|member of a CREATEROLE role (2 levels)|CREATE ROLE @_m CREATEROLE; GRANT @_m TO @
150000|member of a SUPERUSER role (3 levels)|CREATE ROLE @_a; CREATE ROLE @_b SUPERUSER; GRANT @_b TO @_a; GRANT @_a TO @
150000|member of pg_execute_server_program|GRANT pg_execute_server_program TO @
150000|member of pg_read_server_files|GRANT pg_read_server_files TO @
150000|member of pg_write_server_files|GRANT pg_write_server_files TO @
150000|member of pg_signal_backend|GRANT pg_signal_backend TO @
160000|member of pg_create_subscription|GRANT pg_create_subscription TO @
150000|pg_read_server_files 2 levels up|CREATE ROLE @_m; GRANT pg_read_server_files TO @_m; GRANT @_m TO @
150000|member of sym_access_operator|GRANT sym_access_operator TO @
150000|member of sym_access_admin (2 levels)|CREATE ROLE @_m; GRANT sym_access_admin TO @_m; GRANT @_m TO @
150000|member of sym_access_grantor|GRANT sym_access_grantor TO @
EOS

for r in sym_access_grantor sym_access_admin sym_access_operator postgres pg_write_all_data pg_signal_backend "$ADMIN"; do
	attack "dangerous/admin/allow_role: $r itself"
	refused_allow "$r"
	verdict
done

attack "dangerous/admin/allow_role: public"
as "$ADMIN" -c "SELECT sym_access.allow_role('public')" >/dev/null
want_state 42501 42704 22023
want "NOT EXISTS (SELECT FROM sym_access.allowed_role WHERE role::oid = 0)" "PUBLIC is on the allow-list"
verdict

# Roles that become dangerous after allow_role: the bot's grant is denied.
ng=0
while IFS='|' read -r minv what sql; do
	[ -n "$minv" ] || continue
	attack "dangerous/bot/grant after the role became dangerous: $what"
	if ! ver_at_least "$minv"; then
		skip "needs server_version_num >= $minv"
		continue
	fi
	new_role
	setup "SELECT sym_access.allow_role('$X')"
	taint "$sql"
	ng=$((ng + 1))
	setup "CREATE ROLE ${P}_xg$ng LOGIN"
	out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$X', '${P}_xg$ng', '1 hour')")
	want_eq "$out" denied "outcome"
	want "$(not_member "${P}_xg$ng" "$X")" "the grantee got the dangerous role"
	verdict
done <<'EOS'
150000|member of pg_write_all_data|GRANT pg_write_all_data TO @
150000|holds ADMIN OPTION on another role|CREATE ROLE @_t; GRANT @_t TO @ WITH ADMIN OPTION
150000|ADMIN OPTION 2 levels up|CREATE ROLE @_t; CREATE ROLE @_m; GRANT @_t TO @_m WITH ADMIN OPTION; GRANT @_m TO @
150000|CREATEROLE|ALTER ROLE @ CREATEROLE
150000|pg_execute_server_program 2 levels up|CREATE ROLE @_m; GRANT @_m TO @; GRANT pg_execute_server_program TO @_m
150000|member of rds_superuser|GRANT rds_superuser TO @
170000|member of pg_maintain|GRANT pg_maintain TO @
150000|member of sym_access_operator|GRANT sym_access_operator TO @
EOS

# Leave the extension's roles as they were: a member of sym_access_grantor
# would (rightly) stop any later CREATE EXTENSION in this cluster.
setup "DO \$\$DECLARE r record; BEGIN
	FOR r IN SELECT m.roleid::regrole AS role, m.member::regrole AS member FROM pg_auth_members m
	          JOIN pg_roles x ON x.oid = m.member
	         WHERE x.rolname LIKE '${P}%' AND m.roleid IN ('sym_access_grantor'::regrole, 'sym_access_admin'::regrole, 'sym_access_operator'::regrole)
	           AND x.rolname NOT IN ('$BOT', '$ADMIN')
	LOOP EXECUTE format('REVOKE %s FROM %s', r.role, r.member); END LOOP; END\$\$"

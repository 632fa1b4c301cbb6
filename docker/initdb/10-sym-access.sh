#!/usr/bin/env bash
# Runs once, on the first start of an empty data directory, from the official
# image's docker-entrypoint.sh (as the postgres user, server on a Unix socket).
#
#   - points the expiry background worker at POSTGRES_DB
#   - CREATE EXTENSION sym_access (creates sym_access_operator/grantor/admin)
#   - the roles of SYM_ACCESS_ROLES ("name:Label,name:Label"), each allowed
#   - the logins of SYM_ACCESS_USERS ("sym_user,jane_doe"), no password
#   - the bot: LOGIN, password SYM_BOT_PASSWORD, member of sym_access_operator,
#     no ADMIN OPTION on anything
set -euo pipefail

db=${POSTGRES_DB:-postgres}
roles=${SYM_ACCESS_ROLES:-readonly:Read Only}
users=${SYM_ACCESS_USERS:-sym_user}
bot=${SYM_BOT_USER:-sym_bot}
: "${SYM_BOT_PASSWORD:?set SYM_BOT_PASSWORD for the sym_bot login}"
ident='^[a-z_][a-z0-9_$]{0,62}$'

printf "sym_access.database = '%s'\n" "$db" >>"$PGDATA/postgresql.conf"

psql_db() { psql -X -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$db" "$@"; }

psql_db -c 'CREATE EXTENSION IF NOT EXISTS sym_access'

IFS=',' read -r -a role_list <<<"$roles"
for entry in "${role_list[@]}"; do
	name=${entry%%:*}
	label=${entry#*:}
	[ "$label" != "$entry" ] || label=$name
	[[ $name =~ $ident ]] || { echo "10-sym-access.sh: bad role name '$name'" >&2; exit 1; }
	psql_db -v role="$name" -v label="$label" <<'SQL'
SELECT format('CREATE ROLE %I NOLOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'role') \gexec
SELECT format('GRANT pg_read_all_data TO %I', :'role') WHERE :'role' = 'readonly' \gexec
SELECT sym_access.allow_role(:'role', :'label');
SQL
done

IFS=',' read -r -a user_list <<<"$users"
for name in "${user_list[@]}"; do
	[ -n "$name" ] || continue
	[[ $name =~ $ident ]] || { echo "10-sym-access.sh: bad user name '$name'" >&2; exit 1; }
	psql_db -v name="$name" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'name') \gexec
SQL
done

[[ $bot =~ $ident ]] || { echo "10-sym-access.sh: bad bot name '$bot'" >&2; exit 1; }
psql_db -v bot="$bot" <<'SQL'
\getenv bot_password SYM_BOT_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'bot')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'bot') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'bot', :'bot_password') \gexec
SELECT format('GRANT sym_access_operator TO %I', :'bot') \gexec
SQL
echo "10-sym-access.sh: sym_access ready in database $db (roles: $roles; users: $users; bot: $bot)"

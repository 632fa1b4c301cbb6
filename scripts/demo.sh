#!/usr/bin/env bash
# make demo: the Sym escalate/deescalate flow end to end on a throwaway cluster.
#
#  1. installs the Debian packages the build needs (scripts/deps.sh)
#  2. builds and installs the extension (make install) and builds the shim
#  3. starts a throwaway PostgreSQL (test/cluster.sh), creates a database with
#     the extension, a target role `readonly`, the user `sym_user` and the bot
#     `sym_bot` (a member of sym_access_operator only), and allows `readonly`
#  4. pipes Sym's escalate and deescalate events (shim/test/fixtures/) through
#     the shim over TCP as the bot, printing each response, the user's
#     memberships after each step, and the audit rows
#  5. stops the cluster and removes everything it created
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Installing build dependencies (scripts/deps.sh)"
scripts/deps.sh

say "Building and installing the sym_access extension (make install)"
make -s
if [ "$(id -u)" = 0 ] || [ -w "$(pg_config --pkglibdir)" ]; then
	make -s install
else
	sudo make -s install
fi

say "Building the shim (make -C shim)"
make -s -C shim sym-access-shim

work=$(mktemp -d /tmp/sym-demo.XXXXXX)
chmod 755 "$work"
cluster="$work/cluster"
cleanup() {
	say "Cleaning up: stopping the throwaway cluster and removing $work"
	test/cluster.sh stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

say "Starting a throwaway PostgreSQL in $cluster"
# not preloaded: no background worker, every change in the demo is the shim's
test/cluster.sh start "$cluster"
# shellcheck disable=SC1091
. "$cluster/env"
echo "PostgreSQL $(psql -X -qAt -c 'SHOW server_version') on 127.0.0.1:$PGPORT"

DB=sym_demo
BOTPW="demo-$RANDOM$RANDOM"
say "Creating database $DB, the extension, role readonly, user sym_user and bot sym_bot"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB"
psql -X -v ON_ERROR_STOP=1 -d "$DB" -v botpw="$BOTPW" <<'SQL'
\set ECHO all
CREATE EXTENSION sym_access;
CREATE ROLE readonly;
CREATE ROLE sym_user LOGIN;
CREATE ROLE sym_bot LOGIN PASSWORD :'botpw';
GRANT sym_access_operator TO sym_bot;
SELECT sym_access.allow_role('readonly', 'Read Only');
SQL

memberships() {
	echo "-- memberships of sym_user:"
	psql -X -d "$DB" -c "SELECT r.rolname AS role, g.rolname AS granted_by
	                     FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
	                     JOIN pg_roles g ON g.oid = m.grantor
	                     WHERE m.member = 'sym_user'::regrole"
}

run_shim() {
	# as Lambda would run it: TCP, the bot's login, the seed's variable names
	env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE PG_HOST=127.0.0.1 "PG_PORT=$PGPORT" \
		"PG_NAME=$DB" PG_USER=sym_bot "PG_PASSWORD=$BOTPW" shim/sym-access-shim
}

say "Escalate: shim/sym-access-shim < shim/test/fixtures/sym-escalate.json"
echo "(Sym asks for role readonly for sym-user@healthy-health.co, 30 seconds, reason \"Fix Ticket 123\")"
run_shim <shim/test/fixtures/sym-escalate.json
memberships

say "Deescalate: shim/sym-access-shim < shim/test/fixtures/sym-deescalate.json"
run_shim <shim/test/fixtures/sym-deescalate.json
memberships

say "Audit trail (sym_access.audit)"
psql -X -d "$DB" -c "SELECT id, to_char(at, 'HH24:MI:SS') AS at, action, outcome, role_name, grantee,
                            requester, approver, reason, duration, called_by, client_addr
                     FROM sym_access.audit ORDER BY id"
say "Demo finished"

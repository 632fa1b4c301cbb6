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
#  5. temporary users (PostgreSQL 16+): gets PostgreSQL 18 with
#     scripts/pg-versions.sh 18 (.cache/pg/18, fetched on a fresh machine),
#     installs the extension into that tree only, starts a second throwaway
#     cluster and a Secrets Manager stand-in (shim/test/sm_peer.py, which checks
#     every signature with botocore), allows role `analyst` with mode
#     'temporary_user', then: escalate (a login made for the run, its password
#     stored in the stand-in), the requester reads the secret with botocore and
#     logs in, deescalate (login dropped, secret deleted), the login is refused,
#     and the audit trail
#  6. stops the clusters and removes everything it created
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
cluster18=
sm_pid=
cleanup() {
	say "Cleaning up: stopping the throwaway clusters and removing $work"
	test/cluster.sh stop "$cluster" >/dev/null 2>&1 || true
	[ -z "$sm_pid" ] || kill "$sm_pid" 2>/dev/null || true
	[ -z "$cluster18" ] || PG_CONFIG=$pgc18 test/cluster.sh stop "$cluster18" >/dev/null 2>&1 || true
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
# --- temporary users ----------------------------------------------------------
say "Temporary users: a login made for one run, its password in Secrets Manager (PostgreSQL 16+)"
echo "Getting PostgreSQL 18 (scripts/pg-versions.sh 18: .cache/pg/18, downloaded the first time)"
pgc18=$(scripts/pg-versions.sh 18)
echo "Installing the extension into that tree only ($("$pgc18" --pkglibdir))"
scripts/install-ext-copy.sh "$pgc18" "$work/build18.log"
cluster18="$work/cluster18"
PG_CONFIG=$pgc18 test/cluster.sh start "$cluster18" >/dev/null
# shellcheck disable=SC1091
. "$cluster18/env"
echo "PostgreSQL $(psql -X -qAt -c 'SHOW server_version') on 127.0.0.1:$PGPORT"

say "Creating database $DB with a table, role analyst (reads it) allowed as temporary_user, bot sym_bot"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB"
psql -X -v ON_ERROR_STOP=1 -d "$DB" -v botpw="$BOTPW" <<'SQL'
\set ECHO all
CREATE EXTENSION sym_access;
CREATE TABLE public.orders (id int, total numeric);
INSERT INTO public.orders VALUES (1, 9.99), (2, 42.00);
CREATE ROLE analyst;
GRANT SELECT ON public.orders TO analyst;
CREATE ROLE sym_bot LOGIN PASSWORD :'botpw';
GRANT sym_access_operator TO sym_bot;
SELECT sym_access.allow_role('analyst', 'Analyst (temporary login)', mode => 'temporary_user');
SQL

say "Starting the Secrets Manager stand-in (shim/test/sm_peer.py; SigV4 checked with botocore)"
boto_py=/usr/bin/python3
"$boto_py" -c 'import botocore' 2>/dev/null || boto_py=python3
export AWS_ACCESS_KEY_ID=AKIDSYMACCESSDEMO AWS_SECRET_ACCESS_KEY="demo-secret-$RANDOM$RANDOM" \
	AWS_SESSION_TOKEN="demo-token-$RANDOM" AWS_REGION=us-east-1 AWS_LAMBDA_FUNCTION_NAME=sym-postgres
printf '{"access_key": "%s", "secret_key": "%s", "session_token": "%s", "region": "%s"}' \
	"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_REGION" >"$work/sm.json"
"$boto_py" shim/test/sm_peer.py "$work/sm.json" "$work/sm.log" "$work/sm.port" &
sm_pid=$!
for _ in $(seq 100); do [ -s "$work/sm.port" ] && break; sleep 0.05; done
SYM_SHIM_SECRETSMANAGER_URL="http://127.0.0.1:$(cat "$work/sm.port")"
export SYM_SHIM_SECRETSMANAGER_URL
echo "endpoint $SYM_SHIM_SECRETSMANAGER_URL, region $AWS_REGION, function $AWS_LAMBDA_FUNCTION_NAME"

RUN=healthy-health:run:postgres:2.0.0:7e3c1b52-8f0a-4d6e-9a41-5d2c0b7f1e90
python3 - "$RUN" "$work" <<'PY'
import json, sys
run, work = sys.argv[1], sys.argv[2]
for kind in ("escalate", "deescalate"):
    d = json.load(open(f"shim/test/fixtures/sym-{kind}.json"))
    d["run"]["srn"] = run
    d["fields"]["target"]["name"] = "analyst"
    if kind == "escalate":
        d["fields"]["duration"] = "15m"
    json.dump(d, open(f"{work}/tu-{kind}.json", "w"))
PY

say "Escalate: Sym asks for analyst for sym-user@healthy-health.co, 15 minutes"
echo "(the shim calls sym_access.grant, which creates a login for this run; the shim stores"
echo " its credentials in Secrets Manager and answers with the secret's name, never the password)"
run_shim <"$work/tu-escalate.json" | tee "$work/tu-escalate.out"
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["body"]["secret_name"])' "$work/tu-escalate.out")
login=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["body"]["username"])' "$work/tu-escalate.out")
echo "-- the login in pg_roles (VALID UNTIL = the run's expiry, a member of analyst only):"
psql -X -d "$DB" -c "SELECT r.rolname, r.rolcanlogin, r.rolvaliduntil,
                            ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                                  WHERE m.member = r.oid) AS member_of
                     FROM pg_roles r WHERE r.rolname = '$login'"
echo "-- what the shim sent to Secrets Manager (actions and tags; the SecretString is not shown):"
python3 - "$work/sm.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    body = json.loads(e["body"])
    tags = {t["Key"]: t["Value"] for t in body.get("Tags", [])}
    print(f'   {e["action"]} {body.get("Name") or body.get("SecretId")} -> HTTP {e["status"]}; tags {tags}')
PY

say "The requester reads the secret (like: aws secretsmanager get-secret-value --secret-id ...)"
echo "secret: $secret"
"$boto_py" shim/test/sm_client.py "$SYM_SHIM_SECRETSMANAGER_URL" "$secret" >"$work/secret.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["password"]="("+str(len(d["password"]))+" characters, hidden here)"; print(json.dumps(d, indent=2))' "$work/secret.json"

say "Logging in with those credentials over TCP (SCRAM-SHA-256) and reading through analyst"
tu_psql() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["password"])' "$work/secret.json" |
		{ read -r pw; PGPASSWORD=$pw psql -X -h 127.0.0.1 -p "$PGPORT" -U "$login" -d "$DB" "$@"; }
}
tu_psql -c "SELECT current_user, session_user, sum(total) AS orders_total FROM public.orders"

say "Deescalate: sym_access.revoke ends the login's sessions and drops it; the shim deletes the secret"
run_shim <"$work/tu-deescalate.json"
echo "-- the login in pg_roles now: $(psql -X -qAt -d "$DB" -c "SELECT count(*) FROM pg_roles WHERE rolname = '$login'") row(s)"
echo "-- reading the secret again:"
"$boto_py" shim/test/sm_client.py "$SYM_SHIM_SECRETSMANAGER_URL" "$secret" 2>&1 || true

say "Logging in with the old credentials: refused"
tu_psql -c "SELECT 1" 2>&1 || true

say "Audit trail of the temporary-user run (sym_access.audit)"
psql -X -d "$DB" -c "SELECT id, to_char(at, 'HH24:MI:SS') AS at, action, outcome, role_name, grantee,
                            requester, detail->>'temporary_user' AS temporary_user, called_by
                     FROM sym_access.audit ORDER BY id"
say "Demo finished"

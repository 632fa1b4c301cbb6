#!/usr/bin/env bash
# RDS emulation suite for the pg_tle edition (run by test/pgtle/run.sh).
#
# Against the running cluster of "$PGHOST" (pg_tle preloaded), everything of
# sym_access's is done by a non-superuser admin like RDS's master user
# (LOGIN CREATEROLE CREATEDB, member of rds_superuser and pgtle_admin): install
# through dist/sym_access.pgtle.sql, CREATE EXTENSION, allow, grant / revoke /
# expire as the bot, disallow, update to a newer version, pg_dump and restore
# into a fresh database. The superuser only sets the platform up (what AWS does).
# Prints one "N passed, M failed" line.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
passed=0
failed=0
tmp=$(mktemp -d /tmp/sym_access_rds.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
# check NAME EXPECTED ROLE DB SQL: the query's single value must equal EXPECTED
check() {
	local name=$1 want=$2 role=$3 db=$4 sql=$5 got
	# a refusal's SQLSTATE comes back as a NOTICE (see the DO blocks below)
	got=$(psql -qXAt -v ON_ERROR_STOP=1 -U "$role" -d "$db" -c "$sql" 2>&1 | sed 's/^NOTICE:  //')
	if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (expected '$want', got '$got')"; fi
}
as() { psql -qXAt -v ON_ERROR_STOP=1 -U "$1" -d "$2" "${@:3}"; }

# The platform: rds_superuser may create in databases and hand out
# pg_signal_backend (on 16+ that needs ADMIN on it: assumed of RDS).
as postgres postgres <<'SQL' || { not_ok "platform set-up"; echo "$passed passed, $failed failed"; exit 1; }
CREATE ROLE rds_superuser NOLOGIN;
GRANT pg_signal_backend TO rds_superuser WITH ADMIN OPTION;
CREATE ROLE rds_admin LOGIN CREATEROLE CREATEDB;
GRANT rds_superuser TO rds_admin;
SQL
as rds_admin postgres -c 'CREATE DATABASE app'
as postgres app -c 'CREATE EXTENSION pg_tle' -c 'GRANT pgtle_admin TO rds_admin'

# 1. install
if as rds_admin app -f dist/sym_access.pgtle.sql >"$tmp/install.out" 2>&1; then ok "admin runs dist/sym_access.pgtle.sql"; else not_ok "admin runs dist/sym_access.pgtle.sql: $(cat "$tmp/install.out")"; fi
check "pg_tle knows sym_access 1.1.0" "1.1.0" rds_admin app \
	"SELECT default_version FROM pgtle.available_extensions() WHERE name = 'sym_access'"
check "admin creates the extension" "rds_admin|f" rds_admin app \
	"CREATE EXTENSION sym_access; SELECT e.extowner::regrole, r.rolsuper FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE e.extname = 'sym_access'"
check "what the install lent is taken back: the grantor has pg_signal_backend only" "pg_signal_backend" rds_admin app \
	"SELECT string_agg(roleid::regrole::text, ',') FROM pg_auth_members WHERE member = 'sym_access_grantor'::regrole"
# (on 16+ the admin keeps the ADMIN OPTION that CREATE ROLE gave it, with
# neither INHERIT nor SET: it cannot act as the grantor)
check "... and no member that can act as it" "0" rds_admin app \
	"SELECT count(*) FROM pg_auth_members m WHERE m.roleid = 'sym_access_grantor'::regrole
	    AND COALESCE((to_jsonb(m) ->> 'inherit_option')::bool OR (to_jsonb(m) ->> 'set_option')::bool, true)"
check "... and no CREATE on the schema" "f" rds_admin app \
	"SELECT has_schema_privilege('sym_access_grantor', 'sym_access', 'CREATE')"
check "operator functions owned by the grantor, none executable by PUBLIC" "4|0" rds_admin app \
	"SELECT count(*) FILTER (WHERE proowner = 'sym_access_grantor'::regrole AND proname IN ('grant','revoke','expire','resolve_user')),
	        count(*) FILTER (WHERE has_function_privilege('public', oid, 'EXECUTE'))
	   FROM pg_proc WHERE pronamespace = 'sym_access'::regnamespace"

# 2. operate: the admin makes the roles; the bot has no ADMIN OPTION anywhere
as rds_admin app <<'SQL'
CREATE ROLE app_ro NOLOGIN;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE sym_bot LOGIN;
GRANT sym_access_operator TO sym_bot;
SQL
check "admin allows a role it made" "" rds_admin app "SELECT sym_access.allow_role('app_ro', 'read only')"
check "the grantor holds ADMIN OPTION on it" "t" rds_admin app \
	"SELECT bool_or(admin_option) FROM pg_auth_members WHERE roleid = 'app_ro'::regrole AND member = 'sym_access_grantor'::regrole"
check "admin cannot allow rds_superuser" "42501" rds_admin app \
	"DO \$\$ BEGIN PERFORM sym_access.allow_role('rds_superuser'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 
check "bot grants" "granted|t" sym_bot app \
	"SELECT (sym_access.grant('app_ro', 'alice', '1 hour', '{\"run_srn\": \"r1\"}')).outcome, pg_has_role('alice', 'app_ro', 'MEMBER')"
check "bot revokes" "revoked|f" sym_bot app \
	"SELECT (sym_access.revoke('app_ro', 'alice', '{\"run_srn\": \"r1\"}')).outcome, pg_has_role('alice', 'app_ro', 'MEMBER')"
check "bot grants for one second" "granted" sym_bot app \
	"SELECT (sym_access.grant('app_ro', 'alice', '1 second', '{\"run_srn\": \"r2\"}')).outcome"
sleep 1.5
check "bot's expire() revokes the due grant" "1|f" sym_bot app \
	"SELECT sym_access.expire(), pg_has_role('alice', 'app_ro', 'MEMBER')"
check "expire is audited" "expire|revoked|r2" rds_admin app \
	"SELECT action, outcome, run_srn FROM sym_access.audit ORDER BY id DESC LIMIT 1"
# SQL advisory locks are anyone's: a grantee holding them on the pair's
# numbers (both forms) must not stall its own expiry.
check "bot grants for one second (the grantee then holds advisory locks)" "granted" sym_bot app \
	"SELECT (sym_access.grant('app_ro', 'alice', '1 second', '{\"run_srn\": \"r-adv\"}')).outcome"
psql -qXAt -U alice -d app -c "SELECT pg_advisory_lock(oid::int, (SELECT oid::int FROM pg_roles WHERE rolname = 'alice')),
	pg_advisory_lock(oid::bigint), pg_advisory_lock((x'5342'::bigint << 32) | oid::bigint), pg_sleep(8)
	FROM pg_roles WHERE rolname = 'app_ro'" >/dev/null 2>&1 &
holder=$!
sleep 1.5
check "... which do not stall its expiry" "1|f" sym_bot app \
	"SELECT sym_access.expire(), pg_has_role('alice', 'app_ro', 'MEMBER')"
wait "$holder"
check "bot cannot write the audit" "42501" sym_bot app \
	"DO \$\$ BEGIN INSERT INTO sym_access.audit (action, outcome) VALUES ('grant', 'forged'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$"
check "admin (the table owner) cannot delete audit rows" "42501" rds_admin app \
	"DO \$\$ BEGIN DELETE FROM sym_access.audit; EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$"
# pg_write_all_data gives UPDATE on every sequence: moving the audit id
# sequence back must not stop the audited calls (the insert heals it).
as postgres app -c "CREATE ROLE seq_writer LOGIN IN ROLE pg_write_all_data"
check "a pg_write_all_data member moves the audit id sequence back" "1" seq_writer app \
	"SELECT setval('sym_access.audit_id_seq', 1, false)"
check "... and grant and revoke still write their audit rows" "error|granted|revoked" sym_bot app \
	"SELECT set_config('client_min_messages', 'error', false),
	        (sym_access.grant('app_ro', 'bob', '1 hour', '{\"run_srn\": \"heal\"}')).outcome,
	        (sym_access.revoke('app_ro', 'bob', '{\"run_srn\": \"heal\"}')).outcome"
check "bot grants again" "granted" sym_bot app \
	"SELECT (sym_access.grant('app_ro', 'alice', '1 hour', '{\"run_srn\": \"r3\"}')).outcome"
check "admin disallows: the grant made by the grantor is revoked" "1|f" rds_admin app \
	"SELECT sym_access.disallow_role('app_ro'), pg_has_role('alice', 'app_ro', 'MEMBER')"
check "... and the grantor's ADMIN OPTION on the role" "f" rds_admin app \
	"SELECT EXISTS (SELECT FROM pg_auth_members WHERE roleid = 'app_ro'::regrole AND member = 'sym_access_grantor'::regrole)"
check "health check is clean" "0" rds_admin app "SELECT count(*) FROM sym_access.check()"
check "admin (the extension's owner) may purge, never under 30 days" "22023" rds_admin app \
	"DO \$\$ BEGIN PERFORM sym_access.purge_audit('1 day'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$"
check "... and purges" "0" rds_admin app "SELECT sym_access.purge_audit('400 days')"
# The audit guard lets purge_audit's own DELETE through, and no look-alike.
as rds_admin app -c "INSERT INTO sym_access.audit (action, outcome, at) VALUES ('grant', 'old', now() - interval '400 days')" \
	-c "CREATE FUNCTION public.purge_audit(older_than interval) RETURNS bigint LANGUAGE plpgsql AS \$\$
		DECLARE cutoff timestamptz := now() - older_than; BEGIN DELETE FROM sym_access.audit WHERE at < cutoff; RETURN 0; END \$\$"
check "a look-alike purge_audit of the admin's is refused" "42501" rds_admin app \
	"DO \$\$ BEGIN PERFORM public.purge_audit('300 days'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$"
check "purge_audit removes a row older than the cut-off" "1" rds_admin app "SELECT sym_access.purge_audit('300 days')"
as rds_admin app -c "SELECT sym_access.allow_role('app_ro')" \
	-c "SELECT sym_access.grant('app_ro', 'alice', '1 hour', '{\"run_srn\": \"r4\"}')" >/dev/null 2>&1 ||
	as sym_bot app -c "SELECT sym_access.grant('app_ro', 'alice', '1 hour', '{\"run_srn\": \"r4\"}')" >/dev/null
as sym_bot app -c "SELECT sym_access.grant('app_ro', 'alice', '1 hour', '{\"run_srn\": \"r4\"}')" >/dev/null
audit_rows=$(as rds_admin app -c 'SELECT count(*) FROM sym_access.audit')

# 3. update to a newer version through pg_tle: the script adds the path,
# makes the new version the default (a TLE's dump restores the default).
printf '%s\n' "COMMENT ON TABLE sym_access.audit IS 'Append-only trail (updated by the 1.1.1 drill)';" >"$tmp/up.sql"
scripts/pgtle-dist.sh -v 1.1.1 -u "1.1.0=$tmp/up.sql" -o "$tmp/next.pgtle.sql"
if as rds_admin app -f "$tmp/next.pgtle.sql" >"$tmp/update.out" 2>&1; then ok "admin adds 1.1.1 and the update path"; else not_ok "admin adds 1.1.1: $(cat "$tmp/update.out")"; fi
check "ALTER EXTENSION UPDATE by the admin keeps every audit row" "1.1.1|$audit_rows" rds_admin app \
	"ALTER EXTENSION sym_access UPDATE; SELECT extversion, (SELECT count(*) FROM sym_access.audit) FROM pg_extension WHERE extname = 'sym_access'"
check "1.1.1 is pg_tle's default now" "1.1.1" rds_admin app \
	"SELECT default_version FROM pgtle.available_extensions() WHERE name = 'sym_access'"
check "the grant survived the update" "t" rds_admin app "SELECT pg_has_role('alice', 'app_ro', 'MEMBER')"

# 4. pg_dump and restore into a fresh database, as the admin
if pg_dump -U rds_admin -Fc -f "$tmp/app.dump" app 2>"$tmp/dump.err"; then
	ok "admin dumps the database"
	as rds_admin postgres -c 'CREATE DATABASE app_restored'
	as postgres app_restored -c 'CREATE EXTENSION pg_tle' >/dev/null
	pg_restore -U rds_admin -d app_restored "$tmp/app.dump" >"$tmp/restore.out" 2>&1
	check "restored: the policy and the trail" "1.1.1|1|$audit_rows|1" rds_admin app_restored \
		"SELECT (SELECT extversion FROM pg_extension WHERE extname = 'sym_access'),
		        (SELECT count(*) FROM sym_access.allowed_role), (SELECT count(*) FROM sym_access.audit),
		        (SELECT count(*) FROM sym_access.active_grant)"
	check "the bot works in the restored database" "extended" sym_bot app_restored \
		"SELECT (sym_access.grant('app_ro', 'alice', '2 hours', '{\"run_srn\": \"r4\"}')).outcome"
else
	not_ok "admin dumps the database: $(cat "$tmp/dump.err")"
fi

# 5. expiry without a worker: pg_cron calls sym_access.expire() as the bot
# and revokes a due grant on its own (where this server has pg_cron).
if [ "$(as postgres postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_cron'")" = 1 ]; then
	as postgres postgres -c 'CREATE EXTENSION pg_cron' >/dev/null
	check "the bot grants for one second (for pg_cron)" "granted" sym_bot app \
		"SELECT (sym_access.grant('app_ro', 'bob', '1 second', '{\"run_srn\": \"r-cron\"}')).outcome"
	as postgres postgres -c "SELECT cron.schedule_in_database('sym_access_expire', '* * * * *', 'SELECT sym_access.expire()', 'app', 'sym_bot')" >/dev/null
	for _ in $(seq 1 90); do
		[ "$(as rds_admin app -c "SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND run_srn = 'r-cron'")" = 1 ] && break
		sleep 1
	done
	check "pg_cron's sweep revoked the due grant, as the bot" "revoked|sym_bot|f" rds_admin app \
		"SELECT a.outcome, a.called_by, pg_has_role('bob', 'app_ro', 'MEMBER') FROM sym_access.audit a
		  WHERE a.action = 'expire' AND a.run_srn = 'r-cron'"
	as postgres postgres -c "SELECT cron.unschedule('sym_access_expire')" >/dev/null
else
	echo "# pg_cron is not available on this server: its test runs on 15"
fi

# 6. every PL/pgSQL function checked statically (CREATE EXTENSION runs with
# check_function_bodies off), where this server has plpgsql_check.
if [ "$(as postgres postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'plpgsql_check'")" = 1 ]; then
	as postgres app -c 'CREATE EXTENSION plpgsql_check' >/dev/null
	as postgres app -c "SELECT p.oid::regprocedure, c.level, c.message FROM pg_proc p,
		LATERAL plpgsql_check_function_tb(p.oid, CASE WHEN p.prorettype = 'trigger'::regtype THEN 'sym_access.audit'::regclass ELSE 0 END) c
		WHERE p.pronamespace = 'sym_access'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')" >"$tmp/plpgsql_check.out"
	sed 's/^/# plpgsql_check: /' "$tmp/plpgsql_check.out"
	check "plpgsql_check finds no error in any function" "0" postgres app \
		"SELECT count(*) FROM pg_proc p,
		LATERAL plpgsql_check_function_tb(p.oid, CASE WHEN p.prorettype = 'trigger'::regtype THEN 'sym_access.audit'::regclass ELSE 0 END) c
		WHERE p.pronamespace = 'sym_access'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
		  AND c.level = 'error'"
else
	echo "# plpgsql_check is not available on this server: it runs on 15"
fi


# 7. temporary users. The SCRAM-SHA-256 verifier written in PL/pgSQL
# (tempuser.sql) against Python's hashlib/hmac, then a login over TCP with
# it (the cluster's TCP connections use scram-sha-256).
# scram_vector PASSWORD SALT_B64 ITERATIONS: what PostgreSQL stores
scram_vector() {
	python3 - "$@" <<'PY'
import base64, hashlib, hmac, sys
password, salt, iterations = sys.argv[1].encode(), base64.b64decode(sys.argv[2]), int(sys.argv[3])
salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
stored = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
server = hmac.new(salted, b"Server Key", "sha256").digest()
b64 = lambda b: base64.b64encode(b).decode()
print(f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored)}:{b64(server)}")
PY
}
# RFC 7677's example; a random password and salt at another count; a
# password longer than HMAC's 64-byte block (the key is hashed first).
long_pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(60))')
rand_pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
rand_salt=$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(16)).decode())')
for v in "pencil W22ZaJ0SNY7soEsUEjb6gQ== 4096" "$rand_pw $rand_salt 10000" "$long_pw $rand_salt 4096"; do
	read -r pw salt iter <<<"$v"
	check "the PL/pgSQL verifier equals hashlib's ($iter iterations, ${#pw}-character password)" "$(scram_vector "$pw" "$salt" "$iter")" rds_admin app \
		"SELECT sym_access._scram_verifier('$pw', $iter, decode('$salt', 'base64'))"
done
check "the verifier's salt is 16 fresh bytes, its count the server's (4096 by default)" "16|4096|t" rds_admin app \
	"SELECT octet_length(decode(split_part(split_part(v1, '\$', 2), ':', 2), 'base64')), split_part(split_part(v1, '\$', 2), ':', 1),
	        split_part(v1, '\$', 2) <> split_part(sym_access._scram_verifier('pencil'), '\$', 2)
	   FROM (SELECT sym_access._scram_verifier('pencil') AS v1) v"
check "generated passwords: 43 characters of [A-Za-z0-9_-], never the same" "43|t|t" rds_admin app \
	"SELECT length(a), a ~ '^[A-Za-z0-9_-]{43}\$', a <> b FROM (SELECT sym_access._random_password() a, sym_access._random_password() b) x"
tcp() { PGPASSWORD=$2 psql -qXAt "host=127.0.0.1 port=$PGPORT dbname=app user=$1" -c "$3" 2>&1; }
as postgres app -c "CREATE ROLE scram_probe LOGIN" >/dev/null
as rds_admin app -c "SELECT sym_access._scram_verifier('$rand_pw')" >"$tmp/verifier"
as postgres app -c "ALTER ROLE scram_probe PASSWORD '$(cat "$tmp/verifier")'" >/dev/null
if [ "$(tcp scram_probe "$rand_pw" 'SELECT current_user')" = scram_probe ]; then ok "a role with the verifier logs in over TCP (scram-sha-256)"; else not_ok "a role with the verifier logs in over TCP: $(tcp scram_probe "$rand_pw" 'SELECT 1')"; fi
case $(tcp scram_probe "x$rand_pw" 'SELECT current_user') in
*"password authentication failed"*) ok "... and not with another password" ;;
*) not_ok "... and not with another password" ;;
esac

# Temporary users need 16+ (15's CREATEROLE could grant itself any role).
tmp_run() { printf '{"run_srn": "%s", "requester": "eve@example.com"}' "$1"; }
if [ "$(as postgres app -c 'SHOW server_version_num')" -lt 160000 ]; then
	as rds_admin app -c "CREATE ROLE app_tmp NOLOGIN" >/dev/null
	check "15: allow_role(mode => 'temporary_user') is refused (0A000)" "0A000" rds_admin app \
		"DO \$\$ BEGIN PERFORM sym_access.allow_role('app_tmp', mode => 'temporary_user'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi
check "16+: the verifier's count follows scram_iterations" "5000" rds_admin app \
	"SET scram_iterations = 5000; SELECT split_part(split_part(sym_access._scram_verifier('pencil'), '\$', 2), ':', 1)"
as rds_admin app <<'SQL' >/dev/null
CREATE ROLE app_tmp NOLOGIN;
CREATE SCHEMA scratch;
GRANT USAGE, CREATE ON SCHEMA scratch TO app_tmp;
SQL
as rds_admin app -c "SELECT sym_access.allow_role('app_tmp', mode => 'temporary_user')" >/dev/null
check "the admin allows a role in temporary_user mode: the grantor gets CREATEROLE" "t" rds_admin app \
	"SELECT rolcreaterole FROM pg_roles WHERE rolname = 'sym_access_grantor'"
as sym_bot app -c "SELECT r.grantee || ' ' || r.password FROM sym_access.grant('app_tmp', 'eve', '1 hour', '$(tmp_run t1)') r" >"$tmp/t1"
read -r login pw <"$tmp/t1"
check "the bot's grant makes the run's login (eve_<hash of role and run>)" "eve_$(as postgres app -c "SELECT lpad(to_hex(hashtext('app_tmp'::regrole::oid::text || '/t1')), 8, '0')")|t|t|f" rds_admin app \
	"SELECT rolname, rolcanlogin, pg_has_role(rolname, 'app_tmp', 'MEMBER'), rolcreaterole FROM pg_roles WHERE rolname = '$login'"
got=$(tcp "$login" "$pw" "SELECT current_user, pg_has_role('app_tmp', 'MEMBER')")
if [ "$got" = "$login|t" ]; then ok "the temporary login logs in over TCP and holds the role"; else not_ok "the temporary login logs in over TCP: $got"; fi
as sym_bot app -c "SELECT r.password FROM sym_access.grant('app_tmp', 'eve', '2 hours', '$(tmp_run t1)') r" >"$tmp/t1b"
pw2=$(cat "$tmp/t1b")
if [ "$(tcp "$login" "$pw2" 'SELECT current_user')" = "$login" ]; then ok "a replay rotates the password: the new one logs in"; else not_ok "a replay rotates the password: the new one logs in"; fi
case $(tcp "$login" "$pw" 'SELECT 1') in *"password authentication failed"*) ok "... the old one no longer does" ;; *) not_ok "... the old one no longer does" ;; esac
as sym_bot app -c "SELECT r.outcome, r.grantee, r.audit_id FROM sym_access.revoke('app_tmp', 'eve', '$(tmp_run t1)') r" >"$tmp/r1"
check "the bot's revoke drops the login" "revoked|$login|dropped|0" rds_admin app \
	"SELECT '$(cut -d'|' -f1,2 "$tmp/r1")', detail ->> 'temporary_user', (SELECT count(*) FROM pg_roles WHERE rolname = '$login')
	   FROM sym_access.audit WHERE id = $(cut -d'|' -f3 "$tmp/r1")"
case $(tcp "$login" "$pw2" 'SELECT 1') in *"password authentication failed"*) ok "... and it cannot log in any more" ;; *) not_ok "... and it cannot log in any more" ;; esac
# A login that made a table cannot be dropped: disabled, reported, and
# dropped by a later sweep once the table is gone.
as sym_bot app -c "SELECT r.grantee || ' ' || r.password FROM sym_access.grant('app_tmp', 'eve', '1 hour', '$(tmp_run t2)') r" >"$tmp/t2"
read -r login pw <"$tmp/t2"
tcp "$login" "$pw" "CREATE TABLE scratch.eve_notes (note text)" >/dev/null
as sym_bot app -c "SELECT r.outcome, r.audit_id FROM sym_access.revoke('app_tmp', 'eve', '$(tmp_run t2)') r" >"$tmp/r2"
check "revoke of a login that owns a table disables it" "revoked|disabled|f|f" rds_admin app \
	"SELECT '$(cut -d'|' -f1 "$tmp/r2")', a.detail ->> 'temporary_user', l.rolcanlogin, pg_has_role(l.rolname, 'app_tmp', 'MEMBER')
	   FROM sym_access.audit a, pg_roles l WHERE a.id = $(cut -d'|' -f2 "$tmp/r2") AND l.rolname = '$login'"
check "check() reports it" "disabled_temporary_user|app_tmp|$login" rds_admin app \
	"SELECT problem, role, grantee FROM sym_access.check()"
as rds_admin app -c "DROP TABLE scratch.eve_notes" >/dev/null
check "once the table is gone, the bot's sweep drops it" "0" sym_bot app "SELECT sym_access.expire()"
check "... audited as a retried drop" "0|revoked|dropped|true" rds_admin app \
	"SELECT (SELECT count(*) FROM pg_roles WHERE rolname = '$login'), a.outcome, a.detail ->> 'temporary_user', a.detail ->> 'retry'
	   FROM sym_access.audit a WHERE a.grantee = '$login' ORDER BY a.id DESC LIMIT 1"
as rds_admin app -c "SELECT sym_access.disallow_role('app_tmp')" >/dev/null
check "disallow_role takes CREATEROLE back from the grantor" "f|0" rds_admin app \
	"SELECT rolcreaterole, (SELECT count(*) FROM sym_access.check()) FROM pg_roles WHERE rolname = 'sym_access_grantor'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

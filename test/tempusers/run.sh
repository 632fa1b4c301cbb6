#!/usr/bin/env bash
# Temporary users end to end: the password a grant hands out leaks nowhere
# else, and it is what logs the login in over TCP with SCRAM, until a
# replay replaces it and a revoke drops the login.
#
# Its own cluster, set up to keep everything a leak could reach:
# log_statement = all, log_min_messages and client_min_messages at debug,
# verbose errors with full bind parameters, pg_stat_statements preloaded
# with track = all and track_utility = on, password_encryption =
# scram-sha-256, and TCP connections requiring scram-sha-256 (test/cluster.sh
# makes that the only host rule; checked below).
#
# PostgreSQL 15 refuses temporary users (0A000): there only the refusal is
# checked and the rest is skipped.
#
# EDITION=pgtle: the pg_tle edition instead (dist/sym_access.pgtle.sql, on
# a PG_CONFIG tree that has pg_tle and not the C edition: test/pgtle/run.sh
# runs it so). Its CREATE ROLE / ALTER ROLE carry the SCRAM verifier in
# their text (a difference README declares): pg_stat_statements keeps it
# there and nowhere else; the password, as in the C edition, nowhere. Its
# password and the keys derived from it pass through PL/pgSQL functions,
# so auto_explain is loaded too and logs every nested statement with its
# parameters (16+).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-pg_config}
edition=${EDITION:-c}
preload=pg_stat_statements
extra=()
if [ "$edition" = pgtle ]; then
	preload=pg_stat_statements,pg_tle,auto_explain
	extra=("auto_explain.log_min_duration = 0" "auto_explain.log_nested_statements = on")
	"$PG_CONFIG" --version | grep -q '^PostgreSQL 1[5]' || extra+=("auto_explain.log_parameter_max_length = -1")
fi
tmp=$(mktemp -d /tmp/sym_access_tempusers.XXXXXX)
chmod 755 "$tmp"
pg="$tmp/pg"
cleanup() {
	[ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null
	"$root/test/cluster.sh" stop "$pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
# Does file $1 contain the fixed string $2?
has() { grep -qF -- "$2" "$1"; }
lacks() { ! has "$@"; }
# A session of a temporary login over TCP with a password (never in SQL).
tcp_login() { # login password sql
	PGPASSWORD=$2 psql -X -At -v ON_ERROR_STOP=1 \
		"host=127.0.0.1 port=$PGPORT dbname=postgres user=$1 sslmode=disable" -c "$3"
}

major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

"$root/test/cluster.sh" start "$pg" \
	"shared_preload_libraries = '$preload'" \
	"pg_stat_statements.track = all" \
	"pg_stat_statements.track_utility = on" \
	"log_statement = all" \
	"log_min_messages = debug1" \
	"log_min_error_statement = debug1" \
	"log_error_verbosity = verbose" \
	"log_connections = on" \
	"log_disconnections = on" \
	"log_parameter_max_length = -1" \
	"log_parameter_max_length_on_error = -1" \
	"password_encryption = 'scram-sha-256'" "${extra[@]}" >/dev/null || exit 1
# shellcheck disable=SC1091
. "$pg/env"
log="$pg/server.log"

if [ "$edition" = pgtle ]; then
	q -c 'CREATE EXTENSION pg_tle' -f "$root/dist/sym_access.pgtle.sql" >/dev/null || exit 1
fi
q >/dev/null <<'SQL' || exit 1
CREATE EXTENSION sym_access;
CREATE EXTENSION pg_stat_statements;
CREATE ROLE tu_role NOLOGIN;
CREATE ROLE tu_bot LOGIN;
GRANT sym_access_operator TO tu_bot;
CREATE TABLE public.tu_data (x int);
INSERT INTO public.tu_data VALUES (42);
GRANT SELECT ON public.tu_data TO tu_role;
SQL

if [ "$major" -lt 16 ]; then
	q -v VERBOSITY=verbose -c "SELECT sym_access.allow_role('tu_role', mode => 'temporary_user')" >"$tmp/refusal" 2>&1
	check "PostgreSQL $major refuses allow_role(mode => 'temporary_user') with 0A000" \
		has "$tmp/refusal" "ERROR:  0A000: temporary users need PostgreSQL 16 or later"
	echo "tempusers: the login and leak tests are skipped on PostgreSQL $major: it refuses temporary users (0A000)"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

q -c "SELECT sym_access.allow_role('tu_role', mode => 'temporary_user')" >/dev/null || exit 1
check "TCP connections need scram-sha-256 (pg_hba)" \
	test "$(q -c "SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules WHERE type = 'host'")" = scram-sha-256

# The bot's calls, with every message down to DEBUG5 kept.
bot() { # sql; result rows on stdout, messages appended to $tmp/messages
	PGOPTIONS="-c client_min_messages=debug5" PGUSER=tu_bot \
		psql -X -At -F ' ' -v ON_ERROR_STOP=1 -c "$1" 2>>"$tmp/messages"
}
: >"$tmp/messages"
read -r login pw1 < <(bot "SELECT grantee, password FROM sym_access.grant('tu_role', 'tu_alice', '1 hour', '{\"run_srn\": \"leak-1\"}')")
check "grant hands out a login and a password of 32+ characters" \
	bash -c "[[ '$login' == tu_alice_* && \${#1} -ge 32 ]]" _ "$pw1"
check "the login works over TCP with that password and has the role" \
	test "$(tcp_login "$login" "$pw1" "SELECT current_user = '$login' AND pg_has_role('tu_role', 'MEMBER'), (SELECT x FROM public.tu_data)")" = "t|42"

read -r login2 pw2 < <(bot "SELECT grantee, password FROM sym_access.grant('tu_role', 'tu_alice', '1 hour', '{\"run_srn\": \"leak-1\"}')")
check "a replay keeps the login and hands out another password" \
	bash -c "[ '$login2' = '$login' ] && [ \"\$1\" != \"\$2\" ] && [ \${#2} -ge 32 ]" _ "$pw1" "$pw2"
check "the replay's password logs in" \
	test "$(tcp_login "$login" "$pw2" "SELECT current_user")" = "$login"
check "the first password no longer does" \
	bash -c "! PGPASSWORD=\"\$1\" psql -X -At 'host=127.0.0.1 port=$PGPORT dbname=postgres user=$login sslmode=disable' -c 'SELECT 1' >/dev/null 2>&1" _ "$pw1"

# A session that stays: revoke must end it.
PGPASSWORD=$pw2 psql -X -At "host=127.0.0.1 port=$PGPORT dbname=postgres user=$login sslmode=disable" \
	-c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
sleeper=$!
for _ in $(seq 50); do
	[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '$login'")" = 1 ] && break
	sleep 0.1
done
revoked=$(bot "SELECT outcome || ' ' || grantee FROM sym_access.revoke('tu_role', 'tu_alice', '{\"run_srn\": \"leak-1\"}')")
check "revoke by base name drops the login" test "$revoked" = "revoked $login"
ended=no
for _ in $(seq 50); do
	kill -0 "$sleeper" 2>/dev/null || { ended=yes; break; }
	sleep 0.1
done
check "revoke ended the login's open session" test "$ended" = yes
sleeper=
check "the role is gone" test "$(q -c "SELECT count(*) FROM pg_roles WHERE rolname = '$login'")" = 0
check "the login is refused after the revoke" \
	bash -c "! PGPASSWORD=\"\$1\" psql -X -At 'host=127.0.0.1 port=$PGPORT dbname=postgres user=$login sslmode=disable' -c 'SELECT 1' >/dev/null 2>&1" _ "$pw2"

# Where a password could have gone.  Dumped to files first: putting the
# password into a query would leak it into the log and pg_stat_statements.
q -c "SELECT query FROM pg_stat_statements" >"$tmp/statements"
q -c "COPY (SELECT * FROM sym_access.audit) TO STDOUT" >"$tmp/audit"
check "sanity: pg_stat_statements kept the grant calls and the nested statements" \
	bash -c "grep -q 'sym_access.grant' '$tmp/statements' && grep -q 'INSERT INTO sym_access.temporary_login' '$tmp/statements'"
check "sanity: the server log has the statements and DEBUG lines" \
	bash -c "grep -q 'statement: SELECT grantee, password FROM sym_access.grant' '$log' && grep -q 'DEBUG:' '$log'"
check "sanity: the messages file has the bot's DEBUG and LOG messages" \
	bash -c "grep -q 'DEBUG:' '$tmp/messages'"
check "sanity: the audit has the created, rotated and dropped rows" \
	bash -c "grep -q '\"temporary_user\": \"created\"' '$tmp/audit' && grep -q '\"temporary_user\": \"rotated\"' '$tmp/audit' && grep -q '\"temporary_user\": \"dropped\"' '$tmp/audit'"
for n in 1 2; do
	pw=pw$n
	check "password $n is in no server log line" lacks "$log" "${!pw}"
	check "password $n is in no pg_stat_statements query text" lacks "$tmp/statements" "${!pw}"
	check "password $n is in no audit row (any column)" lacks "$tmp/audit" "${!pw}"
	check "password $n is in no message to the caller" lacks "$tmp/messages" "${!pw}"
done
if [ "$edition" = pgtle ]; then
	# (the install script's own text, which the log and pg_stat_statements
	# keep, names the format: only a value counts)
	verifier='SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$'
	check "sanity: auto_explain logged nested statements with their parameters" \
		bash -c "grep -q 'Query Parameters: ' '$log' && grep -q 'Query Text: ' '$log'"
	check "no SCRAM verifier in the server log" bash -c "! grep -qE '$verifier' '$log'"
	check "pg_stat_statements has verifiers only in the edition's CREATE ROLE / ALTER ROLE (declared)" \
		bash -c "[ \"\$(grep -cE '$verifier' '$tmp/statements')\" = 2 ] && ! grep -E '$verifier' '$tmp/statements' | grep -qvE '^(CREATE|ALTER) ROLE '"
	# The keys PBKDF2 and HMAC derive (SaltedPassword logs in as well as the
	# password does), from each password and its verifier's salt, in hex.
	grep -oE "$verifier" "$tmp/statements" | while read -r v; do
		for p in "$pw1" "$pw2"; do
			python3 - "$p" "$v" <<'PY'
import base64, hashlib, hmac, sys
iterations, salt = sys.argv[2].split("$")[1].split(":")
salted = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), base64.b64decode(salt), int(iterations))
print(salted.hex())
print(hmac.new(salted, b"Client Key", "sha256").hexdigest())
PY
		done
	done >"$tmp/keys"
	check "sanity: 8 derived keys to look for" test "$(wc -l <"$tmp/keys")" = 8
	check "no key derived from a password (SaltedPassword, ClientKey) in the server log" \
		bash -c "! grep -qiFf '$tmp/keys' '$log'"
else
	check "no SCRAM verifier in the server log or pg_stat_statements (no SQL text carries one)" \
		bash -c "! grep -q 'SCRAM-SHA-256\\$' '$log' '$tmp/statements'"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# The extension's SQL-level property test (test/faults/property.py): a few
# hundred random role and grantee names, durations and context objects
# through grant/revoke/expire as the bot, invariants checked after each call.
#
#   test/faults/property.sh                 a new seed (printed)
#   SEED=123 test/faults/property.sh        replay one
#   PROPERTY_CALLS=1000 test/faults/property.sh
#
# Runs its own cluster (test/cluster.sh; no worker, so nothing changes
# between a call and its checks).  Prints "PASS property (...)" or
# "FAIL property: ...", then "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-pg_config}
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
CALLS=${PROPERTY_CALLS:-400}

tmp=$(mktemp -d /tmp/sym_access_property.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	"$root/test/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL property: $*"
	echo "0 passed, 1 failed"
	exit 1
}

"$root/test/cluster.sh" start "$tmp/pg" >/dev/null || fail "cannot start a cluster"
# shellcheck disable=SC1091
. "$tmp/pg/env"

# Allowed roles, grantees (odd names on purpose), and dangerous roles of
# every kind the rules name; p_danger_allowed becomes dangerous after it was
# allowed, so only grant's own re-check stands between it and a grantee.
psql -X -q -v ON_ERROR_STOP=1 >/dev/null 2>"$tmp/setup.err" <<'SQL' || fail "set-up: $(head -3 "$tmp/setup.err")"
SET client_min_messages = warning;
CREATE EXTENSION sym_access;
CREATE ROLE p_r1 NOLOGIN;
CREATE ROLE "p r2 'q" NOLOGIN;
CREATE ROLE "p_rölle名" NOLOGIN;
CREATE ROLE p_danger_allowed NOLOGIN;
CREATE ROLE p_u1 LOGIN;
CREATE ROLE "p u'2" LOGIN;
CREATE ROLE "p
u3" LOGIN;
CREATE ROLE "p_üser" LOGIN;
CREATE ROLE p_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa LOGIN;
CREATE ROLE p_super SUPERUSER NOLOGIN;
CREATE ROLE p_createrole CREATEROLE NOLOGIN;
CREATE ROLE p_x NOLOGIN;
CREATE ROLE p_admin NOLOGIN;
GRANT p_x TO p_admin WITH ADMIN OPTION;
CREATE ROLE p_wad NOLOGIN;
GRANT pg_write_all_data TO p_wad;
CREATE ROLE p_bot LOGIN;
CREATE ROLE p_botgroup NOLOGIN;
GRANT sym_access_operator TO p_bot;
GRANT p_botgroup TO p_bot;
SELECT sym_access.allow_role('p_r1', default_duration => '1 hour', max_duration => '2 hours');
SELECT sym_access.allow_role('p r2 ''q', default_duration => '5 minutes', max_duration => '10 minutes');
SELECT sym_access.allow_role('p_rölle名', default_duration => '1 day', max_duration => '3 days');
SELECT sym_access.allow_role('p_danger_allowed');
SELECT sym_access.allow_role('p_botgroup');
GRANT pg_write_all_data TO p_danger_allowed;
SQL

echo "# property test: SEED=$SEED, $CALLS calls ($("$PG_CONFIG" --version))"
python3 "$here/property.py" "$SEED" "$CALLS" | tee "$tmp/out"
result=$(grep '^RESULT ' "$tmp/out")
[[ $result =~ calls\ ([0-9]+)\ returned\ ([0-9]+)\ raised\ ([0-9]+)\ problems\ ([0-9]+) ]] ||
	fail "the property test did not finish (SEED=$SEED)"
summary="calls ${BASH_REMATCH[1]}, returned ${BASH_REMATCH[2]}, raised ${BASH_REMATCH[3]}, problems ${BASH_REMATCH[4]}, SEED=$SEED"
if [ "${BASH_REMATCH[4]}" = 0 ]; then
	echo "PASS property ($summary)"
	echo "1 passed, 0 failed"
else
	echo "FAIL property: invariants broken ($summary)"
	echo "0 passed, 1 failed"
	exit 1
fi

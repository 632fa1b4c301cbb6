#!/usr/bin/env bash
# The attack suite: each case acts as one of five actors (the bot, a
# grantee, a non-superuser sym_access_admin, a database owner, a CREATEROLE
# user) and FAILs when the attack succeeds — a membership, a privilege, a
# changed row, a stalled or failed sweep, a missing SQLSTATE.
#
#   test/attacks/run.sh [REGEX]    only the case files whose name matches REGEX
#
# Uses the cluster in the environment (PGHOST, PGPORT, PGUSER=postgres;
# `. DIR/env` after test/cluster.sh start DIR), with its own database and
# roles (prefix atk<random>_), removed at the end.  The install-time and
# worker cases start a second cluster (test/cluster.sh, same PG_CONFIG)
# where the extension's roles do not exist yet and the library is preloaded.
# ATTACK_EDITION=pgtle ATTACK_INSTALLER=ROLE: against the pg_tle edition,
# installed by ROLE (test/pgtle/run.sh; cases that exercise only the C
# edition SKIP there).
# Prints PASS/FAIL/SKIP per case and "N passed, M failed, K skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-$(command -v pg_config || echo pg_config)}
only=${1:-}

T=$(mktemp -d /tmp/sym_access_attacks.XXXXXX)
chmod 755 "$T"
P="atk$(printf '%04x' $((RANDOM)))"
DB=${P}_db
export PGOPTIONS='-c client_min_messages=warning'

# shellcheck source=test/attacks/lib.sh
. "$here/lib.sh"

PGV=$(psql -X -At -d postgres -c 'SHOW server_version_num') || { echo "attacks: no server"; echo "0 passed, 1 failed"; exit 1; }
# The extension's own roles are cluster-wide: drop them at the end only if
# this run created them.
ext_roles_before=$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sym\\_access\\_%'")

cleanup() {
	[ -z "${KEEP_EXTRA_LOG:-}" ] || cp "$T/extra/server.log" /tmp/attacks-extra.log 2>/dev/null
	local r
	set +e
	use_main
	for s in "$T"/*.in; do [ -e "$s" ] && close_session "$(basename "$s" .in)"; done
	[ -n "${EXTRA:-}" ] && "$root/test/cluster.sh" stop "$EXTRA" >/dev/null 2>&1
	psql -X -At -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE '${P}%' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	for d in $(psql -X -At -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE '${P}%'"); do
		psql -X -q -d postgres -c "DROP DATABASE \"$d\" WITH (FORCE)" >/dev/null 2>&1
	done
	# roles: a few passes (memberships granted by one to another)
	for _ in 1 2 3; do
		while IFS= read -r r; do
			psql -X -q -d postgres -v r="$r" <<<'DROP ROLE IF EXISTS :"r"' >/dev/null 2>&1
		done < <(psql -X -At -d postgres -c "SELECT rolname FROM pg_roles WHERE rolname LIKE '${P}%' OR rolname IN (SELECT unnest(string_to_array('${CREATED_PLATFORM_ROLES:-}', ',')))")
	done
	if [ "$ext_roles_before" = 0 ]; then
		for r in sym_access_operator sym_access_admin sym_access_grantor; do
			psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# The main fixture: a database owned by a non-superuser, the extension in it,
# and the five actors.
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL || { echo "attacks: set-up failed"; echo "0 passed, 1 failed"; exit 1; }
CREATE ROLE ${P}_owner LOGIN;
CREATE DATABASE ${DB} OWNER ${P}_owner;
SQL
install_ext || { cat "$T/err"; echo "attacks: set-up failed"; echo "0 passed, 1 failed"; exit 1; }
su >/dev/null <<SQL || { echo "attacks: set-up failed"; echo "0 passed, 1 failed"; exit 1; }
CREATE ROLE ${P}_bot LOGIN IN ROLE sym_access_operator;
CREATE ROLE ${P}_admin LOGIN IN ROLE sym_access_admin;
CREATE ROLE ${P}_cr LOGIN CREATEROLE;
CREATE ROLE ${P}_r NOLOGIN;
CREATE ROLE ${P}_g LOGIN;
CREATE TABLE public.${P}_secret (x int);
INSERT INTO public.${P}_secret VALUES (1), (2), (3);
GRANT SELECT ON public.${P}_secret TO ${P}_r;
SELECT sym_access.allow_role('${P}_r');
SQL
BOT=${P}_bot ADMIN=${P}_admin OWNER=${P}_owner CR=${P}_cr R=${P}_r G=${P}_g
export BOT ADMIN OWNER CR R G

echo "attack suite: PostgreSQL $PGV, edition $EDITION (installed by $INSTALLER), database $DB, prefix $P"
for f in "$here"/cases/*.sh; do
	[[ $(basename "$f") =~ $only ]] || continue
	echo "--- $(basename "$f" .sh)"
	started=$SECONDS
	# shellcheck source=/dev/null
	. "$f"
	echo "    ($((SECONDS - started)) s)"
done

echo
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

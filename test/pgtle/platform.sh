#!/usr/bin/env bash
# Make the cluster in the environment (PGHOST, PGPORT; superuser postgres;
# pg_tle preloaded) look like a managed platform for the pg_tle edition.
#
#   test/pgtle/platform.sh              the platform's admin only
#   test/pgtle/platform.sh template1    ... and pg_tle in template1, with the
#                                       edition registered there by the admin
#
# The admin as on RDS: rds_admin, LOGIN CREATEROLE CREATEDB, member of an
# rds_superuser stand-in (rds_superuser_emul) and of pgtle_admin;
# rds_superuser_emul may hand out pg_signal_backend (on 16+ granting it needs
# ADMIN on it: RDS's master user can, which is assumed here). With template1,
# every database created afterwards is a copy that has pg_tle and the edition
# registered: rds_admin's CREATE EXTENSION sym_access works there (given
# CREATE on that database). Used by test/pgtle/run.sh and, for the second
# cluster of the attack suite, by test/attacks/lib.sh.
# PGTLE_SCRIPT: the edition's script (default dist/sym_access.pgtle.sql).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
script=${PGTLE_SCRIPT:-$root/dist/sym_access.pgtle.sql}

psql -qX -v ON_ERROR_STOP=1 -d postgres <<SQL || exit 1
CREATE ROLE rds_superuser_emul NOLOGIN;
GRANT pg_signal_backend TO rds_superuser_emul WITH ADMIN OPTION;
CREATE ROLE rds_admin LOGIN CREATEROLE CREATEDB;
GRANT rds_superuser_emul TO rds_admin;
SQL
[ "${1:-}" = template1 ] || exit 0
psql -qX -v ON_ERROR_STOP=1 -d template1 -c 'CREATE EXTENSION pg_tle' -c 'GRANT pgtle_admin TO rds_admin' &&
	psql -qX -v ON_ERROR_STOP=1 -U rds_admin -d template1 -f "$script" >/dev/null

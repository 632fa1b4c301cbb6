#!/usr/bin/env bash
# The pg_tle edition's tests (SUITES=pgtle in scripts/test.sh).
#
#   test/pgtle/run.sh            PostgreSQL 18 (default)
#   PGTLE_MAJORS="18" test/pgtle/run.sh
#
# For each major: a private PostgreSQL tree (scripts/pg-versions.sh with its own
# cache root, .cache/pg-tle, into which only pg_tle is installed: pg_tle
# refuses to install a TLE named like an extension whose control file the
# server has, so the C edition must never be installed there), pg_tle 1.5.2
# built from ../shared/vendor, a throwaway cluster with
# shared_preload_libraries = pg_tle, then
#   1. the C edition's sql/ pg_regress suite against the pg_tle edition,
#      installed through dist/sym_access.pgtle.sql by a non-superuser admin
#      (alternative expected files: test/pgtle/expected/, each one a
#      difference declared in README.md);
#   2. the RDS emulation suite (test/pgtle/rds.sh).
# 15 is not run: Debian's 15 is the shared system server, and pg_tle may not
# be installed into it; 17 does not load pg_tle here (see README).
# Prints one "N passed, M failed" line.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
majors=${PGTLE_MAJORS:-18}
vendor=${PGTLE_TARBALL:-$root/../shared/vendor/pg_tle-1.5.2.tar.gz}
passed=0
failed=0
tmp=$(mktemp -d /tmp/sym_access_pgtle.XXXXXX)
chmod 755 "$tmp"
cleanup() { PG_CONFIG=${PG_CONFIG:-pg_config} test/cluster.sh stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

# Build and install pg_tle into the private tree, once.
pg_tle_ready() {
	local share
	share=$("$PG_CONFIG" --sharedir)/extension
	if [ -f "$share/sym_access.control" ]; then
		echo "pgtle: $share has the C edition's sym_access.control; pg_tle refuses to install a TLE of that name there" >&2
		return 1
	fi
	[ -f "$share/pg_tle.control" ] && return 0
	if [ ! -f "$vendor" ]; then
		echo "pgtle: $vendor is absent; get pg_tle 1.5.2 from https://github.com/aws/pg_tle (tag v1.5.2) and set PGTLE_TARBALL" >&2
		return 1
	fi
	mkdir -p "$tmp/src" && tar xzf "$vendor" -C "$tmp/src" || return 1
	if ! { make -s -C "$tmp/src/pg_tle-1.5.2" PG_CONFIG="$PG_CONFIG" &&
		make -s -C "$tmp/src/pg_tle-1.5.2" PG_CONFIG="$PG_CONFIG" install; } >"$tmp/pg_tle-build.log" 2>&1; then
		tail -30 "$tmp/pg_tle-build.log" >&2
		return 1
	fi
}

# The platform's admin as on RDS: LOGIN CREATEROLE CREATEDB, member of an
# rds_superuser stand-in and of pgtle_admin; rds_superuser may hand out
# pg_signal_backend (on 16+ granting it needs ADMIN on it: RDS's master user
# can, which is assumed here) and create in the database.
setup_admin() {
	local db=$1
	psql -qX -v ON_ERROR_STOP=1 -d postgres <<SQL || return 1
CREATE ROLE rds_superuser_emul NOLOGIN;
GRANT pg_signal_backend TO rds_superuser_emul WITH ADMIN OPTION;
CREATE ROLE rds_admin LOGIN CREATEROLE CREATEDB;
GRANT rds_superuser_emul TO rds_admin;
CREATE DATABASE $db OWNER rds_admin;
SQL
	psql -qX -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION pg_tle' -c 'GRANT pgtle_admin TO rds_admin' || return 1
	psql -qX -v ON_ERROR_STOP=1 -U rds_admin -d "$db" -f dist/sym_access.pgtle.sql >/dev/null
}

regress_counts() {
	local out=$1 n m bad all
	if n=$(sed -n 's/.*All \([0-9]*\) tests passed.*/\1/p' "$out") && [ -n "$n" ]; then
		echo "$n 0"
	elif m=$(sed -n 's/.* \([0-9]*\) of \([0-9]*\) tests failed.*/\1 \2/p' "$out") && [ -n "$m" ]; then
		read -r bad all <<<"$m"
		echo "$((all - bad)) $bad"
	else
		echo "0 1"
	fi
}

run_regress() {
	local major=$1 in=$tmp/in-$1 out=$tmp/out-$1 p f pg_regress tests
	pg_regress=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
	rm -rf "$in" "$out" && mkdir -p "$in" "$out"
	cp -r sql expected META.json "$in/"
	cp test/pgtle/expected/*.out "$in/expected/" 2>/dev/null
	mapfile -t tests < <(find sql -name '*.sql' -printf '%f\n' | sed 's/\.sql$//' | sort)
	# pg_regress must not recreate the database: the TLE lives in it.
	(cd "$in" && "$pg_regress" --inputdir="$in" --outputdir="$out" --use-existing \
		--dbname=contrib_regression --bindir="$("$PG_CONFIG" --bindir)" \
		"${tests[@]}") 2>&1 | tee "$out/summary"
	[ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
	# PGTLE_RESULTS=DIR keeps the outputs (to review an expected file's update)
	[ -z "${PGTLE_RESULTS:-}" ] || cp -r "$out/results" "$PGTLE_RESULTS-$major"
	read -r p f <<<"$(regress_counts "$out/summary")"
	echo "pgtle regress ($major): $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

for major in $majors; do
	if ! PG_CONFIG=$(PG_VERSIONS_CACHE="$root/.cache/pg-tle" scripts/pg-versions.sh "$major"); then
		failed=$((failed + 1))
		continue
	fi
	export PG_CONFIG
	if ! pg_tle_ready; then
		failed=$((failed + 1))
		continue
	fi
	scripts/pgtle-dist.sh -o "$tmp/sym_access.pgtle.sql" && mkdir -p dist &&
		cp "$tmp/sym_access.pgtle.sql" dist/sym_access.pgtle.sql
	test/cluster.sh start "$tmp/pg" shared_preload_libraries=pg_tle || { failed=$((failed + 1)); continue; }
	# shellcheck disable=SC1091
	. "$tmp/pg/env"
	if setup_admin contrib_regression; then
		run_regress "$major"
	else
		failed=$((failed + 1))
	fi
	test/cluster.sh stop "$tmp/pg"
	test/cluster.sh start "$tmp/pg" shared_preload_libraries=pg_tle || { failed=$((failed + 1)); continue; }
	# shellcheck disable=SC1091
	. "$tmp/pg/env"
	out=$(PGTLE_MAJOR=$major test/pgtle/rds.sh 2>&1)
	printf '%s\n' "$out"
	n=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' | tail -1)
	read -r p f <<<"${n:-0 1}"
	echo "pgtle rds ($major): $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
	test/cluster.sh stop "$tmp/pg"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# The pg_tle edition's tests (SUITES=pgtle in scripts/test.sh).
#
#   test/pgtle/run.sh            PostgreSQL 15 and 18 (default)
#   PGTLE_MAJORS="18" test/pgtle/run.sh   one of them
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
#   2. the isolation specs (test/isolation/);
#   3. the RDS emulation suite (test/pgtle/rds.sh);
#   4. the attack suite (test/attacks/run.sh) against the edition, installed
#      on 15 by the non-superuser admin, on 16+ by the superuser (the cases
#      create their roles as the superuser, and on 16+ the admin could not
#      hand those out: it holds ADMIN OPTION only on roles it created);
#      cases of the C edition only (its worker) SKIP;
#   5. the shim's sweep event against the edition (test/pgtle/shim-sweep.sh);
#   6. the temporary users' leak-and-login suite (test/tempusers/run.sh,
#      EDITION=pgtle, in a cluster of its own).
# PGTLE_PARTS="regress isolation rds tempusers attacks shim" selects parts (default all).
# 15: Debian's 15 is the shared system server, into which nothing may be
# installed; a private copy of it (private_15 below) gets pg_tle instead. 17
# does not load pg_tle here (see README).
# Prints a line of counts per major ("pgtle 15: regress ...") and one
# "N passed, M failed" line.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
majors=${PGTLE_MAJORS:-15 18}
parts=" ${PGTLE_PARTS:-regress isolation rds tempusers attacks shim} "
part() { [[ $parts == *" $1 "* ]]; }
vendor=${PGTLE_TARBALL:-$root/../shared/vendor/pg_tle-1.5.2.tar.gz}
passed=0
failed=0
tmp=$(mktemp -d /tmp/sym_access_pgtle.XXXXXX)
chmod 755 "$tmp"
cleanup() { PG_CONFIG=${PG_CONFIG:-pg_config} test/cluster.sh stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

# A private copy of Debian's PostgreSQL 15 (server, client programs, PGXS)
# under .cache/pg-tle/15, without the C edition's files, and a pg_config
# stand-in for it. The server finds its share and lib folders relative to
# its own binary, so the copy runs as is.
private_15() {
	local top=$root/.cache/pg-tle/15 sys=/usr/lib/postgresql/15/bin/pg_config
	[ -x "$sys" ] || { echo "pgtle: $sys is missing (scripts/deps.sh extension)" >&2; return 1; }
	if [ ! -f "$top/.stamp" ]; then
		rm -rf "$top" && mkdir -p "$top/root/usr/lib/postgresql" "$top/root/usr/share/postgresql" "$top/bin" &&
			cp -a /usr/lib/postgresql/15 "$top/root/usr/lib/postgresql/" &&
			cp -a /usr/share/postgresql/15 "$top/root/usr/share/postgresql/" || return 1
		rm -f "$top"/root/usr/share/postgresql/15/extension/sym_access* "$top"/root/usr/lib/postgresql/15/lib/sym_access.so
		cat >"$top/bin/pg_config" <<STANDIN
#!/bin/sh
# pg_config stand-in for the private copy of Debian's PostgreSQL 15 around it
# (test/pgtle/run.sh): Debian's answers, with bin, lib and share in the copy.
root=\$(cd "\$(dirname "\$0")/../root" && pwd -P)
$sys "\$@" | sed "s#^/usr/lib/postgresql/15#\$root/usr/lib/postgresql/15#; s#^/usr/share/postgresql/15#\$root/usr/share/postgresql/15#"
STANDIN
		chmod 755 "$top/bin/pg_config" && touch "$top/.stamp"
	fi
	echo "$top/bin/pg_config"
}

# Build and install pg_tle into the private tree, once.
pg_tle_ready() {
	local share src
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
	# A fresh source tree per server: objects built for one major's headers
	# must never be reused for another (make would, by their timestamps).
	src=$(mktemp -d "$tmp/src.XXXXXX") && tar xzf "$vendor" -C "$src" || return 1
	if ! { make -s -C "$src/pg_tle-1.5.2" PG_CONFIG="$PG_CONFIG" &&
		make -s -C "$src/pg_tle-1.5.2" PG_CONFIG="$PG_CONFIG" install; } >"$tmp/pg_tle-build.log" 2>&1; then
		tail -30 "$tmp/pg_tle-build.log" >&2
		return 1
	fi
}

# The platform's admin as on RDS (test/pgtle/platform.sh says who).
setup_admin() { test/pgtle/platform.sh; }

# A database with pg_tle, where the admin has installed the edition.
tle_database() {
	local db=$1
	psql -qX -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db OWNER rds_admin" || return 1
	psql -qX -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION pg_tle' -c 'GRANT pgtle_admin TO rds_admin' || return 1
	psql -qX -v ON_ERROR_STOP=1 -U rds_admin -d "$db" -f dist/sym_access.pgtle.sql >/dev/null
}

regress_counts() { scripts/regress-counts.sh "$1"; }

run_regress() {
	local major=$1 in=$tmp/in-$1 out=$tmp/out-$1 p f pg_regress tests
	pg_regress=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
	rm -rf "$in" "$out" && mkdir -p "$in" "$out"
	cp -r sql expected META.json "$in/"
	cp test/pgtle/expected/*.out "$in/expected/" 2>/dev/null
	# 97_upgrade updates the C edition from 1.0.0, which this edition never
	# had (declared in README); rds.sh drills this edition's update instead.
	mapfile -t tests < <(find sql -name '*.sql' ! -name 97_upgrade.sql -printf '%f\n' | sed 's/\.sql$//' | sort)
	# pg_regress must not recreate the database: the TLE lives in it.
	(cd "$in" && "$pg_regress" --inputdir="$in" --outputdir="$out" --use-existing \
		--dbname=contrib_regression --bindir="$("$PG_CONFIG" --bindir)" \
		"${tests[@]}") 2>&1 | tee "$out/summary"
	[ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
	# PGTLE_RESULTS=DIR keeps the outputs (to review an expected file's update)
	[ -z "${PGTLE_RESULTS:-}" ] || cp -r "$out/results" "$PGTLE_RESULTS-$major"
	read -r p f <<<"$(regress_counts "$out/summary")"
	echo "pgtle regress ($major): $p passed, $f failed"
	tally "regress $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

# The isolation specs (test/isolation/), in a database of their own (their
# expected output names audit ids).
run_isolation() {
	local major=$1 out=$tmp/iso-$1 p f iso specs
	iso=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/isolation/pg_isolation_regress
	mkdir -p "$out"
	mapfile -t specs < <(find test/isolation/specs -name '*.spec' -printf '%f\n' | sed 's/\.spec$//' | sort)
	tle_database isolation_regression || { failed=$((failed + 1)); return; }
	"$iso" --inputdir=test/isolation --outputdir="$out" --use-existing --dbname=isolation_regression \
		--bindir="$("$PG_CONFIG" --bindir)" "${specs[@]}" 2>&1 | tee "$out/summary"
	[ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
	read -r p f <<<"$(regress_counts "$out/summary")"
	echo "pgtle isolation ($major): $p passed, $f failed"
	tally "isolation $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

# Adds a script's last "N passed, M failed[, K skipped]" line (none: one
# failure) under NAME for MAJOR.
add_counts() { # name, major, output[, note]
	local n p f k
	n=$(printf '%s\n' "$3" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}.*/\1 \2 \4/p' | tail -1)
	read -r p f k <<<"${n:-0 1}"
	echo "pgtle $1 ($2): $p passed, $f failed${k:+, $k skipped}"
	tally "$1 $p passed, $f failed${k:+, $k skipped}${4:+ ($4)}"
	passed=$((passed + p))
	failed=$((failed + f))
}
# The per-major line of counts, printed at the end.
declare -A per_major
tally() { per_major[$major]+="${per_major[$major]:+; }$1"; }

for major in $majors; do
	if [ "$major" = 15 ]; then
		PG_CONFIG=$(private_15)
	else
		PG_CONFIG=$(PG_VERSIONS_CACHE="$root/.cache/pg-tle" scripts/pg-versions.sh "$major")
	fi
	# shellcheck disable=SC2181 # the assignment's status, from either branch
	if [ $? != 0 ] || [ -z "$PG_CONFIG" ]; then
		failed=$((failed + 1))
		continue
	fi
	export PG_CONFIG
	if ! pg_tle_ready; then
		tally "pg_tle could not be built or installed"
		failed=$((failed + 1))
		continue
	fi
	scripts/pgtle-dist.sh -o "$tmp/sym_access.pgtle.sql" && mkdir -p dist &&
		cp "$tmp/sym_access.pgtle.sql" dist/sym_access.pgtle.sql
	if part regress || part isolation; then
		test/cluster.sh start "$tmp/pg" shared_preload_libraries=pg_tle || { failed=$((failed + 1)); continue; }
		# shellcheck disable=SC1091
		. "$tmp/pg/env"
		if setup_admin && tle_database contrib_regression; then
			part regress && run_regress "$major"
			part isolation && run_isolation "$major"
		else
			tally "set-up failed"
			failed=$((failed + 1))
		fi
		test/cluster.sh stop "$tmp/pg"
	fi
	# pg_cron where this server has it (Debian's postgresql-15-cron): the
	# sweep without a worker. Its jobs run in background workers, not over
	# a libpq connection.
	gucs=(shared_preload_libraries=pg_tle)
	if [ -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
		gucs=("shared_preload_libraries='pg_tle,pg_cron'" cron.use_background_workers=on max_worker_processes=16)
	fi
	if part rds; then
		test/cluster.sh start "$tmp/pg" "${gucs[@]}" || { failed=$((failed + 1)); continue; }
		# shellcheck disable=SC1091
		. "$tmp/pg/env"
		out=$(PGTLE_MAJOR=$major test/pgtle/rds.sh 2>&1)
		printf '%s\n' "$out"
		add_counts rds "$major" "$out"
		test/cluster.sh stop "$tmp/pg"
	fi
	if part tempusers; then
		out=$(EDITION=pgtle test/tempusers/run.sh 2>&1)
		printf '%s\n' "$out"
		add_counts tempusers "$major" "$out"
	fi
	part attacks || part shim || continue
	# The attack suite and the shim's sweep: every database they make is a
	# copy of template1, which has pg_tle and the edition registered by the
	# admin (test/pgtle/platform.sh).
	test/cluster.sh start "$tmp/pg" shared_preload_libraries=pg_tle || { failed=$((failed + 1)); continue; }
	# shellcheck disable=SC1091
	. "$tmp/pg/env"
	if ! test/pgtle/platform.sh template1; then
		tally "platform set-up failed"
		failed=$((failed + 1))
		test/cluster.sh stop "$tmp/pg"
		continue
	fi
	if part attacks; then
		installer=${PGTLE_ATTACK_INSTALLER:-postgres}
		[ "$major" -ge 16 ] || installer=${PGTLE_ATTACK_INSTALLER:-rds_admin}
		started=$SECONDS
		out=$(ATTACK_EDITION=pgtle ATTACK_INSTALLER=$installer test/attacks/run.sh 2>&1)
		printf '%s\n' "$out" | grep -E '^(attack suite|FAIL|SKIP)'
		add_counts attacks "$major" "$out" "installed by $installer, $((SECONDS - started)) s"
	fi
	if part shim; then
		out=$(test/pgtle/shim-sweep.sh 2>&1)
		printf '%s\n' "$out"
		add_counts "shim sweep" "$major" "$out"
	fi
	test/cluster.sh stop "$tmp/pg"
done
for major in $majors; do
	echo "pgtle $major: ${per_major[$major]:-nothing ran}"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# The packaging suite: builds every artifact the way a release does and uses
# them the way a user would. Prints "N passed, M failed".
#
#   test/package.sh
#   SYM_PKG_PARTS="deb dist lambda install" picks parts (default: all; install
#   uses the packages in dist/ that deb built)
#
#   - make deb: one postgresql-<major>-sym-access per major here, and
#     sym-access-shim; lintian clean (pedantic, overrides justified in debian/)
#   - make dist: the PGXN zip, META.json valid, built with PGXS from the
#     unpacked zip and installed into a DESTDIR (never into the system)
#   - make lambda-zip twice from scratch gives the same bytes; SHA256SUMS
#   - in a clean debootstrap'ed bookworm root (scripts/package-root.sh):
#     apt-get install ./the.deb, a cluster, CREATE EXTENSION, allow_role, a
#     grant and a revoke by a bot holding only sym_access_operator, apt-get
#     remove leaves none of the package's files; then the upgrade from the
#     release commit's package ($SYM_RELEASE_REF, default 98d67ea = 1.0.0) to
#     this one with live grants and audit rows, and ALTER EXTENSION UPDATE.
#
# Needs root (chroot, mounts). The built .deb is installed only in the chroot.
# Caches (SYM_ROOT_CACHE, default /var/cache/sym_access): the pristine root,
# the chroot's downloaded .debs, the release's packages.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
export SYM_ROOT_CACHE=${SYM_ROOT_CACHE:-/var/cache/sym_access}
release_ref=${SYM_RELEASE_REF:-98d67ea}
parts=" ${SYM_PKG_PARTS:-deb dist lambda install} "

# Mounts made below stay in this process's own mount namespace: nothing can
# leak onto the host even if the trap never runs.
if [ -z "${SYM_PKG_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	SYM_PKG_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

passed=0
failed=0
out=$(mktemp -d /tmp/sym_access_pkg.XXXXXX)
chmod 755 "$out"
croot=$out/root

# check NAME COMMAND...: run COMMAND, report, show its output on failure.
check() {
	local name=$1 t0=$SECONDS
	shift
	if "$@" >"$out/log" 2>&1; then
		passed=$((passed + 1))
		printf 'ok    %-44s (%ss) %s\n' "$name" $((SECONDS - t0)) "$(tail -n 1 "$out/log")"
	else
		failed=$((failed + 1))
		printf 'FAIL  %-44s (%ss)\n' "$name" $((SECONDS - t0))
		sed 's/^/      /' "$out/log" | tail -n 40
	fi
}

control_version() { sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p"; }
version=$(control_version <extension/sym_access.control)
arch=$(dpkg --print-architecture)
majors=$(pg_buildext supported-versions)

# ---- Debian packages ---------------------------------------------------------

deb_build() {
	rm -f dist/*.deb
	make -s deb || return 1
	local m f
	for m in $majors; do
		f=dist/postgresql-$m-sym-access_$version-1_$arch.deb
		[ -f "$f" ] || { echo "missing $f"; return 1; }
	done
	[ -f "dist/sym-access-shim_$version-1_$arch.deb" ] || { echo "missing the shim package"; return 1; }
	echo "built (PostgreSQL $(echo "$majors" | xargs)): $(find dist -name '*.deb' -printf '%f ' | sort)"
}

# Pedantic, and every override must be used (an unused one is a warning).
deb_lintian() {
	local as=()
	[ "$(id -u)" != 0 ] || as=(runuser -u nobody --)
	cp dist/*.deb "$out/" && chmod 644 "$out"/*.deb
	"${as[@]}" lintian --pedantic -I --fail-on error,warning,info,pedantic "$out"/*.deb || return 1
	echo "lintian: no tags"
}

# The extension package carries the module, the control file and every
# install and upgrade script of the tree; the shim package its binary and man page.
deb_contents() {
	local m list want
	for m in $majors; do
		list=$(dpkg-deb -c "dist/postgresql-$m-sym-access_$version-1_$arch.deb" | awk '{print $6}')
		for want in "./usr/lib/postgresql/$m/lib/sym_access.so" \
			"./usr/share/postgresql/$m/extension/sym_access.control" \
			$(for s in extension/sym_access--*.sql; do echo "./usr/share/postgresql/$m/extension/${s#extension/}"; done); do
			grep -qxF "$want" <<<"$list" || { echo "postgresql-$m-sym-access lacks $want"; return 1; }
		done
		dpkg-deb -f "dist/postgresql-$m-sym-access_$version-1_$arch.deb" Depends | grep -q "postgresql-$m" ||
			{ echo "postgresql-$m-sym-access does not depend on postgresql-$m"; return 1; }
	done
	list=$(dpkg-deb -c "dist/sym-access-shim_$version-1_$arch.deb" | awk '{print $6}')
	for want in ./usr/bin/sym-access-shim ./usr/share/man/man1/sym-access-shim.1.gz \
		./usr/share/doc/sym-access-shim/shim.md.gz; do
		grep -qxF "$want" <<<"$list" || { echo "sym-access-shim lacks $want"; return 1; }
	done
	echo "contents as expected"
}

# ---- PGXN --------------------------------------------------------------------

dist_build() {
	rm -f dist/sym_access-*.zip
	make -s dist || return 1
	[ -f "dist/sym_access-$version.zip" ] || { echo "no dist/sym_access-$version.zip"; return 1; }
}

# What pgxn install does, into a DESTDIR: unpack, PGXS make, make install.
dist_pgxs() {
	local d=$out/pgxn pgc
	pgc=$(command -v pg_config) || return 1
	mkdir -p "$d" && unzip -q "dist/sym_access-$version.zip" -d "$d" || return 1
	[ "$(ls "$d")" = "sym_access-$version" ] || { echo "zip top level: $(ls "$d")"; return 1; }
	scripts/pgxn-meta-check.py "$d/sym_access-$version/META.json" "$d/sym_access-$version" || return 1
	make -s -C "$d/sym_access-$version" PG_CONFIG="$pgc" WERROR=1 || return 1
	make -s -C "$d/sym_access-$version" PG_CONFIG="$pgc" install DESTDIR="$d/dest" >/dev/null || return 1
	local s
	for s in "$("$pgc" --pkglibdir)/sym_access.so" "$("$pgc" --sharedir)/extension/sym_access.control" \
		"$("$pgc" --sharedir)/extension/sym_access--$version.sql"; do
		[ -f "$d/dest$s" ] || { echo "not installed: $s"; return 1; }
	done
	echo "built and installed into DESTDIR from the unpacked zip"
}

# A broken META.json must be refused (the check is not a rubber stamp).
dist_meta_refuses() {
	python3 - META.json "$out/bad.json" <<'PY' || return 1
import json, sys
m = json.load(open(sys.argv[1]))
m["version"] = "1.0"
m["license"] = "GPL"
json.dump(m, open(sys.argv[2], "w"))
PY
	if scripts/pgxn-meta-check.py "$out/bad.json" >"$out/bad.out"; then
		echo "accepted a bad META.json"
		return 1
	fi
	grep -q license "$out/bad.out" && grep -q version "$out/bad.out" && echo "refused: $(wc -l <"$out/bad.out") problems"
}

# ---- Lambda zip --------------------------------------------------------------

lambda_repro() {
	make -s -C shim clean && make -s lambda-zip >/dev/null || return 1
	cp dist/sym-access-lambda.zip "$out/lambda1.zip"
	sleep 1 # a build that stamped the time would now differ
	make -s -C shim clean && make -s lambda-zip >/dev/null || return 1
	cmp "$out/lambda1.zip" dist/sym-access-lambda.zip || return 1
	echo "same bytes: $(sha256sum <dist/sym-access-lambda.zip | cut -c1-16)"
}

sums_complete() {
	local f
	(cd dist && sha256sum --quiet -c SHA256SUMS) || return 1
	for f in dist/*; do
		[ "$f" = dist/SHA256SUMS ] && continue
		grep -q "  ${f#dist/}\$" dist/SHA256SUMS || { echo "not in SHA256SUMS: $f"; return 1; }
	done
	echo "$(wc -l <dist/SHA256SUMS) artifacts listed and verified"
}

# ---- the clean root ----------------------------------------------------------

in_root() {
	chroot "$croot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
}
# psql in the root: psql_as OSUSER DB SQL (peer authentication: OS user = role)
psql_as() {
	in_root runuser -u "$1" -- psql -X -q -v ON_ERROR_STOP=1 -At -d "$2" -c "$3"
}
apt_in_root() {
	in_root apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "$@"
}

cleanup() {
	if [ -d "$croot/proc" ]; then
		local p m
		for m in $majors; do
			in_root pg_ctlcluster "$m" main stop -m immediate >/dev/null 2>&1
		done
		for p in /proc/[0-9]*; do # anything still running inside the root
			[ "$(readlink "$p/root" 2>/dev/null)" = "$croot" ] && kill -9 "${p#/proc/}" 2>/dev/null
		done
		for m in var/cache/apt/archives dev/shm proc; do
			mountpoint -q "$croot/$m" && umount -l "$croot/$m"
		done
	fi
	# Never remove through a mount that is still there.
	if ! grep -q " $out/" /proc/self/mounts; then rm -rf "$out"; else echo "left $out: still mounted" >&2; fi
}
trap cleanup EXIT

root_up() {
	scripts/package-root.sh "$croot" || return 1
	mount -t proc proc "$croot/proc" &&
		mount -t tmpfs -o mode=1777,size=256m shm "$croot/dev/shm" || return 1
	# Downloaded .debs survive between runs; the lists are the cached root's.
	mkdir -p "$SYM_ROOT_CACHE/apt-archives/partial" &&
		mount --bind "$SYM_ROOT_CACHE/apt-archives" "$croot/var/cache/apt/archives" || return 1
	mkdir -p "$croot/tmp/debs"
	echo "bookworm root in $croot"
}

# PostgreSQL from the mirror comes in as the package's dependency; the
# cluster it creates listens on its socket only (the host may use 5432).
ext_install() { # ext_install DEB...: apt-get install ./... inside the root
	local d args=()
	for d in "$@"; do
		cp "$d" "$croot/tmp/debs/" && args+=("/tmp/debs/$(basename "$d")")
	done
	# The root's package lists date from its caching: when the mirror has moved
	# on since (a security update replaced a version), fetch them and try again.
	if ! apt_in_root install "${args[@]}" >"$out/apt.log" 2>&1; then
		if ! { apt_in_root update && apt_in_root install "${args[@]}"; } >>"$out/apt.log" 2>&1; then
			tail -n 30 "$out/apt.log"
			return 1
		fi
	fi
	echo "installed: $(grep -c '^Setting up' "$out/apt.log") packages set up"
}

cluster_up() {
	local m=$1
	in_root pg_conftool "$m" main set listen_addresses "" &&
		in_root pg_ctlcluster "$m" main start || return 1
	psql_as postgres postgres "SELECT version()"
}

# The user's first hour: CREATE EXTENSION, allow a role, a bot with only
# sym_access_operator grants it to someone and revokes it.
smoke() {
	local got
	in_root sh -c 'id sym_bot >/dev/null 2>&1 || useradd -M sym_bot' || return 1
	psql_as postgres postgres "CREATE DATABASE smoke" &&
		psql_as postgres smoke "CREATE EXTENSION sym_access;
			CREATE ROLE readonly; CREATE ROLE jane_doe LOGIN;
			SELECT sym_access.allow_role('readonly', 'Read Only', '1 hour', '8 hours');
			CREATE ROLE sym_bot LOGIN; GRANT sym_access_operator TO sym_bot;" >/dev/null || return 1
	got=$(psql_as sym_bot smoke "SELECT outcome FROM sym_access.grant('readonly', 'jane_doe', '30 minutes', '{\"run_srn\": \"smoke-1\"}')") || return 1
	[ "$got" = granted ] || { echo "grant: $got"; return 1; }
	got=$(psql_as postgres smoke "SELECT pg_has_role('jane_doe', 'readonly', 'MEMBER')")
	[ "$got" = t ] || { echo "jane_doe is not a member after the grant"; return 1; }
	got=$(psql_as sym_bot smoke "SELECT outcome FROM sym_access.revoke('readonly', 'jane_doe', '{\"run_srn\": \"smoke-1\"}')") || return 1
	[ "$got" = revoked ] || { echo "revoke: $got"; return 1; }
	got=$(psql_as postgres smoke "SELECT pg_has_role('jane_doe', 'readonly', 'MEMBER'),
		(SELECT string_agg(action || ':' || outcome, ',' ORDER BY id) FROM sym_access.audit WHERE role_name = 'readonly')")
	[ "$got" = "f|allow:allowed,grant:granted,revoke:revoked" ] || { echo "after revoke: $got"; return 1; }
	# The bot holds only sym_access_operator: it cannot grant roles by hand.
	if psql_as sym_bot smoke "GRANT readonly TO jane_doe" >/dev/null 2>&1; then
		echo "the bot could GRANT directly"
		return 1
	fi
	echo "CREATE EXTENSION $(psql_as postgres smoke "SELECT extversion FROM pg_extension WHERE extname = 'sym_access'"), grant, revoke, audit"
}

shim_runs() {
	local v
	v=$(in_root sym-access-shim --version) || return 1
	[ "$v" = "sym-access-shim $version" ] || { echo "version: $v"; return 1; }
	in_root man -w sym-access-shim >/dev/null 2>&1 || [ -f "$croot/usr/share/man/man1/sym-access-shim.1.gz" ] || return 1
	echo "$v"
}

# apt-get remove takes every file the packages installed.
remove_clean() {
	local pkgs=("$@") files f left=0
	psql_as postgres postgres "DROP DATABASE smoke" &&
		psql_as postgres postgres "DROP ROLE readonly, jane_doe" || return 1
	files=$(in_root dpkg -L "${pkgs[@]}" | sort -u) || return 1
	apt_in_root remove "${pkgs[@]}" >"$out/apt.log" 2>&1 || { tail -n 20 "$out/apt.log"; return 1; }
	while IFS= read -r f; do
		[ -f "$croot$f" ] || [ -L "$croot$f" ] || continue
		echo "left behind: $f"
		left=$((left + 1))
	done <<<"$files"
	[ "$left" = 0 ] || return 1
	in_root dpkg -s "${pkgs[@]}" 2>/dev/null | grep -q '^Status: install ok' && { echo "still installed"; return 1; }
	echo "removed ${pkgs[*]}; none of their $(grep -c . <<<"$files") paths' files left"
}

# ---- upgrade from the release's package --------------------------------------

# The release's packages, built once per (release commit, debian/) pair;
# sets old_dir.
old_dir=
release_debs() {
	local commit key dir
	commit=$(git rev-parse -q --verify "$release_ref^{commit}") || {
		echo "release commit $release_ref is not in this clone: a full clone of main is needed (git fetch --unshallow)"
		return 1
	}
	key=${commit:0:12}-$(git ls-files -s debian | git hash-object --stdin | cut -c1-12)-$(tar -C debian -c . | sha256sum | cut -c1-12)
	dir=$SYM_ROOT_CACHE/debs/$key
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir" && mkdir -p "$dir" || return 1
		scripts/package-deb.sh --ref "$commit" "$dir" || return 1
		touch "$dir/.done"
	fi
	old_dir=$dir
	echo "$(find "$dir" -name '*.deb' | wc -l) packages in $dir"
}

upgrade() {
	local m=$1 old_dir=$2 old new got before after last
	old=$(git show "$release_ref:extension/sym_access.control" | control_version)
	new=$version
	[ "$old" != "$new" ] || { echo "the release ($release_ref) and this tree are both $new: no upgrade to test"; return 1; }
	[ -f "$root/extension/sym_access--$old--$new.sql" ] || { echo "no extension/sym_access--$old--$new.sql"; return 1; }

	ext_install "$old_dir/postgresql-$m-sym-access_$old-1_$arch.deb" >/dev/null || return 1
	psql_as postgres postgres "CREATE DATABASE upgrade" &&
		psql_as postgres upgrade "CREATE EXTENSION sym_access;
			CREATE ROLE readonly; CREATE ROLE jane_doe LOGIN; CREATE ROLE john_roe LOGIN;
			SELECT sym_access.allow_role('readonly', 'Read Only', '1 hour', '8 hours');" >/dev/null || return 1
	got=$(psql_as sym_bot upgrade "SELECT outcome FROM sym_access.grant('readonly', 'jane_doe', '2 hours', '{\"run_srn\": \"up-1\"}')") || return 1
	[ "$got" = granted ] || { echo "grant on $old: $got"; return 1; }
	got=$(psql_as postgres upgrade "SELECT extversion FROM pg_extension WHERE extname = 'sym_access'")
	[ "$got" = "$old" ] || { echo "extversion before: $got"; return 1; }
	before=$(psql_as postgres upgrade "SELECT string_agg(id || ':' || action || ':' || outcome || ':' || coalesce(grantee, ''), ',' ORDER BY id) FROM sym_access.audit")

	ext_install "dist/postgresql-$m-sym-access_$new-1_$arch.deb" >/dev/null || return 1
	# The new module serves the old SQL until ALTER EXTENSION ... UPDATE.
	psql_as postgres upgrade "ALTER EXTENSION sym_access UPDATE" || return 1
	got=$(psql_as postgres upgrade "SELECT extversion FROM pg_extension WHERE extname = 'sym_access'")
	[ "$got" = "$new" ] || { echo "extversion after: $got"; return 1; }
	after=$(psql_as postgres upgrade "SELECT string_agg(id || ':' || action || ':' || outcome || ':' || coalesce(grantee, ''), ',' ORDER BY id) FROM sym_access.audit WHERE id <= (SELECT max(id) FROM sym_access.audit WHERE run_srn = 'up-1')")
	[ "$before" = "$after" ] || { printf 'audit rows changed:\n  before %s\n  after  %s\n' "$before" "$after"; return 1; }
	got=$(psql_as postgres upgrade "SELECT pg_has_role('jane_doe', 'readonly', 'MEMBER'), count(*) FROM sym_access.active_grants
		WHERE grantee::text IN ('jane_doe', 'jane_doe'::regrole::oid::text)")  # a name or an oid, by version
	[ "$got" = "t|1" ] || { echo "jane_doe's live grant after the upgrade: $got"; return 1; }
	# After the upgrade the old grant is revoked and a new one is made, with
	# audit ids that go on from the old ones.
	got=$(psql_as sym_bot upgrade "SELECT outcome FROM sym_access.revoke('readonly', 'jane_doe', '{\"run_srn\": \"up-1\"}')")
	[ "$got" = revoked ] || { echo "revoke after the upgrade: $got"; return 1; }
	last=$(psql_as postgres upgrade "SELECT max(id) FROM sym_access.audit") || return 1
	got=$(psql_as sym_bot upgrade "SELECT outcome || ':' || audit_id FROM sym_access.grant('readonly', 'john_roe', NULL, '{\"run_srn\": \"up-2\"}')")
	if [ "${got%%:*}" != granted ] || [ "${got#*:}" -le "$last" ]; then
		echo "grant after the upgrade: $got (last audit id $last)"
		return 1
	fi
	echo "$old -> $new: $(tr , '\n' <<<"$before" | wc -l) audit rows and the live grant kept, ids go on"
}

# ---- run ---------------------------------------------------------------------

echo "packaging: sym_access $version, PostgreSQL majors: $(echo "$majors" | xargs)"
scripts/deps.sh deb >/dev/null || { echo "deps: scripts/packages/deb.txt could not be installed"; exit 1; }
if [[ $parts == *" deb "* ]]; then
	check "make deb" deb_build
	check "lintian (pedantic, no tags)" deb_lintian
	check "package contents and dependencies" deb_contents
fi
if [[ $parts == *" dist "* ]]; then
	check "make dist (PGXN zip, META.json checked)" dist_build
	check "PGXN zip: PGXS make && make install DESTDIR" dist_pgxs
	check "meta check refuses a bad META.json" dist_meta_refuses
fi
if [[ $parts == *" lambda "* ]]; then
	check "make lambda-zip twice: same bytes" lambda_repro
	check "dist/SHA256SUMS lists and verifies all" sums_complete
fi

if [[ $parts != *" install "* ]]; then
	:
elif [ "$(id -u)" != 0 ]; then
	echo "FAIL  install tests need root (chroot); run as root"
	failed=$((failed + 1))
else
	first=$(echo "$majors" | head -n 1)
	check "clean bookworm root (cached)" root_up
	if [ -d "$croot/proc" ]; then
		check "apt-get install ./postgresql-$first-sym-access ./sym-access-shim" ext_install \
			"dist/postgresql-$first-sym-access_$version-1_$arch.deb" "dist/sym-access-shim_$version-1_$arch.deb"
		check "cluster $first main in the root" cluster_up "$first"
		check "CREATE EXTENSION, grant, revoke by the bot" smoke
		check "sym-access-shim runs from the package" shim_runs
		check "apt-get remove leaves no files" remove_clean "postgresql-$first-sym-access" sym-access-shim
		check "release packages ($release_ref)" release_debs
		[ -z "$old_dir" ] || check "upgrade from the release's package" upgrade "$first" "$old_dir"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

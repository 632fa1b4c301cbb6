#!/usr/bin/env bash
# Debian packages, the PGDG way (debian/, pg_buildext, dpkg-buildpackage -b):
# postgresql-<major>-sym-access_<version>-1_<arch>.deb for each major that
# `pg_buildext supported-versions` yields here, and sym-access-shim_<...>.deb.
#
#   scripts/package-deb.sh [--ref COMMIT] [OUTDIR]      (default OUTDIR: dist)
#
# The sources are this checkout's tracked and unignored files, or with --ref
# the tree of COMMIT (`git archive`), always packaged with this checkout's
# debian/. The version is the control file's default_version (META.json must
# agree); debian/changelog is written from it, dated with the commit's time.
# Build dependencies: scripts/packages/deb.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ref=
if [ "${1:-}" = --ref ]; then
	ref=${2:?--ref needs a commit}
	shift 2
fi
out=${1:-$root/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d /tmp/sym_access_deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src"

if [ -n "$ref" ]; then
	git -C "$root" cat-file -e "$ref^{commit}" 2>/dev/null || {
		echo "package-deb: commit $ref is not in this clone (a shallow or partial clone?); fetch the full history" >&2
		exit 1
	}
	git -C "$root" archive "$ref" | tar -x -C "$src"
	rm -rf "$src/debian"
	when=$(git -C "$root" log -1 --format=%ct "$ref")
	what=$(git -C "$root" rev-parse --short "$ref")
else
	(cd "$root" && git ls-files -z -co --exclude-standard | tar --null -T - -c) | tar -x -C "$src"
	when=$(git -C "$root" log -1 --format=%ct)
	what="$(git -C "$root" rev-parse --short HEAD) with the working tree"
fi
cp -a "$root/debian" "$src/"

version=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$src/extension/sym_access.control")
[ -n "$version" ] || { echo "package-deb: no default_version in extension/sym_access.control" >&2; exit 1; }
meta=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$src/META.json")
[ "$meta" = "$version" ] || {
	echo "package-deb: META.json says $meta, the control file $version" >&2
	exit 1
}

cat >"$src/debian/changelog" <<CHANGELOG
sym-access ($version-1) unstable; urgency=medium

  * sym_access $version, built from $what.

 -- sym_access developers <sym-access@example.org>  $(LC_ALL=C date -u -R -d "@$when")
CHANGELOG

# debian/control lists the majors of this repository's machines; where more
# server-dev packages are installed (a PGDG machine), build for those too.
(cd "$src" && pg_buildext updatecontrol)
echo "package-deb: sym-access $version-1 for PostgreSQL $(cd "$src" && pg_buildext supported-versions | xargs)"
# nocheck: dh_pgxs_test would rerun the regression suites, which make test
# already runs on these sources; test/package.sh tests the built packages.
(cd "$src" && SOURCE_DATE_EPOCH=$when DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
	tail -n 60 "$work/build.log" >&2
	echo "package-deb: dpkg-buildpackage failed" >&2
	exit 1
}
for deb in "$work"/*.deb; do
	cp "$deb" "$out/"
	echo "package-deb: $(basename "$deb") ($(stat -c %s "$deb") bytes)"
done

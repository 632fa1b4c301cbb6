#!/usr/bin/env bash
# Builds the C extension from a copy of the sources and installs it into the
# server that PG_CONFIG names, leaving the checkout's own build (made for
# another server, e.g. Debian's 15 by make test) untouched.
#
#   scripts/install-ext-copy.sh PG_CONFIG [LOGFILE]
#
# Meant for the private trees of scripts/pg-versions.sh (.cache/pg/MAJOR), which
# need no root: the shim's temporary-user tests and the demo use it for 18.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pgc=${1:?usage: install-ext-copy.sh PG_CONFIG [LOGFILE]}
log=${2:-/dev/stderr}
src=$(mktemp -d /tmp/sym-ext-copy.XXXXXX)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/scripts"
# -a keeps the times: the generated install script stays newer than its sources
cp -a "$root/Makefile" "$root/extension" "$src/"
cp -a "$root/scripts/gen-sql.sh" "$src/scripts/"
# objects of a build for another server must not be linked in (make would
# think them up to date)
find "$src/extension" \( -name '*.o' -o -name '*.so' -o -name '*.bc' \) -delete
if ! make -s -C "$src" PG_CONFIG="$pgc" install >"$log" 2>&1; then
	echo "install-ext-copy: building or installing into $("$pgc" --pkglibdir) failed" >&2
	[ "$log" = /dev/stderr ] || tail -20 "$log" >&2
	exit 1
fi

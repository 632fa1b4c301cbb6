#!/usr/bin/env bash
# Builds the Lambda zip: bootstrap (static launcher), bin/sym-access-shim, and in
# lib/ every shared library the shim loads (from ldd), the C library and the
# dynamic loader included.
#   package.sh SHIM LAUNCHER OUT.zip
set -euo pipefail
shim=$1 launcher=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
stage="$here/build/lambda"

rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib" "$(dirname "$out")"
install -m 0755 "$launcher" "$stage/bootstrap"
install -m 0755 "$shim" "$stage/bin/sym-access-shim"
strip --strip-unneeded "$stage/bin/sym-access-shim"

# ldd lines: "libpq.so.5 => /lib/x86_64-linux-gnu/libpq.so.5 (0x...)" and the
# loader as "/lib64/ld-linux-x86-64.so.2 (0x...)". Copy each under its soname.
ldd "$shim" | while read -r a b c _; do
	case "$a" in
	linux-vdso.so.*) continue ;;
	/*ld-linux*) src=$a name=ld-linux-x86-64.so.2 ;;
	*) [ "$b" = "=>" ] || continue
	   if [ -z "$c" ] || [ "$c" = "not" ]; then echo "package: unresolved library $a" >&2; exit 1; fi
	   src=$c name=$a ;;
	esac
	cp -L "$src" "$stage/lib/$name"
done
chmod 0755 "$stage/lib/"*
[ -x "$stage/lib/ld-linux-x86-64.so.2" ] || { echo "package: no dynamic loader found" >&2; exit 1; }

out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$out_abs"
# Reproducible: the same commit gives the same bytes. Every entry gets the
# commit's time (SOURCE_DATE_EPOCH if set) and fixed modes, and goes in in
# sorted order (zip -r would follow readdir's order); zip writes DOS times in
# local time, hence TZ=UTC. -X: no extra attributes (uid, gid, atime).
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 946684800)}
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$epoch" {} +
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	TZ=UTC zip -q -X -9 -D -@ "$out_abs")
echo "package: $out ($(stat -c %s "$out_abs") bytes, $(find "$stage/lib" -mindepth 1 -maxdepth 1 | wc -l) libraries)"

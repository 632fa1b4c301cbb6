#!/usr/bin/env bash
# pgindent's formatting for the extension's C code, with Debian's pg_bsd_indent
# and pgindent's own options.  The typedef list (which pgindent keeps in the
# PostgreSQL source tree, not shipped in packages) is rebuilt from the server
# headers of $PG_CONFIG plus the extension's own typedefs.
#
#   scripts/indent.sh           reformat extension/src/*.[ch] in place
#   scripts/indent.sh --check   change nothing; fail and show the diff if needed
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PG_CONFIG=${PG_CONFIG:-pg_config}
command -v pg_bsd_indent >/dev/null || scripts/deps.sh extension

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inc=$("$PG_CONFIG" --includedir-server)
{
	grep -rhoE '^typedef [^;]*\b[A-Za-z_][A-Za-z0-9_]*;' "$inc" extension/src | sed -E 's/.*\b([A-Za-z_][A-Za-z0-9_]*);$/\1/'
	grep -rhoE '^\} *[A-Za-z_][A-Za-z0-9_]*;' "$inc" extension/src | sed -E 's/^.*\} *//; s/;$//'
	printf '%s\n' bool Datum FunctionCallInfo int64 LOCKTAG Oid uint64
} | sort -u >"$tmp/typedefs.list"

status=0
for f in extension/src/*.c extension/src/*.h; do
	pg_bsd_indent -bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79 \
		-lp -lpl -nip -npro -sac -tpg -ts4 -U"$tmp/typedefs.list" "$f" "$tmp/out" 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; exit 1; }
	if ! cmp -s "$f" "$tmp/out"; then
		if [ "${1:-}" = --check ]; then
			diff -u "$f" "$tmp/out" || true
			status=1
		else
			cp "$tmp/out" "$f"
			echo "indent: reformatted $f"
		fi
	fi
done
[ "${1:-}" = --check ] && [ $status = 0 ] && echo "indent: extension/src is pgindent-clean"
exit $status

#!/usr/bin/env bash
# One source for the install script of both editions.
#
#   scripts/gen-sql.sh c       the C edition's extension/sym_access--1.1.0.sql
#   scripts/gen-sql.sh pgtle   the pg_tle edition's install script (the body that
#                              dist/sym_access.pgtle.sql hands to pg_tle)
#
# extension/sql/sym_access.sql.in holds what both editions share (roles, tables,
# triggers, view, type, grants, comments). Each line "--@ NAME" in it is
# replaced by the section NAME of the edition's section file:
#   c       extension/sql/c.sections       (C function declarations)
#   pgtle   extension/plpgsql/pgtle.sections, whose "--@include FILE" lines
#           pull in extension/plpgsql/FILE (the PL/pgSQL functions).
# A section starts at a line "--@@ NAME" and runs to the next such line.
# Writes to stdout; fails on a marker without a section.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
c) sections=$root/extension/sql/c.sections ;;
pgtle) sections=$root/extension/plpgsql/pgtle.sections ;;
*)
	echo "usage: gen-sql.sh c|pgtle" >&2
	exit 2
	;;
esac

awk -v dir="$root/extension/plpgsql" '
FNR == NR {
	if ($0 ~ /^--@@ /) { name = substr($0, 5); seen[name] = 1; next }
	if (name == "") next
	if ($0 ~ /^--@include /) {
		file = dir "/" substr($0, 12)
		while ((getline line < file) > 0) body[name] = body[name] line "\n"
		if (close(file) != 0) { print "gen-sql: cannot read " file > "/dev/stderr"; exit 1 }
		next
	}
	body[name] = body[name] $0 "\n"
	next
}
/^--@ / {
	name = substr($0, 4)
	if (!(name in seen)) { print "gen-sql: no section " name > "/dev/stderr"; exit 1 }
	printf "%s", body[name]
	next
}
{ print }
' "$sections" "$root/extension/sql/sym_access.sql.in"

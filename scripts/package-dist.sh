#!/usr/bin/env bash
# The PGXN release: dist/sym_access-<version>.zip, `git archive` of a commit
# (default HEAD: uncommitted changes are not released) under the prefix
# sym_access-<version>/, the layout `pgxn install` and PGXS `make install`
# expect. META.json is checked against the PGXN meta spec and the tree first.
#
#   scripts/package-dist.sh [OUTDIR [COMMIT]]          (default: dist HEAD)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
ref=${2:-HEAD}
mkdir -p "$out"

work=$(mktemp -d /tmp/sym_access_dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
git -C "$root" archive "$ref" | tar -x -C "$work"
"$root/scripts/pgxn-meta-check.py" "$work/META.json" "$work"
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$work/META.json")
name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$work/META.json")

zip=$out/$name-$version.zip
git -C "$root" archive --format=zip --prefix="$name-$version/" -o "$zip" "$ref"
echo "package-dist: $zip ($(stat -c %s "$zip") bytes, $(git -C "$root" rev-parse --short "$ref"))"

#!/usr/bin/env bash
# dist/SHA256SUMS: every artifact in dist/ (sorted, SHA256SUMS itself left out),
# in the format `sha256sum -c` reads. Rewritten after each packaging target.
#   scripts/package-sums.sh [DIR]                      (default: dist)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/dist}
cd "$dir"
files=$(find . -maxdepth 1 -type f ! -name SHA256SUMS ! -name '.*' -printf '%P\n' | LC_ALL=C sort)
[ -z "$files" ] || printf '%s\n' "$files" | xargs -r -d '\n' sha256sum >.SHA256SUMS.new
touch .SHA256SUMS.new
mv .SHA256SUMS.new SHA256SUMS
echo "package-sums: $dir/SHA256SUMS ($(wc -l <SHA256SUMS) artifacts)"

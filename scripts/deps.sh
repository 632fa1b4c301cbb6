#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, and only those that
# are missing. Package lists live in scripts/packages/*.txt (one name a line, '#'
# comments), one file per part of the project, so each part says what it needs.
#   scripts/deps.sh [LIST ...]     default: every list
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=("$here"/packages/*.txt)

want=()
for f in "${lists[@]}"; do
	[ -f "$f" ] || f="$here/packages/$f.txt"
	while read -r pkg _; do
		case "$pkg" in '' | '#'*) continue ;; esac
		want+=("$pkg")
	done <"$f"
done

missing=()
for pkg in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$pkg")
done

# Machines whose Node.js comes from NodeSource have npm inside the nodejs
# package; Debian's own nodejs needs its separate npm package.
for pkg in "${want[@]}"; do
	if [ "$pkg" = nodejs ] && ! command -v npm >/dev/null; then
		missing+=(npm)
		break
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#want[@]} packages present"
	exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"

#!/usr/bin/env bash
# A clean Debian 12 root to install the packages into, as a user's machine.
#
#   scripts/package-root.sh DIR
#
# Unpacks a pristine `debootstrap --variant=minbase bookworm` root into DIR
# (which must not exist). The root is made once and cached as a tarball under
# $SYM_ROOT_CACHE (default /var/cache/sym_access), rebuilt when older than a
# week or when this machine's Debian apt sources change. Its apt sources are
# this machine's Debian ones (/etc/apt/sources.list*: the same mirror, the
# security suite included, other vendors' repositories left out) and its lists
# are fetched once, at caching time. Needs root (debootstrap, chroot).
set -euo pipefail
dir=${1:?usage: package-root.sh DIR}
cache=${SYM_ROOT_CACHE:-/var/cache/sym_access}
[ "$(id -u)" = 0 ] || { echo "package-root: needs root (debootstrap, chroot)" >&2; exit 1; }
[ ! -e "$dir" ] || { echo "package-root: $dir exists" >&2; exit 1; }

# This machine's Debian bookworm sources as one-line entries, from both the
# one-line and the deb822 formats; only URIs of Debian's own archives
# (.../debian, .../debian-security) are kept.
debian_sources() {
	python3 - /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources <<'PY'
import os, re, sys
def keep(uri, suite):
    return re.search(r'/debian(-security)?/?$', uri) and suite.startswith('bookworm')
out = []
for path in sys.argv[1:]:
    if not os.path.isfile(path):
        continue
    text = open(path).read()
    if path.endswith('.sources'):
        for stanza in re.split(r'\n\s*\n', text):
            f = {}
            for line in stanza.splitlines():
                m = re.match(r'([A-Za-z-]+):\s*(.*)', line)
                if m and not line.startswith('#'):
                    f[m.group(1).lower()] = m.group(2).split()
            if 'deb' not in f.get('types', []) or f.get('enabled', ['yes'])[0] == 'no':
                continue
            for uri in f.get('uris', []):
                for suite in f.get('suites', []):
                    if keep(uri, suite):
                        out.append('deb %s %s %s' % (uri, suite, ' '.join(f.get('components', ['main']))))
    else:
        for line in text.splitlines():
            w = re.sub(r'\[[^]]*\]', '', line).split()
            if len(w) >= 3 and w[0] == 'deb' and keep(w[1], w[2]):
                out.append('deb ' + ' '.join(w[1:]))
print('\n'.join(dict.fromkeys(out)))
PY
}

sources=$(debian_sources)
mirror=$(awk '$3 == "bookworm" { print $2; exit }' <<<"$sources")
[ -n "$mirror" ] || { echo "package-root: no Debian bookworm mirror in /etc/apt/sources.list*" >&2; exit 1; }
key=$(printf '%s\n' "$sources" | sha256sum | cut -c1-12)
tarball=$cache/bookworm-minbase-$key.tar.gz
mkdir -p "$cache"

# Scratch root for caching: mounts are undone whatever happens.
build_root() {
	local tmp=$1
	debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1 || {
		tail -n 30 "$tmp.log" >&2
		return 1
	}
	printf '%s\n' "$sources" >"$tmp/etc/apt/sources.list"
	# Services are started by the tests, not by maintainer scripts.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/usr/sbin/policy-rc.d"
	chroot "$tmp" apt-get update -qq >>"$tmp.log" 2>&1 || {
		tail -n 30 "$tmp.log" >&2
		return 1
	}
	chroot "$tmp" apt-get clean
	tar -C "$tmp" -czf "$tarball.new" . && mv "$tarball.new" "$tarball"
}

if [ -n "$(find "$tarball" -mtime -7 2>/dev/null)" ]; then
	echo "package-root: cached $(basename "$tarball")"
else
	echo "package-root: debootstrap --variant=minbase bookworm $mirror (cached in $cache)"
	exec 9>"$cache/.root.lock"
	flock 9
	if [ -z "$(find "$tarball" -mtime -7 2>/dev/null)" ]; then
		tmp=$(mktemp -d "$cache/root.XXXXXX")
		trap 'rm -rf "$tmp" "$tmp.log" "$tarball.new"' EXIT
		build_root "$tmp"
		rm -rf "$tmp" "$tmp.log"
		trap - EXIT
	fi
	flock -u 9
fi
mkdir -p "$dir"
tar -C "$dir" -xzf "$tarball"
# mktemp made the cached root 0700: others (postgres) must reach /
chmod 0755 "$dir"
# A throwaway root: dpkg need not fsync every file it unpacks (as sbuild does).
echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/force-unsafe-io"

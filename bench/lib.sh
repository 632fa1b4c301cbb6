# shellcheck shell=bash
# Shared by the bench/ scripts: a throwaway cluster of the server that
# PG_CONFIG names (default: pg_config on PATH) with sym_access installed into
# THAT server's tree, and small statistics helpers.  Sourced, not run.
#
# Installing is explicit: the script says where it installs before it does.
# To keep a shared server's tree untouched, point PG_CONFIG at a private
# copy (README "Performance" shows how).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
tmp=$(mktemp -d /tmp/sym_access_bench.XXXXXX)
chmod 755 "$tmp"
bench_cleanup() {
	"$root/test/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap bench_cleanup EXIT

# bench_install: build the extension and install it into $PG_CONFIG's tree
# (BENCH_INSTALL=0: measure what that tree already has, e.g. an older build).
bench_install() {
	if [ "${BENCH_INSTALL:-1}" = 0 ]; then
		echo "# BENCH_INSTALL=0: measuring the sym_access already in $("$PG_CONFIG" --pkglibdir)" >&2
		return
	fi
	echo "# installing sym_access into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension (PG_CONFIG=$PG_CONFIG)" >&2
	# clean first: objects built for another PG_CONFIG would be installed as is
	make -s -C "$root" clean >/dev/null
	make -s -C "$root" PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# bench_cluster: start the throwaway cluster, export its env.
bench_cluster() {
	"$root/test/cluster.sh" start "$tmp/pg" >/dev/null
	# shellcheck disable=SC1091
	. "$tmp/pg/env"
}

# pgbench: the server's own, else Debian's 15 (trees built by
# scripts/pg-versions.sh have none; the client works against newer servers).
pgbench() {
	local p
	for p in "$("$PG_CONFIG" --bindir)/pgbench" /usr/lib/postgresql/15/bin/pgbench; do
		[ -x "$p" ] && { "$p" "$@"; return; }
	done
	echo "bench: no pgbench (apt-get install postgresql-15)" >&2
	return 127
}

# median V...: the median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row WHAT SYM FLOOR UNIT TARGET RERUN: one report row; ratio = SYM/FLOOR.
row() {
	awk -v w="$1" -v s="$2" -v f="$3" -v u="$4" -v t="$5" -v r="$6" 'BEGIN {
		printf "| %s | %.4g %s | %.4g %s | %.2f | %s | `%s` |\n", w, s, u, f, u, (f > 0 ? s / f : 0), t, r }'
}

#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests, demo and benchmarks.
#
#   test/cluster.sh start DIR [GUC=VALUE ...]   initdb + start; writes DIR/env
#   test/cluster.sh stop DIR                    stop and delete DIR
#   test/cluster.sh restart DIR [GUC=VALUE ...] append GUCs, restart
#
# The server binaries come from "$PG_CONFIG --bindir" (default pg_config), so the
# same script drives Debian's 15 and the 17/18 builds of the version matrix.
# initdb refuses to run as root: when root, the cluster runs as the "postgres"
# system user. Clients connect over a Unix socket in DIR and over TCP on
# 127.0.0.1 (port chosen free), with trust authentication for local sockets and
# scram for TCP (the shim tests need a password over TCP).
# `. DIR/env` exports PGHOST, PGPORT, PGUSER, PGDATABASE and PATH for clients.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-pg_config}
cmd=${1:?usage: cluster.sh start|stop|restart DIR [GUC=VALUE ...]}
dir=${2:?usage: cluster.sh start|stop|restart DIR [GUC=VALUE ...]}
shift 2

bindir=$("$PG_CONFIG" --bindir)
[ "$cmd" != start ] || mkdir -p "$dir"
# absolute: the server commands run from /
[ ! -d "$dir" ] || dir=$(cd "$dir" && pwd)

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		# from /, which postgres can always enter (the caller's folder maybe not)
		(cd / && runuser -u postgres -- env LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" "$@")
	else
		"$@"
	fi
}

free_port() {
	python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

add_gucs() {
	local g
	for g in "$@"; do
		printf '%s\n' "$g" >>"$dir/data/postgresql.auto.conf"
	done
}

case "$cmd" in
start)
	mkdir -p "$dir/sock"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
	port=$(free_port)
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust \
		--auth-host=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
fsync = off
log_line_prefix = '%m [%p] %q%u@%d '
max_connections = 50
CONF
	add_gucs "$@"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	cat >"$dir/env" <<ENV
export PGHOST='$dir/sock'
export PGPORT='$port'
export PGUSER=postgres
export PGDATABASE=postgres
export PATH='$bindir':"\$PATH"
export SYM_TEST_CLUSTER='$dir'
ENV
	;;
restart)
	add_gucs "$@"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 restart >/dev/null ||
		{ tail -50 "$dir/server.log" >&2; exit 1; }
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "cluster.sh: unknown command $cmd" >&2
	exit 2
	;;
esac

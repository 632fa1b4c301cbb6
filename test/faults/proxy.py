#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that cuts PostgreSQL connections mid-call.

    proxy.py UPSTREAM_PORT PORT_FILE STATS_FILE CUT_PROBABILITY SEED

Listens on a free port of 127.0.0.1 (written to PORT_FILE), forwards every
connection to 127.0.0.1:UPSTREAM_PORT.  When a client-to-server chunk carries
a sym_access operator call (the SQL text of grant, revoke or expire in a
Parse or Query message), the proxy forwards it and then (always for the
first such call, else with the given probability) closes both sides 0-30 ms
later: the server has the call, the
client never sees the answer.  That is the "connection cut mid-call" the
fault suite needs; the proxy never changes a byte.

On SIGTERM it writes "connections N calls_seen C cuts K" to STATS_FILE.
"""
import os
import random
import signal
import socket
import sys
import threading
import time

CALLS = (b"sym_access.grant(", b"sym_access.revoke(", b"sym_access.expire(")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.calls = 0
        self.cuts = 0

    def add(self, field):
        with self.lock:
            setattr(self, field, getattr(self, field) + 1)
            return getattr(self, field)


def close_both(a, b):
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def pump(src, dst, stats, rng, prob, inspect):
    """Copy src to dst; on a call from the client, maybe cut after it."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            if inspect and any(c in data for c in CALLS):
                # the first call is always cut, so a short run still has one
                first = stats.add("calls") == 1
                if first or rng.random() < prob:
                    time.sleep(rng.uniform(0, 0.03))
                    stats.add("cuts")
                    break
    except OSError:
        pass
    close_both(src, dst)


def main():
    upstream, port_file, stats_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    prob, seed = float(sys.argv[4]), int(sys.argv[5])
    stats = Stats()
    rng = random.Random(seed)
    rng_lock = threading.Lock()

    def stop(*_):
        with open(stats_file, "w") as f:
            f.write("connections %d calls_seen %d cuts %d\n" % (stats.connections, stats.calls, stats.cuts))
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(lsock.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        client, _ = lsock.accept()
        stats.add("connections")
        try:
            server = socket.create_connection(("127.0.0.1", upstream), timeout=5)
            server.settimeout(None)
        except OSError:
            client.close()
            continue
        with rng_lock:
            conn_rng = random.Random(rng.random())
        threading.Thread(target=pump, args=(client, server, stats, conn_rng, prob, True), daemon=True).start()
        threading.Thread(target=pump, args=(server, client, stats, conn_rng, 0.0, False), daemon=True).start()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Takes every connection slot a role can have, for a while.

    hold_slots.py SOCKET_DIR PORT USER DATABASE SECONDS

Opens connections over the Unix socket (trust authentication, no password),
speaking just enough of the PostgreSQL protocol to log in, and keeps them
idle.  Whenever a slot frees (a client of the burst disconnects) it takes it
too, so for SECONDS after the first refusal (the slots are full) the server
refuses every other non-superuser login.
Prints "held N refused R" (most connections held at once, refusals met).
"""
import socket
import struct
import sys
import threading
import time


def login(path, user, database):
    """An open, logged-in connection, or None when the server refuses it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0" \
            + b"application_name\0fx_filler\0\0"
        s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 5:
                kind, length = buf[0:1], struct.unpack("!i", buf[1:5])[0]
                if len(buf) < 1 + length:
                    break
                buf = buf[1 + length:]
                if kind == b"Z":
                    return s
                if kind == b"E":
                    s.close()
                    return None
    except OSError:
        pass
    s.close()
    return None


def main():
    sockdir, port, user, database, seconds = sys.argv[1:6]
    path = "%s/.s.PGSQL.%s" % (sockdir, port)
    lock = threading.Lock()
    state = {"held": [], "refused": 0, "most": 0, "full_at": None}
    give_up = time.monotonic() + float(seconds) + 5

    def end():
        full_at = state["full_at"]
        return give_up if full_at is None else min(give_up, full_at + float(seconds))

    def taker():
        while time.monotonic() < end():
            s = login(path, user, database)
            with lock:
                if s is None:
                    state["refused"] += 1
                    if state["full_at"] is None:
                        state["full_at"] = time.monotonic()
                else:
                    state["held"].append(s)
                    state["most"] = max(state["most"], len(state["held"]))
            if s is None:
                time.sleep(0.02)

    # logins are slow on a busy machine: take the slots from several threads
    threads = [threading.Thread(target=taker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in state["held"]:
        try:
            s.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        s.close()
    print("held %d refused %d" % (state["most"], state["refused"]))


if __name__ == "__main__":
    main()

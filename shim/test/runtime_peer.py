#!/usr/bin/env python3
"""A stand-in for the AWS Lambda Runtime API (2018-06-01) and for the AWS
Parameters and Secrets extension, for the shim's tests. Standard library only.

  runtime_peer.py SCRIPT.json LOG.jsonl PORTFILE

SCRIPT:
  {"invocations": [{"id": "req-1",
                    "event": {...}            # JSON event, or
                    "raw": "text",            # a raw body
                    "deadline_in_ms": 30000,  # deadline header = now + this (null: no header)
                    "trace": "Root=1-...",    # Lambda-Runtime-Trace-Id (optional)
                    "header_case": "lower",   # lower | upper | canonical header names
                    "wait_for": "/path",      # hold the next call until this file exists
                    "response_status": 202,   # answer to .../response
                    "error_status": 202}],    # answer to .../error
   "when_done": 500 | "hang",                 # next after the last invocation
   "init_error_status": 202,
   "secrets": {"token": "...", "name": "...", "value": "..."}}
   (or "values": [...] instead of "value": served in turn, the last one repeating)

Every request is appended to LOG as one JSON object: kind (next, response, error,
init_error, secret, unknown), id, path, headers (names lower-cased), body.
"""
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

script = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
port_file = sys.argv[3]
lock = threading.Lock()
state = {"next": 0}
API = "/2018-06-01/runtime"


def record(kind, handler, body, rid=None):
    entry = {
        "kind": kind,
        "id": rid,
        "path": handler.path,
        "method": handler.command,
        "headers": {k.lower(): v for k, v in handler.headers.items()},
        "body": body,
        "time": time.time(),
    }
    with lock, open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def names(style):
    base = ["Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
            "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Invoked-Function-Arn"]
    if style == "lower":
        return [n.lower() for n in base]
    if style == "upper":
        return [n.upper() for n in base]
    return base


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle
    # and the client's delayed ACK add ~40 ms to every answer (bench/shim.sh
    # times invocations through this peer).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n).decode("utf-8", "replace") if n else ""

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == API + "/invocation/next":
            return self.next_invocation()
        if url.path == "/systemsmanager/parameters/get":
            return self.secret(urllib.parse.parse_qs(url.query))
        record("unknown", self, "")
        self.reply(404, b'{"errorMessage":"not found"}')

    def next_invocation(self):
        with lock:
            i = state["next"]
            state["next"] += 1
        invs = script.get("invocations", [])
        if i >= len(invs):
            record("next", self, "", None)
            done = script.get("when_done", 500)
            if done == "hang":
                while True:
                    time.sleep(3600)
            return self.reply(done, b'{"errorMessage":"no more invocations","errorType":"Test.Done"}')
        inv = invs[i]
        if inv.get("wait_for"):
            while not __import__("os").path.exists(inv["wait_for"]):
                time.sleep(0.05)
        record("next", self, "", inv["id"])
        body = inv["raw"].encode() if "raw" in inv else json.dumps(inv.get("event", {})).encode()
        n = names(inv.get("header_case", "canonical"))
        headers = [(n[0], inv["id"]), (n[3], "arn:aws:lambda:us-east-1:0123456789012:function:sym")]
        if inv.get("deadline_in_ms", 30000) is not None:
            headers.append((n[1], str(int(time.time() * 1000) + inv.get("deadline_in_ms", 30000))))
        if inv.get("trace"):
            headers.append((n[2], inv["trace"]))
        self.reply(200, body, headers=headers)

    def secret(self, query):
        conf = script.get("secrets", {})
        token = self.headers.get("X-Aws-Parameters-Secrets-Token")
        record("secret", self, "")
        if not conf or token != conf.get("token"):
            return self.reply(403, b'{"message":"forbidden"}', "text/plain")
        if query.get("name") != [conf.get("name")] or query.get("withDecryption") != ["true"]:
            return self.reply(400, b'{"message":"bad request"}')
        # "values": one per request in turn (the last one repeats): a rotation.
        values = conf.get("values") or [conf["value"]]
        with lock:
            served = state.get("secrets_served", 0)
            state["secrets_served"] = served + 1
        value = values[min(served, len(values) - 1)]
        doc = {"Parameter": {"Name": conf["name"], "Type": "SecureString", "Value": value,
                             "Version": min(served, len(values) - 1) + 1}}
        self.reply(200, json.dumps(doc).encode())

    def do_POST(self):
        body = self.read_body()
        parts = self.path.split("/")
        if self.path == API + "/init/error":
            record("init_error", self, body)
            return self.reply(script.get("init_error_status", 202), b'{"status":"OK"}')
        if self.path.startswith(API + "/invocation/") and len(parts) == 6:
            rid, what = parts[4], parts[5]
            inv = next((x for x in script.get("invocations", []) if x["id"] == rid), {})
            if what == "response":
                record("response", self, body, rid)
                return self.reply(inv.get("response_status", 202), b'{"status":"OK"}')
            if what == "error":
                record("error", self, body, rid)
                return self.reply(inv.get("error_status", 202), b'{"status":"OK"}')
        record("unknown", self, body)
        self.reply(404, b'{"errorMessage":"not found"}')


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
__import__("os").rename(port_file + ".tmp", port_file)
server.serve_forever()

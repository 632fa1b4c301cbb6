#!/usr/bin/env python3
"""A stand-in for AWS Secrets Manager (JSON 1.1 protocol) for the shim's tests.
Standard library http.server plus Debian's python3-botocore, which checks every
request's Signature Version 4 the way AWS does: the request is rebuilt as a
botocore.awsrequest.AWSRequest from the received method, URL, signed headers
and body, signed again with botocore.auth.SigV4Auth using the request's own
X-Amz-Date and the test's credentials, and the two Authorization headers must
be equal. A bad or missing signature gets 403 with InvalidSignatureException,
IncompleteSignature or UnrecognizedClientException, as AWS answers.

  sm_peer.py CONFIG.json LOG.jsonl PORTFILE

CONFIG: {"access_key": "...", "secret_key": "...", "session_token": "..." | null,
         "region": "us-east-1", "page_size": 2}

Actions: CreateSecret, PutSecretValue, TagResource, DeleteSecret, ListSecrets (the
shim's), GetSecretValue (the requester's); secrets kept in memory. Unsigned control endpoints for the tests:
  GET  /_state            {"secrets": {name: {...}}, "deleted": [names]}
  POST /_fail             {"action": "CreateSecret" | "*", "status": 500,
                           "type": "InternalServiceError", "count": 1}
  POST /_put              {"name": ..., "tags": {...}, "secret_string": ...}
                          (plants a secret, e.g. an expired one for the sweep)

Every request is appended to LOG as one JSON object: action, headers (names
lower-cased), body (text), status, error type.
"""
import datetime
import json
import os
import re
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

config = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
port_file = sys.argv[3]
lock = threading.Lock()
ACCOUNT = "123456789012"
REGION = config.get("region", "us-east-1")
PAGE = int(config.get("page_size", 2))
state = {"secrets": {}, "deleted": [], "fail": []}
NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,"
    r"\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")


class AwsError(Exception):
    def __init__(self, status, typ, message):
        super().__init__(message)
        self.status, self.typ, self.message = status, typ, message


class FixedTimeSigV4(SigV4Auth):
    """SigV4Auth.add_auth with the request's own X-Amz-Date instead of now."""

    def __init__(self, credentials, service, region, amz_date):
        super().__init__(credentials, service, region)
        self.amz_date = amz_date

    def add_auth(self, request):
        request.context["timestamp"] = self.amz_date
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)


def verify_signature(method, path, headers, body):
    """Raises AwsError unless the request carries a valid SigV4 signature."""
    auth = headers.get("authorization")
    if not auth:
        raise AwsError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    m = AUTH_RE.match(auth)
    if not m:
        raise AwsError(403, "IncompleteSignature",
                       "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'")
    key, day, region, service, signed, _ = m.groups()
    amz_date = headers.get("x-amz-date", "")
    if not re.match(r"^\d{8}T\d{6}Z$", amz_date) or amz_date[:8] != day:
        raise AwsError(403, "IncompleteSignature", "X-Amz-Date missing or not the credential's day")
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 300:
        raise AwsError(403, "InvalidSignatureException", "Signature expired")
    if key != config["access_key"]:
        raise AwsError(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
    if region != REGION or service != "secretsmanager":
        raise AwsError(403, "InvalidSignatureException",
                       f"Credential should be scoped to a valid region and service ({region}/{service})")
    names = signed.split(";")
    # What AWS insists on, and what a forged request could otherwise leave out
    required = ["host", "x-amz-date", "x-amz-target", "content-type"]
    token = config.get("session_token")
    if token:
        if headers.get("x-amz-security-token") != token:
            raise AwsError(403, "UnrecognizedClientException",
                           "The security token included in the request is invalid.")
        required.append("x-amz-security-token")
    missing = [h for h in required if h not in names]
    if missing:
        raise AwsError(403, "InvalidSignatureException", "headers not signed: " + ",".join(missing))
    if any(h not in headers for h in names):
        raise AwsError(403, "IncompleteSignature", "a signed header is missing from the request")
    req = AWSRequest(method=method, url="http://" + headers["host"] + path,
                     headers={h: headers[h] for h in names}, data=body)
    FixedTimeSigV4(Credentials(config["access_key"], config["secret_key"], token),
                   "secretsmanager", REGION, amz_date).add_auth(req)
    if req.headers["Authorization"] != auth:
        raise AwsError(403, "InvalidSignatureException",
                       "The request signature we calculated does not match the signature you provided.")


def arn_for(name):
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-{secrets.token_hex(3)}"


def find(secret_id):
    for name, s in state["secrets"].items():
        if secret_id in (name, s["ARN"]):
            return name, s
    raise AwsError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")


def check_tags(tags):
    for t in tags:
        if not isinstance(t.get("Key"), str) or not isinstance(t.get("Value"), str):
            raise AwsError(400, "ValidationException", "a tag needs Key and Value strings")
        if not re.match(r"^[\w\s.:/=+\-@]{1,256}$", t["Value"]) or not re.match(r"^[\w\s.:/=+\-@]{1,128}$", t["Key"]):
            raise AwsError(400, "ValidationException", "bad tag")


def check_token(req):
    tok = req.get("ClientRequestToken")
    if tok is not None and not (isinstance(tok, str) and 32 <= len(tok) <= 64):
        raise AwsError(400, "ValidationException", "ClientRequestToken must be 32 to 64 characters")
    return tok or secrets.token_hex(16)


def new_version(s, req):
    tok = check_token(req)
    if not isinstance(req.get("SecretString"), str):
        raise AwsError(400, "InvalidParameterException", "SecretString is required here")
    for v in s["versions"]:
        v["stages"] = [x for x in v["stages"] if x != "AWSCURRENT"]
    s["versions"].append({"id": tok, "SecretString": req["SecretString"], "stages": ["AWSCURRENT"]})
    s["SecretString"] = req["SecretString"]
    return tok


def create_secret(req):
    name = req.get("Name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise AwsError(400, "ValidationException", "Invalid name")
    if name in state["secrets"]:
        raise AwsError(400, "ResourceExistsException", f"The operation failed because the secret {name} already exists.")
    check_tags(req.get("Tags", []))
    s = {"Name": name, "ARN": arn_for(name), "Description": req.get("Description"),
         "Tags": {t["Key"]: t["Value"] for t in req.get("Tags", [])}, "versions": []}
    vid = new_version(s, req)
    state["secrets"][name] = s
    return {"ARN": s["ARN"], "Name": name, "VersionId": vid}


def put_secret_value(req):
    name, s = find(req.get("SecretId"))
    vid = new_version(s, req)
    return {"ARN": s["ARN"], "Name": name, "VersionId": vid, "VersionStages": ["AWSCURRENT"]}


def tag_resource(req):
    _, s = find(req.get("SecretId"))
    check_tags(req.get("Tags", []))
    s["Tags"].update({t["Key"]: t["Value"] for t in req.get("Tags", [])})
    return {}


def delete_secret(req):
    name, s = find(req.get("SecretId"))
    if req.get("ForceDeleteWithoutRecovery") is not True:
        raise AwsError(400, "InvalidParameterException", "the test expects ForceDeleteWithoutRecovery")
    del state["secrets"][name]
    state["deleted"].append(name)
    return {"ARN": s["ARN"], "Name": name, "DeletionDate": datetime.datetime.now().timestamp()}


def list_secrets(req):
    prefixes = []
    for f in req.get("Filters", []):
        if f.get("Key") != "name":
            raise AwsError(400, "InvalidParameterException", "only the name filter is implemented")
        prefixes += f.get("Values", [])
    size = min(int(req.get("MaxResults", 100)), PAGE)
    names = sorted(n for n in state["secrets"]
                   if not prefixes or any(n.lower().startswith(p.lower()) for p in prefixes))
    start = int(req["NextToken"]) if req.get("NextToken") else 0
    page = names[start:start + size]
    out = {"SecretList": [{"ARN": state["secrets"][n]["ARN"], "Name": n,
                           "Tags": [{"Key": k, "Value": v} for k, v in state["secrets"][n]["Tags"].items()]}
                          for n in page]}
    if start + size < len(names):
        out["NextToken"] = str(start + size)
    return out


def get_secret_value(req):
    """What a requester calls (aws secretsmanager get-secret-value): the demo uses it."""
    name, s = find(req.get("SecretId"))
    return {"ARN": s["ARN"], "Name": name, "SecretString": s["SecretString"], "VersionStages": ["AWSCURRENT"]}


ACTIONS = {"CreateSecret": create_secret, "PutSecretValue": put_secret_value, "TagResource": tag_resource,
           "DeleteSecret": delete_secret, "ListSecrets": list_secrets, "GetSecretValue": get_secret_value}


def injected_failure(action):
    for f in state["fail"]:
        if f["action"] in (action, "*") and f["count"] > 0:
            f["count"] -= 1
            raise AwsError(f.get("status", 500), f.get("type", "InternalServiceError"), "injected by the test")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, doc, headers=()):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_state":
            with lock:
                self.reply(200, {"secrets": state["secrets"], "deleted": state["deleted"]})
        else:
            self.reply(404, {"__type": "UnknownOperationException"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path in ("/_fail", "/_put"):
            return self.control(json.loads(raw))
        action = (headers.get("x-amz-target") or "").removeprefix("secretsmanager.")
        status, typ = 200, None
        try:
            verify_signature("POST", self.path, headers, raw)
            if headers.get("content-type") != "application/x-amz-json-1.1":
                raise AwsError(400, "SerializationException", "wrong Content-Type")
            if not (headers.get("x-amz-target") or "").startswith("secretsmanager.") or action not in ACTIONS:
                raise AwsError(400, "UnknownOperationException", "unknown operation")
            req = json.loads(raw)
            with lock:
                injected_failure(action)
                out = ACTIONS[action](req)
        except AwsError as e:
            status, typ = e.status, e.typ
            out = {"__type": "com.amazonaws.secretsmanager#" + e.typ, "message": e.message}
        except (ValueError, TypeError, KeyError) as e:
            status, typ = 400, "SerializationException"
            out = {"__type": typ, "message": str(e)}
        self.record(action, headers, raw, status, typ)
        self.reply(status, out, [("x-amzn-RequestId", secrets.token_hex(8))] +
                   ([("x-amzn-ErrorType", typ + ":http://internal.amazon.com/")] if typ else []))

    def control(self, doc):
        with lock:
            if self.path == "/_fail":
                state["fail"].append(doc)
            else:
                s = {"Name": doc["name"], "ARN": arn_for(doc["name"]), "Tags": doc.get("tags", {}),
                     "versions": [], "SecretString": doc.get("secret_string", "{}")}
                state["secrets"][doc["name"]] = s
        self.reply(200, {})

    def record(self, action, headers, raw, status, typ):
        entry = {"action": action, "path": self.path, "headers": headers,
                 "body": raw.decode("utf-8", "replace"), "status": status, "error": typ}
        with lock, open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()

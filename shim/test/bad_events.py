#!/usr/bin/env python3
"""Writes the bad-event corpus into DIR, one file per case, and DIR/cases.tsv:
file <TAB> substring the first errors[] entry must contain.
Each case must be answered with a clear error and no crash (run under valgrind)."""
import copy
import json
import os
import sys

out = sys.argv[1]
fixtures = sys.argv[2]
os.makedirs(out, exist_ok=True)
base = json.load(open(os.path.join(fixtures, "sym-escalate.json")))
cases = []


def raw(name, data, want):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    cases.append((name, want))


def mod(name, want, **changes):
    """changes: dotted.path=value (value DELETE removes the key)."""
    ev = copy.deepcopy(base)
    for path, value in changes.items():
        keys = path.split("__")
        node = ev
        for k in keys[:-1]:
            node = node[k]
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    raw(name, json.dumps(ev), want)


DELETE = object()

# not JSON / empty / not an object
raw("not-json", "this is not json", "not valid JSON")
raw("truncated-json", json.dumps(base)[:200], "not valid JSON")
raw("trailing-garbage", json.dumps(base) + " }", "not valid JSON")
raw("empty", "", "event is empty")
raw("whitespace", " \n\t\r\n", "event is empty")
raw("json-null", "null", "must be a JSON object")
raw("json-array", "[1,2]", "must be a JSON object")
raw("json-string", '"escalate"', "must be a JSON object")
raw("json-number", "42", "must be a JSON object")
# missing fields
mod("missing-event", "missing field event", event=DELETE)
mod("missing-event-type", "missing field event.type", event__type=DELETE)
mod("missing-fields", "missing field fields", fields=DELETE)
mod("missing-target", "missing field fields.target", fields__target=DELETE)
mod("missing-target-name", "missing field fields.target.name", fields__target__name=DELETE)
mod("missing-run", "missing field run", run=DELETE)
mod("missing-actors", "missing field run.actors", run__actors=DELETE)
mod("missing-request", "missing field run.actors.request", run__actors__request=DELETE)
mod("missing-username", "missing field run.actors.request.username", run__actors__request__username=DELETE)
mod("missing-srn", "missing field run.srn", run__srn=DELETE)
# wrong types, every field the shim reads
mod("type-event", "event must be an object", event="escalate")
mod("type-event-type", "event.type must be a string", event__type=1)
mod("type-event-type-null", "event.type must be a string", event__type=None)
mod("type-fields", "fields must be an object", fields=[1])
mod("type-target", "fields.target must be an object", fields__target="readonly")
mod("type-target-name", "fields.target.name must be a string", fields__target__name=7)
mod("type-target-name-obj", "fields.target.name must be a string", fields__target__name={"a": 1})
mod("type-run", "run must be an object", run="run")
mod("type-actors", "run.actors must be an object", run__actors=[])
mod("type-request", "run.actors.request must be an object", run__actors__request="u")
mod("type-username", "run.actors.request.username must be a string", run__actors__request__username=True)
mod("type-srn", "run.srn must be a string", run__srn=12)
mod("type-approve", "run.actors.approve must be an object", run__actors__approve="x")
mod("type-approver", "run.actors.approve.username must be a string", run__actors__approve__username=3)
mod("type-id", "field id must be a string", id=5)
mod("type-reason", "fields.reason must be a string", fields__reason=["fix"])
mod("type-duration-bool", "fields.duration must be a number or a string", fields__duration=True)
mod("type-duration-obj", "fields.duration must be a number or a string", fields__duration={"h": 1})
mod("duration-fraction", "fields.duration must be a whole number", fields__duration=1.5)
mod("duration-huge", "fields.duration is out of range", fields__duration=1e30)
mod("duration-word", "fields.duration must be a number of seconds", fields__duration="tomorrow")
mod("duration-empty", "fields.duration is empty", fields__duration="")
mod("empty-role", "fields.target.name must not be empty", fields__target__name="")
mod("empty-username", "run.actors.request.username must not be empty", run__actors__request__username="")
# unknown event types
mod("unknown-type", 'unknown event type "promote"', event__type="promote")
mod("unknown-type-empty", 'unknown event type ""', event__type="")
mod("unknown-type-long", "unknown event type", event__type="x" * (1 << 20))
# 1 MB strings in identifiers
mod("mb-role", "fields.target.name is 1048576 bytes", fields__target__name="r" * (1 << 20))
mod("mb-username", "run.actors.request.username is 1048581 bytes",
    run__actors__request__username="u" * (1 << 20) + "@x.co")
mod("mb-srn", "run.srn is 1048576 bytes", run__srn="s" * (1 << 20))
mod("mb-id", "field id is 1048576 bytes", id="i" * (1 << 20))
mod("mb-duration", "fields.duration", fields__duration="9" * (1 << 20))
# deep nesting
raw("deep-arrays", "[" * 100000 + "]" * 100000, "nested more than")
raw("deep-objects", '{"a":' * 5000 + "1" + "}" * 5000, "nested more than")
deep = copy.deepcopy(base)
deep["fields"]["extra"] = json.loads('{"a":' * 500 + "1" + "}" * 500)
raw("deep-inside-event", json.dumps(deep), "nested more than")
# NUL bytes and invalid UTF-8
raw("nul-byte", json.dumps(base).replace('"readonly"', '"read\x00only"'), "NUL byte")
raw("escaped-nul", json.dumps(base).replace('"readonly"', '"read\\u0000only"'), "escaped NUL")
raw("invalid-utf8", json.dumps(base).encode().replace(b'"readonly"', b'"read\xffonly"'), "not valid UTF-8")
raw("overlong-utf8", json.dumps(base).encode().replace(b'"readonly"', b'"read\xc0\xafonly"'), "not valid UTF-8")
raw("surrogate-utf8", json.dumps(base).encode().replace(b'"readonly"', b'"read\xed\xa0\x80only"'),
    "not valid UTF-8")
raw("lone-surrogate-escape", json.dumps(base).replace('"readonly"', '"read\\ud800only"'), "not valid JSON")
raw("truncated-utf8-at-end", json.dumps(base).encode() + b"\xe2\x82", "not valid UTF-8")
# names over 63 bytes: the database denies them (never truncated) and audits the refusal
mod("role-64-bytes", "at most 63 bytes", fields__target__name="r" * 64)
mod("role-63-bytes-multibyte-over", "at most 63 bytes", fields__target__name="é" * 32)
mod("user-64-bytes", "63", run__actors__request__username="u" * 64 + "@healthy-health.co")

with open(os.path.join(out, "cases.tsv"), "w") as f:
    for name, want in cases:
        f.write(f"{name}\t{want}\n")
print(len(cases))

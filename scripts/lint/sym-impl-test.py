"""Behaviour of terraform/impl.py without Sym's runtime.

Sym's SDK is not published, so the few names impl.py imports are stubbed
(decorators that return the function, slack.channel and
ApprovalTemplate.ignore that record what they were given), and the flow's
hooks are called with fake events. Run against the real file every case must
hold; run against a copy whose approvers check is removed, some case must
fail (the test can tell a broken hook from a working one).

    python3 scripts/lint/sym-impl-test.py terraform/impl.py
"""
import ast
import sys
import types
from types import SimpleNamespace as NS

IGNORED = "ignored"


def stub_sdk():
    annotations = types.ModuleType("sym.sdk.annotations")
    annotations.reducer = annotations.hook = lambda fn: fn
    integrations = types.ModuleType("sym.sdk.integrations")
    integrations.slack = NS(channel=lambda name, allow_self=False: ("channel", name, allow_self))
    templates = types.ModuleType("sym.sdk.templates")
    templates.ApprovalTemplate = NS(ignore=lambda message="": (IGNORED, message))
    for name, mod in {
        "sym": types.ModuleType("sym"),
        "sym.sdk": types.ModuleType("sym.sdk"),
        "sym.sdk.annotations": annotations,
        "sym.sdk.integrations": integrations,
        "sym.sdk.templates": templates,
    }.items():
        sys.modules[name] = mod


def event(email, approvers="lead@example.com, Ops@Example.com", allow_self="false"):
    fvars = {"approval_channel": "#db-access", "allow_self_approval": allow_self}
    if approvers is not None:
        fvars["approvers"] = approvers
    return NS(user=NS(email=email), flow=NS(vars=fvars))


def ignored(result):
    return isinstance(result, tuple) and result[0] == IGNORED and result[1]


CASES = [
    ("an approver's approval counts", lambda f: f["on_approve"](event("lead@example.com")) is None),
    ("e-mails compare case-insensitively", lambda f: f["on_approve"](event("OPS@example.COM")) is None),
    ("anyone else is ignored, with a reason", lambda f: ignored(f["on_approve"](event("intruder@example.com")))),
    ("a look-alike address is ignored", lambda f: ignored(f["on_approve"](event("lead@example.com.evil")))),
    ("no approvers var: nobody approves", lambda f: ignored(f["on_approve"](event("lead@example.com", approvers=None)))),
    ("empty approvers var: nobody approves", lambda f: ignored(f["on_approve"](event("lead@example.com", approvers=" , ")))),
    ("a user without e-mail is ignored", lambda f: ignored(f["on_approve"](event(None)))),
    ("requests go to the approval channel", lambda f: f["get_approvers"](event("x@example.com")) == ("channel", "#db-access", False)),
    ("self-approval only when the var says so", lambda f: f["get_approvers"](event("x@example.com", allow_self="true"))[2] is True),
]


def failures(source, path):
    ast.parse(source, path)
    scope = {"__name__": "impl"}
    exec(compile(source, path, "exec"), scope)  # the flow file, with the SDK stubbed
    out = []
    for name, case in CASES:
        try:
            if not case(scope):
                out.append(name)
        except Exception as e:  # a crash is a failed case too
            out.append(f"{name} ({type(e).__name__}: {e})")
    return out


def main(path):
    stub_sdk()
    source = open(path).read()
    bad = failures(source, path)
    for name in bad:
        print(f"{path}: FAILED: {name}")
    broken = source.replace("if email not in _approvers(event):", "if False:")
    if broken == source:
        print(f"{path}: the approvers check is not where the self-test expects it")
        return 1
    if not failures(broken, path):
        print(f"{path}: a copy without the approvers check passes every case")
        return 1
    if bad:
        return 1
    print(f"{path}: {len(CASES)} cases hold; a copy without the approvers check fails")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

#!/usr/bin/env python3
"""Where sym_access's instructions per escalate+deescalate cycle go, by the
guarantee each function serves: inclusive instructions of each function in
a callgrind run of N+K cycles minus the same in a run of N cycles, over K.

    profile.py CG_SHORT CG_LONG K TOTAL_PER_CYCLE

Called by `BENCH_PROFILE=1 bench/instructions.sh`.  Inclusive costs nest
(the audit row is inside grant()), so the shares do not add up to 100%.
"""
import re
import subprocess
import sys

# (what it is for, functions whose inclusive cost measures it)
ROWS = [
    ("grant() as a whole", ["sym_access_grant"]),
    ("revoke() as a whole", ["sym_access_revoke"]),
    ("audit row + LOG line (one per decision)", ["sym_audit"]),
    ("  of which the LOG line", ["sym_log_line"]),
    ("pair and role locks", ["sym_lock_pair", "sym_lock_role"]),
    ("policy: dangerous-role walk", ["sym_role_is_dangerous"]),
    ("policy: grantee fitness (caller chain)", ["sym_grantee_is_unfit"]),
    ("policy: grantor holds ADMIN OPTION", ["sym_grantor_has_admin"]),
    ("membership state (ours / outside)", ["sym_membership"]),
    ("GRANT / REVOKE of the membership", ["sym_grant_membership", "sym_revoke_membership"]),
    ("ending sessions (proc-array check)", ["sym_terminate_sessions", "sym_role_has_backend"]),
    ("temporary-user lookups (mode, logins)", ["sym_tempuser_role", "sym_tempuser_revoke_target"]),
    ("context parsing", ["sym_parse_context"]),
    ("every SPI statement of ours", ["sym_spi_exec"]),
    ("commit (two per cycle: Sym's two calls)", ["CommitTransactionCommand"]),
    ("top-level parse/analyse/plan of the two calls", ["pg_parse_query", "pg_analyze_and_rewrite_fixedparams", "pg_plan_queries"]),
    ("catalog invalidations processed", ["AcceptInvalidationMessages"]),
]


def inclusive(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    cost = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(?:\S*?:)?([A-Za-z_][\w]*)\s", line)
        if m:
            name = m.group(2)
            cost[name] = max(cost.get(name, 0), int(m.group(1).replace(",", "")))
    return cost


def main():
    short, long_, k, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    a, b = inclusive(short), inclusive(long_)
    print(f"# where sym_access's {total} instructions per cycle go (inclusive, callgrind):")
    for what, funcs in ROWS:
        per = sum(b.get(f, 0) - a.get(f, 0) for f in funcs) / k
        if per <= 0:
            print(f"#   {what:48s}      -   (not seen: inlined or not called)")
        else:
            print(f"#   {what:48s} {per:9.0f}  {100 * per / total:5.1f}%")


main()

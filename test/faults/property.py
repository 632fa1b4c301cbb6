#!/usr/bin/env python3
"""SQL-level property test of sym_access: random hostile input through the
bot's functions, invariants checked after every call.

    property.py SEED CALLS

Needs the client environment of a cluster (PGHOST, PGPORT, PATH) where
test/faults/property.sh has made the roles below.  Each call runs as the bot
(p_bot) in one long psql session (as the shim keeps its connection), the
values as SQL string literals, so any character but NUL reaches the
function as is.
After each call, as a superuser:
  - a call that returned has exactly one new audit row, with its id, its
    action and its outcome;
  - a call that raised did so with an expected SQLSTATE and changed nothing
    (audit, memberships, active grants, allow-list all as before);
  - no grant's expires_at is later than now() + the role's max_duration;
  - sym_access_grantor granted no role that is off the list or dangerous now,
    and nothing to the bot, to a role the bot is in, or to a superuser;
  - after one expire() sweep, check() returns no row.
Prints one line per problem, and a summary with counts.
"""
import collections
import random
import subprocess
import sys

# Raised on purpose: by the functions (NULL, bad value, too long, too big,
# unsupported, refused), or by the casts of the arguments before the call
# (bad interval or JSON syntax, out-of-range interval, \u0000 in jsonb).
EXPECTED = {"22004", "22023", "22001", "54000", "0A000", "42501",
            "22007", "22008", "22015", "22P02", "22P05", "54001"}

ALLOWED = ["p_r1", "p r2 'q", "p_rölle名"]
GRANTEES = ["p_u1", "p u'2", "p\nu3", "p_üser", "p_" + "a" * 61]
DANGEROUS = ["p_super", "p_createrole", "p_admin", "p_wad", "p_danger_allowed",
             "p_bot", "p_botgroup", "postgres", "pg_write_all_data", "pg_signal_backend",
             "pg_read_server_files", "pg_execute_server_program", "sym_access_grantor",
             "sym_access_operator", "sym_access_admin", "public", "PUBLIC", "none", "current_user",
             "session_user"]


def rand_text(rng, n):
    alphabet = "abcxyz_ '\"\\\n\t;$-%é名🙂\u200b\x01\x7f"
    return "".join(rng.choice(alphabet) for _ in range(n))


def name(rng):
    k = rng.random()
    if k < 0.25:
        return rng.choice(ALLOWED)
    if k < 0.5:
        return rng.choice(GRANTEES)
    if k < 0.7:
        return rng.choice(DANGEROUS)
    if k < 0.75:
        return None
    if k < 0.8:
        return ""
    if k < 0.85:  # 64 bytes whose first 63 name an existing role
        return "p_" + "a" * 61 + rng.choice("bx_")
    if k < 0.88:
        return "p_rölle名" + "é" * rng.randint(24, 30)  # around 63 bytes, cut mid-character
    if k < 0.91:
        return rand_text(rng, rng.choice([1025, 2000, 70]))
    if k < 0.94:
        return rng.choice(ALLOWED + GRANTEES).upper()
    return rand_text(rng, rng.randint(1, 40))


def duration(rng, infinity_ok):
    fixed = [None, "0", "-1 hour", "1 hour", "30 seconds", "1 day -2 hours", "1 mon -1 day",
             "-1 mon 40 days", "100000 years", "178000000 years", "1 hour 1 microsecond",
             "2 hours", "2 hours 1 second", "abc", "", "1 microsecond", "-0", "P1D", "PT-1S",
             "1 day", "12 hours", "2147483647 days", "-2147483648 months", "1 year -1 second"]
    if infinity_ok:
        fixed += ["infinity", "-infinity"]
    k = rng.random()
    if k < 0.6:
        return rng.choice(fixed)
    sign = rng.choice(["", "-"])
    unit = rng.choice(["seconds", "minutes", "hours", "days", "mons", "years", "microseconds"])
    return "%s%d %s" % (sign, rng.choice([0, 1, 59, 3600, 10 ** 6, 10 ** 9, 2 ** 31, 2 ** 40]), unit)


def nested(depth):
    return '{"a":' * depth + "1" + "}" * depth


def context(rng):
    run = "p-run-%d" % rng.randint(0, 5)
    fixed = [None, "{}", '{"run_srn": "%s"}' % run, "[]", '"text"', "5", "null", "true",
             '{"run_srn": 5}', '{"run_srn": ["a"]}', '{"run_srn": null}', '{"run_srn": {"x": 1}}',
             '{"run_srn": "%s", "reason": "%s"}' % (run, "r" * 1100),
             '{"run_srn": "%s", "big": "%s"}' % (run, "y" * 17000),
             '{"run_srn": "%s", "requester": null, "approver": 7}' % run,
             '{"run_srn": "%s", "event_id": "\\u0000"}' % run,
             '{"run_srn": "%s", "deep": %s}' % (run, nested(rng.choice([10, 100, 5000]))),
             nested(3), "{", '{"run_srn": "%s", "run_srn": "dup"}' % run,
             '{"run_srn": "%s\\n\\"; DROP TABLE x; --", "reason": "é名🙂"}' % run,
             '{"run_srn": "%s"}' % ("s" * 1025)]
    return rng.choice(fixed)


class Session:
    """One psql session kept open (as the Lambda keeps its connection): each
    statement is followed by an \\echo and a \\warn marker, so its output and
    its errors are read back separately."""

    def __init__(self, user=None):
        cmd = ["psql", "-X", "-At", "-q", "-v", "VERBOSITY=sqlstate"] + (["-U", user] if user else [])
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, encoding="utf-8", errors="replace", bufsize=1)
        self.n = 0

    def run(self, sql):
        """(ok, stdout, stderr) of a script; ok when no ERROR was printed."""
        self.n += 1
        mark = "__fx_end_%d__" % self.n
        self.p.stdin.write("%s\n\\echo %s\n\\warn %s\n" % (sql, mark, mark))
        self.p.stdin.flush()
        out, err = [], []
        for stream, lines in ((self.p.stdout, out), (self.p.stderr, err)):
            for line in stream:
                if line.rstrip("\n") == mark:
                    break
                lines.append(line)
            else:
                raise SystemExit("psql ended: " + "".join(err)[-500:])
        err_text = "".join(err)
        return "ERROR:" not in err_text, "".join(out), err_text


def literal(v):
    """A standard SQL string literal (standard_conforming_strings is on):
    any character but NUL reaches the function as is."""
    return "'" + v.replace("'", "''") + "'"


def short(v, n=80):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(v)


STATE_SQL = """
SELECT coalesce(max(id), 0) || ' ' || count(*) FROM sym_access.audit;
SELECT md5(coalesce(string_agg(roleid || ':' || member || ':' || grantor || ':' || admin_option, ',' ORDER BY roleid, member, grantor), ''))
  FROM pg_catalog.pg_auth_members;
SELECT md5(coalesce(string_agg(role::oid || ':' || grantee::oid || ':' || run_srn || ':' || expires_at || ':' || preexisting, ','
  ORDER BY role::oid, grantee::oid, run_srn), '')) FROM sym_access.active_grant;
SELECT md5(coalesce(string_agg(a::text, ',' ORDER BY role::oid), '')) FROM sym_access.allowed_role a;
"""

INVARIANTS_SQL = """
SELECT count(*) FROM sym_access.active_grant g JOIN sym_access.allowed_role a ON a.role = g.role
 WHERE g.expires_at > now() + a.max_duration;
SELECT count(*) FROM pg_catalog.pg_auth_members m
 WHERE m.grantor = 'sym_access_grantor'::regrole AND m.member <> 'sym_access_grantor'::regrole
   AND (m.roleid NOT IN (SELECT role FROM sym_access.allowed_role)
        OR m.roleid IN (SELECT oid FROM pg_roles WHERE rolname IN ('p_danger_allowed', 'p_super', 'p_wad', 'p_admin', 'p_createrole'))
        OR m.member IN (SELECT oid FROM pg_roles WHERE rolsuper OR rolname LIKE 'sym\\_access\\_%')
        OR pg_catalog.pg_has_role('p_bot', m.member, 'MEMBER'));
SELECT sym_access.expire() >= 0;
SELECT count(*) FROM sym_access.check()
 WHERE NOT (problem = 'dangerous_allowed_role' AND role = 'p_danger_allowed');
"""


def state(su):
    ok, out, err = su.run(STATE_SQL)
    if not ok:
        raise SystemExit("state query failed: " + err)
    lines = out.split("\n")
    maxid, count = (int(x) for x in lines[0].split())
    return maxid, count, tuple(lines[1:4])


def main():
    seed, calls = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    su, bot = Session(), Session("p_bot")
    _, out, _ = su.run("SELECT current_setting('server_version_num')::int >= 170000;")
    infinity_ok = out.strip() == "t"
    problems = []
    outcomes = collections.Counter()
    sqlstates = collections.Counter()
    before = state(su)
    for i in range(calls):
        fn = rng.choices(["grant", "revoke", "expire"], [6, 3, 1])[0]
        shown, params = [], []
        if fn != "expire" and rng.random() < 0.45:
            # well-formed calls, so that grants, extensions and revokes happen
            # and the hostile calls meet real state
            values = [rng.choice(ALLOWED + ["p_danger_allowed", "p_botgroup"]), rng.choice(GRANTEES + ["p_bot"])]
            if fn == "grant":
                values.append(rng.choice([None, "30 seconds", "1 hour", "3 hours", "1 day", "2 days", "1 mon",
                                          "%d seconds" % rng.randint(1, 10 ** 6)]))
            values.append('{"run_srn": "p-run-%d", "reason": "property test"}' % rng.randint(0, 5))
        elif fn != "expire":
            values = [name(rng), name(rng)]
            if fn == "grant":
                values.append(duration(rng, infinity_ok))
            values.append(context(rng))
        if fn != "expire":
            casts = ["", "", "::interval", "::jsonb"] if fn == "grant" else ["", "", "::jsonb"]
            for k, v in enumerate(values):
                params.append(("NULL" if v is None else literal(v)) + casts[k])
                shown.append(short(v))
            sql = "SELECT r.audit_id || ' ' || r.outcome FROM sym_access.%s(%s) AS r;" % (fn, ", ".join(params))
        else:
            sql = "SELECT 'expire ' || sym_access.expire();"
        rc, out, err = bot.run(sql)
        after_call = state(su)
        what = "call %d %s(%s)" % (i, fn, ", ".join(shown))
        if rc and fn == "expire":
            n = int(out.split()[1])
            outcomes["expire"] += 1
            if after_call[1] - before[1] < n:
                problems.append("%s: revoked %d but wrote %d audit rows" % (what, n, after_call[1] - before[1]))
        elif rc and len(out.split()) != 2:
            problems.append("%s: unexpected answer [%s] [%s]" % (what, out.strip()[:200], err.strip()[:200]))
        elif rc:
            audit_id, outcome = out.split()
            outcomes[fn + ":" + outcome] += 1
            _, row, _ = su.run("SELECT action || ' ' || outcome FROM sym_access.audit WHERE id = %d;" % int(audit_id))
            if row.strip() != "%s %s" % (fn, outcome):
                problems.append("%s: audit row %s is [%s], expected [%s %s]" % (what, audit_id, row.strip(), fn, outcome))
            if after_call[1] != before[1] + 1 or after_call[0] != int(audit_id):
                problems.append("%s: returned audit id %s; audit went from %s to %s" % (what, audit_id, before[:2], after_call[:2]))
        else:
            code = err.split("ERROR:", 1)[1].split()[0] if "ERROR:" in err else "none"
            sqlstates[code] += 1
            if code not in EXPECTED:
                problems.append("%s: raised %s: %s" % (what, code, err.strip()[:300]))
            if after_call != before:
                problems.append("%s: raised %s but changed the database" % (what, code))
        rc, out, err = su.run(INVARIANTS_SQL)
        if not rc:
            problems.append("%s: invariant queries failed: %s" % (what, err.strip()[:300]))
        else:
            over, bad_grant, _, check_rows = (int(x) if x.isdigit() else x for x in out.split("\n")[:4])
            if over:
                problems.append("%s: %d grant(s) expire later than now() + max_duration" % (what, over))
            if bad_grant:
                problems.append("%s: %d membership(s) granted to a dangerous role or the bot, or of a role off the list" % (what, bad_grant))
            if check_rows:
                _, rows, _ = su.run("SELECT problem || ' ' || coalesce(role, '') || ' ' || coalesce(grantee, '') FROM sym_access.check();")
                problems.append("%s: check() after a sweep: %s" % (what, rows.strip().replace("\n", "; ")))
        before = state(su)
    for p in problems[:30]:
        print("  problem: " + p)
    returned = sum(outcomes.values())
    print("  outcomes: " + ", ".join("%s %d" % kv for kv in sorted(outcomes.items())))
    print("  raised: " + ", ".join("%s %d" % kv for kv in sorted(sqlstates.items())))
    print("RESULT calls %d returned %d raised %d problems %d" % (calls, returned, sum(sqlstates.values()), len(problems)))


if __name__ == "__main__":
    main()

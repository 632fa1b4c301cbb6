#!/usr/bin/env bash
# The Lambda shim against a bare libpq program doing the same statements
# (bench/bare_libpq.c: statement_timeout, resolve_user, grant or revoke),
# both over TCP with a SCRAM password, as a Lambda connects:
#   cold:  process start -> answer, local mode (sym-access-shim --event), the
#          events alternating escalate/deescalate, COLD runs per side, median;
#   RSS:   peak resident set size of one such run, /usr/bin/time -v;
#   warm:  WARM invocations on one process through the Runtime API peer
#          (shim/test/runtime_peer.py; from the peer's /next answer to the
#          /response it receives), p50 and p99, against the same statements
#          timed inside the bare program on one connection.
#
#   bench/shim.sh [COLD] [WARM]      (default 30 301)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cold=${1:-30}
warm=${2:-301}

make -s -C "$root/shim" sym-access-shim >/dev/null
shim=$root/shim/sym-access-shim
bare=$tmp/bare_libpq
# shellcheck disable=SC2046
cc -O2 -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags libpq) -o "$bare" "$root/bench/bare_libpq.c" $(pkg-config --libs libpq)

bench_install
bench_cluster
pw="bench-$RANDOM$RANDOM"
psql -X -q -v ON_ERROR_STOP=1 -v pw="$pw" <<'SQL'
CREATE EXTENSION sym_access;
CREATE ROLE readonly NOLOGIN;
CREATE ROLE sym_user LOGIN;
CREATE ROLE bench_bot LOGIN PASSWORD :'pw';
GRANT sym_access_operator TO bench_bot;
SELECT sym_access.allow_role('readonly') \gset
SQL
export PG_HOST=127.0.0.1 PG_PORT="${PGPORT:?}" PG_NAME=postgres PG_USER=bench_bot PG_PASSWORD="$pw"
run_srn=bench:run:shim
python3 - "$root/shim/test/fixtures" "$tmp" "$run_srn" <<'PY'
import json, sys
src, out, run = sys.argv[1:4]
for kind in ("escalate", "deescalate"):
    d = json.load(open(f"{src}/sym-{kind}.json"))
    d["run"]["srn"] = run
    json.dump(d, open(f"{out}/{kind}.json", "w"))
PY
email=sym-user@healthy-health.co
# One pass each, checked: both sides grant and revoke for real.
"$shim" --event "$tmp/escalate.json" 2>/dev/null | grep -q '"outcome":[[:space:]]*"granted"'
"$shim" --event "$tmp/deescalate.json" 2>/dev/null | grep -q '"outcome":[[:space:]]*"revoked"'
"$bare" cold grant "$email" readonly "$run_srn" | grep -q '"granted"'
"$bare" cold revoke "$email" readonly "$run_srn" | grep -q '"revoked"'

# cold: alternate sides and events; a side's run i does the same event.
python3 - "$shim" "$bare" "$tmp" "$cold" "$email" "$run_srn" >"$tmp/cold" <<'PY'
import statistics, subprocess, sys, time
shim, bare, tmp, n, email, run = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
ev = ["escalate", "deescalate"]
t = {"shim": [], "bare": []}
def timed(side, cmd):
    a = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t[side].append((time.perf_counter() - a) * 1000)
for i in range(2 * n):
    k = ev[i % 2]
    s = ([shim, "--event", f"{tmp}/{k}.json"], "shim")
    b = ([bare, "cold", "grant" if k == "escalate" else "revoke", email, "readonly", run], "bare")
    for cmd, side in ((s, b) if i % 4 < 2 else (b, s)):
        timed(side, cmd)
print(statistics.median(t["shim"]), statistics.median(t["bare"]))
PY
read -r cs cb <"$tmp/cold"

rss() { # command... -> peak RSS in kB
	/usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'
}
rs=() rb=()
for _ in 1 2 3; do
	rs+=("$(rss "$shim" --event "$tmp/escalate.json")")
	rb+=("$(rss "$bare" cold grant "$email" readonly "$run_srn")")
	rs+=("$(rss "$shim" --event "$tmp/deescalate.json")")
	rb+=("$(rss "$bare" cold revoke "$email" readonly "$run_srn")")
done

# warm: the peer serves WARM escalate/deescalate events, each pair followed
# by an event that is not JSON (answered without the database: what the peer
# and the HTTP round trips cost by themselves), then 500.
python3 - "$tmp" "$warm" >"$tmp/script.json" <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
ev = [json.load(open(f"{tmp}/{k}.json")) for k in ("escalate", "deescalate")]
inv = []
for i in range(n):
    inv.append({"id": f"w{i}", "event": ev[i % 2], "deadline_in_ms": 30000})
    if i % 2:
        inv.append({"id": f"n{i}", "raw": "{not json", "deadline_in_ms": 30000})
print(json.dumps({"invocations": inv, "when_done": 500}))
PY
python3 "$root/shim/test/runtime_peer.py" "$tmp/script.json" "$tmp/peer.log" "$tmp/port" &
peer=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$tmp/port")" "$shim" 2>/dev/null || true
kill "$peer" 2>/dev/null || true
wait "$peer" 2>/dev/null || true
"$bare" warm "$warm" "$email" readonly "$run_srn" >"$tmp/bare.warm"
python3 - "$tmp/peer.log" "$tmp/bare.warm" >"$tmp/warm" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
nxt = {e["id"]: e["time"] for e in log if e["kind"] == "next" and e["id"]}
res = {e["id"]: e["time"] for e in log if e["kind"] == "response"}
ok = sum('"granted"' in e["body"] or '"revoked"' in e["body"] for e in log if e["kind"] == "response")
db = [i for i in nxt if i.startswith("w")]
assert ok == len(db) and len(db) > 2, f"{ok} of {len(db)} invocations granted/revoked"
shim = sorted((res[i] - nxt[i]) * 1000 for i in db if i != "w0")   # w0 connects: cold
null = sorted((res[i] - nxt[i]) * 1000 for i in nxt if i.startswith("n"))
bare = sorted(int(l) / 1000 for l in list(open(sys.argv[2]))[1:])
pct = lambda v, p: v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print(*(round(v, 3) for v in (pct(shim, 50), pct(bare, 50), pct(shim, 99), pct(bare, 99), pct(null, 50))))
PY
read -r w50s w50b w99s w99b w50n <"$tmp/warm"
echo "# cold runs per side: $cold; warm invocations: $warm (the first, which connects, left out)" >&2
row "shim cold path, start -> answer (local mode)" "$cs" "$cb" ms "<= 1.15" "bench/shim.sh $cold $warm"
row "warm invocation p50 (Runtime API peer)" "$w50s" "$w50b" ms "<= 1.3" "bench/shim.sh $cold $warm"
row "warm p50 less the peer's own round trip (p50 of events answered without the database: $w50n ms)" \
	"$(awk -v a="$w50s" -v b="$w50n" 'BEGIN {print a - b}')" "$w50b" ms "-" "bench/shim.sh $cold $warm"
row "warm invocation p99 (Runtime API peer)" "$w99s" "$w99b" ms "-" "bench/shim.sh $cold $warm"
row "shim peak RSS (/usr/bin/time -v)" "$(median "${rs[@]}")" "$(median "${rb[@]}")" kB "<= 1.05" "bench/shim.sh $cold $warm"

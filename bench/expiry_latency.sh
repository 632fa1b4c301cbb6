#!/usr/bin/env bash
# How long after expires_at does access really end when Sym never sends
# deescalate?  Preloads the library with the worker at its default interval
# (sym_access.expire_interval = 60 unless INTERVAL is given), grants several
# short runs whose expiries fall at different points of the worker's cycle,
# waits for the worker to revoke them all (no expire() call from here), and
# prints each delay from expires_at to the revocation's audit row.
#
#   bench/expiry_latency.sh [INTERVAL_SECONDS] [GRANTS]    (default 60 6)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
interval=${1:-60}
grants=${2:-6}
tmp=$(mktemp -d /tmp/sym_access_bench.XXXXXX)
chmod 755 "$tmp"
trap '"$root/test/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"' EXIT

make -s -C "$root" install >/dev/null
conf=("shared_preload_libraries = 'sym_access'")
[ "$interval" = 60 ] || conf+=("sym_access.expire_interval = $interval")
"$root/test/cluster.sh" start "$tmp/pg" "${conf[@]}" >/dev/null
# shellcheck disable=SC1091
. "$tmp/pg/env"
echo "worker interval: $(psql -X -At -c 'SHOW sym_access.expire_interval')"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION sym_access;
CREATE ROLE l_role NOLOGIN;
SELECT sym_access.allow_role('l_role') \gset
SELECT format('CREATE ROLE l_user%s LOGIN', i) FROM generate_series(1, $grants) i \gexec
-- Expiries spread evenly over one interval, starting 5 s from now.
SELECT sym_access.grant('l_role', 'l_user' || i,
                        make_interval(secs => 5 + (i - 1) * $interval::float8 / $grants),
                        jsonb_build_object('run_srn', 'latency-' || i))
  FROM generate_series(1, $grants) i \g /dev/null
SQL

deadline=$(($(date +%s) + 5 + 2 * interval + 30))
while [ "$(psql -X -At -c "SELECT count(*) FROM sym_access.audit WHERE action = 'expire' AND outcome = 'revoked'")" -lt "$grants" ]; do
	if [ "$(date +%s)" -gt "$deadline" ]; then
		echo "not all grants were revoked in time" >&2
		exit 1
	fi
	sleep 1
done

psql -X -At -F ' ' <<'SQL' | python3 -c '
import sys
d = [float(x) for x in sys.stdin.read().split()]
for i, v in enumerate(d, 1):
    print(f"  run {i}: revoked {v:6.2f} s after expires_at")
print(f"delay from expiry to revocation: min {min(d):.2f} s, mean {sum(d)/len(d):.2f} s, max {max(d):.2f} s")
'
SELECT round(extract(epoch FROM at - expires_at)::numeric, 2)
  FROM sym_access.audit WHERE action = 'expire' AND outcome = 'revoked' ORDER BY run_srn;
SQL

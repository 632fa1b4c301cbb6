#!/usr/bin/env bash
# expire() must cost what the due rows cost, not what the table holds:
#   vs live rows: a sweep revoking K due grants with SMALL and with LARGE
#                 live (unexpired) rows in active_grant;
#   vs due rows:  the cost per revoked grant of a sweep of K and of 4K.
# Same run, best of two sweeps each; ratios near 1 mean flat.
#
#   bench/expire_scaling.sh [K] [SMALL] [LARGE]   (default 50 1000 200000)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
k=${1:-50}
small=${2:-1000}
large=${3:-200000}
k4=$((4 * k))

bench_install
bench_cluster
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION sym_access;
CREATE ROLE e_role NOLOGIN;
SELECT sym_access.allow_role('e_role', terminate_sessions => false) \gset
SELECT format('CREATE ROLE e_user%s LOGIN', i) FROM generate_series(1, $k4 + 1) i \gexec
SQL

# Live filler rows are written directly (as the owner): only their count
# matters, and grant() for 200k distinct users would time the setup instead.
sweep_ms() { # live-rows due-grants -> milliseconds for one expire()
	psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
TRUNCATE sym_access.active_grant;
INSERT INTO sym_access.active_grant (role, grantee, run_srn, expires_at)
  SELECT 'e_role', 'e_user1', 'live-' || i, now() + interval '1 day' FROM generate_series(1, $1) i;
SELECT sym_access.grant('e_role', 'e_user' || i, '1 second', jsonb_build_object('run_srn', 'due')) FROM generate_series(2, $2 + 1) i;
ANALYZE sym_access.active_grant;
SQL
	sleep 1.2
	psql -X -At -v ON_ERROR_STOP=1 <<'SQL' | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
\timing on
SELECT sym_access.expire();
SQL
}
best() { awk 'NR == 1 || $1 < m {m = $1} END {print m}' <<<"$(printf '%s\n' "$@")"; }
a=() b=() c=()
for _ in 1 2; do
	a+=("$(sweep_ms "$small" "$k")")
	b+=("$(sweep_ms "$large" "$k")")
	c+=("$(sweep_ms "$small" "$k4")")
done
sa=$(best "${a[@]}") sb=$(best "${b[@]}") sc=$(best "${c[@]}")
echo "# expire(): $k due with $small live ${a[*]} ms; with $large live ${b[*]} ms; $k4 due ${c[*]} ms" >&2
row "expire() of $k due grants, $large vs $small live rows" "$sb" "$sa" ms "~1 (flat)" "bench/expire_scaling.sh $k $small $large"
row "expire() per due grant, $k4 vs $k due" "$(awk -v t="$sc" -v n="$k4" 'BEGIN {print t / n}')" \
	"$(awk -v t="$sa" -v n="$k" 'BEGIN {print t / n}')" ms "~1 (linear)" "bench/expire_scaling.sh $k $small $large"

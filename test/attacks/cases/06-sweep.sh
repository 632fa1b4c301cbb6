# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DBNAME is read by lib.sh; root comes from run.sh
# 6. The sweep cannot be stalled: expire() skips a (role, grantee) pair
# that another transaction holds, one failing pair never stops the others,
# and the worker's sweep survives the database owner's session defaults.

S=${P}_sw
setup "CREATE ROLE $S NOLOGIN; SELECT sym_access.allow_role('$S')"
for i in 1 2 3 4 5 6; do setup "CREATE ROLE ${P}_sg$i LOGIN"; done
sgrant() { # grantee, duration, run
	as "$BOT" -c "SELECT outcome FROM sym_access.grant('$S', '$1', '$2', '{\"run_srn\": \"$3\"}')" >/dev/null
}
# expire() as the bot, bounded: it must return (not time out) within 5 s
bounded_expire() {
	local t0 t1
	t0=$(date +%s%N)
	PGOPTIONS="$PGOPTIONS -c statement_timeout=5s" timeout 20 psql -X -At -q -v VERBOSITY=verbose -U "$BOT" -d "$DB" -c "SELECT sym_access.expire()" >/dev/null 2>"$T/err"
	t1=$(date +%s%N)
	elapsed_ms=$(((t1 - t0) / 1000000))
	want_eq "$(last_error)" "" "expire() under statement_timeout 5 s (took ${elapsed_ms} ms)"
}

# held_pair NAME HELD OTHER SQL: two due grants; the bot's session NAME runs
# SQL (on HELD's pair) and keeps its transaction open; expire() must return
# and still revoke OTHER.
held_pair() {
	local name=$1 held=$2 other=$3 sql=$4
	sgrant "$held" "1 second" "$held"
	sgrant "$other" "1 second" "$other"
	sleep 1.2
	open_session "$name" "$BOT"
	say "$name" "BEGIN; $sql"
	wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '$BOT' AND state = 'idle in transaction'" 1 10 || reason "the holding session did not start"
	bounded_expire
	want "$(not_member "$other" "$S")" "the other due grant was not revoked"
	judge_preds
	say "$name" "ROLLBACK;"
	close_session "$name"
}

attack "sweep/bot/a pair held by an open revoke does not stall expire()"
held_pair hold "${P}_sg1" "${P}_sg2" "SELECT outcome FROM sym_access.revoke('$S', '${P}_sg1', '{\"run_srn\": \"${P}_sg1\"}');"
verdict

attack "sweep/bot/a pair held by an open grant of another run does not stall expire()"
held_pair hold2 "${P}_sg3" "${P}_sg4" "SELECT outcome FROM sym_access.grant('$S', '${P}_sg3', '1 hour', '{\"run_srn\": \"s3-other\"}');"
verdict

attack "sweep/bot/the skipped pair is revoked by the next sweep once released"
sgrant "${P}_sg5" "1 second" s5
sleep 1.2
open_session hold3 "$BOT"
say hold3 "BEGIN; SELECT outcome FROM sym_access.revoke('$S', '${P}_sg5', '{\"run_srn\": \"other\"}');"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '$BOT' AND state = 'idle in transaction'" 1 10 || reason "the holding session did not start"
bounded_expire
say hold3 "ROLLBACK;"
close_session hold3
bounded_expire
want "$(not_member "${P}_sg5" "$S")" "the released pair was not revoked by the next sweep"
verdict

attack "sweep/grantee/a grantee who became superuser with a session open does not stop the sweep"
SU=${P}_sgsu
setup "CREATE ROLE $SU LOGIN"
as "$BOT" -c "SELECT sym_access.grant('$S', '$SU', '1 second', '{\"run_srn\": \"su\"}')" >/dev/null
sgrant "${P}_sg6" "1 second" s6
open_session susess "$SU"
say susess "SET ROLE $S; SELECT 'in';"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '$SU' AND state = 'idle'" 1 10 || reason "the grantee's session did not start"
setup "ALTER ROLE $SU SUPERUSER"
sleep 1.2
bounded_expire
want "$(not_member "${P}_sg6" "$S")" "the other due grant was not revoked"
want "NOT EXISTS (SELECT FROM pg_auth_members WHERE roleid = '$S'::regrole AND member = '$SU'::regrole)" "the superuser grantee's membership was not revoked where possible"
want "EXISTS (SELECT FROM sym_access.audit WHERE action = 'expire' AND outcome = 'error' AND grantee = '$SU')" "no expire audit row with outcome 'error' for the pair that could not be signalled"
close_session susess
setup "ALTER ROLE $SU NOSUPERUSER"
verdict

attack "sweep/grantee/advisory locks on the pair's numbers do not stall expire()"
setup "CREATE ROLE ${P}_sg7 LOGIN"
sgrant "${P}_sg7" "1 second" s7
sleep 1.2
open_session adv "${P}_sg7"
say adv "SELECT pg_advisory_lock('$S'::regrole::oid::int, '${P}_sg7'::regrole::oid::int), pg_advisory_lock(('$S'::regrole::oid::bigint << 32) | '${P}_sg7'::regrole::oid::bigint), pg_advisory_lock('$S'::regrole::oid::bigint), pg_advisory_lock('${P}_sg7'::regrole::oid::bigint);"
sleep 0.5
bounded_expire
want "$(not_member "${P}_sg7" "$S")" "the due grant was not revoked"
close_session adv
verdict

# On 16+ a GRANT or REVOKE of a role locks the role until its transaction
# ends: a bot holding its transaction open after a call on (role, A) would
# stall the revoke of that role from anyone else, sweep after sweep. expire()
# ends such bot sessions and tries the pair once more (C: end_bots_holding_role,
# PL/pgSQL: _expire_after_ending_bots). Before 16 nothing blocks and the bot's
# session must be left alone.
attack "sweep/bot/a bot holding a role in an open transaction does not stall the sweep of that role"
HR=${P}_hold
setup "CREATE ROLE $HR NOLOGIN; CREATE ROLE ${P}_hga LOGIN; CREATE ROLE ${P}_hgb LOGIN; SELECT sym_access.allow_role('$HR')"
as "$BOT" -c "SELECT sym_access.grant('$HR', '${P}_hga', '1 hour', '{\"run_srn\": \"hga\"}')" >/dev/null
as "$BOT" -c "SELECT sym_access.grant('$HR', '${P}_hgb', '1 second', '{\"run_srn\": \"hgb\"}')" >/dev/null
sleep 1.2
open_session hrole "$BOT"
say hrole "BEGIN; SELECT outcome FROM sym_access.revoke('$HR', '${P}_hga', '{\"run_srn\": \"hga\"}'); SELECT 'holder ' || pg_backend_pid();"
wait_for "SELECT count(*) FROM pg_stat_activity WHERE usename = '$BOT' AND state = 'idle in transaction'" 1 10 || reason "the holding session did not start"
holder=$(sed -n 's/^holder //p' "$T/hrole.out")
bounded_expire
want "$(not_member "${P}_hgb" "$HR")" "the due grant of the held role was not revoked"
want "EXISTS (SELECT FROM sym_access.audit WHERE action = 'expire' AND outcome = 'revoked' AND grantee = '${P}_hgb')" "no expire audit row 'revoked' for the due grant"
if ver_at_least 160000; then
	want "NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = ${holder:-0})" "the bot session holding the role was not ended"
	# its uncommitted revoke rolled back: A keeps the role and its row
	want "$(member "${P}_hga" "$HR") AND EXISTS (SELECT FROM sym_access.active_grant WHERE role = '$HR'::regrole AND grantee = '${P}_hga'::regrole)" "the rolled-back revoke left A without its grant or row"
else
	want "EXISTS (SELECT FROM pg_stat_activity WHERE pid = ${holder:-0})" "the bot session was ended although nothing blocked the sweep before 16"
fi
judge_preds
say hrole "ROLLBACK;"
close_session hrole
verdict

# --- the worker, in the second cluster (preloaded, 1 s interval) ---------
if pgtle; then # no worker: pg_cron (test/pgtle/rds.sh) or the shim's sweep event (test/pgtle/shim-sweep.sh)
	for w in "sweeps with default_transaction_isolation = serializable" "sweeps with default_transaction_read_only = on" \
		"sweeps with serializable, read-only, deferrable and lock_timeout together" \
		"with the owner's search_path = public and planted operators never runs them"; do
		attack "sweep/dbowner/worker $w"
		skip "C edition only: the pg_tle edition has no background worker"
	done
	return 0
fi
if ! use_extra; then
	attack "sweep/dbowner/worker"
	reason "could not start the second cluster"
	verdict
	return 0
fi
DBNAME=${P}_w
WO=${P}_wo
psql -X -q -d postgres >/dev/null 2>&1 <<SQL
CREATE ROLE $WO LOGIN;
ALTER DATABASE ${P}_w OWNER TO $WO;
CREATE ROLE ${P}_wbot LOGIN;
CREATE ROLE ${P}_wr NOLOGIN;
CREATE ROLE ${P}_wg1 LOGIN;
CREATE ROLE ${P}_wg2 LOGIN;
CREATE ROLE ${P}_wg3 LOGIN;
CREATE ROLE ${P}_wg4 LOGIN;
SQL
su >/dev/null <<SQL
CREATE EXTENSION sym_access;
GRANT sym_access_operator TO ${P}_wbot;
SELECT sym_access.allow_role('${P}_wr');
SQL
# The worker reads the database's defaults when it connects: restart the
# server (as any maintenance would) after the owner's ALTER DATABASE.
restart_extra() {
	"$root/test/cluster.sh" restart "$EXTRA" >/dev/null 2>&1 || reason "the second cluster did not restart"
}
# A 2-second grant from a bot session that overrides the owner's defaults
# (the bot is not under attack here), then the worker must revoke it.
worker_revokes() { # grantee
	out=$(PGOPTIONS="$PGOPTIONS -c default_transaction_isolation=read\\ committed -c default_transaction_read_only=off -c default_transaction_deferrable=off" \
		as "${P}_wbot" -c "SELECT outcome FROM sym_access.grant('${P}_wr', '$1', '2 seconds')")
	want_eq "$out" granted "the set-up grant"
	wait_for "SELECT pg_has_role('$1', '${P}_wr', 'MEMBER')" f 30 || reason "the worker did not revoke the expired grant within 30 s"
}
owner_sets() { # the database owner's ALTER DATABASE ... SET, one per argument
	local s
	for s in "$@"; do
		as "$WO" -c "SET default_transaction_read_only = off" -c "ALTER DATABASE ${P}_w SET $s" >/dev/null
		want_eq "$(last_error)" "" "the owner's ALTER DATABASE SET $s"
	done
}
reset_db() { PGOPTIONS="$PGOPTIONS -c default_transaction_read_only=off" su -c "ALTER DATABASE ${P}_w RESET ALL" >/dev/null; }

attack "sweep/dbowner/worker sweeps with default_transaction_isolation = serializable"
owner_sets "default_transaction_isolation = 'serializable'"
restart_extra
worker_revokes "${P}_wg1"
reset_db
verdict

attack "sweep/dbowner/worker sweeps with default_transaction_read_only = on"
owner_sets "default_transaction_read_only = on"
restart_extra
worker_revokes "${P}_wg2"
reset_db
verdict

attack "sweep/dbowner/worker sweeps with serializable, read-only, deferrable and lock_timeout together"
owner_sets "default_transaction_isolation = 'serializable'" "default_transaction_read_only = on" \
	"default_transaction_deferrable = on" "lock_timeout = '1ms'"
restart_extra
worker_revokes "${P}_wg3"
reset_db
verdict

attack "sweep/dbowner/worker with the owner's search_path = public and planted operators never runs them"
plant public "$WO"
owner_sets "search_path = public, pg_catalog"
restart_extra
worker_revokes "${P}_wg4"
planted_never_ran "$WO"
reset_db
verdict
use_main

# shellcheck shell=bash
# 1. Durations act on the clock, not on interval fields.  interval
# comparison counts a month as 30 days and a year as 360; timestamp
# arithmetic does not.  Every grant's expiry must satisfy
# expires_at <= now() + max_duration by the clock, mixed-sign durations are
# denied, and purge_audit's cut-off is at least 30 days back by the clock.

DR=${P}_dur
setup "CREATE ROLE $DR NOLOGIN;
       SELECT sym_access.allow_role('$DR', default_duration => '1 hour', max_duration => '12 hours')"
DR360=${P}_dur360 # max 360 days: '1 year' compares equal, the clock says 365
setup "CREATE ROLE $DR360 NOLOGIN;
       SELECT sym_access.allow_role('$DR360', max_duration => '360 days')"
DRH=${P}_durh # max 720 hours: '1 mon' compares equal, the clock says 28-31 days
setup "CREATE ROLE $DRH NOLOGIN;
       SELECT sym_access.allow_role('$DRH', max_duration => '720 hours')"

n=0
# grant_with ROLE DURATION-LITERAL: grants to a fresh grantee, sets $who and $out
grant_with() {
	n=$((n + 1))
	who=${P}_dg$n
	setup "CREATE ROLE $who LOGIN"
	out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$1', '$who', $2, '{\"run_srn\": \"dur-$n\"}')")
}
# the grant is denied and left nothing behind
denied_grant() { # role
	want_eq "$out" denied "outcome"
	want "$(not_member "$who" "$1")" "the grantee became a member"
	want "NOT EXISTS (SELECT FROM sym_access.active_grant WHERE grantee::oid = (SELECT oid FROM pg_roles WHERE rolname = '$who'))" "an active row was recorded"
}
# whatever the outcome, the expiry is within max_duration by the clock
within_max() { # role
	want "NOT EXISTS (SELECT FROM sym_access.active_grant g JOIN sym_access.allowed_role a ON a.role = g.role
	                   WHERE g.grantee::oid = (SELECT oid FROM pg_roles WHERE rolname = '$who')
	                     AND g.expires_at > g.granted_at + a.max_duration)" \
		"expires_at is later than granted_at + max_duration on the clock"
	want "NOT EXISTS (SELECT FROM sym_access.active_grant
	                   WHERE grantee::oid = (SELECT oid FROM pg_roles WHERE rolname = '$who')
	                     AND expires_at > now() + interval '366 days')" "expiry more than a year away"
}

for d in "100 years -35999 days -12 hours" "1 month -29 days" "-1 month 40 days" \
	"1 year -364 days 23:59" "1 mon -30 days 1 hour" "-1 day 36 hours" "2 days -47 hours" \
	"1 year -1 mon -325 days"; do
	attack "durations/bot/mixed-signs '$d'"
	grant_with "$DR" "'$d'"
	denied_grant "$DR"
	within_max "$DR"
	verdict
done

attack "durations/bot/'1 year' against max 360 days is clamped by the clock"
grant_with "$DR360" "'1 year'"
within_max "$DR360"
want "$(member "$who" "$DR360")" "a valid (clamped) grant was not made"
verdict

attack "durations/bot/'1 mon' against max 720 hours is clamped by the clock"
grant_with "$DRH" "'1 mon'"
within_max "$DRH"
verdict

attack "durations/bot/'12 mons' against max 360 days is clamped by the clock"
grant_with "$DR360" "'12 mons'"
within_max "$DR360"
verdict

for d in "0" "-1 hour" "-1 mon" "0 days 0 seconds" "-0.000001 seconds" "1 day -24 hours"; do
	attack "durations/bot/zero-or-negative '$d'"
	grant_with "$DR" "'$d'"
	denied_grant "$DR"
	verdict
done

# 'infinity' has no mixed signs: SPEC's "over max_duration -> clamped" allows
# a grant clamped to max_duration as well as a denial; never a longer one.
attack "durations/bot/infinity"
if ver_at_least 170000; then
	grant_with "$DR" "'infinity'"
	[ "$out" = denied ] || want_eq "$out" granted "outcome (denied, or granted and clamped)"
	within_max "$DR"
	verdict
	attack "durations/bot/-infinity"
	grant_with "$DR" "'-infinity'"
	denied_grant "$DR"
	verdict
else
	skip "interval infinity exists from PostgreSQL 17"
	attack "durations/bot/-infinity"
	skip "interval infinity exists from PostgreSQL 17"
fi

attack "durations/admin/allow_role with a mixed-sign max_duration cannot lift the clock bound"
DRM=${P}_durmix
setup "CREATE ROLE $DRM NOLOGIN"
as "$ADMIN" -c "SELECT sym_access.allow_role('$DRM', default_duration => '1 hour', max_duration => '100 years -35999 days')" >/dev/null
if [ -z "$(last_state)" ]; then
	grant_with "$DRM" "'100 years -35999 days'"
	want "NOT EXISTS (SELECT FROM sym_access.active_grant
	                   WHERE grantee::oid = (SELECT oid FROM pg_roles WHERE rolname = '$who')
	                     AND expires_at > now() + interval '2 days')" \
		"a mixed-sign max_duration let a grant run for $(su -c "SELECT max(expires_at - now()) FROM sym_access.active_grant WHERE grantee::oid = (SELECT oid FROM pg_roles WHERE rolname = '$who')")"
fi
verdict

# purge_audit: a marker row 29 days old must survive every cut-off that is
# not at least 30 days back on the clock.  (Set up as the superuser, whom
# the 1.1.0 guard lets write the table.)
purge_marker="EXISTS (SELECT FROM sym_access.audit WHERE reason = '${P}-purge-marker')"
for d in "-1 year 390 days" "-2 years 750 days" "1 month -25 days" "2 mons -31 days" "29 days" "-30 days" "1 year -340 days"; do
	attack "durations/superuser/purge_audit cut-off '$d' is refused"
	setup "INSERT INTO sym_access.audit (at, action, outcome, reason)
	       SELECT now() - interval '29 days', 'grant', 'denied', '${P}-purge-marker' WHERE NOT $purge_marker"
	as postgres -c "SELECT sym_access.purge_audit('$d')" >/dev/null
	want_error "cut-off not refused"
	want "$purge_marker" "the 29-day-old audit row was purged"
	verdict
done

attack "durations/admin/purge_audit by a non-superuser admin"
setup "INSERT INTO sym_access.audit (at, action, outcome, reason) VALUES (now() - interval '400 days', 'grant', 'denied', '${P}-old-marker')"
as "$ADMIN" -c "SELECT sym_access.purge_audit('60 days')" >/dev/null
want_state 42501
want "EXISTS (SELECT FROM sym_access.audit WHERE reason = '${P}-old-marker')" "a non-superuser purged the trail"
verdict

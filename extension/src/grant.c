/*-------------------------------------------------------------------------
 *
 * grant.c
 *	  The operator functions grant(), revoke() and expire().
 *
 * Bookkeeping: sym_access.active_grant holds one row per (role, grantee,
 * run).  A membership made by sym_access is held while at least one of its
 * runs' rows is unexpired; a membership that predates sym_access is recorded
 * with preexisting = true and never revoked.  Every decision about a pair
 * runs under sym_lock_pair(), writes one audit row and one LOG line, and
 * policy refusals return outcome "denied" (with a WARNING) so the audit row
 * commits with the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "sym_access.h"

PG_FUNCTION_INFO_V1(sym_access_grant);
PG_FUNCTION_INFO_V1(sym_access_revoke);
PG_FUNCTION_INFO_V1(sym_access_expire);

/* What one call decided; becomes the audit row and the result. */
typedef SymDecision Decision;

static void
decision_init(Decision *d)
{
	memset(d, 0, sizeof(*d));
	d->expires_at = DT_NOBEGIN;
	initStringInfo(&d->extra);
}

static void
deny(Decision *d, char *message)
{
	d->outcome = "denied";
	d->message = message;
	d->expires_at = DT_NOBEGIN;
}

typedef SymRolePolicy RolePolicy;

static RolePolicy
role_policy(Oid roleid)
{
	RolePolicy	p = {false, NULL, NULL, true};
	Oid			argtypes[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(roleid)};
	bool		isnull;
	int			ret;

	ret = sym_spi_exec("SELECT default_duration, max_duration, terminate_sessions"
					   "  FROM sym_access.allowed_role WHERE role = $1", 1, argtypes, values, NULL, false);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the allow-list");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		p.found = true;
		p.default_duration = DatumGetIntervalP(datumCopy(SPI_getbinval(tup, desc, 1, &isnull), false, sizeof(Interval)));
		p.max_duration = DatumGetIntervalP(datumCopy(SPI_getbinval(tup, desc, 2, &isnull), false, sizeof(Interval)));
		p.terminate_sessions = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
	}
	return p;
}

/* Record (or extend) this run's row; returns the row's expiry. */
static TimestampTz
upsert_run(Oid roleid, Oid granteeid, const char *run_srn,
		   TimestampTz expires_at, bool preexisting)
{
	Oid			argtypes[5] = {REGROLEOID, REGROLEOID, TEXTOID, TIMESTAMPTZOID, BOOLOID};
	Datum		values[5];
	bool		isnull;
	int			ret;

	values[0] = ObjectIdGetDatum(roleid);
	values[1] = ObjectIdGetDatum(granteeid);
	values[2] = CStringGetTextDatum(run_srn);
	values[3] = TimestampTzGetDatum(expires_at);
	values[4] = BoolGetDatum(preexisting);
	ret = sym_spi_exec("INSERT INTO sym_access.active_grant AS g"
					   "  (role, grantee, run_srn, granted_at, expires_at, preexisting)"
					   " VALUES ($1, $2, $3, now(), $4, $5)"
					   " ON CONFLICT (role, grantee, run_srn) DO UPDATE"
					   "   SET expires_at = GREATEST(g.expires_at, excluded.expires_at),"
					   "       preexisting = excluded.preexisting"
					   " RETURNING expires_at", 5, argtypes, values, NULL, false);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "sym_access: could not record the active grant");
	return DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Rows of other runs of the pair that still hold a membership made by
 * sym_access, and the latest of their expiries.
 */
static int64
live_runs(Oid roleid, Oid granteeid, TimestampTz *until)
{
	Oid			argtypes[2] = {REGROLEOID, REGROLEOID};
	Datum		values[2] = {ObjectIdGetDatum(roleid), ObjectIdGetDatum(granteeid)};
	bool		isnull;
	int64		n;
	Datum		d;

	if (sym_spi_exec("SELECT count(*), max(expires_at) FROM sym_access.active_grant"
					 " WHERE role = $1 AND grantee = $2"
					 "   AND NOT preexisting AND expires_at > now()", 2, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read active grants");
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	*until = isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
	return n;
}

/* Drop the pair's remaining rows of runs sym_access granted (all expired). */
static void
delete_expired_runs(Oid roleid, Oid granteeid)
{
	Oid			argtypes[2] = {REGROLEOID, REGROLEOID};
	Datum		values[2] = {ObjectIdGetDatum(roleid), ObjectIdGetDatum(granteeid)};

	if (sym_spi_exec("DELETE FROM sym_access.active_grant"
					 " WHERE role = $1 AND grantee = $2 AND NOT preexisting", 2, argtypes, values, NULL, false) != SPI_OK_DELETE)
		elog(ERROR, "sym_access: could not delete active grants");
}

typedef struct TerminateStep
{
	Oid			granteeid;
	int			terminated;
} TerminateStep;

static void
terminate_step(void *arg)
{
	TerminateStep *step = (TerminateStep *) arg;

	step->terminated = sym_terminate_sessions(step->granteeid);
}

/*
 * Revoke the membership sym_access made, then end the grantee's sessions if
 * the role asks for it.  Returns true when a membership was removed.  The
 * caller has checked that the grantor still holds ADMIN OPTION.  Ending the
 * sessions runs in its own subtransaction: when it fails (a grantee who has
 * become a superuser cannot be signalled), the revoke stands and
 * r->terminate_error says why.
 */
bool
sym_revoke_and_terminate(Oid roleid, Oid granteeid, SymRevocation *r)
{
	SymMembership m = sym_membership(roleid, granteeid);
	char	   *role = GetUserNameFromId(roleid, true);
	char	   *grantee = GetUserNameFromId(granteeid, true);
	TerminateStep step = {granteeid, 0};
	ErrorData  *err;
	bool		temporary;

	memset(r, 0, sizeof(*r));
	if (role == NULL || grantee == NULL)
	{
		r->outcome = "not_granted";
		r->message = psprintf("the %s with OID %u was dropped; there is no membership left to revoke",
							  role == NULL ? "role" : "user", role == NULL ? roleid : granteeid);
		return false;
	}
	temporary = sym_is_temporary_login(granteeid);
	if (!m.ours && !temporary)
	{
		r->outcome = "not_granted";
		r->message = psprintf("\"%s\" no longer held \"%s\" through sym_access: the membership had been removed outside sym_access",
							  grantee, role);
		return false;
	}

	if (m.ours)
		sym_revoke_membership(roleid, granteeid);
	r->outcome = "revoked";
	r->message = psprintf("revoked \"%s\" from \"%s\"", role, grantee);

	/*
	 * Terminate last: the fewer steps after it, the shorter the window.  A
	 * temporary login's sessions always end: the login is going away.  No
	 * process of the grantee, nothing to end: the allow-list need not be read
	 * (one statement less on most revocations).
	 */
	if (sym_role_has_backend(granteeid) &&
		(temporary || role_policy(roleid).terminate_sessions))
	{
		err = sym_try(terminate_step, &step);
		r->terminated = step.terminated;
		if (err != NULL)
		{
			r->terminate_error = err->message;
			r->message = psprintf("%s; its sessions could not be ended: %s",
								  r->message, err->message);
		}
		else if (r->terminated > 0)
			r->message = psprintf("%s; terminated %d session%s", r->message,
								  r->terminated, r->terminated == 1 ? "" : "s");
	}
	if (m.outside)
		r->message = psprintf("%s; a membership granted outside sym_access remains", r->message);
	if (temporary)
		sym_tempuser_end(granteeid, r);
	return true;
}

/*
 * Names to OIDs, then the pair's lock.  False (with d denied) when a name
 * is unusable or unknown.
 */
static bool
lock_named_pair(const char *role_name, const char *grantee_name, Decision *d,
				bool adds_rows)
{
	char	   *reason;

	if (!sym_name_ok(role_name, "role", &reason) ||
		!sym_name_ok(grantee_name, "grantee", &reason))
	{
		deny(d, reason);
		return false;
	}
	d->roleid = get_role_oid(role_name, true);
	if (!OidIsValid(d->roleid))
	{
		deny(d, psprintf("role \"%s\" does not exist", role_name));
		return false;
	}
	d->granteeid = get_role_oid(grantee_name, true);
	if (!OidIsValid(d->granteeid))
	{
		deny(d, psprintf("user \"%s\" does not exist", grantee_name));
		return false;
	}
	if (adds_rows)
		sym_lock_role(d->roleid, false);
	sym_lock_pair(d->roleid, d->granteeid);
	return true;
}

/*
 * The run's expiry, on the clock: the transaction's start plus the duration
 * (the role's default when NULL), clamped to start + max_duration computed
 * the same way.  False, with d denied, when the duration mixes signs or the
 * expiry would not be later than now.
 */
static bool
run_expiry(Interval *requested, const RolePolicy *policy, Decision *d,
		   bool *clamped)
{
	Interval   *duration = requested ? requested : policy->default_duration;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz cap = sym_now_plus(policy->max_duration);

	if (sym_interval_mixed_signs(duration))
	{
		deny(d, psprintf("duration %s mixes positive and negative fields; give it as one signed quantity such as '2 hours'",
						 sym_interval_out(duration)));
		return false;
	}
	/* Surely longer than the cap: no need to add it (it could overflow). */
	if (sym_interval_clock_usecs(duration, false) >
		sym_interval_clock_usecs(policy->max_duration, true))
		d->expires_at = DT_NOEND;
	else
		d->expires_at = sym_now_plus(duration);
	if (d->expires_at <= now)
	{
		deny(d, psprintf("duration %s is not positive", sym_interval_out(duration)));
		return false;
	}

	d->duration = duration;
	*clamped = d->expires_at > cap;
	if (*clamped)
	{
		d->expires_at = cap;
		d->duration = policy->max_duration;
		sym_json_member(&d->extra, "requested_duration", sym_interval_out(duration));
		sym_json_member_raw(&d->extra, "clamped", "true");
	}
	return true;
}

static void
decide_grant(const char *role_name, const char *grantee_name,
			 Interval *requested, const SymContext *ctx, Decision *d)
{
	StringInfoData why;
	RolePolicy	policy;
	SymMembership m;
	bool		clamped = false;
	bool		preexisting = false;

	initStringInfo(&why);
	if (sym_tempuser_role(role_name))
		return sym_tempuser_grant(role_name, grantee_name, requested, ctx, d);
	if (!lock_named_pair(role_name, grantee_name, d, true))
		return;

	policy = role_policy(d->roleid);
	if (!policy.found)
		return deny(d, psprintf("role \"%s\" is not on the sym_access allow-list", role_name));
	if (sym_role_is_dangerous(d->roleid, &why))
		return deny(d, psprintf("%s; it cannot be granted while that is so", why.data));
	if (sym_grantee_is_unfit(d->granteeid, d->roleid, &why))
		return deny(d, why.data);
	if (sym_is_temporary_login(d->granteeid))
		return deny(d, psprintf("\"%s\" is a temporary login; it holds the role it was made for and nothing else",
								grantee_name));

	if (!run_expiry(requested, &policy, d, &clamped))
		return;

	if (!sym_grantor_has_admin(d->roleid))
		return deny(d, psprintf("sym_access_grantor does not hold ADMIN OPTION on \"%s\" (restored into a new cluster, or revoked by hand); run sym_access.allow_role('%s') again",
								role_name, role_name));

	m = sym_membership(d->roleid, d->granteeid);
	if (m.ours)
		d->outcome = "extended";
	else if (m.outside)
	{
		d->outcome = "already_member";
		preexisting = true;
	}
	else
	{
		sym_grant_membership(d->roleid, d->granteeid);
		d->outcome = "granted";
	}

	d->expires_at = upsert_run(d->roleid, d->granteeid, ctx->run_srn,
							   d->expires_at, preexisting);

	if (preexisting)
		d->message = psprintf("\"%s\" was already a member of \"%s\" outside sym_access; recorded as pre-existing, sym_access will never revoke it",
							  grantee_name, role_name);
	else if (m.ours)
		d->message = psprintf("\"%s\" already holds \"%s\" through sym_access; this run holds it until %s",
							  grantee_name, role_name, sym_timestamptz_out(d->expires_at));
	else
		d->message = psprintf("granted \"%s\" to \"%s\" until %s",
							  role_name, grantee_name, sym_timestamptz_out(d->expires_at));
	if (clamped)
		d->message = psprintf("%s (requested %s, clamped to the role's max_duration %s)",
							  d->message,
							  sym_interval_out(requested ? requested : policy.default_duration),
							  sym_interval_out(d->duration));
}

/* What a revocation adds to the audit row's detail. */
static void
revocation_detail(StringInfo extra, const SymRevocation *r)
{
	sym_json_member_int(extra, "terminated_sessions", r->terminated);
	if (r->terminate_error)
		sym_json_member(extra, "terminate_error", r->terminate_error);
	if (r->temporary_user)
	{
		sym_json_member(extra, "temporary_user", r->temporary_user);
		sym_json_member(extra, "login", r->login);
		if (r->drop_error)
			sym_json_member(extra, "drop_error", r->drop_error);
	}
}

static void
decide_revoke(const char *role_name, const char *grantee_name,
			  const SymContext *ctx, Decision *d)
{
	Oid			argtypes[3] = {REGROLEOID, REGROLEOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	bool		preexisting;
	TimestampTz until;
	int64		others;
	SymRevocation r;

	if (!lock_named_pair(role_name, grantee_name, d, false))
	{
		/*
		 * A base name of a temporary_user role is no role: with no login of
		 * this run left (revoked, expired, never made), a replayed deescalate
		 * has nothing to do, like a membership revoke's replay.
		 */
		if (OidIsValid(d->roleid) && !OidIsValid(d->granteeid) &&
			sym_tempuser_role(role_name))
		{
			d->outcome = "not_granted";
			d->message = psprintf("no temporary login of \"%s\" for \"%s\" in this run; nothing to do",
								  role_name, grantee_name);
		}
		return;
	}

	/* Refuse before changing anything if the revoke could not complete. */
	if (sym_membership(d->roleid, d->granteeid).ours &&
		!sym_grantor_has_admin(d->roleid))
		return deny(d, psprintf("sym_access_grantor does not hold ADMIN OPTION on \"%s\"; the membership cannot be revoked by sym_access",
								role_name));

	values[0] = ObjectIdGetDatum(d->roleid);
	values[1] = ObjectIdGetDatum(d->granteeid);
	values[2] = CStringGetTextDatum(ctx->run_srn);
	if (sym_spi_exec("DELETE FROM sym_access.active_grant"
					 " WHERE role = $1 AND grantee = $2 AND run_srn = $3"
					 " RETURNING preexisting", 3, argtypes, values, NULL, false) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "sym_access: could not delete the active grant");

	if (SPI_processed == 0)
	{
		d->outcome = "not_granted";
		d->message = psprintf("no active grant of \"%s\" to \"%s\" for this run; nothing to do",
							  role_name, grantee_name);
		return;
	}
	preexisting = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (preexisting)
	{
		d->outcome = "preexisting";
		d->message = psprintf("\"%s\" was a member of \"%s\" before sym_access; the run is closed and the membership kept",
							  grantee_name, role_name);
		return;
	}

	others = live_runs(d->roleid, d->granteeid, &until);
	if (others > 0)
	{
		d->outcome = "still_active";
		d->expires_at = until;
		d->message = psprintf("this run is closed; %lld other run%s still hold%s \"%s\" for \"%s\" until %s",
							  (long long) others, others == 1 ? "" : "s",
							  others == 1 ? "s" : "", role_name, grantee_name,
							  sym_timestamptz_out(until));
		return;
	}

	/* Expired rows of other runs have nothing left to hold. */
	delete_expired_runs(d->roleid, d->granteeid);
	if (sym_revoke_and_terminate(d->roleid, d->granteeid, &r))
		revocation_detail(&d->extra, &r);
	d->outcome = r.outcome;
	d->message = r.message;
}

/* Shared tail of grant() and revoke(): audit, warn, build the result. */
static Datum
finish(FunctionCallInfo fcinfo, MemoryContext callerctx, const char *action,
	   const char *role_name, const char *grantee_name, const SymContext *ctx,
	   Decision *d)
{
	SymAudit	a;
	int64		audit_id;
	Datum		result;

	memset(&a, 0, sizeof(a));
	a.action = action;
	a.outcome = d->outcome;
	if (d->grantee_name)
		grantee_name = d->grantee_name;
	a.role_name = role_name;
	a.grantee = grantee_name;
	a.ctx = ctx;
	a.duration = d->duration;
	a.expires_at = d->expires_at;
	a.message = d->message;
	a.extra = &d->extra;
	audit_id = sym_audit(&a);

	if (strcmp(d->outcome, "denied") == 0)
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("sym_access: %s denied: %s", action, d->message),
				 errdetail("The refusal is recorded as audit row " INT64_FORMAT ".", audit_id)));

	MemoryContextSwitchTo(callerctx);
	result = sym_result_password(fcinfo, d->outcome, role_name, grantee_name,
								 d->expires_at, audit_id, d->message, d->password);
	SPI_finish();
	return result;
}

Datum
sym_access_grant(PG_FUNCTION_ARGS)
{
	MemoryContext callerctx = CurrentMemoryContext;
	char	   *role_name = sym_text_arg(fcinfo, 0, "role", true);
	char	   *grantee_name = sym_text_arg(fcinfo, 1, "grantee", true);
	Interval   *requested = PG_ARGISNULL(2) ? NULL : PG_GETARG_INTERVAL_P(2);
	SymContext	ctx;
	Decision	d;

	sym_require_read_committed("grant");
	sym_parse_context(fcinfo, 3, &ctx);

	SPI_connect();
	decision_init(&d);
	decide_grant(role_name, grantee_name, requested, &ctx, &d);
	return finish(fcinfo, callerctx, "grant", role_name, grantee_name, &ctx, &d);
}

Datum
sym_access_revoke(PG_FUNCTION_ARGS)
{
	MemoryContext callerctx = CurrentMemoryContext;
	char	   *role_name = sym_text_arg(fcinfo, 0, "role", true);
	char	   *grantee_name = sym_text_arg(fcinfo, 1, "grantee", true);
	SymContext	ctx;
	Decision	d;

	sym_require_read_committed("revoke");
	sym_parse_context(fcinfo, 2, &ctx);

	SPI_connect();
	/* A temporary login is revoked by its base name or its own. */
	grantee_name = sym_tempuser_revoke_target(role_name, grantee_name, &ctx);
	decision_init(&d);
	decide_revoke(role_name, grantee_name, &ctx, &d);
	return finish(fcinfo, callerctx, "revoke", role_name, grantee_name, &ctx, &d);
}

/* The names of a pair for messages and the audit; an OID when dropped. */
static const char *
name_or_oid(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("%u", roleid);
}

/*
 * Close the due runs of one pair (all its runs when the role or the user
 * was dropped) and revoke the membership if no run is left to hold it.
 * The caller holds the pair's lock and runs this in a subtransaction.
 * Writes one audit row when it closed anything; returns 1 when a
 * membership was revoked.
 */
static int
expire_pair(Oid roleid, Oid granteeid)
{
	Oid			argtypes[3] = {REGROLEOID, REGROLEOID, BOOLOID};
	Datum		values[3];
	char	   *role = GetUserNameFromId(roleid, true);
	char	   *grantee = GetUserNameFromId(granteeid, true);
	bool		dropped = role == NULL || grantee == NULL;
	SymContext	ctx;
	SymAudit	a;
	StringInfoData extra;
	StringInfoData runs;
	const char *outcome;
	char	   *message;
	bool		any_ours = false;
	bool		revoked = false;
	TimestampTz until;
	TimestampTz last_expiry = DT_NOBEGIN;
	int64		others;

	values[0] = ObjectIdGetDatum(roleid);
	values[1] = ObjectIdGetDatum(granteeid);
	values[2] = BoolGetDatum(dropped);
	if (sym_spi_exec("DELETE FROM sym_access.active_grant"
					 " WHERE role = $1 AND grantee = $2 AND (expires_at <= now() OR $3)"
					 " RETURNING run_srn, preexisting, expires_at", 3, argtypes, values, NULL, false) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "sym_access: could not delete expired grants");
	if (SPI_processed == 0)
		return 0;				/* a concurrent call closed them already */

	memset(&ctx, 0, sizeof(ctx));
	ctx.run_srn = "";
	initStringInfo(&runs);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		TimestampTz exp;

		char	   *run = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));

		if (i > 0)
			appendStringInfoString(&runs, ", ");
		escape_json(&runs, run);
		/* The run_srn column names the run when exactly one closed. */
		if (SPI_processed == 1)
			ctx.run_srn = run;
		any_ours |= !DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
		exp = DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull));
		if (exp > last_expiry)
			last_expiry = exp;
	}

	initStringInfo(&extra);
	sym_json_member_raw(&extra, "runs", psprintf("[%s]", runs.data));

	others = dropped ? 0 : live_runs(roleid, granteeid, &until);
	if (dropped)
	{
		outcome = "dropped";
		message = psprintf("the %s with OID %u was dropped; its runs are closed",
						   role == NULL ? "role" : "user", role == NULL ? roleid : granteeid);
	}
	else if (others > 0)
	{
		outcome = "still_active";
		message = psprintf("expired run closed; another run holds \"%s\" for \"%s\" until %s",
						   role, grantee, sym_timestamptz_out(until));
	}
	else if (!any_ours)
	{
		outcome = "preexisting";
		message = psprintf("expired run closed; \"%s\" was a member of \"%s\" before sym_access and keeps it",
						   grantee, role);
	}
	else if (sym_membership(roleid, granteeid).ours && !sym_grantor_has_admin(roleid))
	{
		outcome = "denied";
		message = psprintf("sym_access_grantor does not hold ADMIN OPTION on \"%s\"; \"%s\" keeps the membership: revoke it by hand",
						   role, grantee);
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("sym_access: expire denied: %s", message)));
	}
	else
	{
		SymRevocation r;

		revoked = sym_revoke_and_terminate(roleid, granteeid, &r);
		outcome = r.outcome;
		message = r.message;
		if (revoked)
			revocation_detail(&extra, &r);
		/* Revoked, but its sessions live on: someone must look. */
		if (r.terminate_error)
			outcome = "error";
	}

	memset(&a, 0, sizeof(a));
	a.action = "expire";
	a.outcome = outcome;
	a.role_name = role ? role : psprintf("%u", roleid);
	a.grantee = grantee ? grantee : psprintf("%u", granteeid);
	a.ctx = &ctx;
	a.expires_at = last_expiry;
	a.message = message;
	a.extra = &extra;
	(void) sym_audit(&a);
	return revoked ? 1 : 0;
}

typedef struct ExpireStep
{
	Oid			roleid;
	Oid			granteeid;
	int			revoked;
} ExpireStep;

static void
expire_step(void *arg)
{
	ExpireStep *step = (ExpireStep *) arg;

	step->revoked = expire_pair(step->roleid, step->granteeid);
}

/* One audit row for a pair whose expiry failed; the sweep goes on. */
static void
audit_expire_error(Oid roleid, Oid granteeid, const ErrorData *err)
{
	SymContext	ctx;
	SymAudit	a;
	StringInfoData extra;

	memset(&ctx, 0, sizeof(ctx));
	ctx.run_srn = "";
	initStringInfo(&extra);
	sym_json_member(&extra, "sqlstate", unpack_sql_state(err->sqlerrcode));
	memset(&a, 0, sizeof(a));
	a.action = "expire";
	a.outcome = "error";
	a.role_name = name_or_oid(roleid);
	a.grantee = name_or_oid(granteeid);
	a.ctx = &ctx;
	a.expires_at = DT_NOBEGIN;
	a.message = psprintf("could not expire this role and user; it is due again at the next sweep: %s",
						 err->message);
	a.extra = &extra;
	(void) sym_audit(&a);
	ereport(WARNING,
			(errcode(err->sqlerrcode),
			 errmsg("sym_access: expire of \"%s\" for \"%s\" failed: %s",
					a.role_name, a.grantee, err->message)));
}

static void
log_expire_skipped(Oid roleid, Oid granteeid, const char *why)
{
	sym_log_line("expire", "skipped", name_or_oid(roleid), name_or_oid(granteeid),
				 NULL, psprintf("reason=\"%s; due again at the next sweep\"", why));
}

typedef struct EndBotsStep
{
	Oid			roleid;
	int64		ended;
} EndBotsStep;

static void
end_bots_step(void *arg)
{
	EndBotsStep *step = (EndBotsStep *) arg;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(step->roleid)};
	bool		isnull;

	if (sym_spi_exec("SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid))"
					 "  FROM pg_locks l"
					 " WHERE l.locktype = 'object' AND l.granted"
					 "   AND l.classid = 'pg_catalog.pg_authid'::regclass AND l.objid = $1"
					 "   AND l.pid <> pg_backend_pid()"
					 "   AND EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = l.pid"
					 "                 AND pg_has_role(a.usesysid, 'sym_access_operator', 'MEMBER'))",
					 1, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not list the sessions holding a role");
	step->ended = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * On 16+ a GRANT or REVOKE of a role locks the role until its transaction
 * ends: a bot that keeps its transaction open after a call would stop the
 * sweep from revoking that role from anybody, sweep after sweep.  A bot
 * has no business holding a transaction open for longer than the sweep's
 * lock_timeout, so the sweep ends such sessions (the grantor is a member of
 * pg_signal_backend for this) and logs it.  Returns how many it ended.
 */
static int64
end_bots_holding_role(Oid roleid)
{
	EndBotsStep step = {roleid, 0};
	ErrorData  *err = sym_try(end_bots_step, &step);

	if (err != NULL)
		return 0;
	if (step.ended > 0)
		sym_log_line("expire", "ended_bot_sessions", name_or_oid(roleid), NULL, NULL,
					 psprintf("sessions=" INT64_FORMAT " reason=\"a bot held the role locked in an open transaction, stalling the sweep\"",
							  step.ended));
	return step.ended;
}

/*
 * Close the allow-list entries of roles that were dropped: the entry names
 * an OID that nothing holds any more, and could name another role if the
 * OID were ever reused.
 */
static void
close_dropped_allowed_roles(void)
{
	SymContext	ctx;
	SymAudit	a;
	uint64		n;
	Oid		   *roles;

	if (sym_spi_exec("DELETE FROM sym_access.allowed_role a"
					 " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = a.role)"
					 " RETURNING role::oid", 0, NULL, NULL, NULL, false) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "sym_access: could not close allow-list entries of dropped roles");
	roles = sym_spi_oids(1, &n);

	memset(&ctx, 0, sizeof(ctx));
	ctx.run_srn = "";
	for (uint64 i = 0; i < n; i++)
	{
		memset(&a, 0, sizeof(a));
		a.action = "expire";
		a.outcome = "dropped";
		a.role_name = psprintf("%u", roles[i]);
		a.ctx = &ctx;
		a.expires_at = DT_NOBEGIN;
		a.message = psprintf("the role with OID %u was dropped; its allow-list entry is removed", roles[i]);
		(void) sym_audit(&a);
	}
}

Datum
sym_access_expire(PG_FUNCTION_ARGS)
{
	ExpireStep *pairs;
	Oid		   *roles;
	Oid		   *grantees;
	uint64		npairs;
	int			revoked = 0;

	sym_require_read_committed("expire");
	SPI_connect();

	/*
	 * Due rows through the expires_at index (cost follows the due rows), and
	 * the pairs that name a dropped role or user, whatever their expiry:
	 * those are found by walking the primary key from one distinct (role,
	 * grantee) to the next, so that a pair's many runs are not each read (a
	 * scan of every row made a sweep 22x slower at 200 000 live rows).
	 */
	if (sym_spi_exec("WITH RECURSIVE pair AS ("
					 "  (SELECT role, grantee FROM sym_access.active_grant"
					 "    ORDER BY role, grantee LIMIT 1)"
					 "  UNION ALL"
					 "  SELECT n.role, n.grantee FROM pair p, LATERAL"
					 "   (SELECT g.role, g.grantee FROM sym_access.active_grant g"
					 "     WHERE (g.role, g.grantee) > (p.role, p.grantee)"
					 "     ORDER BY g.role, g.grantee LIMIT 1) n)"
					 "SELECT role::oid, grantee::oid FROM sym_access.active_grant"
					 " WHERE expires_at <= now()"
					 " UNION "
					 "SELECT role::oid, grantee::oid FROM pair g"
					 " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.role)"
					 "    OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)"
					 " ORDER BY 1, 2",
					 0, NULL, NULL, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not list expired grants");
	roles = sym_spi_oids(1, &npairs);
	grantees = sym_spi_oids(2, &npairs);
	pairs = palloc0(sizeof(ExpireStep) * (npairs + 1));
	for (uint64 i = 0; i < npairs; i++)
	{
		pairs[i].roleid = roles[i];
		pairs[i].granteeid = grantees[i];
	}

	for (uint64 i = 0; i < npairs; i++)
	{
		ErrorData  *err;

		/* Never wait for a pair that another transaction holds. */
		if (!sym_try_lock_pair(pairs[i].roleid, pairs[i].granteeid))
		{
			log_expire_skipped(pairs[i].roleid, pairs[i].granteeid,
							   "another transaction holds this role and user");
			continue;
		}
		err = sym_try(expire_step, &pairs[i]);
		if (err != NULL && err->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
			end_bots_holding_role(pairs[i].roleid) > 0)
			err = sym_try(expire_step, &pairs[i]);
		if (err == NULL)
			revoked += pairs[i].revoked;
		else if (err->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
			log_expire_skipped(pairs[i].roleid, pairs[i].granteeid, err->message);
		else
			audit_expire_error(pairs[i].roleid, pairs[i].granteeid, err);
	}
	close_dropped_allowed_roles();
	(void) sym_tempuser_retry_drops(InvalidOid, "expire");

	SPI_finish();
	PG_RETURN_INT32(revoked);
}

/* For tempuser.c: a temporary user's grant takes the same steps. */
void
sym_deny(SymDecision *d, char *message)
{
	deny(d, message);
}

SymRolePolicy
sym_role_policy(Oid roleid)
{
	return role_policy(roleid);
}

bool
sym_run_expiry(Interval *requested, const SymRolePolicy *policy,
			   SymDecision *d, bool *clamped)
{
	return run_expiry(requested, policy, d, clamped);
}

TimestampTz
sym_upsert_run(Oid roleid, Oid granteeid, const char *run_srn,
			   TimestampTz expires_at)
{
	return upsert_run(roleid, granteeid, run_srn, expires_at, false);
}

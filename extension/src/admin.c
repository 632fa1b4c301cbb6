/*-------------------------------------------------------------------------
 *
 * admin.c
 *	  The allow-list (allow_role, disallow_role), the e-mail to user map
 *	  (map_user, unmap_user, resolve_user) and purge_audit.
 *
 * Admin refusals raise: they are mistakes of a DBA at a prompt, audited in
 * the server log.  What admins change is audited in sym_access.audit.
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
#include "utils/json.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "sym_access.h"

PG_FUNCTION_INFO_V1(sym_access_allow_role);
PG_FUNCTION_INFO_V1(sym_access_disallow_role);
PG_FUNCTION_INFO_V1(sym_access_map_user);
PG_FUNCTION_INFO_V1(sym_access_unmap_user);
PG_FUNCTION_INFO_V1(sym_access_resolve_user);
PG_FUNCTION_INFO_V1(sym_access_purge_audit);

/* Admin arguments that name roles raise instead of being denied. */
static void
require_name(const char *name, const char *what)
{
	char	   *why;

	if (!sym_name_ok(name, what, &why))
		ereport(ERROR,
				(errcode(strlen(name) > SYM_NAME_MAX ? ERRCODE_NAME_TOO_LONG : ERRCODE_INVALID_NAME),
				 errmsg("sym_access: %s", why)));
}

static Oid
require_role(const char *name)
{
	Oid			roleid;

	require_name(name, "role");
	roleid = get_role_oid(name, true);
	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("sym_access: role \"%s\" does not exist", name)));
	return roleid;
}

static Interval *
require_duration(FunctionCallInfo fcinfo, int argno, const char *what)
{
	Interval   *iv;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sym_access: %s must not be NULL", what)));
	iv = PG_GETARG_INTERVAL_P(argno);
#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: %s must be finite", what)));
#endif
	if (sym_interval_mixed_signs(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: %s %s mixes positive and negative fields", what, sym_interval_out(iv)),
				 errdetail("Interval comparison counts a month as 30 days, the clock does not, so such a duration is not what it seems."),
				 errhint("Give it as one signed quantity, such as '8 hours' or '2 days'.")));
	if (!sym_interval_positive(iv))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: %s must be positive, not %s", what, sym_interval_out(iv))));
	return iv;
}

static void
admin_audit(const char *action, const char *outcome, const char *role,
			const char *grantee, const char *requester, const char *message,
			StringInfo extra)
{
	SymContext	ctx;
	SymAudit	a;

	memset(&ctx, 0, sizeof(ctx));
	ctx.run_srn = "";
	ctx.requester = (char *) requester;
	memset(&a, 0, sizeof(a));
	a.action = action;
	a.outcome = outcome;
	a.role_name = role;
	a.grantee = grantee;
	a.ctx = &ctx;
	a.expires_at = DT_NOBEGIN;
	a.message = message;
	a.extra = extra;
	(void) sym_audit(&a);
}

/*
 * allow_role's mode: membership, or temporary_user on 16+.  15 refuses the
 * latter: there CREATEROLE lets its holder grant itself any role that is
 * not a superuser's, so the grantor would hold every role in the cluster.
 */
static char *
require_mode(FunctionCallInfo fcinfo, int argno)
{
	char	   *mode;

	/* 1.0.0's allow_role, before ALTER EXTENSION UPDATE, has no mode. */
	if (PG_NARGS() <= argno)
		return SYM_MODE_MEMBERSHIP;
	mode = sym_text_arg(fcinfo, argno, "mode", true);
	if (strcmp(mode, SYM_MODE_MEMBERSHIP) != 0 &&
		strcmp(mode, SYM_MODE_TEMPORARY_USER) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: mode must be 'membership' or 'temporary_user', not \"%s\"", mode)));
	if (strcmp(mode, SYM_MODE_TEMPORARY_USER) == 0 && PG_VERSION_NUM < 160000)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("temporary users need PostgreSQL 16 or later"),
				 errdetail("On PostgreSQL 15, CREATEROLE would let sym_access_grantor grant itself any role that is not a superuser's."),
				 errhint("Use mode 'membership', or upgrade the server.")));
	return mode;
}

Datum
sym_access_allow_role(PG_FUNCTION_ARGS)
{
	char	   *role = sym_text_arg(fcinfo, 0, "role", true);
	char	   *label = sym_text_arg(fcinfo, 1, "label", false);
	Interval   *def = require_duration(fcinfo, 2, "default_duration");
	Interval   *max = require_duration(fcinfo, 3, "max_duration");
	bool		terminate;
	char	   *mode = require_mode(fcinfo, 5);
	bool		legacy = PG_NARGS() <= 5;
	Oid			roleid;
	StringInfoData why;
	StringInfoData extra;
	Oid			argtypes[6] = {REGROLEOID, TEXTOID, INTERVALOID, INTERVALOID, BOOLOID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	bool		inserted;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sym_access: terminate_sessions must not be NULL")));
	terminate = PG_GETARG_BOOL(4);
	if (sym_interval_cmp(def, max) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: default_duration %s is longer than max_duration %s",
						sym_interval_out(def), sym_interval_out(max))));

	roleid = require_role(role);
	initStringInfo(&why);
	if (sym_role_is_dangerous(roleid, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("sym_access: role \"%s\" cannot be put on the allow-list", role),
				 errdetail("%s.", why.data),
				 errhint("Grant a role without cluster-level attributes or dangerous memberships instead.")));

	SPI_connect();
	values[0] = ObjectIdGetDatum(roleid);
	values[1] = label ? CStringGetTextDatum(label) : (Datum) 0;
	nulls[1] = label ? ' ' : 'n';
	values[2] = IntervalPGetDatum(def);
	values[3] = IntervalPGetDatum(max);
	values[4] = BoolGetDatum(terminate);
	values[5] = CStringGetTextDatum(mode);
	/* 1.0.0's table (before ALTER EXTENSION UPDATE) has no mode column. */
	if (sym_spi_exec(psprintf("INSERT INTO sym_access.allowed_role AS a"
							  "  (role, label, default_duration, max_duration, terminate_sessions%s)"
							  " VALUES ($1, $2, $3, $4, $5%s)"
							  " ON CONFLICT (role) DO UPDATE"
							  "   SET label = excluded.label,"
							  "       default_duration = excluded.default_duration,"
							  "       max_duration = excluded.max_duration,"
							  "       terminate_sessions = excluded.terminate_sessions%s"
							  " RETURNING (xmax = 0)",
							  legacy ? "" : ", mode", legacy ? "" : ", $6",
							  legacy ? "" : ", mode = excluded.mode"),
					 legacy ? 5 : 6, argtypes, values, nulls, false) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "sym_access: could not update the allow-list");
	inserted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/* The database itself now lets the grantor hand out this role. */
	if (!sym_grantor_has_admin(roleid))
		sym_grant_admin_to_grantor(roleid);
	/* temporary_user needs CREATEROLE; membership may let it go. */
	sym_grantor_createrole_sync();

	initStringInfo(&extra);
	sym_json_member(&extra, "label", label);
	sym_json_member(&extra, "default_duration", sym_interval_out(def));
	sym_json_member(&extra, "max_duration", sym_interval_out(max));
	sym_json_member_raw(&extra, "terminate_sessions", terminate ? "true" : "false");
	sym_json_member(&extra, "mode", mode);
	admin_audit("allow", inserted ? "allowed" : "updated", role, NULL, NULL,
				psprintf("%s \"%s\" on the allow-list", inserted ? "put" : "updated", role),
				&extra);
	SPI_finish();
	PG_RETURN_VOID();
}

typedef struct RevokeStep
{
	Oid			roleid;
	Oid			granteeid;
	SymRevocation r;
	bool		revoked;
} RevokeStep;

static void
revoke_step(void *arg)
{
	RevokeStep *step = (RevokeStep *) arg;

	step->revoked = sym_revoke_and_terminate(step->roleid, step->granteeid, &step->r);
}

/*
 * One grantee's revoke, contained: a DROP ROLE of that grantee committed
 * meanwhile makes PostgreSQL's REVOKE fail ("tuple concurrently deleted")
 * although nothing is left to revoke.  False when the step failed and the
 * membership is gone anyway; the error is raised again when it is not, so
 * that disallow_role never leaves a membership behind without its row.
 */
static bool
revoke_contained(RevokeStep *step)
{
	ErrorData  *err = sym_try(revoke_step, step);

	if (err == NULL)
		return true;
	AcceptInvalidationMessages();
	InvalidateCatalogSnapshot();
	if (sym_membership(step->roleid, step->granteeid).ours)
		ReThrowError(err);
	ereport(WARNING,
			(errcode(err->sqlerrcode),
			 errmsg("sym_access: a grantee's membership was removed while disallow_role ran (a DROP ROLE?): %s",
					err->message)));
	return false;
}

Datum
sym_access_disallow_role(PG_FUNCTION_ARGS)
{
	char	   *role = sym_text_arg(fcinfo, 0, "role", true);
	Oid			roleid = require_role(role);
	Oid			argtypes[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(roleid)};
	StringInfoData revoked_names;
	StringInfoData extra;
	Oid		   *grantees;
	uint64		n;
	int			revoked = 0;
	int			terminated_total = 0;
	bool		was_allowed;

	sym_require_read_committed("disallow_role");
	/* Wait for grants of this role in flight; new ones wait for us. */
	sym_lock_role(roleid, true);
	SPI_connect();

	if (sym_spi_exec("SELECT grantee::oid FROM sym_access.active_grant"
					 " WHERE role = $1 GROUP BY grantee HAVING bool_or(NOT preexisting)"
					 " ORDER BY grantee::text", 1, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not list active grants");
	grantees = sym_spi_oids(1, &n);

	initStringInfo(&revoked_names);
	for (uint64 i = 0; i < n; i++)
	{
		RevokeStep	step = {roleid, grantees[i]};
		char	   *name;

		sym_lock_pair(roleid, grantees[i]);
		/* Before the revoke: a temporary login is dropped by it. */
		name = GetUserNameFromId(grantees[i], true);
		if (!revoke_contained(&step))
			continue;
		if (step.revoked)
		{
			if (revoked++ > 0)
				appendStringInfoString(&revoked_names, ", ");
			escape_json(&revoked_names, name);
			terminated_total += step.r.terminated;
			if (step.r.terminate_error)
				ereport(WARNING,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("sym_access: %s", step.r.message)));
		}
	}

	if (sym_spi_exec("DELETE FROM sym_access.active_grant WHERE role = $1", 1, argtypes, values, NULL, false) != SPI_OK_DELETE ||
		sym_spi_exec("DELETE FROM sym_access.allowed_role WHERE role = $1", 1, argtypes, values, NULL, false) != SPI_OK_DELETE)
		elog(ERROR, "sym_access: could not update the allow-list");
	was_allowed = SPI_processed > 0;

	/* Its temporary logins that could not be dropped before. */
	(void) sym_tempuser_retry_drops(roleid, "disallow");
	if (sym_grantor_has_admin(roleid))
		sym_revoke_admin_from_grantor(roleid);
	sym_grantor_createrole_sync();

	initStringInfo(&extra);
	sym_json_member_raw(&extra, "revoked", psprintf("[%s]", revoked_names.data));
	sym_json_member_int(&extra, "terminated_sessions", terminated_total);
	admin_audit("disallow", was_allowed ? "disallowed" : "not_allowed", role, NULL, NULL,
				was_allowed ?
				psprintf("took \"%s\" off the allow-list; revoked %d active grant%s",
						 role, revoked, revoked == 1 ? "" : "s") :
				psprintf("\"%s\" was not on the allow-list", role),
				&extra);
	SPI_finish();
	PG_RETURN_INT32(revoked);
}

static char *
require_email(FunctionCallInfo fcinfo)
{
	char	   *email = sym_text_arg(fcinfo, 0, "email", true);

	if (email[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: email must not be empty")));
	return email;
}

Datum
sym_access_map_user(PG_FUNCTION_ARGS)
{
	char	   *email = require_email(fcinfo);
	char	   *db_user = sym_text_arg(fcinfo, 1, "db_user", true);
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	bool		isnull;
	bool		inserted;
	StringInfoData extra;

	require_name(db_user, "db_user");
	SPI_connect();
	values[0] = CStringGetTextDatum(email);
	values[1] = CStringGetTextDatum(db_user);
	if (sym_spi_exec("INSERT INTO sym_access.user_map AS m (email, db_user)"
					 " VALUES (lower($1), $2)"
					 " ON CONFLICT (email) DO UPDATE SET db_user = excluded.db_user"
					 " RETURNING (xmax = 0)", 2, argtypes, values, NULL, false) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "sym_access: could not update the user map");
	inserted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	initStringInfo(&extra);
	sym_json_member(&extra, "email", email);
	admin_audit("map", inserted ? "mapped" : "updated", NULL, db_user, email,
				psprintf("e-mail %s maps to \"%s\"", email, db_user), &extra);
	SPI_finish();
	PG_RETURN_VOID();
}

Datum
sym_access_unmap_user(PG_FUNCTION_ARGS)
{
	char	   *email = require_email(fcinfo);
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(email)};
	char	   *db_user = NULL;
	StringInfoData extra;

	SPI_connect();
	if (sym_spi_exec("DELETE FROM sym_access.user_map WHERE email = lower($1) RETURNING db_user", 1, argtypes, values, NULL, false) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "sym_access: could not update the user map");
	if (SPI_processed > 0)
		db_user = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

	initStringInfo(&extra);
	sym_json_member(&extra, "email", email);
	admin_audit("unmap", db_user ? "unmapped" : "not_mapped", NULL, db_user, email,
				db_user ? psprintf("e-mail %s no longer maps to \"%s\"", email, db_user) :
				psprintf("e-mail %s was not mapped", email),
				&extra);
	SPI_finish();
	PG_RETURN_BOOL(db_user != NULL);
}

/*
 * user_map first; otherwise the seed's rule: the part before the last '@',
 * with '-' replaced by '_'.  No audit row: it decides nothing.
 */
Datum
sym_access_resolve_user(PG_FUNCTION_ARGS)
{
	MemoryContext callerctx = CurrentMemoryContext;
	char	   *email = sym_text_arg(fcinfo, 0, "email", true);
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(email)};
	char	   *user;
	size_t		len;
	text	   *result;

	SPI_connect();
	if (sym_spi_exec("SELECT db_user FROM sym_access.user_map WHERE email = lower($1)", 1, argtypes, values, NULL, true) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the user map");
	if (SPI_processed > 0)
		user = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	else
	{
		char	   *at = strrchr(email, '@');

		user = at ? pnstrdup(email, at - email) : pstrdup(email);
		for (char *p = user; *p; p++)
			if (*p == '-')
				*p = '_';
	}

	len = strlen(user);
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: e-mail \"%s\" resolves to an empty user name", email),
				 errhint("Map it explicitly with sym_access.map_user().")));
	if (len > SYM_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("sym_access: e-mail \"%s\" resolves to a user name of %zu bytes, more than %d",
						email, len, SYM_NAME_MAX),
				 errhint("Map it explicitly with sym_access.map_user().")));

	MemoryContextSwitchTo(callerctx);
	result = cstring_to_text(user);
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}

Datum
sym_access_purge_audit(PG_FUNCTION_ARGS)
{
	Interval   *older_than;
	Interval	floor;
	TimestampTz cutoff;
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	int64		deleted;
	StringInfoData extra;

	/* Not SECURITY DEFINER: superuser() is the caller's own status. */
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("sym_access: only superusers may purge the audit trail")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sym_access: older_than must not be NULL")));
	older_than = PG_GETARG_INTERVAL_P(0);

	if (sym_interval_mixed_signs(older_than))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: older_than %s mixes positive and negative fields",
						sym_interval_out(older_than)),
				 errhint("Pass one signed quantity of at least '30 days', such as '400 days'.")));
	/* On the clock, the way the DELETE below applies it. */
	memset(&floor, 0, sizeof(floor));
	floor.day = 30;
	cutoff = sym_now_minus(older_than);
	if (cutoff > sym_now_minus(&floor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: audit rows younger than 30 days are kept; %s does not reach back that far on the clock",
						sym_interval_out(older_than)),
				 errhint("Pass an interval of at least '30 days'.")));
	values[0] = TimestampTzGetDatum(cutoff);

	SPI_connect();
	sym_purge_in_progress = true;
	PG_TRY();
	{
		if (sym_spi_exec("DELETE FROM sym_access.audit WHERE at < $1", 1, argtypes, values, NULL, false) != SPI_OK_DELETE)
			elog(ERROR, "sym_access: could not purge the audit trail");
	}
	PG_FINALLY();
	{
		sym_purge_in_progress = false;
	}
	PG_END_TRY();
	deleted = (int64) SPI_processed;

	initStringInfo(&extra);
	sym_json_member_int(&extra, "deleted", deleted);
	sym_json_member(&extra, "before", sym_timestamptz_out(cutoff));
	admin_audit("purge", "purged", NULL, NULL, NULL,
				psprintf("purged " INT64_FORMAT " audit row%s older than %s",
						 deleted, deleted == 1 ? "" : "s", sym_timestamptz_out(cutoff)),
				&extra);
	SPI_finish();
	PG_RETURN_INT64(deleted);
}

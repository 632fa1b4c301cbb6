/*-------------------------------------------------------------------------
 *
 * check.c
 *	  sym_access.check(): does what the database holds match what
 *	  sym_access recorded?  One row per problem; no rows means healthy.
 *
 * Read-only, so that monitoring can call it as often as it likes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "sym_access.h"

PG_FUNCTION_INFO_V1(sym_access_check);

static void
emit(ReturnSetInfo *rsinfo, const char *problem, const char *role,
	 const char *grantee, const char *detail)
{
	Datum		values[4];
	bool		nulls[4] = {false, role == NULL, grantee == NULL, detail == NULL};

	values[0] = CStringGetTextDatum(problem);
	values[1] = role ? CStringGetTextDatum(role) : (Datum) 0;
	values[2] = grantee ? CStringGetTextDatum(grantee) : (Datum) 0;
	values[3] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static char *
name_or_oid(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("%u", roleid);
}

/*
 * Emit one row per result row of sql, whose columns are role oid, grantee
 * oid (or NULL) and detail text.
 */
static void
emit_query(ReturnSetInfo *rsinfo, const char *problem, const char *sql,
		   int nargs, Oid *argtypes, Datum *values)
{
	if (sym_spi_exec(sql, nargs, argtypes, values, NULL, true) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: check could not run its %s query", problem);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		role_null;
		bool		grantee_null;
		Datum		role = SPI_getbinval(tup, desc, 1, &role_null);
		Datum		grantee = SPI_getbinval(tup, desc, 2, &grantee_null);

		emit(rsinfo, problem,
			 role_null ? NULL : name_or_oid(DatumGetObjectId(role)),
			 grantee_null ? NULL : name_or_oid(DatumGetObjectId(grantee)),
			 SPI_getvalue(tup, desc, 3));
	}
}

static void
check_memberships(ReturnSetInfo *rsinfo, Oid grantor)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(grantor)};

	emit_query(rsinfo, "orphan_membership",
			   "SELECT m.roleid, m.member,"
			   "       'granted by sym_access_grantor, but no active grant explains it; revoke it by hand or run sym_access.grant() for it'"
			   "  FROM pg_catalog.pg_auth_members m"
			   " WHERE m.grantor = $1 AND m.member <> $1"
			   "   AND NOT EXISTS (SELECT FROM sym_access.active_grant g"
			   "                    WHERE g.role = m.roleid AND g.grantee = m.member AND NOT g.preexisting)"
			   " ORDER BY m.roleid::regrole::text, m.member::regrole::text",
			   1, argtypes, values);
	emit_query(rsinfo, "missing_membership",
			   "SELECT g.role::oid, g.grantee::oid,"
			   "       'active grant of run(s) ' || string_agg(quote_literal(g.run_srn), ', ' ORDER BY g.run_srn)"
			   "       || ' but no membership granted by sym_access_grantor; it was revoked outside sym_access'"
			   "  FROM sym_access.active_grant g"
			   " WHERE NOT g.preexisting"
			   "   AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.role)"
			   "   AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)"
			   "   AND NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members m"
			   "                    WHERE m.roleid = g.role AND m.member = g.grantee AND m.grantor = $1)"
			   " GROUP BY g.role, g.grantee"
			   " ORDER BY g.role::text, g.grantee::text",
			   1, argtypes, values);
}

/* Allowed roles that are dangerous now, or that the grantor cannot hand out. */
static void
check_allowed_roles(ReturnSetInfo *rsinfo)
{
	Oid		   *roles;
	uint64		n;

	if (sym_spi_exec("SELECT a.role::oid FROM sym_access.allowed_role a"
					 " WHERE EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = a.role)"
					 " ORDER BY a.role::text", 0, NULL, NULL, NULL, true) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: check could not read the allow-list");
	roles = sym_spi_oids(1, &n);

	for (uint64 i = 0; i < n; i++)
	{
		StringInfoData why;

		initStringInfo(&why);
		if (sym_role_is_dangerous(roles[i], &why))
			emit(rsinfo, "dangerous_allowed_role", name_or_oid(roles[i]), NULL,
				 psprintf("%s; every grant of it is denied: take it off with sym_access.disallow_role() or remove what makes it dangerous", why.data));
		if (!sym_grantor_has_admin(roles[i]))
			emit(rsinfo, "grantor_lacks_admin", name_or_oid(roles[i]), NULL,
				 "sym_access_grantor does not hold ADMIN OPTION on it (revoked by hand, or restored into another cluster): run sym_access.allow_role() for it again");
	}
}

static void
check_dropped(ReturnSetInfo *rsinfo)
{
	emit_query(rsinfo, "dropped_role",
			   "SELECT a.role::oid, NULL::oid,"
			   "       'the allow-list names role OID ' || a.role::oid || ', which was dropped; the next sym_access.expire() removes the entry'"
			   "  FROM sym_access.allowed_role a"
			   " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = a.role)"
			   " ORDER BY a.role::oid",
			   0, NULL, NULL);
	emit_query(rsinfo, "dropped_role",
			   "SELECT g.role::oid, g.grantee::oid,"
			   "       'active grant of run ' || quote_literal(g.run_srn) || ' names a role or user that was dropped; the next sym_access.expire() closes it'"
			   "  FROM sym_access.active_grant g"
			   " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.role)"
			   "    OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)"
			   " ORDER BY g.role::oid, g.grantee::oid, g.run_srn",
			   0, NULL, NULL);
}

/*
 * Due rows still there long after a sweep should have closed them: more
 * than max(2 x sym_access.expire_interval, 5 minutes) past their expiry.
 */
static void
check_overdue(ReturnSetInfo *rsinfo)
{
	Oid			argtypes[1] = {INTERVALOID};
	Datum		values[1];
	Interval   *grace = palloc0(sizeof(Interval));

	grace->time = (int64) Max(2 * sym_expire_interval, 300) * USECS_PER_SEC;
	values[0] = IntervalPGetDatum(grace);
	emit_query(rsinfo, "overdue",
			   "SELECT g.role::oid, g.grantee::oid,"
			   "       'run ' || quote_literal(g.run_srn) || ' expired at '"
			   "       || to_char(g.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
			   "       || ' and is still open: nothing is sweeping (is the worker running, or pg_cron calling sym_access.expire()?)'"
			   "  FROM sym_access.active_grant g"
			   " WHERE g.expires_at < now() - $1"
			   "   AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.role)"
			   "   AND EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)"
			   " ORDER BY g.expires_at, g.role::text, g.grantee::text",
			   1, argtypes, values);
}

/*
 * Temporary logins that could not be dropped, and a grantor that holds
 * CREATEROLE although nothing here needs it (only a temporary_user entry,
 * or a temporary login still to drop, does).
 */
static void
check_temporary_users(ReturnSetInfo *rsinfo)
{
	emit_query(rsinfo, "disabled_temporary_user",
			   "SELECT t.role::oid, t.login::oid,"
			   "       'disabled at ' || to_char(t.disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
			   "       || ': could not be dropped (owns objects or holds privileges); reassign or drop them'"
			   "       || ' (REASSIGN OWNED BY / DROP OWNED BY in each database), then sym_access.expire() drops it'"
			   "  FROM sym_access.temporary_login t"
			   " WHERE t.disabled_at IS NOT NULL"
			   " ORDER BY t.login_name",
			   0, NULL, NULL);
	emit_query(rsinfo, "grantor_has_createrole",
			   "SELECT NULL::oid, r.oid,"
			   "       'sym_access_grantor holds CREATEROLE but no role is allowed in temporary_user mode'"
			   "       || ' and no temporary login is left: run sym_access.disallow_role() or allow_role() for any role'"
			   "       || ' (they take it away), or ALTER ROLE sym_access_grantor NOCREATEROLE'"
			   "  FROM pg_catalog.pg_roles r"
			   " WHERE r.rolname = 'sym_access_grantor' AND r.rolcreaterole"
			   "   AND NOT EXISTS (SELECT FROM sym_access.allowed_role a WHERE a.mode = 'temporary_user')"
			   "   AND NOT EXISTS (SELECT FROM sym_access.temporary_login)",
			   0, NULL, NULL);
}

Datum
sym_access_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	check_memberships(rsinfo, sym_grantor_oid());
	check_allowed_roles(rsinfo);
	check_dropped(rsinfo);
	check_overdue(rsinfo);
	check_temporary_users(rsinfo);
	SPI_finish();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 *
 * membership.c
 *	  Role memberships: the per-(role, grantee) lock, what the catalog says
 *	  about a membership, GRANT/REVOKE through PostgreSQL's own role-grant
 *	  code (never by editing catalogs), and ending a grantee's sessions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_auth_members.h"
#include "commands/user.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
#include "parser/parse_node.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "sym_access.h"

/* Distinguish our advisory lock tags from pg_advisory_lock()'s (1 and 2). */
#define SYM_LOCK_PAIR	0x5341
#define SYM_LOCK_ROLE	0x5342

/*
 * A lock on an allowed role as a whole: grant() holds it in share mode,
 * disallow_role() exclusively, so that disallow_role() never misses a grant
 * still in flight (which would leave a membership without its row).  Taken
 * before any pair lock, always.
 */
void
sym_lock_role(Oid roleid, bool exclusive)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, InvalidOid, roleid, 0, SYM_LOCK_ROLE);
	(void) LockAcquire(&tag, exclusive ? ExclusiveLock : ShareLock, false, false);
}

/*
 * Serialize every sym_access decision about one (role, grantee) pair across
 * the whole cluster: role memberships are cluster-wide, so the tag uses
 * database 0, which pg_advisory_lock() never does.  Transaction-scoped;
 * visible in pg_locks as an advisory lock with database 0.
 */
static bool
lock_pair(Oid roleid, Oid granteeid, bool wait)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, InvalidOid, roleid, granteeid, SYM_LOCK_PAIR);
	if (LockAcquire(&tag, ExclusiveLock, false, !wait) == LOCKACQUIRE_NOT_AVAIL)
		return false;

	/* Read what the previous holder committed, catalogs included. */
	AcceptInvalidationMessages();
	InvalidateCatalogSnapshot();
	return true;
}

void
sym_lock_pair(Oid roleid, Oid granteeid)
{
	(void) lock_pair(roleid, granteeid, true);
}

/*
 * The sweep's way in: false at once when another transaction holds the
 * pair (a bot that keeps its transaction open must not stall the sweep).
 */
bool
sym_try_lock_pair(Oid roleid, Oid granteeid)
{
	return lock_pair(roleid, granteeid, false);
}

SymMembership
sym_membership(Oid roleid, Oid granteeid)
{
	SymMembership m = {false, false};
	Oid			grantor = sym_grantor_oid();
	CatCList   *list;

	list = SearchSysCacheList1(AUTHMEMMEMROLE, ObjectIdGetDatum(granteeid));
	for (int i = 0; i < list->n_members; i++)
	{
		Form_pg_auth_members form =
		(Form_pg_auth_members) GETSTRUCT(&list->members[i]->tuple);

		if (form->roleid != roleid)
			continue;
		if (form->grantor == grantor)
			m.ours = true;
		else
			m.outside = true;
	}
	ReleaseSysCacheList(list);
	return m;
}

/* Does the grantor hold ADMIN OPTION on the role directly? */
bool
sym_grantor_has_admin(Oid roleid)
{
	Oid			grantor = sym_grantor_oid();
	CatCList   *list;
	bool		found = false;

	list = SearchSysCacheList1(AUTHMEMMEMROLE, ObjectIdGetDatum(grantor));
	for (int i = 0; i < list->n_members && !found; i++)
	{
		Form_pg_auth_members form =
		(Form_pg_auth_members) GETSTRUCT(&list->members[i]->tuple);

		found = form->roleid == roleid && form->admin_option;
	}
	ReleaseSysCacheList(list);
	return found;
}

static RoleSpec *
role_spec(const char *name)
{
	RoleSpec   *spec = makeNode(RoleSpec);

	spec->roletype = ROLESPEC_CSTRING;
	spec->rolename = pstrdup(name);
	spec->location = -1;
	return spec;
}

/*
 * GRANT/REVOKE role TO/FROM member as a parse tree handed to GrantRole():
 * the role names come from the catalog by OID, so nothing is parsed from
 * caller text.
 *
 * with_admin: the grantor's own membership (ADMIN OPTION, and on 16+
 * INHERIT FALSE, SET FALSE so that holding it confers no privileges).
 * by_grantor: on 16+, GRANTED BY sym_access_grantor, so that REVOKE removes
 * exactly the grant sym_access made and leaves anyone else's in place.
 */
static void
run_grant_role(Oid roleid, Oid memberid, bool is_grant, bool with_admin,
			   bool by_grantor)
{
	GrantRoleStmt *stmt = makeNode(GrantRoleStmt);
	AccessPriv *priv = makeNode(AccessPriv);

	priv->priv_name = GetUserNameFromId(roleid, false);
	priv->cols = NIL;
	stmt->granted_roles = list_make1(priv);
	stmt->grantee_roles = list_make1(role_spec(GetUserNameFromId(memberid, false)));
	stmt->is_grant = is_grant;
	stmt->behavior = DROP_RESTRICT;

#if PG_VERSION_NUM >= 160000
	/* On REVOKE an option would revoke only that option: none there. */
	if (with_admin && is_grant)
		stmt->opt = list_make3(makeDefElem("admin", (Node *) makeBoolean(true), -1),
							   makeDefElem("inherit", (Node *) makeBoolean(false), -1),
							   makeDefElem("set", (Node *) makeBoolean(false), -1));
	if (by_grantor)
		stmt->grantor = role_spec(SYM_ROLE_GRANTOR);
	/* Our grants are the only ones made by the grantor: take them all. */
	if (!is_grant && with_admin)
		stmt->behavior = DROP_CASCADE;
	GrantRole(make_parsestate(NULL), stmt);
#else
	/* Before 16 there is one membership row per pair and no options. */
	(void) by_grantor;
	stmt->admin_opt = with_admin && is_grant;
	stmt->grantor = NULL;
	GrantRole(stmt);
#endif

	CommandCounterIncrement();
}

void
sym_grant_membership(Oid roleid, Oid granteeid)
{
	run_grant_role(roleid, granteeid, true, false, true);
}

void
sym_revoke_membership(Oid roleid, Oid granteeid)
{
	run_grant_role(roleid, granteeid, false, false, true);
}

void
sym_grant_admin_to_grantor(Oid roleid)
{
	run_grant_role(roleid, sym_grantor_oid(), true, true, false);
}

void
sym_revoke_admin_from_grantor(Oid roleid)
{
	run_grant_role(roleid, sym_grantor_oid(), false, true, false);
}

/*
 * Is any process logged in as roleid?  Read without a lock, as a hint only:
 * a slot in the middle of changing hands can only make this say true.
 * Unlike CountUserBackends() (which skips background workers on 17+), it
 * sees every process that pg_stat_activity lists under that usesysid.
 */
bool
sym_role_has_backend(Oid roleid)
{
	for (uint32 i = 0; i < ProcGlobal->allProcCount; i++)
	{
		PGPROC	   *proc = &ProcGlobal->allProcs[i];

		if (proc->pid != 0 && proc->roleId == roleid)
			return true;
	}
	return false;
}

/*
 * End every session of the grantee: a session that ran SET ROLE keeps the
 * role's privileges after REVOKE until it ends.  Runs as the grantor, which
 * has pg_signal_backend for exactly this.  Caller must be SPI-connected.
 */
int
sym_terminate_sessions(Oid granteeid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(granteeid)};
	bool		isnull;
	int			ret;
	int64		n;

	/*
	 * Most revocations find the grantee logged out: the proc array says so
	 * without the pg_stat_activity scan below, which copies every backend's
	 * status and plans a query (a measured 5% of a grant+revoke cycle).  A
	 * PGPROC carries its login role from before the backend appears in
	 * pg_stat_activity, so false here means the scan would find none.
	 */
	if (!sym_role_has_backend(granteeid))
		return 0;

	ret = sym_spi_exec("SELECT pg_catalog.count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(a.pid))"
					   "  FROM pg_catalog.pg_stat_activity a"
					   " WHERE a.usesysid = $1 AND a.pid <> pg_catalog.pg_backend_pid()", 1, argtypes, values, NULL, false);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "sym_access: could not list the grantee's sessions");
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return (int) n;
}

/*-------------------------------------------------------------------------
 *
 * tempuser.c
 *	  Temporary users (16+): a login made by grant() for one run of a
 *	  temporary_user role, its password, its replay, and its end (dropped,
 *	  or disabled when it owns objects or holds privileges).
 *
 * The clear password exists only in this backend's memory and in the
 * result row: the role is created and altered through CreateRole() and
 * AlterRole() with parse nodes built here, never through SQL text, and it
 * is stored as the SCRAM-SHA-256 verifier that pg_be_scram_build_secret()
 * computes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/user.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
#include "utils/acl.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "sym_access.h"

/* Does sym_access_grantor hold CREATEROLE right now? */
bool
sym_grantor_has_createrole(void)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(sym_grantor_oid()));
	bool		has;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "sym_access: role sym_access_grantor does not exist");
	has = ((Form_pg_authid) GETSTRUCT(tup))->rolcreaterole;
	ReleaseSysCache(tup);
	return has;
}

/* ALTER ROLE name WITH <option> <value>, as a parse tree. */
static void
alter_role_options(const char *name, List *options)
{
	AlterRoleStmt *stmt = makeNode(AlterRoleStmt);
	RoleSpec   *spec = makeNode(RoleSpec);

	spec->roletype = ROLESPEC_CSTRING;
	spec->rolename = pstrdup(name);
	spec->location = -1;
	stmt->role = spec;
	stmt->options = options;
	stmt->action = 1;
	(void) AlterRole(make_parsestate(NULL), stmt);
	CommandCounterIncrement();
}

/*
 * Give the grantor CREATEROLE while this database has a temporary_user
 * entry or a temporary login that still has to be dropped (dropping a
 * role needs it), and take it away otherwise.  Runs as the extension's
 * owner (allow_role, disallow_role): the grantor cannot change its own
 * attributes.  Caller is SPI-connected.
 */
void
sym_grantor_createrole_sync(void)
{
	bool		isnull;
	bool		wanted;

	/* 1.0.0's schema, before ALTER EXTENSION UPDATE: no temporary users. */
	if (!OidIsValid(get_relname_relid("temporary_login",
									  get_namespace_oid("sym_access", false))))
		return;
	if (sym_spi_exec("SELECT EXISTS (SELECT FROM sym_access.allowed_role"
					 "                WHERE mode = 'temporary_user')"
					 "    OR EXISTS (SELECT FROM sym_access.temporary_login)",
					 0, NULL, NULL, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the allow-list");
	wanted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (wanted == sym_grantor_has_createrole())
		return;
	alter_role_options(SYM_ROLE_GRANTOR,
					   list_make1(makeDefElem("createrole", (Node *) makeBoolean(wanted), -1)));
}

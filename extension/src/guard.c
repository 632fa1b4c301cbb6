/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The statement trigger that lets sym_access's tables change only
 *	  through its own functions.
 *
 * Table privileges alone do not hold: pg_write_all_data writes every
 * table, and a privilege can be granted by mistake.  The extension's
 * functions run as sym_access_grantor (operator functions) or as the
 * extension's owner (admin functions), so a change made as anyone else,
 * superusers aside, did not come through them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "sym_access.h"

PG_FUNCTION_INFO_V1(sym_access_table_guard);

/* The owner of the sym_access extension, or InvalidOid. */
Oid
sym_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("sym_access"));
	rel = table_open(ExtensionRelationId, AccessShareLock);
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

static const char *
trigger_operation(TriggerEvent event)
{
	if (TRIGGER_FIRED_BY_INSERT(event))
		return "INSERT";
	if (TRIGGER_FIRED_BY_UPDATE(event))
		return "UPDATE";
	if (TRIGGER_FIRED_BY_DELETE(event))
		return "DELETE";
	return "TRUNCATE";
}

Datum
sym_access_table_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	Oid			user = GetUserId();

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sym_access_table_guard() must be called as a trigger")));
	td = (TriggerData *) fcinfo->context;

	if (superuser_arg(user) || user == get_role_oid(SYM_ROLE_GRANTOR, true) ||
		user == sym_extension_owner())
		PG_RETURN_POINTER(NULL);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("sym_access: %s on %s.%s is refused: its rows change only through sym_access's functions",
					trigger_operation(td->tg_event),
					get_namespace_name(RelationGetNamespace(td->tg_relation)),
					RelationGetRelationName(td->tg_relation)),
			 errdetail("Role \"%s\" is neither sym_access_grantor nor the extension's owner.",
					   GetUserNameFromId(user, false)),
			 errhint("Use sym_access.allow_role(), disallow_role(), map_user(), unmap_user(), grant(), revoke() or expire().")));
	PG_RETURN_NULL();			/* not reached */
}

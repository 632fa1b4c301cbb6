/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit trail: one row and one LOG line per decision, the trigger
 *	  that keeps sym_access.audit append-only, and the result composite.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "sym_access.h"

/* Set only by purge_audit() while its own DELETE runs. */
bool		sym_purge_in_progress = false;

static void
json_key(StringInfo buf, const char *key)
{
	if (buf->len > 0)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

void
sym_json_member(StringInfo buf, const char *key, const char *value)
{
	json_key(buf, key);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

void
sym_json_member_int(StringInfo buf, const char *key, int64 value)
{
	json_key(buf, key);
	appendStringInfo(buf, INT64_FORMAT, value);
}

void
sym_json_member_raw(StringInfo buf, const char *key, const char *json)
{
	json_key(buf, key);
	appendStringInfoString(buf, json);
}

/*
 * Log values are written bare when harmless and JSON-quoted otherwise, so a
 * role called "x outcome=granted" or one with a newline cannot forge fields
 * or lines.
 */
static void
log_value(StringInfo buf, const char *value)
{
	bool		bare = value != NULL && *value != '\0';

	if (value == NULL)
	{
		appendStringInfoChar(buf, '-');
		return;
	}
	for (const unsigned char *p = (const unsigned char *) value; *p && bare; p++)
		bare = *p > ' ' && *p < 0x7f && *p != '"' && *p != '\\' && *p != '=';
	if (bare)
		appendStringInfoString(buf, value);
	else
		escape_json(buf, value);
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * Move the audit id sequence past the highest id in use, as the
 * extension's owner (the grantor has no UPDATE on the sequence, and should
 * not).  Logged: somebody moved it back.
 */
static void
heal_audit_sequence(void)
{
	Oid			save_userid;
	int			save_sec_context;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(sym_extension_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	if (sym_spi_exec("SELECT setval('sym_access.audit_id_seq',"
					 " (SELECT max(id) FROM sym_access.audit))", 0, NULL, NULL, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not move the audit id sequence forward");
	SetUserIdAndSecContext(save_userid, save_sec_context);
	ereport(WARNING,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("sym_access: the audit id sequence had been moved back below ids in use; it was set past them"),
			 errhint("Find who calls setval() on sym_access.audit_id_seq: members of pg_write_all_data can.")));
}

/*
 * Append "context": the caller's context without the keys that have columns
 * of their own, when anything is left.  Done here rather than as jsonb
 * operators in the INSERT: that expression was evaluated on every decision.
 */
static void
context_member(StringInfo detail, Jsonb *raw)
{
	Datum		keys[4] = {CStringGetTextDatum("run_srn"), CStringGetTextDatum("requester"),
	CStringGetTextDatum("approver"), CStringGetTextDatum("reason")};
	ArrayType  *arr = construct_array(keys, 4, TEXTOID, -1, false, TYPALIGN_INT);
	Jsonb	   *rest;

	rest = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete_array, JsonbPGetDatum(raw),
											  PointerGetDatum(arr)));
	if (JB_ROOT_COUNT(rest) == 0)
		return;
	/* Last: a duplicate key keeps its last value, as jsonb || did. */
	json_key(detail, "context");
	(void) JsonbToCString(detail, &rest->root, VARSIZE(rest));
}

/*
 * Insert the audit row (caller is SPI-connected, in the transaction that
 * makes the change) and emit the LOG line.  Returns the row's id.
 */
int64
sym_audit(const SymAudit *a)
{
	Oid			argtypes[11] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, INTERVALOID, TIMESTAMPTZOID, JSONBOID};
	Datum		values[11];
	char		nulls[11];
	bool		isnull[11];
	const SymContext *ctx = a->ctx;
	StringInfoData detail;
	StringInfoData line;
	int64		id;
	int			ret;

	initStringInfo(&detail);
	if (a->message)
		sym_json_member(&detail, "message", a->message);
	if (a->extra && a->extra->len > 0)
	{
		if (detail.len > 0)
			appendStringInfoString(&detail, ", ");
		appendBinaryStringInfo(&detail, a->extra->data, a->extra->len);
	}
	/* The context keys that have no column of their own go to detail. */
	if (ctx && ctx->raw)
		context_member(&detail, ctx->raw);
	values[0] = CStringGetTextDatum(a->action);
	isnull[0] = false;
	values[1] = CStringGetTextDatum(a->outcome);
	isnull[1] = false;
	values[2] = text_or_null(a->role_name, &isnull[2]);
	values[3] = text_or_null(a->grantee, &isnull[3]);
	values[4] = text_or_null(ctx ? ctx->requester : NULL, &isnull[4]);
	values[5] = text_or_null(ctx ? ctx->approver : NULL, &isnull[5]);
	values[6] = text_or_null(ctx && ctx->run_srn[0] ? ctx->run_srn : NULL, &isnull[6]);
	values[7] = text_or_null(ctx ? ctx->reason : NULL, &isnull[7]);
	isnull[8] = (a->duration == NULL);
	values[8] = a->duration ? IntervalPGetDatum(a->duration) : (Datum) 0;
	isnull[9] = TIMESTAMP_NOT_FINITE(a->expires_at);
	values[9] = TimestampTzGetDatum(a->expires_at);
	isnull[10] = false;
	values[10] = DirectFunctionCall1(jsonb_in,
									 CStringGetDatum(psprintf("{%s}", detail.data)));
	for (int i = 0; i < 11; i++)
		nulls[i] = isnull[i] ? 'n' : ' ';

	/*
	 * ON CONFLICT: a holder of pg_write_all_data may move the id sequence
	 * back (setval needs only UPDATE on it, which that role has on every
	 * sequence), and every insert would then collide.  Heal and retry.
	 */
	for (int attempt = 0;; attempt++)
	{
		ret = sym_spi_exec("INSERT INTO sym_access.audit"
						   " (action, outcome, role_name, grantee, requester, approver,"
						   "  run_srn, reason, duration, expires_at, detail)"
						   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
						   " ON CONFLICT (id) DO NOTHING"
						   " RETURNING id", 11, argtypes, values, nulls, false);
		if (ret != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "sym_access: could not write the audit row");
		if (SPI_processed == 1)
			break;
		if (attempt == 2)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("sym_access: the audit id sequence keeps being moved back; no audit row could be written"),
					 errhint("Find who calls setval() on sym_access.audit_id_seq: members of pg_write_all_data can.")));
		heal_audit_sequence();
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull[0]));

	initStringInfo(&line);
	appendStringInfo(&line, "audit_id=" INT64_FORMAT, id);
	sym_log_line(a->action, a->outcome, a->role_name, a->grantee,
				 ctx && ctx->run_srn[0] ? ctx->run_srn : NULL, line.data);
	return id;
}

/*
 * The fixed-prefix LOG line of a decision; tail is appended as is (the
 * caller's own text, never caller input).
 */
void
sym_log_line(const char *action, const char *outcome, const char *role,
			 const char *grantee, const char *run, const char *tail)
{
	StringInfoData line;

	initStringInfo(&line);
	appendStringInfo(&line, "sym_access: action=%s outcome=%s role=", action, outcome);
	log_value(&line, role);
	appendStringInfoString(&line, " grantee=");
	log_value(&line, grantee);
	appendStringInfoString(&line, " run=");
	log_value(&line, run);
	appendStringInfo(&line, " %s", tail);
	ereport(LOG, (errmsg_internal("%s", line.data), errhidestmt(true)));
}

/*
 * Build the sym_access.result composite in the caller's memory context.
 * password is NULL except when a temporary user's credentials are handed
 * out (tempuser.c).
 */
Datum
sym_result_password(FunctionCallInfo fcinfo, const char *outcome,
					const char *role, const char *grantee,
					TimestampTz expires_at, int64 audit_id,
					const char *message, const char *password)
{
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		isnull[7];

	/* 1.0.0's type, before ALTER EXTENSION UPDATE, has no password. */
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE ||
		tupdesc->natts < (password ? 7 : 6))
		elog(ERROR, "sym_access: return type must be sym_access.result");
	tupdesc = BlessTupleDesc(tupdesc);

	values[0] = text_or_null(outcome, &isnull[0]);
	values[1] = text_or_null(role, &isnull[1]);
	values[2] = text_or_null(grantee, &isnull[2]);
	isnull[3] = TIMESTAMP_NOT_FINITE(expires_at);
	values[3] = TimestampTzGetDatum(expires_at);
	isnull[4] = false;
	values[4] = Int64GetDatum(audit_id);
	values[5] = text_or_null(message, &isnull[5]);
	if (tupdesc->natts > 6)
		values[6] = text_or_null(password, &isnull[6]);

	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, isnull));
}

Datum
sym_result(FunctionCallInfo fcinfo, const char *outcome, const char *role,
		   const char *grantee, TimestampTz expires_at, int64 audit_id,
		   const char *message)
{
	return sym_result_password(fcinfo, outcome, role, grantee, expires_at,
							   audit_id, message, NULL);
}

PG_FUNCTION_INFO_V1(sym_access_audit_guard);

/*
 * BEFORE UPDATE OR DELETE (row) and BEFORE TRUNCATE (statement) trigger on
 * sym_access.audit.  It binds the table owner too: only purge_audit(), which
 * sets sym_purge_in_progress around its own DELETE, gets rows out.
 */
Datum
sym_access_audit_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	const char *op;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sym_access_audit_guard() must be called as a trigger")));
	td = (TriggerData *) fcinfo->context;

	if (TRIGGER_FIRED_BY_DELETE(td->tg_event) &&
		TRIGGER_FIRED_FOR_ROW(td->tg_event) && sym_purge_in_progress)
		return PointerGetDatum(td->tg_trigtuple);

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		op = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		op = "DELETE";
	else if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		op = "TRUNCATE";
	else
		op = "this change";

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("sym_access.audit is append-only: %s is not allowed", op),
			 errhint("Audit rows leave the table only through sym_access.purge_audit(), which keeps at least 30 days.")));
	PG_RETURN_NULL();			/* not reached */
}

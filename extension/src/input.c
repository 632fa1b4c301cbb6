/*-------------------------------------------------------------------------
 *
 * input.c
 *	  Checks on what callers hand in: text arguments, role names and the
 *	  jsonb context.  Programming errors raise; what is merely a policy
 *	  refusal (a name too long to be a role) is left to the caller to deny.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "sym_access.h"

/*
 * Fetch a text argument as a C string.  NULL raises when required, oversized
 * input always raises: neither is a decision to audit, both are bugs in the
 * caller.
 */
char	   *
sym_text_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool required)
{
	text	   *t;

	if (PG_ARGISNULL(argno))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("sym_access: %s must not be NULL", what),
					 errhint("Pass the %s as a non-NULL text value.", what)));
		return NULL;
	}

	t = PG_GETARG_TEXT_PP(argno);
	if (VARSIZE_ANY_EXHDR(t) > SYM_TEXT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("sym_access: %s is longer than %d bytes", what, SYM_TEXT_MAX),
				 errhint("Identifiers are at most %d bytes; free text at most %d bytes.",
						 SYM_NAME_MAX, SYM_TEXT_MAX)));
	return text_to_cstring(t);
}

/*
 * A role or user name must be usable as given: PostgreSQL would silently cut
 * a longer one to NAMEDATALEN - 1 bytes, which could name a different role.
 */
bool
sym_name_ok(const char *name, const char *what, char **why)
{
	size_t		len = strlen(name);

	if (len == 0)
	{
		*why = psprintf("%s name is empty", what);
		return false;
	}
	if (len > SYM_NAME_MAX)
	{
		*why = psprintf("%s name is %zu bytes long; PostgreSQL names are at most %d bytes and sym_access never truncates them",
						what, len, SYM_NAME_MAX);
		return false;
	}
	return true;
}

static char *
context_string(Jsonb *jb, const char *key)
{
	JsonbValue *v;

	v = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: context key \"%s\" must be a string", key),
				 errhint("Pass context as a jsonb object whose known keys (run_srn, requester, approver, reason, event_id, event_type) hold strings.")));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Every string in the context, at any depth, is bounded; so is the whole.
 */
static void
check_context_sizes(Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *as_text;

	as_text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	if (strlen(as_text) > SYM_CONTEXT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sym_access: context is %zu bytes as text, more than the limit of %d",
						strlen(as_text), SYM_CONTEXT_MAX),
				 errhint("Shorten free-text fields such as the reason before calling.")));
	pfree(as_text);

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if ((tok == WJB_KEY || tok == WJB_VALUE || tok == WJB_ELEM) &&
			v.type == jbvString && v.val.string.len > SYM_TEXT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("sym_access: a context %s is %d bytes long, more than the limit of %d",
							tok == WJB_KEY ? "key" : "value",
							v.val.string.len, SYM_TEXT_MAX),
					 errhint("Shorten free-text fields such as the reason before calling.")));
	}
}

void
sym_parse_context(FunctionCallInfo fcinfo, int argno, SymContext *ctx)
{
	Jsonb	   *jb;

	memset(ctx, 0, sizeof(*ctx));
	ctx->run_srn = "";

	/* An explicit NULL means "no context", like the default '{}'. */
	if (PG_ARGISNULL(argno))
		return;

	jb = PG_GETARG_JSONB_P(argno);
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sym_access: context must be a jsonb object"),
				 errhint("Pass something like '{\"run_srn\": \"...\", \"reason\": \"...\"}'::jsonb.")));
	check_context_sizes(jb);

	ctx->raw = jb;
	ctx->run_srn = context_string(jb, "run_srn");
	if (ctx->run_srn == NULL)
		ctx->run_srn = "";
	ctx->requester = context_string(jb, "requester");
	ctx->approver = context_string(jb, "approver");
	ctx->reason = context_string(jb, "reason");
	ctx->event_id = context_string(jb, "event_id");
	ctx->event_type = context_string(jb, "event_type");
}

/*
 * The per-(role, grantee) lock only serializes callers if each one reads
 * what the previous holder committed, i.e. takes a new snapshot per
 * statement.
 */
void
sym_require_read_committed(const char *fname)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sym_access.%s must run at READ COMMITTED isolation", fname),
				 errdetail("Under REPEATABLE READ or SERIALIZABLE a concurrent call for the same role and grantee could go unseen."),
				 errhint("Call it outside an explicit REPEATABLE READ or SERIALIZABLE transaction.")));
}

int
sym_interval_cmp(const Interval *a, const Interval *b)
{
	return DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(a),
											 IntervalPGetDatum(b)));
}

bool
sym_interval_positive(const Interval *iv)
{
	Interval	zero;

	memset(&zero, 0, sizeof(zero));
	return sym_interval_cmp(iv, &zero) > 0;
}

/*
 * Do the month, day and time fields disagree in sign?  interval comparison
 * counts a month as 30 days and a day as 24 hours, the clock does not: such
 * a duration ("1 month -29 days") compares small and lasts long, or the
 * other way round, so it is refused wherever a duration is taken.
 */
bool
sym_interval_mixed_signs(const Interval *iv)
{
	bool		pos = iv->month > 0 || iv->day > 0 || iv->time > 0;
	bool		neg = iv->month < 0 || iv->day < 0 || iv->time < 0;

	return pos && neg;
}

/*
 * Bounds of a same-signed interval's length on the clock, in microseconds:
 * a month lasts 28 to 31 days, a day 23 to 25 hours (daylight saving time).
 * Lets a caller tell that a duration is longer than another without adding
 * it to a timestamp, which could overflow.
 */
double
sym_interval_clock_usecs(const Interval *iv, bool longest)
{
	double		month_days = longest ? 31.0 : 28.0;
	double		day_hours = longest ? 25.0 : 23.0;

#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_IS_NOEND(iv))
		return HUGE_VAL;
	if (INTERVAL_IS_NOBEGIN(iv))
		return -HUGE_VAL;
#endif
	return iv->month * month_days * USECS_PER_DAY +
		iv->day * day_hours * USECS_PER_HOUR + (double) iv->time;
}

/* The transaction's start plus or minus iv, by timestamp arithmetic. */
TimestampTz
sym_now_plus(const Interval *iv)
{
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
												   IntervalPGetDatum(iv)));
}

TimestampTz
sym_now_minus(const Interval *iv)
{
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
												   IntervalPGetDatum(iv)));
}

/*
 * Messages and log lines read the same whatever the session's DateStyle,
 * IntervalStyle or TimeZone: intervals in the "postgres" style, times in
 * ISO 8601 UTC to the second.
 */
char	   *
sym_interval_out(const Interval *iv)
{
	struct pg_itm itm;
	char		buf[MAXDATELEN + 1];

#ifdef INTERVAL_NOT_FINITE
	if (INTERVAL_NOT_FINITE(iv))
		return pstrdup(INTERVAL_IS_NOBEGIN(iv) ? "-infinity" : "infinity");
#endif
	interval2itm(*iv, &itm);
	EncodeInterval(&itm, INTSTYLE_POSTGRES, buf);
	return pstrdup(buf);
}

char	   *
sym_timestamptz_out(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		return pstrdup(TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec);
}

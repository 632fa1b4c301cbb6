/*-------------------------------------------------------------------------
 *
 * spi.c
 *	  Statements of the extension's own, prepared once per backend.
 *
 * Every statement the extension runs is a string constant at one call
 * site, so the constant's address identifies it.  Plans are kept with
 * SPI_keepplan(); PostgreSQL's plan cache replans them after DDL on what
 * they touch (including DROP and CREATE EXTENSION).  All of them run under
 * the functions' pinned search_path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "sym_access.h"

#define SYM_MAX_PLANS 32

typedef struct SymPlan
{
	const char *sql;
	SPIPlanPtr	plan;
} SymPlan;

static SymPlan plans[SYM_MAX_PLANS];
static int	nplans = 0;

/*
 * Run a constant statement with parameters; returns SPI_execute_plan's
 * result code.  The caller is SPI-connected.
 */
int
sym_spi_exec(const char *sql, int nargs, Oid *argtypes, Datum *values,
			 const char *nulls, bool read_only)
{
	SPIPlanPtr	plan = NULL;

	for (int i = 0; i < nplans; i++)
	{
		if (plans[i].sql == sql)
		{
			plan = plans[i].plan;
			break;
		}
	}

	if (plan == NULL)
	{
		plan = SPI_prepare(sql, nargs, argtypes);
		if (plan == NULL)
			elog(ERROR, "sym_access: could not prepare statement: %s",
				 SPI_result_code_string(SPI_result));
		if (nplans < SYM_MAX_PLANS)
		{
			if (SPI_keepplan(plan) != 0)
				elog(ERROR, "sym_access: could not keep a prepared statement");
			plans[nplans].sql = sql;
			plans[nplans].plan = plan;
			nplans++;
		}
	}

	return SPI_execute_plan(plan, values, nulls, read_only, 0);
}

/*
 * Column col (1-based, of type oid, never NULL) of the last statement's
 * result, copied out so that the caller can run other statements while it
 * walks the list; *n gets the row count.
 */
Oid		   *
sym_spi_oids(int col, uint64 *n)
{
	Oid		   *oids = palloc(sizeof(Oid) * (SPI_processed + 1));

	*n = SPI_processed;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		oids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
												 SPI_tuptable->tupdesc, col, &isnull));
	}
	return oids;
}

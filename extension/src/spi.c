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

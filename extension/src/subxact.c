/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  Running one step in a subtransaction, so that its failure is
 *	  contained: the sweep goes on to the next pair, and a revoke keeps its
 *	  effect when only ending the sessions failed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "sym_access.h"

/*
 * Run fn(arg) in a subtransaction.  Returns NULL when it succeeded (its
 * changes and locks are kept), or the error it raised, copied into the
 * caller's memory context, after rolling back exactly what it did.  The
 * caller's transaction, memory context, resource owner and SPI connection
 * carry on either way.
 */
ErrorData  *
sym_try(void (*fn) (void *arg), void *arg)
{
	MemoryContext callerctx = CurrentMemoryContext;
	ResourceOwner callerowner = CurrentResourceOwner;
	ErrorData  *volatile err = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(callerctx);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(callerctx);
		err = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(callerctx);
	CurrentResourceOwner = callerowner;
	return err;
}

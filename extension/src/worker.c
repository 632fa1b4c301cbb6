/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The expiry background worker: calls sym_access.expire() every
 *	  sym_access.expire_interval seconds in sym_access.database, so access
 *	  ends on time even when Sym's deescalate never arrives.
 *
 * An error in one sweep is reported and the next sweep runs as usual; a
 * database without the extension is reported once and then watched.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "sym_access.h"

PGDLLEXPORT void sym_access_worker_main(Datum main_arg);

static bool reported_missing = false;

/*
 * The worker's sessions get the database's settings like any other, and
 * its owner may set any of these with ALTER DATABASE: a serializable or
 * read-only default, a tiny timeout or another role would make every sweep
 * fail.  Pin what a sweep needs, above any such setting.
 */
static void
pin_sweep_settings(void)
{
	static const char *const settings[][2] = {
		{"role", "none"},
		{"default_transaction_isolation", "read committed"},
		{"default_transaction_read_only", "off"},
		{"default_transaction_deferrable", "off"},
		{"statement_timeout", "0"},
		{"idle_in_transaction_session_timeout", "0"},
#if PG_VERSION_NUM >= 170000
		{"transaction_timeout", "0"},
#endif
		/* short: a held lock delays one pair, never the whole sweep */
		{"lock_timeout", "1s"},
		{"search_path", "pg_catalog, pg_temp"},
	};

	for (int i = 0; i < lengthof(settings); i++)
		SetConfigOption(settings[i][0], settings[i][1], PGC_SUSET, PGC_S_OVERRIDE);
}

/* One sweep in its own transaction.  Returns memberships revoked, or -1. */
static int
sweep(void)
{
	MemoryContext oldctx = CurrentMemoryContext;
	volatile int revoked = -1;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "SELECT sym_access.expire()");

	PG_TRY();
	{
		if (!OidIsValid(get_extension_oid("sym_access", true)))
		{
			if (!reported_missing)
				ereport(LOG,
						(errmsg("sym_access: extension is not installed in database \"%s\"; the expiry worker waits for it",
								sym_database)));
			reported_missing = true;
		}
		else
		{
			bool		isnull;

			reported_missing = false;
			SPI_connect();
			if (SPI_execute("SELECT sym_access.expire()", false, 1) != SPI_OK_SELECT)
				elog(ERROR, "sym_access: expire() did not return a row");
			revoked = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* Report, roll back, and keep the worker for the next sweep. */
		MemoryContextSwitchTo(oldctx);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		revoked = -1;
	}
	PG_END_TRY();

	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
	return revoked;
}

void
sym_access_worker_main(Datum main_arg)
{
	TimestampTz next_sweep;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	/* SIGTERM ends the loop between sweeps: a sweep is never cut short. */
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(sym_database, NULL, 0);
	pin_sweep_settings();
	pgstat_report_appname("sym_access expiry worker");
	ereport(LOG,
			(errmsg("sym_access: expiry worker started in database \"%s\", interval %d s",
					sym_database, sym_expire_interval)));

	/* Sweep at once: grants may have expired while the server was down. */
	next_sweep = GetCurrentTimestamp();

	while (!ShutdownRequestPending)
	{
		long		wait_ms = -1;
		int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;

		if (sym_expire_interval > 0)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (now >= next_sweep)
			{
				int			revoked = sweep();

				if (revoked > 0)
					ereport(LOG,
							(errmsg("sym_access: expiry worker revoked %d membership%s",
									revoked, revoked == 1 ? "" : "s")));
				now = GetCurrentTimestamp();
				next_sweep = now + (TimestampTz) sym_expire_interval * USECS_PER_SEC;
			}
			wait_ms = (long) ((next_sweep - now + 999) / 1000);
			events |= WL_TIMEOUT;
		}

		(void) WaitLatch(MyLatch, events, wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);

		/*
		 * A cancel stops a sweep (in sweep()); between sweeps it has nothing
		 * to stop.
		 */
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();

		/*
		 * Exit code 1: the postmaster starts the worker again after
		 * bgw_restart_time unless the server is shutting down.  With 0 it
		 * would be unregistered for good, and a superuser's "terminate old
		 * backends" job would stop expiry until the next restart.
		 */
		if (ShutdownRequestPending)
		{
			ereport(LOG, (errmsg("sym_access: expiry worker shutting down")));
			proc_exit(1);
		}

		if (ConfigReloadPending)
		{
			int			old_interval = sym_expire_interval;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (sym_expire_interval != old_interval)
			{
				ereport(LOG,
						(errmsg("sym_access: expiry interval is now %d s", sym_expire_interval)));
				next_sweep = GetCurrentTimestamp() +
					(TimestampTz) sym_expire_interval * USECS_PER_SEC;
			}
		}
	}
	proc_exit(1);
}

/*-------------------------------------------------------------------------
 *
 * module.c
 *	  Module magic, the GUCs (all declared here) and registration of the
 *	  expiry background worker.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

#include "sym_access.h"

#ifdef PG_MODULE_MAGIC_EXT
PG_MODULE_MAGIC_EXT(.name = "sym_access",.version = "1.1.0");
#else
PG_MODULE_MAGIC;
#endif

int			sym_expire_interval = 60;
char	   *sym_database = NULL;

void		_PG_init(void);

void
_PG_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("sym_access.expire_interval",
							"Seconds between two expiry sweeps of the background worker.",
							"0 turns the worker's sweeps off.",
							&sym_expire_interval,
							60, 0, 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	/*
	 * The worker, and the database it connects to, exist only when the
	 * library is preloaded; a PGC_POSTMASTER variable cannot be defined by a
	 * library loaded later (e.g. by CREATE EXTENSION in a session).
	 */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("sym_access.database",
								   "Database in which the background worker runs sym_access.expire().",
								   NULL,
								   &sym_database,
								   "postgres",
								   PGC_POSTMASTER,
								   0,
								   NULL, NULL, NULL);

	MarkGUCPrefixReserved("sym_access");

	if (!process_shared_preload_libraries_in_progress)
		return;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* A crash of the worker (not an error in a sweep) restarts it. */
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "sym_access");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "sym_access_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "sym_access expiry worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "sym_access expiry worker");
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}

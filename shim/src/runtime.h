/* The AWS Lambda Runtime API loop (2018-06-01):
 *   GET  /runtime/invocation/next              (no timeout)
 *   POST /runtime/invocation/{id}/response     (business failures too: errors[])
 *   POST /runtime/invocation/{id}/error        (internal faults only)
 *   POST /runtime/init/error                   (unusable configuration) */
#ifndef SHIM_RUNTIME_H
#define SHIM_RUNTIME_H

#include "db.h"

/* Reports an initialisation failure; errorType is "Runtime.<type>". */
void runtime_init_error(const char *api, const char *type, const char *message);
/* Serves invocations until the Runtime API says to stop (HTTP 500 / connection
 * failure); returns the process exit code. */
int runtime_loop(const char *api, db_t *db);

#endif

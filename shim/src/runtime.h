/* The AWS Lambda Runtime API loop (2018-06-01):
 *   GET  /runtime/invocation/next              (no timeout)
 *   POST /runtime/invocation/{id}/response     (business failures too: errors[])
 *   POST /runtime/invocation/{id}/error        (internal faults only)
 *   POST /runtime/init/error                   (unusable configuration) */
#ifndef SHIM_RUNTIME_H
#define SHIM_RUNTIME_H

#include "db.h"
#include "http.h"

#define RUNTIME_TRACE_MAX 1024

/* What the answer to GET .../next carries besides the event. */
typedef struct {
	const char *request_id; /* points into the response; checked for the URL path */
	long long deadline_ms;  /* 0 = none */
	const char *trace_id;   /* NULL = none */
	int deadline_ignored;   /* a deadline header was there but unusable */
	int trace_ignored;      /* a trace header was there but unusable */
} runtime_invocation;

/* Pure: reads the request id, deadline and trace id of a next answer. Returns 0,
 * or 1 with *why (static) when the invocation cannot be answered (no or bad
 * request id). */
int runtime_parse_next(const http_response *next, runtime_invocation *inv, const char **why);

/* Reports an initialisation failure; errorType is "Runtime.<type>". */
void runtime_init_error(const char *api, const char *type, const char *message);
/* Serves invocations until the Runtime API says to stop (HTTP 500 / connection
 * failure); returns the process exit code. */
int runtime_loop(const char *api, db_t *db);

#endif

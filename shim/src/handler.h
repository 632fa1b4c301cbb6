/* One invocation: event text in, Sym response JSON out. */
#ifndef SHIM_HANDLER_H
#define SHIM_HANDLER_H

#include "db.h"
#include <stddef.h>

/* Returns the response JSON (malloc'd; pretty-printed when pretty) and sets
 * *has_errors when its errors[] is not empty. Returns NULL only on an internal
 * fault (out of memory), which the caller reports as such. deadline_ms: 0 = none. */
char *handle_event(db_t *db, const char *event, size_t len, long long deadline_ms, int pretty,
		   int *has_errors);

/* A response carrying just one error message (body fields null); NULL on OOM. */
char *error_response(const char *message, int pretty);

#endif

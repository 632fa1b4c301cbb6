/* The database password from SSM Parameter Store through the AWS Parameters and
 * Secrets Lambda Extension (HTTP on localhost:2773, or
 * $PARAMETERS_SECRETS_EXTENSION_HTTP_PORT; the whole base URL can be replaced
 * with $SYM_SHIM_SECRETS_URL, which the tests use to point at a local peer). */
#ifndef SHIM_SECRETS_H
#define SHIM_SECRETS_H

#include <stddef.h>

/* Fetches the (decrypted) value of SSM parameter `name`. timeout_ms bounds the
 * request. Returns 0 with *value (malloc'd; free with free_secret), or -1 with
 * *err (never containing the value). */
int secrets_get_parameter(const char *name, long timeout_ms, char **value, char **err);

/* Pure: the extension's JSON answer -> Parameter.Value (malloc'd; free with
 * free_secret). Returns 0; 1 with *why (static, never the value) when there is
 * no usable value; -1 when memory ran out. Wipes the parsed copy. */
int secrets_parse_answer(const char *body, size_t len, char **value, const char **why);

#endif

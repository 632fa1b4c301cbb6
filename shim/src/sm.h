/* AWS Secrets Manager over its JSON 1.1 protocol (POST /, X-Amz-Target:
 * secretsmanager.<Action>, Content-Type: application/x-amz-json-1.1), signed with
 * AWS Signature Version 4 by libcurl itself (CURLOPT_AWS_SIGV4), with the
 * function's credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN (sent as X-Amz-Security-Token), AWS_REGION (or
 * AWS_DEFAULT_REGION). The endpoint is https://secretsmanager.<region>.amazonaws.com
 * with verified TLS; SYM_SHIM_SECRETSMANAGER_URL replaces it (the tests' stand-in). */
#ifndef SHIM_SM_H
#define SHIM_SM_H

#include <cJSON.h>

/* An answer that is not a success. type is the AWS error code without its
 * namespace ("ResourceNotFoundException"), or NULL for a transport failure. */
typedef struct {
	long status;   /* HTTP status, 0 when no answer arrived */
	char *type;    /* malloc'd or NULL */
	char *message; /* malloc'd, always set on failure: one line for logs and errors[] */
} sm_error;

/* 1 when credentials and a region are configured (a call can be attempted). */
int sm_configured(void);

/* Calls one action with the request document (not modified; the printed copy
 * is wiped after the call, as it may hold a secret value). timeout_ms bounds
 * the call. Returns 0 with *answer (the parsed JSON answer, caller deletes), or
 * -1 with *e filled (sm_error_free it). */
int sm_call(const char *action, const cJSON *request, long timeout_ms, cJSON **answer, sm_error *e);

/* 1 when the failure is the AWS error `type`. */
int sm_error_is(const sm_error *e, const char *type);
void sm_error_free(sm_error *e);

/* Pure: an AWS JSON error answer (status, body, x-amzn-ErrorType header or NULL)
 * -> *e; the namespace before '#' and any ':'-suffix are stripped. 0, or -1 when
 * memory ran out. */
int sm_parse_error(long status, const char *body, size_t len, const char *type_header, sm_error *e);

/* Pure: 1 when s is a usable AWS region name ([a-z0-9-], 1..32 bytes). */
int sm_region_ok(const char *s);

/* Wipes every string in the document, then deletes it. */
void json_wipe_delete(cJSON *doc);

#endif

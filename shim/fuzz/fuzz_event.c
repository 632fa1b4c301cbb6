#define _GNU_SOURCE
/* Harness: a Sym event (any bytes) -> event_parse() -> the request the shim would
 * send to the database, or the error response Sym would read.
 * Properties: no crash, leak or UB; an accepted event yields a request within the
 * database's limits whose context is a JSON object naming the same requester; a
 * refused one yields a UTF-8 message that error_response() turns into JSON. */
#include "fuzz.h"

#include "event.h"
#include "handler.h"
#include "util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static int
ident_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= SHIM_TEXT_MAX && utf8_valid(s, n, NULL);
}

/* "N seconds" (a JSON number) or "M months D days S seconds" (a string) */
static int
duration_ok(const char *d)
{
	long long a, b, c;
	char tail;

	return sscanf(d, "%lld seconds%c", &a, &tail) == 1 ||
	       (sscanf(d, "%lld months %lld days %lld seconds%c", &a, &b, &c, &tail) == 3 && a >= 0 &&
		b >= 0 && c >= 0);
}

static void
check_request(const shim_request *r)
{
	cJSON *ctx;
	const cJSON *requester, *type;

	if (r->kind == REQ_SWEEP) {
		require(r->role == NULL && r->email == NULL && r->duration == NULL && r->context == NULL);
		return;
	}
	require(r->kind == REQ_GRANT || r->kind == REQ_REVOKE);
	require(ident_ok(r->role));
	require(ident_ok(r->email));
	require(r->kind == REQ_GRANT || r->duration == NULL);
	require(r->duration == NULL || duration_ok(r->duration));
	require(r->context != NULL);
	/* the database prints ": " and ", " where cJSON prints ":" and "," */
	require(strlen(r->context) + 4 * 6 <= SHIM_CONTEXT_MAX);
	ctx = cJSON_Parse(r->context);
	require(cJSON_IsObject(ctx));
	requester = cJSON_GetObjectItemCaseSensitive(ctx, "requester");
	type = cJSON_GetObjectItemCaseSensitive(ctx, "event_type");
	require(cJSON_IsString(requester) && strcmp(requester->valuestring, r->email) == 0);
	require(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ctx, "run_srn")));
	require(cJSON_IsString(type) &&
		strcmp(type->valuestring, r->kind == REQ_GRANT ? "escalate" : "deescalate") == 0);
	cJSON_Delete(ctx);
}

/* The answer Sym reads for a refused event: errors[0] is the message itself. */
static void
check_refusal(const char *err)
{
	char *out;
	cJSON *doc;
	const cJSON *e;

	require(err != NULL && *err != '\0');
	require(utf8_valid(err, strlen(err), NULL));
	out = error_response(err, 0);
	require(out != NULL);
	doc = cJSON_Parse(out);
	e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "errors"), 0);
	require(cJSON_IsString(e) && strcmp(e->valuestring, err) == 0);
	cJSON_Delete(doc);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	shim_request req;
	char *err = NULL;
	int rc = event_parse((const char *) data, size, &req, &err);

	require(rc == 0 || rc == 1); /* -1 is out of memory, which cannot happen here */
	if (rc == 0) {
		require(err == NULL);
		check_request(&req);
		request_free(&req);
	} else
		check_refusal(err);
	free(err);
	return 0;
}

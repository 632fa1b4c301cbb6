#define _GNU_SOURCE
/* Harness: the AWS Parameters and Secrets extension's JSON answer ->
 * secrets_parse_answer() -> the database password.
 * Properties: no crash, leak or UB; a value is returned exactly when the answer
 * is a JSON object whose Parameter.Value is a non-empty string, and it is that
 * string. The same bytes as a Secrets Manager error answer (sm_parse_error, body
 * and x-amzn-ErrorType header): a one-line message, a type only when one of
 * them names it. */
#include "fuzz.h"

#include "secrets.h"
#include "sm.h"
#include "util.h"

#include <cJSON.h>
#include <string.h>

static void
sm_errors(const uint8_t *data, size_t size)
{
	char *header = strndup((const char *) data, size > 200 ? 200 : size);
	sm_error e;

	require(header != NULL);
	for (int h = 0; h < 2; h++) {
		require(sm_parse_error(400, (const char *) data, size, h ? header : NULL, &e) == 0);
		require(e.message != NULL && strchr(e.message, '\n') == NULL && strchr(e.message, '\r') == NULL);
		require(e.type == NULL || (e.type[0] != '\0' && strchr(e.type, '#') == NULL && strchr(e.type, ':') == NULL));
		sm_error_free(&e);
	}
	free(header);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = NULL;
	const char *why = NULL;
	int rc = secrets_parse_answer((const char *) data, size, &value, &why);
	cJSON *doc = cJSON_ParseWithLength((const char *) data, size);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Parameter"), "Value");
	int expected = cJSON_IsString(v) && v->valuestring[0] != '\0';

	require(rc == 0 || rc == 1);
	require(rc == (expected ? 0 : 1));
	if (rc == 0) {
		require(why == NULL && value != NULL && strcmp(value, v->valuestring) == 0);
		free_secret(value);
	} else {
		require(value == NULL && why != NULL);
		require(!expected);
	}
	cJSON_Delete(doc);
	sm_errors(data, size);
	return 0;
}

/* The Secrets Manager client: one signed JSON 1.1 call at a time over the
 * shim's one libcurl handle. Nothing here logs a request body. */
#define _GNU_SOURCE
#include "sm.h"
#include "http.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Secrets Manager's answers here are small; ListSecrets pages stay well below this. */
#define SM_MAX_ANSWER (4u * 1024u * 1024u)

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static const char *
region(void)
{
	return env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
}

int
sm_region_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-') || n >= 32)
			return 0;
	return n > 0;
}

int
sm_configured(void)
{
	return env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY") && sm_region_ok(region());
}

static void
wipe_strings(cJSON *it)
{
	for (; it != NULL; it = it->next) {
		if (it->valuestring != NULL)
			explicit_bzero(it->valuestring, strlen(it->valuestring));
		wipe_strings(it->child);
	}
}

void
json_wipe_delete(cJSON *doc)
{
	if (doc == NULL)
		return;
	wipe_strings(doc->child);
	if (doc->valuestring != NULL)
		explicit_bzero(doc->valuestring, strlen(doc->valuestring));
	cJSON_Delete(doc);
}

void
sm_error_free(sm_error *e)
{
	free(e->type);
	free(e->message);
	memset(e, 0, sizeof *e);
}

int
sm_error_is(const sm_error *e, const char *type)
{
	return e->type != NULL && strcmp(e->type, type) == 0;
}

/* "com.amazonaws.secretsmanager#ResourceNotFoundException:http://..." -> the code */
static char *
error_code(const char *raw)
{
	const char *hash = strrchr(raw, '#');
	const char *start = hash ? hash + 1 : raw;
	size_t n = strcspn(start, ":");

	return n ? strndup(start, n > 128 ? 128 : n) : NULL;
}

int
sm_parse_error(long status, const char *body, size_t len, const char *type_header, sm_error *e)
{
	cJSON *doc = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "__type");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	char *msg = NULL;

	memset(e, 0, sizeof *e);
	e->status = status;
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(doc, "Message");
	if (type_header != NULL && *type_header)
		e->type = error_code(type_header);
	else if (cJSON_IsString(t))
		e->type = error_code(t->valuestring);
	if (cJSON_IsString(m))
		msg = quote_for_message(m->valuestring, 300);
	e->message = xasprintf("HTTP %ld %s%s%s", status, e->type ? e->type : "(no error type)", msg ? ": " : "",
			       msg ? msg : "");
	free(msg);
	cJSON_Delete(doc);
	if (e->message == NULL) {
		sm_error_free(e);
		return -1;
	}
	/* one line: AWS messages are plain, but never trust that */
	for (char *p = e->message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return 0;
}

/* Fills *e with a message of ours (msg NULL: out of memory); -1. */
static int
fail(sm_error *e, long status, const char *msg)
{
	memset(e, 0, sizeof *e);
	e->status = status;
	e->message = strdup(msg ? msg : "out of memory");
	return -1;
}

/* The endpoint; malloc'd. */
static char *
endpoint(const char *reg)
{
	const char *url = env("SYM_SHIM_SECRETSMANAGER_URL");

	return url ? strdup(url) : xasprintf("https://secretsmanager.%s.amazonaws.com/", reg);
}

static int
send_call(const char *action, const char *url, const char *body, long timeout_ms, const char *reg,
	  http_response *resp, sm_error *e)
{
	const char *token = env("AWS_SESSION_TOKEN");
	char *target = xasprintf("X-Amz-Target: secretsmanager.%s", action);
	char *provider = xasprintf("aws:amz:%s:secretsmanager", reg);
	char *tok = token ? xasprintf("X-Amz-Security-Token: %s", token) : NULL;
	const char *headers[5] = {"Content-Type: application/x-amz-json-1.1", target, tok, NULL, NULL};
	http_sigv4 sig = {provider, env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")};
	char *herr = NULL;
	int rc = -1;

	if (target == NULL || provider == NULL || (token && tok == NULL))
		fail(e, 0, NULL);
	else if (http_post_signed(url, headers, body, strlen(body), timeout_ms, SM_MAX_ANSWER, &sig, resp, &herr) < 0)
		fail(e, 0, herr);
	else
		rc = 0;
	free(target);
	free(provider);
	free_secret(tok);
	free(herr);
	return rc;
}

int
sm_call(const char *action, const cJSON *request, long timeout_ms, cJSON **answer, sm_error *e)
{
	const char *reg = region();
	http_response resp;
	char *url, *body;
	int rc = -1;

	*answer = NULL;
	memset(e, 0, sizeof *e);
	if (!sm_configured())
		return fail(e, 0, "no AWS credentials or region (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)");
	url = endpoint(reg);
	body = cJSON_PrintUnformatted(request);
	if (url == NULL || body == NULL) {
		free(url);
		free_secret(body);
		return fail(e, 0, NULL);
	}
	log_debug("secretsmanager %s", action);
	if (send_call(action, url, body, timeout_ms, reg, &resp, e) == 0) {
		if (resp.status == 200 && !resp.body_truncated &&
		    (*answer = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "{}",
						     resp.body.data ? resp.body.len : 2)) != NULL)
			rc = 0;
		else if (resp.status == 200)
			fail(e, 200, "Secrets Manager answered HTTP 200 with no usable JSON");
		else if (sm_parse_error(resp.status, resp.body.data, resp.body.len,
					http_header(&resp, "x-amzn-ErrorType"), e) < 0)
			fail(e, resp.status, NULL);
		http_response_free(&resp);
	}
	free(url);
	free_secret(body);
	return rc;
}

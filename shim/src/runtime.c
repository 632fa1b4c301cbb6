#define _GNU_SOURCE
#include "runtime.h"
#include "event.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "util.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_VERSION "2018-06-01"
/* posts to the local Runtime API are quick; this only guards against a hang */
#define POST_TIMEOUT_MS 30000L

/* POSTs an error document; returns the HTTP status, or -1 when unreachable. */
static long
post_error(const char *url, const char *type, const char *message)
{
	cJSON *doc = cJSON_CreateObject();
	char *body = NULL, *type_hdr = NULL, *err = NULL;
	const char *headers[3];
	http_response resp;
	long status = -1;

	if (doc && cJSON_AddStringToObject(doc, "errorMessage", message) &&
	    cJSON_AddStringToObject(doc, "errorType", type) && cJSON_AddArrayToObject(doc, "stackTrace"))
		body = cJSON_PrintUnformatted(doc);
	type_hdr = xasprintf("Lambda-Runtime-Function-Error-Type: %s", type);
	if (body == NULL || type_hdr == NULL) {
		log_error("out of memory building an error report");
		goto out;
	}
	headers[0] = "Content-Type: application/json";
	headers[1] = type_hdr;
	headers[2] = NULL;
	if (http_request("POST", url, headers, body, strlen(body), POST_TIMEOUT_MS, 64 * 1024, &resp, &err) < 0) {
		log_error("could not report the error: %s", err);
		goto out;
	}
	status = resp.status;
	http_response_free(&resp);
out:
	free(err);
	free(body);
	free(type_hdr);
	cJSON_Delete(doc);
	return status;
}

void
runtime_init_error(const char *api, const char *type, const char *message)
{
	char *url = xasprintf("http://%s/" API_VERSION "/runtime/init/error", api);
	long status;

	log_error("initialisation failed: %s", message);
	if (url == NULL)
		return;
	status = post_error(url, type, message);
	if (status != 202 && status != -1)
		log_error("the Runtime API answered HTTP %ld to the init error", status);
	free(url);
}

/* Request ids go into the URL path: accept only what AWS uses. */
static int
valid_request_id(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!isalnum((unsigned char) id[n]) && id[n] != '-' && id[n] != '_' && id[n] != '.')
			return 0;
	return n > 0 && n <= 128;
}

/* Milliseconds since the epoch: 1 to 18 digits (no overflow), nothing else;
 * strtoll took signs, spaces and out-of-range values. 0 when unusable. */
static long long
parse_deadline(const char *s)
{
	long long v = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (!isdigit((unsigned char) s[n]) || n >= 18)
			return 0;
		v = v * 10 + (s[n] - '0');
	}
	return v;
}

/* X-Ray trace ids ("Root=1-...;Parent=...;Sampled=1") go into the environment
 * and the logs: printable ASCII only, bounded. */
static int
valid_trace_id(const char *t)
{
	size_t n = 0;

	for (; t[n]; n++)
		if (t[n] < 0x21 || t[n] > 0x7e)
			return 0;
	return n > 0 && n <= RUNTIME_TRACE_MAX;
}

int
runtime_parse_next(const http_response *next, runtime_invocation *inv, const char **why)
{
	const char *rid = http_header(next, "Lambda-Runtime-Aws-Request-Id");
	const char *deadline = http_header(next, "Lambda-Runtime-Deadline-Ms");
	const char *trace = http_header(next, "Lambda-Runtime-Trace-Id");

	memset(inv, 0, sizeof *inv);
	if (rid == NULL || !valid_request_id(rid)) {
		*why = rid ? "an invalid request id" : "no request id";
		return 1;
	}
	inv->request_id = rid;
	if (deadline != NULL && (inv->deadline_ms = parse_deadline(deadline)) == 0)
		inv->deadline_ignored = 1;
	if (trace != NULL && valid_trace_id(trace))
		inv->trace_id = trace;
	else if (trace != NULL)
		inv->trace_ignored = 1;
	return 0;
}

/* Returns 0 to continue with the next invocation, or an exit code (> 0). */
static int
invoke_once(const char *api, db_t *db, const char *next_url)
{
	http_response next;
	char *err = NULL, *out = NULL, *url = NULL, *id = NULL;
	const char *why;
	runtime_invocation inv;
	const char *headers[2] = {"Content-Type: application/json", NULL};
	long long deadline = 0;
	int has_errors = 0, ret = 0;
	long status;

	/* no timeout: the environment is frozen here until the next event */
	if (http_request("GET", next_url, NULL, NULL, 0, 0L, SHIM_EVENT_MAX, &next, &err) < 0) {
		log_error("could not get the next invocation: %s", err);
		free(err);
		return 1;
	}
	if (next.status != 200) {
		log_error("the Runtime API answered HTTP %ld to next; exiting", next.status);
		http_response_free(&next);
		return 1;
	}
	if (runtime_parse_next(&next, &inv, &why) != 0) {
		log_error("the next invocation has %s; exiting", why);
		http_response_free(&next);
		return 1;
	}
	if ((id = strdup(inv.request_id)) == NULL) {
		http_response_free(&next);
		return 1;
	}
	log_set_request(id);
	if (inv.deadline_ignored)
		log_warn("ignoring an unparseable Lambda-Runtime-Deadline-Ms header");
	if (inv.trace_ignored)
		log_warn("ignoring a Lambda-Runtime-Trace-Id header that is not printable ASCII of at most %d bytes",
			 RUNTIME_TRACE_MAX);
	deadline = inv.deadline_ms;
	if (inv.trace_id != NULL)
		setenv("_X_AMZN_TRACE_ID", inv.trace_id, 1);
	else
		unsetenv("_X_AMZN_TRACE_ID");

	log_debug("invocation: %zu-byte event, deadline in %lld ms, _X_AMZN_TRACE_ID=%s", next.body.len,
		  deadline ? deadline - now_ms() : -1LL,
		  getenv("_X_AMZN_TRACE_ID") ? getenv("_X_AMZN_TRACE_ID") : "(none)");
	if (next.body_truncated) {
		char *m = xasprintf("event is larger than the limit of %u bytes", SHIM_EVENT_MAX);

		out = m ? error_response(m, 0) : NULL;
		has_errors = 1;
		free(m);
	} else
		out = handle_event(db, next.body.data ? next.body.data : "", next.body.len, deadline, 0,
				   &has_errors);
	http_response_free(&next);

	if (out == NULL) {
		/* internal fault: not a business answer */
		url = xasprintf("http://%s/" API_VERSION "/runtime/invocation/%s/error", api, id);
		status = url ? post_error(url, "Runtime.OutOfMemory", "the shim ran out of memory") : -1;
		if (status == 500 || status == -1)
			ret = 1;
		goto out;
	}

	url = xasprintf("http://%s/" API_VERSION "/runtime/invocation/%s/response", api, id);
	if (url == NULL) {
		ret = 1;
		goto out;
	}
	if (http_request("POST", url, headers, out, strlen(out), POST_TIMEOUT_MS, 64 * 1024, &next, &err) < 0) {
		log_error("could not post the response: %s", err);
		ret = 1;
		goto out;
	}
	status = next.status;
	http_response_free(&next);
	if (status == 202) {
		log_info("response sent (%s)", has_errors ? "with errors" : "ok");
	} else if (status == 500) {
		log_error("the Runtime API answered HTTP 500 to the response; exiting");
		ret = 1;
	} else if (status == 413) {
		/* the answer was refused: make the invocation fail visibly */
		free(url);
		url = xasprintf("http://%s/" API_VERSION "/runtime/invocation/%s/error", api, id);
		log_error("the Runtime API refused the response as too large (HTTP 413); reporting an error");
		status = url ? post_error(url, "Runtime.ResponseTooLarge", "the response was refused as too large")
			     : -1;
		if (status == 500 || status == -1) {
			log_error("the Runtime API answered %ld to the error report; exiting", status);
			ret = 1;
		}
	} else
		log_warn("the Runtime API answered HTTP %ld to the response", status);
out:
	log_set_request(NULL);
	free(err);
	free(url);
	free(out);
	free(id);
	return ret;
}

int
runtime_loop(const char *api, db_t *db)
{
	char *next_url = xasprintf("http://%s/" API_VERSION "/runtime/invocation/next", api);
	int rc = 0;

	if (next_url == NULL)
		return 1;
	log_info("serving the Lambda Runtime API at %s", api);
	while ((rc = invoke_once(api, db, next_url)) == 0)
		;
	free(next_url);
	return rc;
}

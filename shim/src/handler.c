/* Glue between the event, the database and the response Sym reads:
 *   {"body": {"username", "role", "outcome", "expires_at"}, "errors": [...]}
 * A sweep answers {"body": {"action": "sweep", "revoked": N}, "errors": []}. */
#define _GNU_SOURCE
#include "handler.h"
#include "event.h"
#include "log.h"
#include "util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static cJSON *
str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* An empty response document: {"body": {}, "errors": []}; false on OOM. */
static int
new_doc(cJSON **doc, cJSON **body, cJSON **errors)
{
	*doc = cJSON_CreateObject();
	*body = cJSON_CreateObject();
	*errors = cJSON_CreateArray();
	if (*doc == NULL || *body == NULL || *errors == NULL) {
		cJSON_Delete(*doc);
		cJSON_Delete(*body);
		cJSON_Delete(*errors);
		return 0;
	}
	cJSON_AddItemToObject(*doc, "body", *body);
	cJSON_AddItemToObject(*doc, "errors", *errors);
	return 1;
}

/* Adds the error (if any), prints and frees the document; NULL on OOM. */
static char *
finish_doc(cJSON *doc, cJSON *errors, int body_ok, const char *error, int pretty)
{
	char *out = NULL;

	if (body_ok && (error == NULL || cJSON_AddItemToArray(errors, cJSON_CreateString(error))))
		out = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return out;
}

/* Builds the response document; NULL on OOM. */
static char *
render(const char *username, const char *role, const char *outcome, const char *expires_at,
       const char *error, int pretty)
{
	cJSON *doc, *body, *errors;

	if (!new_doc(&doc, &body, &errors))
		return NULL;
	return finish_doc(doc, errors,
			  cJSON_AddItemToObject(body, "username", str_or_null(username)) &&
				  cJSON_AddItemToObject(body, "role", str_or_null(role)) &&
				  cJSON_AddItemToObject(body, "outcome", str_or_null(outcome)) &&
				  cJSON_AddItemToObject(body, "expires_at", str_or_null(expires_at)),
			  error, pretty);
}

char *
error_response(const char *message, int pretty)
{
	return render(NULL, NULL, NULL, NULL, message, pretty);
}

static char *
sweep_response(long long revoked, const char *error, int pretty)
{
	cJSON *doc, *body, *errors;

	if (!new_doc(&doc, &body, &errors))
		return NULL;
	return finish_doc(doc, errors,
			  cJSON_AddStringToObject(body, "action", "sweep") &&
				  (error ? cJSON_AddNullToObject(body, "revoked") != NULL
					 : cJSON_AddNumberToObject(body, "revoked", (double) revoked) != NULL),
			  error, pretty);
}

char *
handle_event(db_t *db, const char *event, size_t len, long long deadline_ms, int pretty, int *has_errors)
{
	shim_request req;
	db_result res;
	char *err = NULL, *user = NULL, *out = NULL;
	int rc;

	memset(&res, 0, sizeof res);
	*has_errors = 1;
	rc = event_parse(event, len, &req, &err);
	if (rc < 0)
		return NULL;
	if (rc > 0) {
		log_warn("bad event (%zu bytes): %s", len, err);
		out = render(NULL, NULL, NULL, NULL, err, pretty);
		free(err);
		return out;
	}

	if (req.kind == REQ_SWEEP) {
		long long n = 0;

		log_info("sweep: calling sym_access.expire()");
		if (db_begin(db, deadline_ms, &err) == 0 && db_expire(db, &n, &err) == 0) {
			log_info("sweep: %lld membership(s) revoked", n);
			*has_errors = 0;
		} else if (err == NULL) {
			request_free(&req);
			return NULL;
		} else
			log_error("sweep failed: %s", err);
		out = sweep_response(n, err, pretty);
		goto done;
	}

	if (req.kind == REQ_GRANT)
		log_info("escalate: role=%s requester=%s duration=%s%s", req.role, req.email,
			 req.duration ? req.duration : "(role default)", req.reason_cut ? " (reason cut to fit)" : "");
	else
		log_info("deescalate: role=%s requester=%s", req.role, req.email);
	if (db_begin(db, deadline_ms, &err) < 0 || db_resolve_user(db, req.email, &user, &err) < 0 ||
	    (req.kind == REQ_GRANT ? db_grant(db, req.role, user, req.duration, req.context, &res, &err)
				   : db_revoke(db, req.role, user, req.context, &res, &err)) < 0) {
		if (err == NULL)
			goto done; /* out of memory: out stays NULL, an internal fault */
		log_error("%s failed: %s", req.kind == REQ_GRANT ? "grant" : "revoke", err);
		out = render(user, req.role, NULL, NULL, err, pretty);
		goto done;
	}
	log_info("%s: outcome=%s role=%s grantee=%s expires_at=%s audit_id=%lld%s%s",
		 req.kind == REQ_GRANT ? "grant" : "revoke", res.outcome, res.role ? res.role : req.role,
		 res.grantee ? res.grantee : user, res.expires_at ? res.expires_at : "-", res.audit_id,
		 res.message ? " message=" : "", res.message ? res.message : "");
	if (strcmp(res.outcome, "denied") == 0) {
		out = render(res.grantee ? res.grantee : user, res.role ? res.role : req.role, res.outcome,
			     res.expires_at, res.message ? res.message : "denied by sym_access policy", pretty);
	} else {
		*has_errors = 0;
		out = render(res.grantee ? res.grantee : user, res.role ? res.role : req.role, res.outcome,
			     res.expires_at, NULL, pretty);
	}
done:
	db_result_free(&res);
	request_free(&req);
	free(user);
	free(err);
	return out;
}

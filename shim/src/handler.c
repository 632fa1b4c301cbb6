/* Glue between the event, the database and the response Sym reads:
 *   {"body": {"username", "role", "outcome", "expires_at"}, "errors": [...]}
 * A temporary user's escalate adds "secret_name" and "secret_arn" to the body:
 * the credentials themselves go to Secrets Manager only (creds.c).
 * A sweep answers {"body": {"action": "sweep", "revoked": N}, "errors": []}, with
 * "secrets_deleted" when Secrets Manager is configured. */
#define _GNU_SOURCE
#include "handler.h"
#include "creds.h"
#include "event.h"
#include "log.h"
#include "sm.h"
#include "util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* bounds of one Secrets Manager call */
#define SM_TIMEOUT_MIN_MS 1000
#define SM_TIMEOUT_MAX_MS 10000

typedef struct {
	const char *username, *role, *outcome, *expires_at, *secret_name, *secret_arn;
} resp_body;

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

/* Adds the errors (up to two, NULLs skipped), prints and frees the document;
 * NULL on OOM. */
static char *
finish_doc(cJSON *doc, cJSON *errors, int body_ok, const char *error, const char *error2, int pretty)
{
	char *out = NULL;

	if (body_ok && (error == NULL || cJSON_AddItemToArray(errors, cJSON_CreateString(error))) &&
	    (error2 == NULL || cJSON_AddItemToArray(errors, cJSON_CreateString(error2))))
		out = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return out;
}

/* Builds the response document; NULL on OOM. The secret fields appear only when set. */
static char *
render2(const resp_body *b, const char *error, const char *error2, int pretty)
{
	cJSON *doc, *body, *errors;

	if (!new_doc(&doc, &body, &errors))
		return NULL;
	return finish_doc(doc, errors,
			  cJSON_AddItemToObject(body, "username", str_or_null(b->username)) &&
				  cJSON_AddItemToObject(body, "role", str_or_null(b->role)) &&
				  cJSON_AddItemToObject(body, "outcome", str_or_null(b->outcome)) &&
				  cJSON_AddItemToObject(body, "expires_at", str_or_null(b->expires_at)) &&
				  (b->secret_name == NULL || cJSON_AddStringToObject(body, "secret_name", b->secret_name)) &&
				  (b->secret_arn == NULL || cJSON_AddStringToObject(body, "secret_arn", b->secret_arn)),
			  error, error2, pretty);
}

static char *
render(const char *username, const char *role, const char *outcome, const char *expires_at,
       const char *error, int pretty)
{
	resp_body b = {username, role, outcome, expires_at, NULL, NULL};

	return render2(&b, error, NULL, pretty);
}

char *
error_response(const char *message, int pretty)
{
	return render(NULL, NULL, NULL, NULL, message, pretty);
}

static char *
sweep_response(long long revoked, int secrets_deleted, const char *error, const char *error2, int pretty)
{
	cJSON *doc, *body, *errors;

	if (!new_doc(&doc, &body, &errors))
		return NULL;
	return finish_doc(doc, errors,
			  cJSON_AddStringToObject(body, "action", "sweep") &&
				  (error ? cJSON_AddNullToObject(body, "revoked") != NULL
					 : cJSON_AddNumberToObject(body, "revoked", (double) revoked) != NULL) &&
				  (secrets_deleted < 0 ||
				   cJSON_AddNumberToObject(body, "secrets_deleted", secrets_deleted) != NULL),
			  error, error2, pretty);
}

/* The time one Secrets Manager call may take within the invocation. */
static long
sm_timeout(long long deadline_ms)
{
	long long left = deadline_ms ? deadline_ms - now_ms() - 1000 : SM_TIMEOUT_MAX_MS;

	return left < SM_TIMEOUT_MIN_MS ? SM_TIMEOUT_MIN_MS : left > SM_TIMEOUT_MAX_MS ? SM_TIMEOUT_MAX_MS : (long) left;
}

/* The sweep: expire() in the database, then (when Secrets Manager is
 * configured) the secrets whose expiry has passed. */
static char *
handle_sweep(db_t *db, long long deadline_ms, int pretty, int *has_errors)
{
	char *err = NULL, *serr = NULL, *out;
	long long n = 0;
	int deleted = -1, kept = 0;

	log_info("sweep: calling sym_access.expire()");
	if (db_begin(db, deadline_ms, &err) == 0 && db_expire(db, &n, &err) == 0)
		log_info("sweep: %lld membership(s) revoked", n);
	else if (err == NULL)
		return NULL;
	else
		log_error("sweep failed: %s", err);
	if (sm_configured()) {
		int sr = creds_sweep(sm_timeout(deadline_ms), &deleted, &kept, &serr);

		if (sr == 0)
			log_info("sweep: %d expired secret(s) deleted, %d kept", deleted, kept);
		else if (sr < 0) {
			log_error("sweep of expired secrets failed after %d deletion(s): %s", deleted, serr ? serr : "out of memory");
			if (serr == NULL && (serr = strdup("out of memory")) == NULL) {
				free(err);
				return NULL;
			}
		}
	} else
		log_debug("sweep: no AWS credentials or region, no secrets to sweep");
	*has_errors = err != NULL || serr != NULL;
	out = sweep_response(n, deleted, err, serr, pretty);
	free(err);
	free(serr);
	return out;
}

/* A temporary user's credentials: into Secrets Manager, or, when that fails,
 * the run is revoked at once (nobody could use the login) and errors[] says so.
 * The password is wiped here whatever happens. */
static char *
finish_temporary(db_t *db, const shim_request *req, const char *user, db_result *res, long long deadline_ms,
		 int pretty, int *has_errors)
{
	creds_input in = {req->email, req->run_srn, res->grantee, res->password, res->expires_at, NULL, NULL, NULL,
			  strcmp(res->outcome, "extended") == 0};
	char *name = NULL, *arn = NULL, *serr = NULL, *rerr = NULL, *msg = NULL, *out = NULL;
	db_result rres;
	int rc;

	db_endpoint(db, &in.host, &in.port, &in.dbname);
	rc = creds_store(&in, sm_timeout(deadline_ms), &name, &arn, &serr);
	free_secret(res->password);
	res->password = NULL;
	if (rc == 0) {
		resp_body b = {res->grantee, res->role ? res->role : req->role, res->outcome, res->expires_at, name, arn};

		log_info("stored the credentials of temporary login %s in secret %s (%s)", res->grantee, name, arn);
		*has_errors = 0;
		out = render2(&b, NULL, NULL, pretty);
		goto done;
	}
	log_error("could not store the credentials of temporary login %s: %s; revoking the run", res->grantee,
		  serr ? serr : "out of memory");
	memset(&rres, 0, sizeof rres);
	if (db_revoke(db, req->role, user, req->context, &rres, &rerr) == 0) {
		log_info("revoke after the failed store: outcome=%s grantee=%s audit_id=%lld", rres.outcome,
			 rres.grantee ? rres.grantee : "-", rres.audit_id);
		msg = xasprintf("could not store the temporary login's credentials in Secrets Manager (%s); login %s "
				"was revoked (outcome %s)",
				serr ? serr : "out of memory", res->grantee, rres.outcome);
	} else {
		log_error("revoking login %s after the failed store failed too: %s", res->grantee,
			  rerr ? rerr : "out of memory");
		msg = xasprintf("could not store the temporary login's credentials in Secrets Manager (%s), and "
				"revoking login %s failed too (%s): it expires at %s",
				serr ? serr : "out of memory", res->grantee, rerr ? rerr : "out of memory", res->expires_at);
	}
	if (msg != NULL)
		out = render(res->grantee, res->role ? res->role : req->role, rres.outcome ? rres.outcome : res->outcome,
			     NULL, msg, pretty);
	db_result_free(&rres);
done:
	free(name);
	free(arn);
	free(serr);
	free(rerr);
	free(msg);
	return out;
}

/* After a revoke that dropped a temporary login (its name differs from the
 * requester's base name): the run's secret goes too. */
static char *
finish_revoke_temporary(const shim_request *req, const db_result *res, long long deadline_ms, int pretty,
			int *has_errors)
{
	char *name = NULL, *serr = NULL, *msg = NULL, *out;
	resp_body b = {res->grantee, res->role ? res->role : req->role, res->outcome, res->expires_at, NULL, NULL};
	int rc = creds_delete(req->email, req->run_srn, sm_timeout(deadline_ms), &name, &serr);

	if (rc >= 0) {
		log_info("secret %s %s", name, rc == 0 ? "deleted" : "was already gone");
		*has_errors = 0;
	} else {
		log_error("could not delete secret %s: %s", name ? name : "?", serr ? serr : "out of memory");
		msg = xasprintf("login %s was revoked, but its secret %s could not be deleted (%s); the sweep deletes it "
				"once it has expired",
				res->grantee, name ? name : "?", serr ? serr : "out of memory");
	}
	out = (rc >= 0 || msg) ? render2(&b, msg, NULL, pretty) : NULL;
	free(name);
	free(serr);
	free(msg);
	return out;
}

static char *
handle_change(db_t *db, const shim_request *req, long long deadline_ms, int pretty, int *has_errors)
{
	int grant = req->kind == REQ_GRANT;
	char *err = NULL, *user = NULL, *out = NULL;
	db_result res;

	memset(&res, 0, sizeof res);
	if (grant)
		log_info("escalate: role=%s requester=%s duration=%s%s", req->role, req->email,
			 req->duration ? req->duration : "(role default)", req->reason_cut ? " (reason cut to fit)" : "");
	else
		log_info("deescalate: role=%s requester=%s", req->role, req->email);
	if (db_begin(db, deadline_ms, &err) < 0 || db_resolve_user(db, req->email, &user, &err) < 0 ||
	    (grant ? db_grant(db, req->role, user, req->duration, req->context, &res, &err)
		   : db_revoke(db, req->role, user, req->context, &res, &err)) < 0) {
		if (err == NULL)
			goto done; /* out of memory: out stays NULL, an internal fault */
		log_error("%s failed: %s", grant ? "grant" : "revoke", err);
		out = render(user, req->role, NULL, NULL, err, pretty);
		goto done;
	}
	log_info("%s: outcome=%s role=%s grantee=%s expires_at=%s audit_id=%lld%s%s%s", grant ? "grant" : "revoke",
		 res.outcome, res.role ? res.role : req->role, res.grantee ? res.grantee : user,
		 res.expires_at ? res.expires_at : "-", res.audit_id, res.password ? " (temporary login)" : "",
		 res.message ? " message=" : "", res.message ? res.message : "");
	if (strcmp(res.outcome, "denied") == 0)
		out = render(res.grantee ? res.grantee : user, res.role ? res.role : req->role, res.outcome,
			     res.expires_at, res.message ? res.message : "denied by sym_access policy", pretty);
	else if (grant && res.password != NULL && res.grantee != NULL && res.expires_at != NULL)
		out = finish_temporary(db, req, user, &res, deadline_ms, pretty, has_errors);
	else if (!grant && strcmp(res.outcome, "revoked") == 0 && res.grantee != NULL && strcmp(res.grantee, user) != 0)
		out = finish_revoke_temporary(req, &res, deadline_ms, pretty, has_errors);
	else {
		*has_errors = 0;
		out = render(res.grantee ? res.grantee : user, res.role ? res.role : req->role, res.outcome,
			     res.expires_at, NULL, pretty);
	}
done:
	db_result_free(&res);
	free(user);
	free(err);
	return out;
}

char *
handle_event(db_t *db, const char *event, size_t len, long long deadline_ms, int pretty, int *has_errors)
{
	shim_request req;
	char *err = NULL, *out;
	int rc;

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
	out = req.kind == REQ_SWEEP ? handle_sweep(db, deadline_ms, pretty, has_errors)
				    : handle_change(db, &req, deadline_ms, pretty, has_errors);
	request_free(&req);
	return out;
}

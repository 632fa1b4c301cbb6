/* Temporary users' credentials in Secrets Manager. The clear password lives in
 * the SecretString document only; every copy this file makes is wiped. */
#define _GNU_SOURCE
#include "creds.h"
#include "log.h"
#include "sm.h"
#include "util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

/* pages of ListSecrets one sweep reads at most (100 secrets each) */
#define SWEEP_MAX_PAGES 100

static int
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("_+=.@-", c) != NULL;
}

char *
creds_prefix(const char **why)
{
	const char *p = getenv("SYM_SHIM_SECRET_PREFIX"), *fn = getenv("AWS_LAMBDA_FUNCTION_NAME");
	char *out;
	size_t n;

	*why = NULL;
	if (p != NULL && *p != '\0')
		out = strdup(p);
	else if (fn != NULL && *fn != '\0')
		out = xasprintf("sym-access/%s", fn);
	else
		out = strdup("sym-access");
	if (out == NULL)
		return NULL;
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!name_char(out[i]) && out[i] != '/')
			*why = "SYM_SHIM_SECRET_PREFIX may hold only letters, digits and /_+=.@-";
	if (n == 0 || n > 256)
		*why = "SYM_SHIM_SECRET_PREFIX must be 1 to 256 characters";
	if (*why != NULL) {
		free(out);
		return NULL;
	}
	return out;
}

/* A name component: unusable bytes (and '/') become '_'; in place. */
static void
sanitize(char *s)
{
	for (; *s; s++)
		if (!name_char(*s))
			*s = '_';
}

char *
creds_secret_name(const char *prefix, const char *email, const char *run_srn)
{
	const char *colon = strrchr(run_srn, ':');
	const char *run_id = colon && colon[1] ? colon + 1 : run_srn;
	char *e = strdup(email), *r = strdup(run_id), *name = NULL;

	if (e != NULL && r != NULL) {
		sanitize(e);
		sanitize(r);
		name = xasprintf("%s/%s/%s", prefix, e, r);
	}
	free(e);
	free(r);
	return name;
}

long long
creds_parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return -1;
	return (long long) timegm(&tm);
}

/* A fresh ClientRequestToken (a UUID v4 from the kernel's CSPRNG): one secret
 * version per stored password. */
static int
request_token(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b)
		return -1;
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* The SecretString text (malloc'd; free with free_secret), NULL on OOM. The port
 * is a number when it is one, as in the secrets RDS makes. */
static char *
secret_string(const creds_input *in)
{
	cJSON *d = cJSON_CreateObject();
	char *end = NULL, *out = NULL;
	long port = in->port ? strtol(in->port, &end, 10) : 0;
	int ok = d != NULL && cJSON_AddStringToObject(d, "engine", "postgres") &&
		 cJSON_AddStringToObject(d, "host", in->host ? in->host : "") &&
		 (in->port && *in->port && end && *end == '\0' ? cJSON_AddNumberToObject(d, "port", (double) port) != NULL
							       : cJSON_AddStringToObject(d, "port", in->port ? in->port : "") != NULL) &&
		 cJSON_AddStringToObject(d, "dbname", in->dbname ? in->dbname : "") &&
		 cJSON_AddStringToObject(d, "username", in->login) &&
		 cJSON_AddStringToObject(d, "password", in->password) &&
		 cJSON_AddStringToObject(d, "expires_at", in->expires_at);

	if (ok)
		out = cJSON_PrintUnformatted(d);
	json_wipe_delete(d);
	return out;
}

static cJSON *
tags(const creds_input *in)
{
	cJSON *a = cJSON_CreateArray(), *u = cJSON_CreateObject(), *x = cJSON_CreateObject();

	if (a == NULL || u == NULL || x == NULL || !cJSON_AddStringToObject(u, "Key", CREDS_TAG_USER) ||
	    !cJSON_AddStringToObject(u, "Value", in->email) || !cJSON_AddStringToObject(x, "Key", CREDS_TAG_EXPIRES) ||
	    !cJSON_AddStringToObject(x, "Value", in->expires_at)) {
		cJSON_Delete(a);
		cJSON_Delete(u);
		cJSON_Delete(x);
		return NULL;
	}
	cJSON_AddItemToArray(a, u);
	cJSON_AddItemToArray(a, x);
	return a;
}

/* {"SecretId"|"Name": name, "ClientRequestToken", "SecretString"} (+ Description
 * and Tags for CreateSecret); NULL on OOM. */
static cJSON *
value_request(const creds_input *in, const char *name, const char *token, int create)
{
	cJSON *d = cJSON_CreateObject(), *t = create ? tags(in) : NULL;
	char *ss = secret_string(in);
	char *desc = create ? xasprintf("sym_access temporary login %s for run %s", in->login, in->run_srn) : NULL;
	int ok = d != NULL && ss != NULL && (!create || (t != NULL && desc != NULL)) &&
		 cJSON_AddStringToObject(d, create ? "Name" : "SecretId", name) &&
		 cJSON_AddStringToObject(d, "ClientRequestToken", token) &&
		 cJSON_AddStringToObject(d, "SecretString", ss) &&
		 (!create || cJSON_AddStringToObject(d, "Description", desc));

	if (ok && create)
		cJSON_AddItemToObject(d, "Tags", t);
	else
		cJSON_Delete(t);
	free_secret(ss);
	free(desc);
	if (!ok) {
		json_wipe_delete(d);
		return NULL;
	}
	return d;
}

/* Reads ARN (and Name) from an answer into *arn; 0, or -1 with *err. */
static int
take_arn(const cJSON *answer, char **arn, char **err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(answer, "ARN");

	if (!cJSON_IsString(a)) {
		*err = strdup("Secrets Manager's answer has no ARN");
		return -1;
	}
	*arn = strdup(a->valuestring);
	return *arn ? 0 : -1;
}

/* One action with a request that holds the password; 0, 1 for an AWS error of
 * type `tolerated`, -1 with *err. */
static int
call(const char *action, cJSON *req, long timeout_ms, const char *tolerated, char **arn, char **err)
{
	cJSON *answer = NULL;
	sm_error e;
	int rc;

	if (req == NULL) {
		*err = strdup("out of memory");
		return -1;
	}
	rc = sm_call(action, req, timeout_ms, &answer, &e);
	json_wipe_delete(req);
	if (rc == 0) {
		rc = arn ? take_arn(answer, arn, err) : 0;
		cJSON_Delete(answer);
		return rc;
	}
	if (tolerated && sm_error_is(&e, tolerated)) {
		sm_error_free(&e);
		return 1;
	}
	*err = xasprintf("%s failed: %s", action, e.message ? e.message : "out of memory");
	sm_error_free(&e);
	return -1;
}

static cJSON *
tag_request(const creds_input *in, const char *name)
{
	cJSON *d = cJSON_CreateObject(), *t = tags(in);

	if (d == NULL || t == NULL || !cJSON_AddStringToObject(d, "SecretId", name)) {
		cJSON_Delete(d);
		cJSON_Delete(t);
		return NULL;
	}
	cJSON_AddItemToObject(d, "Tags", t);
	return d;
}

/* PutSecretValue, then TagResource (the expiry moved); 0, 1 (no such secret), -1. */
static int
update(const creds_input *in, const char *name, const char *token, long timeout_ms, char **arn, char **err)
{
	int rc = call("PutSecretValue", value_request(in, name, token, 0), timeout_ms, "ResourceNotFoundException",
		      arn, err);

	if (rc != 0)
		return rc;
	if (call("TagResource", tag_request(in, name), timeout_ms, NULL, NULL, err) < 0) {
		free(*arn);
		*arn = NULL;
		return -1;
	}
	return 0;
}

static int
create(const creds_input *in, const char *name, const char *token, long timeout_ms, char **arn, char **err)
{
	return call("CreateSecret", value_request(in, name, token, 1), timeout_ms, "ResourceExistsException", arn,
		    err);
}

int
creds_store(const creds_input *in, long timeout_ms, char **name, char **arn, char **err)
{
	const char *why;
	char *prefix = creds_prefix(&why);
	char token[37];
	int rc;

	*name = *arn = *err = NULL;
	if (prefix == NULL) {
		*err = strdup(why ? why : "out of memory");
		return -1;
	}
	*name = creds_secret_name(prefix, in->email, in->run_srn);
	free(prefix);
	if (*name == NULL || request_token(token) < 0) {
		*err = strdup(*name ? "no random bytes for the request token" : "out of memory");
		return -1;
	}
	/* a replay finds the secret of the first escalate; a first escalate may
	 * find one left by an earlier attempt */
	if (in->replay) {
		rc = update(in, *name, token, timeout_ms, arn, err);
		if (rc == 1)
			rc = create(in, *name, token, timeout_ms, arn, err);
	} else {
		rc = create(in, *name, token, timeout_ms, arn, err);
		if (rc == 1)
			rc = update(in, *name, token, timeout_ms, arn, err);
	}
	if (rc == 1 && *err == NULL)
		*err = xasprintf("secret %s changed while it was being stored", *name);
	return rc == 0 ? 0 : -1;
}

static int
delete_secret(const char *name, long timeout_ms, char **err)
{
	cJSON *d = cJSON_CreateObject();

	if (d != NULL && (!cJSON_AddStringToObject(d, "SecretId", name) ||
			  !cJSON_AddBoolToObject(d, "ForceDeleteWithoutRecovery", 1))) {
		cJSON_Delete(d);
		d = NULL;
	}
	return call("DeleteSecret", d, timeout_ms, "ResourceNotFoundException", NULL, err);
}

int
creds_delete(const char *email, const char *run_srn, long timeout_ms, char **name, char **err)
{
	const char *why;
	char *prefix = creds_prefix(&why);

	*name = *err = NULL;
	if (prefix == NULL) {
		*err = strdup(why ? why : "out of memory");
		return -1;
	}
	*name = creds_secret_name(prefix, email, run_srn);
	free(prefix);
	if (*name == NULL) {
		*err = strdup("out of memory");
		return -1;
	}
	return delete_secret(*name, timeout_ms, err);
}

/* The value of tag `key` of a ListSecrets entry, or NULL. */
static const char *
tag_value(const cJSON *secret, const char *key)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(secret, "Tags"))
	{
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key"), *v = cJSON_GetObjectItemCaseSensitive(t, "Value");

		if (cJSON_IsString(k) && cJSON_IsString(v) && strcmp(k->valuestring, key) == 0)
			return v->valuestring;
	}
	return NULL;
}

static cJSON *
list_request(const char *prefix, const char *next)
{
	cJSON *d = cJSON_CreateObject(), *filters = cJSON_AddArrayToObject(d, "Filters"), *f = cJSON_CreateObject();
	char *value = xasprintf("%s/", prefix);
	const char *values[1] = {value};
	cJSON *va = value ? cJSON_CreateStringArray(values, 1) : NULL;

	if (d == NULL || filters == NULL || f == NULL || va == NULL || !cJSON_AddStringToObject(f, "Key", "name") ||
	    !cJSON_AddNumberToObject(d, "MaxResults", 100) || (next && !cJSON_AddStringToObject(d, "NextToken", next))) {
		cJSON_Delete(d);
		cJSON_Delete(f);
		cJSON_Delete(va);
		free(value);
		return NULL;
	}
	cJSON_AddItemToObject(f, "Values", va);
	cJSON_AddItemToArray(filters, f);
	free(value);
	return d;
}

/* Adds the names of one ListSecrets page's expired secrets to due; 0, or -1
 * when memory ran out. */
static int
collect_page(const cJSON *page, const char *prefix, long long now, cJSON *due, int *kept)
{
	size_t plen = strlen(prefix);
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(page, "SecretList"))
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "Name");
		long long exp;

		/* the name filter is a case-insensitive prefix match: check it again */
		if (!cJSON_IsString(n) || strncmp(n->valuestring, prefix, plen) != 0 || n->valuestring[plen] != '/')
			continue;
		exp = creds_parse_time(tag_value(s, CREDS_TAG_EXPIRES));
		if (exp < 0 || exp > now)
			(*kept)++;
		else if (!cJSON_AddItemToArray(due, cJSON_CreateString(n->valuestring)))
			return -1;
	}
	return 0;
}

/* Lists every page first, then deletes: deleting between pages could make the
 * listing skip secrets. 0; 1 when listing is not permitted at all (nothing to
 * sweep); or -1 with *err. */
static int
list_due(const char *prefix, long long now, long timeout_ms, cJSON *due, int *kept, char **err)
{
	char *next = NULL;
	int rc = 0;

	for (int page = 0; page < SWEEP_MAX_PAGES && rc == 0; page++) {
		cJSON *answer = NULL, *req = list_request(prefix, next);
		const cJSON *nt;
		sm_error e;

		rc = sm_call("ListSecrets", req, timeout_ms, &answer, &e);
		cJSON_Delete(req);
		free(next);
		next = NULL;
		if (rc < 0 && page == 0 && sm_error_is(&e, "AccessDeniedException")) {
			/* The function's role has no Secrets Manager rights: Terraform
			 * gives them only while a temporary_user role exists. */
			log_info("sweep: not allowed to list secrets (%s): temporary users are not enabled for this function, no secrets swept",
				 e.message ? e.message : "AccessDeniedException");
			sm_error_free(&e);
			rc = 1;
			break;
		}
		if (rc < 0) {
			*err = xasprintf("ListSecrets failed: %s", e.message ? e.message : "out of memory");
			sm_error_free(&e);
			break;
		}
		if ((rc = collect_page(answer, prefix, now, due, kept)) < 0)
			*err = strdup("out of memory");
		nt = cJSON_GetObjectItemCaseSensitive(answer, "NextToken");
		if (rc == 0 && cJSON_IsString(nt) && *nt->valuestring && (next = strdup(nt->valuestring)) == NULL)
			rc = -1;
		cJSON_Delete(answer);
		if (next == NULL)
			break;
	}
	free(next);
	return rc;
}

int
creds_sweep(long timeout_ms, int *deleted, int *kept, char **err)
{
	const char *why;
	char *prefix = creds_prefix(&why);
	cJSON *due = cJSON_CreateArray();
	const cJSON *n;
	int rc = -1;

	*deleted = *kept = 0;
	*err = NULL;
	if (prefix == NULL || due == NULL)
		*err = strdup(prefix == NULL && why ? why : "out of memory");
	else if ((rc = list_due(prefix, (long long) time(NULL), timeout_ms, due, kept, err)) == 0) {
		cJSON_ArrayForEach(n, due)
		{
			if (delete_secret(n->valuestring, timeout_ms, err) < 0) {
				rc = -1;
				break;
			}
			log_info("sweep: deleted expired secret %s", n->valuestring);
			(*deleted)++;
		}
	}
	cJSON_Delete(due);
	free(prefix);
	return rc;
}

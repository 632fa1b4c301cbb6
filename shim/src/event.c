/* Sym event -> shim_request. Every field the shim reads is checked for presence
 * and type, with a message that names the field; nothing here touches the
 * database or decides policy. */
#define _GNU_SOURCE
#include "event.h"
#include "util.h"

#include <cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sym events are about five levels deep; anything past this is refused before
 * the recursive parser sees it. */
#define MAX_DEPTH 64

static const char *
type_name(const cJSON *it)
{
	if (cJSON_IsString(it))
		return "a string";
	if (cJSON_IsNumber(it))
		return "a number";
	if (cJSON_IsObject(it))
		return "an object";
	if (cJSON_IsArray(it))
		return "an array";
	if (cJSON_IsBool(it))
		return "a boolean";
	if (cJSON_IsNull(it))
		return "null";
	return "invalid";
}

/* Walks a dotted path of object keys. Returns the item, or NULL: with *err set when
 * something is wrong (or missing and required), with *err NULL when merely absent.
 * want: one of cJSON_String/cJSON_Object/0 (any). */
static const cJSON *
get_path(const cJSON *root, const char *path, int want, int required, char **err)
{
	char prefix[128];
	const cJSON *cur = root;
	const char *p = path;

	*err = NULL;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t) (dot - p) : strlen(p);
		char key[64];

		snprintf(key, sizeof key, "%.*s", (int) n, p);
		snprintf(prefix, sizeof prefix, "%.*s", (int) (p - path + n), path);
		cur = cJSON_GetObjectItemCaseSensitive(cur, key);
		if (cur == NULL || (cJSON_IsNull(cur) && !required)) {
			if (required)
				*err = xasprintf("missing field %s", prefix);
			return NULL;
		}
		if (dot != NULL && !cJSON_IsObject(cur)) {
			*err = xasprintf("field %s must be an object, not %s", prefix, type_name(cur));
			return NULL;
		}
		p = dot ? dot + 1 : p + n;
	}
	if (want == cJSON_String && !cJSON_IsString(cur)) {
		*err = xasprintf("field %s must be a string, not %s", path, type_name(cur));
		return NULL;
	}
	if (want == cJSON_Object && !cJSON_IsObject(cur)) {
		*err = xasprintf("field %s must be an object, not %s", path, type_name(cur));
		return NULL;
	}
	return cur;
}

/* An identifier (role, e-mail, srn, id): present when required, non-empty, at most
 * max bytes. Identifiers are never cut. */
static const char *
get_ident(const cJSON *root, const char *path, int required, size_t max, char **err)
{
	const cJSON *it = get_path(root, path, cJSON_String, required, err);
	size_t len;

	if (it == NULL)
		return NULL;
	len = strlen(it->valuestring);
	if (len == 0) {
		*err = xasprintf("field %s must not be empty", path);
		return NULL;
	}
	if (len > max) {
		*err = xasprintf("field %s is %zu bytes; the limit is %zu and names are never truncated",
				 path, len, max);
		return NULL;
	}
	return it->valuestring;
}

/* Scans raw JSON text outside the parser: the maximum nesting depth (outside
 * strings) and whether any string holds an escaped NUL (\u0000), which cJSON
 * would silently turn into a shorter C string. */
static void
raw_scan(const char *s, size_t len, int *max_depth, int *escaped_nul)
{
	int depth = 0, in_str = 0;

	*max_depth = 0;
	*escaped_nul = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\') {
				if (i + 5 < len + 0 && s[i + 1] == 'u' && s[i + 2] == '0' && s[i + 3] == '0' &&
				    s[i + 4] == '0' && s[i + 5] == '0')
					*escaped_nul = 1;
				i++;
			} else if (c == '"')
				in_str = 0;
		} else if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > *max_depth)
				*max_depth = depth;
		} else if (c == '}' || c == ']')
			depth--;
	}
}

int
duration_from_number(double v, char *out, size_t outlen, const char **why)
{
	if (!isfinite(v) || v != floor(v)) {
		*why = "must be a whole number of seconds";
		return 1;
	}
	if (fabs(v) > 1e12) {
		*why = "is out of range";
		return 1;
	}
	snprintf(out, outlen, "%lld seconds", (long long) v);
	return 0;
}

int
duration_from_string(const char *s, char *out, size_t outlen, const char **why)
{
	long long months = 0, days = 0, secs = 0;
	int parts = 0;
	const char *p = s;

	while (isspace((unsigned char) *p))
		p++;
	if (*p == '\0') {
		*why = "is empty";
		return 1;
	}
	while (*p) {
		long long n = 0;
		int digits = 0;

		if (!isdigit((unsigned char) *p)) {
			*why = "must be a number of seconds or a number with a unit s, m, h, d or mo (e.g. \"30m\", \"1h30m\")";
			return 1;
		}
		while (isdigit((unsigned char) *p)) {
			if (++digits > 9) {
				*why = "is out of range";
				return 1;
			}
			n = n * 10 + (*p++ - '0');
		}
		while (isspace((unsigned char) *p))
			p++;
		if (strncasecmp(p, "mo", 2) == 0) {
			months += n;
			p += 2;
		} else if (*p == 's' || *p == 'S') {
			secs += n;
			p++;
		} else if (*p == 'm' || *p == 'M') {
			secs += n * 60;
			p++;
		} else if (*p == 'h' || *p == 'H') {
			secs += n * 3600;
			p++;
		} else if (*p == 'd' || *p == 'D') {
			days += n;
			p++;
		} else if (*p == '\0' && parts == 0) {
			secs += n; /* a bare number: seconds, as the numeric form */
		} else {
			*why = "must be a number of seconds or a number with a unit s, m, h, d or mo (e.g. \"30m\", \"1h30m\")";
			return 1;
		}
		if (++parts > 5) {
			*why = "has too many parts";
			return 1;
		}
		while (isspace((unsigned char) *p))
			p++;
	}
	/* Each part is below 1e9, but five of them can add up past what an interval
	 * holds (months and days are int32, the time int64 microseconds), and the
	 * database would answer the cast with an error instead of a denial. The top
	 * values stay off PostgreSQL 17's infinity. */
	if (months >= INT32_MAX || days >= INT32_MAX || secs >= INT64_MAX / 1000000) {
		*why = "is out of range";
		return 1;
	}
	snprintf(out, outlen, "%lld months %lld days %lld seconds", months, days, secs);
	return 0;
}

char *
cut_text(const char *s, size_t max, int *cut)
{
	static const char ellipsis[] = "…"; /* 3 bytes in UTF-8 */
	size_t len = strlen(s), keep;
	char *r;

	*cut = 0;
	if (len <= max)
		return strdup(s);
	*cut = 1;
	keep = utf8_prefix(s, len, max - (sizeof ellipsis - 1));
	r = malloc(keep + sizeof ellipsis);
	if (r == NULL)
		return NULL;
	memcpy(r, s, keep);
	memcpy(r + keep, ellipsis, sizeof ellipsis);
	return r;
}

void
request_free(shim_request *req)
{
	free(req->role);
	free(req->email);
	free(req->duration);
	free(req->context);
	free(req->run_srn);
	memset(req, 0, sizeof *req);
}

static int
is_sweep(const cJSON *root)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");

	return (cJSON_IsString(src) && strcmp(src->valuestring, "aws.events") == 0) ||
	       (cJSON_IsString(type) && strcmp(type->valuestring, "sweep") == 0);
}

/* Adds key: value to the context when value is not NULL; -1 on OOM. */
static int
ctx_add(cJSON *ctx, const char *key, const char *value)
{
	if (value == NULL)
		return 0;
	return cJSON_AddStringToObject(ctx, key, value) ? 0 : -1;
}

int
event_parse(const char *buf, size_t len, shim_request *req, char **err)
{
	cJSON *root = NULL, *ctx = NULL;
	const char *end = NULL, *nul;
	const char *type, *role, *email, *srn, *approver = NULL, *event_id = NULL;
	const cJSON *it;
	char *reason = NULL;
	size_t bad, i;
	int depth, escaped_nul, rc = 1;

	memset(req, 0, sizeof *req);
	*err = NULL;

	for (i = 0; i < len && isspace((unsigned char) buf[i]); i++)
		;
	if (i == len) {
		*err = strdup("event is empty");
		goto out;
	}
	if (len > SHIM_EVENT_MAX) {
		*err = xasprintf("event is larger than the limit of %u bytes", SHIM_EVENT_MAX);
		goto out;
	}
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		*err = xasprintf("event contains a NUL byte (at byte %zu)", (size_t) (nul - buf));
		goto out;
	}
	if (!utf8_valid(buf, len, &bad)) {
		*err = xasprintf("event is not valid UTF-8 (at byte %zu)", bad);
		goto out;
	}
	raw_scan(buf, len, &depth, &escaped_nul);
	if (depth > MAX_DEPTH) {
		*err = xasprintf("event is nested more than %d levels deep", MAX_DEPTH);
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL) {
		*err = xasprintf("event is not valid JSON (error near byte %zu)",
				 end ? (size_t) (end - buf) : (size_t) 0);
		goto out;
	}
	for (i = (size_t) (end - buf); i < len && isspace((unsigned char) buf[i]); i++)
		;
	if (i < len) {
		*err = xasprintf("event is not valid JSON (unexpected data after the value at byte %zu)", i);
		goto out;
	}
	if (escaped_nul) {
		*err = strdup("event contains an escaped NUL character (\\u0000), which no PostgreSQL text can hold");
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		*err = xasprintf("event must be a JSON object, not %s", type_name(root));
		goto out;
	}

	if (is_sweep(root)) {
		req->kind = REQ_SWEEP;
		rc = 0;
		goto out;
	}

	if ((it = get_path(root, "event.type", cJSON_String, 1, err)) == NULL)
		goto out;
	type = it->valuestring;
	if (strcmp(type, "escalate") == 0)
		req->kind = REQ_GRANT;
	else if (strcmp(type, "deescalate") == 0)
		req->kind = REQ_REVOKE;
	else {
		char *q = quote_for_message(type, 64);

		*err = q ? xasprintf("unknown event type \"%s\" (expected escalate, deescalate or a sweep)", q)
			 : NULL;
		free(q);
		if (*err == NULL)
			rc = -1;
		goto out;
	}

	if ((role = get_ident(root, "fields.target.name", 1, SHIM_TEXT_MAX, err)) == NULL)
		goto out;
	if ((email = get_ident(root, "run.actors.request.username", 1, SHIM_TEXT_MAX, err)) == NULL)
		goto out;
	if ((srn = get_ident(root, "run.srn", 1, SHIM_TEXT_MAX, err)) == NULL)
		goto out;
	approver = get_ident(root, "run.actors.approve.username", 0, SHIM_TEXT_MAX, err);
	if (*err)
		goto out;
	event_id = get_ident(root, "id", 0, SHIM_TEXT_MAX, err);
	if (*err)
		goto out;
	it = get_path(root, "fields.reason", cJSON_String, 0, err);
	if (*err)
		goto out;
	if (it != NULL && (reason = cut_text(it->valuestring, SHIM_TEXT_MAX, &req->reason_cut)) == NULL) {
		rc = -1;
		goto out;
	}

	if (req->kind == REQ_GRANT) {
		char interval[96];
		const char *why = NULL;
		int bad_duration = 0;

		it = get_path(root, "fields.duration", 0, 0, err);
		if (*err)
			goto out;
		if (it == NULL)
			;
		else if (cJSON_IsNumber(it))
			bad_duration = duration_from_number(it->valuedouble, interval, sizeof interval, &why);
		else if (cJSON_IsString(it))
			bad_duration = duration_from_string(it->valuestring, interval, sizeof interval, &why);
		else {
			bad_duration = 1;
			why = cJSON_IsObject(it) ? "must be a number or a string, not an object"
			      : cJSON_IsArray(it) ? "must be a number or a string, not an array"
						  : "must be a number or a string, not a boolean";
		}
		if (bad_duration) {
			*err = xasprintf("field fields.duration %s", why);
			goto out;
		}
		if (it != NULL && (req->duration = strdup(interval)) == NULL) {
			rc = -1;
			goto out;
		}
	}

	/* The context as the database prints it must stay under SHIM_CONTEXT_MAX;
	 * escapes can make text longer than its bytes, so measure and, if needed,
	 * cut the reason further. Identifiers are never cut. */
	for (size_t reason_max = SHIM_TEXT_MAX;;) {
		size_t clen;

		cJSON_Delete(ctx);
		free(req->context);
		req->context = NULL;
		ctx = cJSON_CreateObject();
		if (ctx == NULL || ctx_add(ctx, "run_srn", srn) || ctx_add(ctx, "requester", email) ||
		    ctx_add(ctx, "approver", approver) || ctx_add(ctx, "reason", reason) ||
		    ctx_add(ctx, "event_id", event_id) || ctx_add(ctx, "event_type", type) ||
		    (req->context = cJSON_PrintUnformatted(ctx)) == NULL) {
			rc = -1;
			goto out;
		}
		/* + 4 bytes a key: the database prints ": " and ", " separators */
		clen = strlen(req->context) + 4 * 6;
		if (clen <= SHIM_CONTEXT_MAX)
			break;
		if (reason == NULL || reason_max <= 16) {
			*err = xasprintf("the event's identifiers make a context of %zu bytes, over the limit of %u",
					 clen, SHIM_CONTEXT_MAX);
			goto out;
		}
		reason_max = clen - SHIM_CONTEXT_MAX >= reason_max - 16 ? 16 : reason_max - (clen - SHIM_CONTEXT_MAX);
		free(reason);
		reason = cut_text(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "fields"),
								   "reason")->valuestring,
				  reason_max, &req->reason_cut);
		if (reason == NULL) {
			rc = -1;
			goto out;
		}
	}
	if ((req->role = strdup(role)) == NULL || (req->email = strdup(email)) == NULL ||
	    (req->run_srn = strdup(srn)) == NULL) {
		rc = -1;
		goto out;
	}
	rc = 0;

out:
	if (rc == 1 && *err == NULL)
		rc = -1; /* the message itself could not be allocated */
	if (rc != 0)
		request_free(req);
	free(reason);
	cJSON_Delete(ctx);
	cJSON_Delete(root);
	return rc;
}

/* Unit tests of the pure parts (no database, no network): event mapping,
 * durations, cutting free text, UTF-8 checks, the context size limit.
 * Prints "PASS name" / "FAIL name" lines; exit status 1 when any failed. */
#define _GNU_SOURCE
#include "creds.h"
#include "event.h"
#include "sm.h"
#include "util.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed, passed;

static void
check(int cond, const char *name)
{
	printf("%s %s\n", cond ? "PASS" : "FAIL", name);
	if (cond)
		passed++;
	else
		failed++;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	buf_t b = {0};
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return b.data;
}

static const char *
ctx_get(const shim_request *r, const char *key, cJSON **doc)
{
	const cJSON *v;

	*doc = cJSON_Parse(r->context);
	v = cJSON_GetObjectItemCaseSensitive(*doc, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* parse a string event, expecting an error containing want */
static void
expect_error(const char *ev, const char *want, const char *name)
{
	shim_request r;
	char *err = NULL;
	int rc = event_parse(ev, strlen(ev), &r, &err);

	check(rc == 1 && err && strstr(err, want), name);
	if (!(rc == 1 && err && strstr(err, want)))
		printf("  got rc=%d err=%s\n", rc, err ? err : "(null)");
	free(err);
	if (rc == 0)
		request_free(&r);
}

static void
test_fixtures(const char *dir)
{
	char path[512];
	shim_request r;
	char *ev, *err = NULL;
	size_t len;
	cJSON *doc;

	snprintf(path, sizeof path, "%s/sym-escalate.json", dir);
	ev = slurp(path, &len);
	check(event_parse(ev, len, &r, &err) == 0, "escalate fixture parses");
	check(r.kind == REQ_GRANT, "escalate maps to grant");
	check(r.role && strcmp(r.role, "readonly") == 0, "role from fields.target.name");
	check(r.email && strcmp(r.email, "sym-user@healthy-health.co") == 0, "requester email");
	check(r.duration && strcmp(r.duration, "30 seconds") == 0, "duration 30 -> 30 seconds");
	check(strcmp(ctx_get(&r, "run_srn", &doc), "healthy-health:run:postgres:2.0.0:2b1befa5-caf5-4ac3-8509-64732c15cb7d") == 0,
	      "context run_srn");
	cJSON_Delete(doc);
	check(strcmp(ctx_get(&r, "approver", &doc), "sym-implementer@healthy-health.co") == 0, "context approver");
	cJSON_Delete(doc);
	check(strcmp(ctx_get(&r, "reason", &doc), "Fix Ticket 123") == 0, "context reason");
	cJSON_Delete(doc);
	check(strcmp(ctx_get(&r, "event_id", &doc), "38ddcda0-2589-4922-88ce-f5fe4224c51c") == 0, "context event_id");
	cJSON_Delete(doc);
	check(strcmp(ctx_get(&r, "event_type", &doc), "escalate") == 0, "context event_type");
	cJSON_Delete(doc);
	request_free(&r);
	free(ev);

	snprintf(path, sizeof path, "%s/sym-deescalate.json", dir);
	ev = slurp(path, &len);
	check(event_parse(ev, len, &r, &err) == 0, "deescalate fixture parses");
	check(r.kind == REQ_REVOKE && r.duration == NULL, "deescalate maps to revoke, no duration");
	check(ctx_get(&r, "reason", &doc) == NULL, "deescalate has no reason");
	cJSON_Delete(doc);
	request_free(&r);
	free(ev);
}

static void
test_durations(void)
{
	char out[96];
	const char *why;
	struct {
		const char *in, *want;
	} ok[] = {
		{"30", "0 months 0 days 30 seconds"},   {"45s", "0 months 0 days 45 seconds"},
		{"15m", "0 months 0 days 900 seconds"}, {"2h", "0 months 0 days 7200 seconds"},
		{"1d", "0 months 1 days 0 seconds"},    {"3mo", "3 months 0 days 0 seconds"},
		{"1h30m", "0 months 0 days 5400 seconds"}, {" 2H ", "0 months 0 days 7200 seconds"},
		{"1mo 2d", "1 months 2 days 0 seconds"},
		/* the largest sums an interval holds (the fuzzer's overflow cases, below) */
		{"999999999mo999999999mo", "1999999998 months 0 days 0 seconds"},
		{"999999999h999999999h", "0 months 0 days 7199999992800 seconds"},
	};
	const char *bad[] = {"", "  ", "abc", "h", "5x", "-5m", "1.5h", "1234567890s", "1s2s3s4s5s6s", "30 s x",
			     /* sums past an interval's fields (found by shim/fuzz) */
			     "999999999mo999999999mo999999999mo", "999999999d999999999d999999999d",
			     "999999999h999999999h999999999h"};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char name[64];
		int rc = duration_from_string(ok[i].in, out, sizeof out, &why);

		snprintf(name, sizeof name, "duration \"%s\"", ok[i].in);
		check(rc == 0 && strcmp(out, ok[i].want) == 0, name);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[64];

		snprintf(name, sizeof name, "duration \"%s\" refused", bad[i]);
		check(duration_from_string(bad[i], out, sizeof out, &why) == 1, name);
	}
	check(duration_from_number(30, out, sizeof out, &why) == 0 && strcmp(out, "30 seconds") == 0, "number 30");
	check(duration_from_number(1.5, out, sizeof out, &why) == 1, "number 1.5 refused");
	check(duration_from_number(1e300, out, sizeof out, &why) == 1, "number 1e300 refused");
	check(duration_from_number(-30, out, sizeof out, &why) == 0, "negative number passed on (the database denies it)");
}

static void
test_cut(void)
{
	char big[3000];
	int cut;
	char *s;

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	s = cut_text(big, SHIM_TEXT_MAX, &cut);
	check(cut && strlen(s) == SHIM_TEXT_MAX && strcmp(s + strlen(s) - 3, "…") == 0, "long reason cut to 1024 bytes with …");
	free(s);
	s = cut_text("short", SHIM_TEXT_MAX, &cut);
	check(!cut && strcmp(s, "short") == 0, "short reason kept");
	free(s);
	/* 2-byte characters: the cut must not split one */
	for (size_t i = 0; i + 2 < sizeof big; i += 2)
		memcpy(big + i, "é", 2);
	big[sizeof big - 1 - (sizeof big - 1) % 2] = '\0';
	s = cut_text(big, SHIM_TEXT_MAX, &cut);
	check(cut && strlen(s) <= SHIM_TEXT_MAX && utf8_valid(s, strlen(s), NULL), "cut keeps UTF-8 valid");
	free(s);
}

static void
test_utf8(void)
{
	check(utf8_valid("héllo €𝄞", strlen("héllo €𝄞"), NULL), "valid UTF-8");
	check(!utf8_valid("\xff", 1, NULL), "0xFF refused");
	check(!utf8_valid("\xc0\xaf", 2, NULL), "overlong refused");
	check(!utf8_valid("\xed\xa0\x80", 3, NULL), "surrogate refused");
	check(!utf8_valid("\xe2\x82", 2, NULL), "truncated sequence refused");
	check(!utf8_valid("\xf4\x90\x80\x80", 4, NULL), "above U+10FFFF refused");
}

static void
test_bad_events(void)
{
	const char *base = "{\"id\":\"x\",\"run\":{\"srn\":\"s\",\"actors\":{\"request\":{\"username\":\"u@x\"}}},"
			   "\"event\":{\"type\":\"escalate\"},\"fields\":{\"target\":{\"name\":\"r\"}%s}}";
	char ev[4096];

	expect_error("", "empty", "empty event");
	expect_error(" \n\t ", "empty", "whitespace-only event");
	expect_error("{\"a\":", "not valid JSON", "truncated JSON");
	expect_error("{} x", "unexpected data", "trailing garbage");
	expect_error("[]", "must be a JSON object", "array event");
	expect_error("{}", "missing field event", "empty object");
	expect_error("{\"event\":{}}", "missing field event.type", "event without type");
	expect_error("{\"event\":1}", "event must be an object", "event is a number");
	expect_error("{\"event\":{\"type\":\"promote\"}}", "unknown event type \"promote\"", "unknown type");
	expect_error("{\"event\":{\"type\":\"x\\u0000y\"}}", "NUL", "escaped NUL");
	expect_error("{\"event\":{\"type\":\"\\ud800\"}}", "not valid JSON", "lone surrogate");
	snprintf(ev, sizeof ev, base, ",\"duration\":true");
	expect_error(ev, "fields.duration must be a number or a string", "boolean duration");
	snprintf(ev, sizeof ev, base, ",\"duration\":\"soon\"");
	expect_error(ev, "fields.duration must be a number", "word duration");
	snprintf(ev, sizeof ev, base, ",\"reason\":[1]");
	expect_error(ev, "fields.reason must be a string", "array reason");
	snprintf(ev, sizeof ev, base, "");
	{
		shim_request r;
		char *err = NULL;

		check(event_parse(ev, strlen(ev), &r, &err) == 0 && r.duration == NULL, "minimal escalate, default duration");
		request_free(&r);
	}
	{
		shim_request r;
		char *err = NULL;
		const char *sw[] = {"{\"type\":\"sweep\"}", "{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\"}"};

		for (int i = 0; i < 2; i++) {
			int rc = event_parse(sw[i], strlen(sw[i]), &r, &err);

			check(rc == 0 && r.kind == REQ_SWEEP, i ? "scheduled event is a sweep" : "type sweep is a sweep");
			request_free(&r);
		}
	}
}

/* A reason of quotes doubles in size when escaped: the context must still fit. */
static void
test_context_limit(void)
{
	buf_t ev = {0};
	shim_request r;
	char *err = NULL;
	char ident[1025];

	memset(ident, 'i', 1024);
	ident[1024] = '\0';
	buf_printf(&ev, "{\"id\":\"%s\",\"run\":{\"srn\":\"%s\",\"actors\":{\"request\":{\"username\":\"%s\"},"
			"\"approve\":{\"username\":\"%s\"}}},\"event\":{\"type\":\"escalate\"},"
			"\"fields\":{\"target\":{\"name\":\"readonly\"},\"reason\":\"",
		   ident, ident, ident, ident);
	for (int i = 0; i < 3000; i++)
		buf_append(&ev, "\\u0001", 6); /* 6 bytes each once escaped */
	buf_append(&ev, "\"}}", 3);
	check(event_parse(ev.data, ev.len, &r, &err) == 0, "escape-heavy reason accepted");
	check(r.context && strlen(r.context) + 24 <= SHIM_CONTEXT_MAX && r.reason_cut, "context cut to the 16 kB limit");
	request_free(&r);
	buf_free(&ev);
}

/* Secret names, the prefix, expiry tags and AWS error answers. */
static void
test_creds(void)
{
	const char *why;
	char *n, *p;
	sm_error e;
	const char *body = "{\"__type\":\"com.amazonaws.secretsmanager#ResourceNotFoundException\","
			   "\"message\":\"Secrets Manager can't find\\nthe secret.\"}";

	n = creds_secret_name("sym-access/fn", "sym-user@healthy-health.co", "healthy-health:run:postgres:2.0.0:2b1b-c");
	check(n && strcmp(n, "sym-access/fn/sym-user@healthy-health.co/2b1b-c") == 0, "secret name: prefix/e-mail/run id");
	free(n);
	n = creds_secret_name("p", "a/../b c\"@x", "run:");
	check(n && strcmp(n, "p/a_.._b_c_@x/run_") == 0, "secret name: '/', space, quote become _ ; no run id keeps the srn");
	free(n);
	setenv("SYM_SHIM_SECRET_PREFIX", "team/x//", 1);
	p = creds_prefix(&why);
	check(p && strcmp(p, "team/x") == 0, "prefix: SYM_SHIM_SECRET_PREFIX, trailing / dropped");
	free(p);
	setenv("SYM_SHIM_SECRET_PREFIX", "bad prefix", 1);
	p = creds_prefix(&why);
	check(p == NULL && why && strstr(why, "SYM_SHIM_SECRET_PREFIX"), "prefix: a space is refused");
	unsetenv("SYM_SHIM_SECRET_PREFIX");
	setenv("AWS_LAMBDA_FUNCTION_NAME", "sym-fn", 1);
	p = creds_prefix(&why);
	check(p && strcmp(p, "sym-access/sym-fn") == 0, "prefix: default sym-access/<function name>");
	free(p);
	unsetenv("AWS_LAMBDA_FUNCTION_NAME");
	check(creds_parse_time("2026-11-30T03:00:00.123456Z") == 1796007600LL, "expiry tag: ISO 8601 UTC with fraction");
	check(creds_parse_time("2026-11-30T03:00:00Z") == 1796007600LL, "expiry tag: without fraction");
	check(creds_parse_time("2026-11-30T03:00:00+02:00") == -1 && creds_parse_time("soon") == -1 &&
		      creds_parse_time(NULL) == -1,
	      "expiry tag: other zones, junk and none are not times");
	check(sm_parse_error(400, body, strlen(body), NULL, &e) == 0 && sm_error_is(&e, "ResourceNotFoundException") &&
		      strchr(e.message, '\n') == NULL && strstr(e.message, "HTTP 400 ResourceNotFoundException"),
	      "AWS error: __type namespace stripped, message on one line");
	sm_error_free(&e);
	check(sm_parse_error(403, "<html>", 6, "InvalidSignatureException:http://internal.amazon.com/", &e) == 0 &&
		      sm_error_is(&e, "InvalidSignatureException"),
	      "AWS error: x-amzn-ErrorType header, suffix stripped");
	sm_error_free(&e);
	check(sm_region_ok("eu-central-1") && !sm_region_ok("eu central") && !sm_region_ok("") &&
		      !sm_region_ok("x.evil.com/"),
	      "region names: [a-z0-9-] only");
}

int
main(int argc, char **argv)
{
	test_fixtures(argc > 1 ? argv[1] : "test/fixtures");
	test_durations();
	test_cut();
	test_utf8();
	test_bad_events();
	test_context_limit();
	test_creds();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

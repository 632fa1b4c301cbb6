#define _GNU_SOURCE
/* Harness: the Runtime API's answer to GET .../invocation/next, fed through the
 * same code as libcurl's callbacks: header lines to http_take_header_line(), the
 * body in chunks to http_take_body(), then runtime_parse_next() (request id,
 * deadline, trace id) and, for a whole body, event_parse() as handle_event()
 * would call it.
 * Input: byte 0 = body chunk size (1..256), byte 1 = body limit (x 64 bytes, 0 =
 * the shim's real limit), then the answer as received: "HTTP/1.1 200 OK\r\n",
 * header lines, an empty line, the body.
 * Properties: no crash, leak or UB; at most HTTP_MAX_HEADERS kept, trimmed; a
 * body is kept whole or flagged truncated within its limit; an accepted
 * invocation's request id is safe in a URL path, its deadline is the header's
 * digits, its trace id printable ASCII. */
#include "fuzz.h"

#include "event.h"
#include "http.h"
#include "runtime.h"
#include "util.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Feeds header lines up to the blank line; returns the offset of the body. */
static size_t
feed_headers(http_response *r, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t) (nl - (p + i)) + 1 : len - i;
		int blank = (n == 1) || (n == 2 && p[i] == '\r');

		int before = r->nheaders;

		require(http_take_header_line(r, p + i, n) == 0);
		/* a line with a NUL byte is no header (strndup would cut it short) */
		require(memchr(p + i, '\0', n) == NULL || r->nheaders <= before);
		i += n;
		if (blank)
			break;
	}
	return i;
}

static void
check_headers(const http_response *r)
{
	require(r->nheaders >= 0 && r->nheaders <= HTTP_MAX_HEADERS);
	for (int i = 0; i < r->nheaders; i++) {
		size_t nl = strlen(r->name[i]), vl = strlen(r->value[i]);
		const char *found = http_header(r, r->name[i]);

		require(nl == 0 || !isspace((unsigned char) r->name[i][nl - 1]));
		require(vl == 0 || (!isspace((unsigned char) r->value[i][0]) &&
				    !isspace((unsigned char) r->value[i][vl - 1])));
		/* the first header of a name wins */
		for (int j = 0; j < i; j++)
			if (strcasecmp(r->name[j], r->name[i]) == 0) {
				require(found == r->value[j]);
				break;
			}
	}
}

static void
check_invocation(const http_response *r, const runtime_invocation *inv)
{
	const char *deadline = http_header(r, "Lambda-Runtime-Deadline-Ms");
	size_t n = strlen(inv->request_id);

	require(n > 0 && n <= 128);
	for (size_t i = 0; i < n; i++)
		require(isalnum((unsigned char) inv->request_id[i]) || strchr("-_.", inv->request_id[i]));
	require(inv->deadline_ms >= 0);
	require((deadline == NULL) == (inv->deadline_ms == 0 && !inv->deadline_ignored));
	if (inv->deadline_ms > 0)
		require(strtoll(deadline, NULL, 10) == inv->deadline_ms);
	if (inv->trace_id != NULL) {
		require(!inv->trace_ignored && strlen(inv->trace_id) <= RUNTIME_TRACE_MAX);
		for (const char *t = inv->trace_id; *t; t++)
			require(*t > 0x20 && *t < 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_response r;
	runtime_invocation inv;
	const char *why = NULL, *text = (const char *) data + 2;
	size_t chunk, max_body, len, at, sent = 0;

	if (size < 2)
		return 0;
	chunk = (size_t) data[0] + 1;
	max_body = data[1] ? (size_t) data[1] * 64 : SHIM_EVENT_MAX;
	len = size - 2;
	memset(&r, 0, sizeof r);
	at = feed_headers(&r, text, len);
	while (at + sent < len && !r.body_truncated) {
		size_t n = len - at - sent < chunk ? len - at - sent : chunk;
		int rc = http_take_body(&r, text + at + sent, n, max_body);

		require(rc == 0 || rc == 1);
		sent += rc == 0 ? n : 0;
	}
	check_headers(&r);
	require(r.body.len <= max_body);
	if (!r.body_truncated) {
		require(r.body.len == len - at);
		require(r.body.len == 0 || (memcmp(r.body.data, text + at, r.body.len) == 0 &&
					    r.body.data[r.body.len] == '\0'));
	}

	if (runtime_parse_next(&r, &inv, &why) == 0) {
		check_invocation(&r, &inv);
		if (!r.body_truncated) {
			shim_request req;
			char *err = NULL;
			int rc = event_parse(r.body.data ? r.body.data : "", r.body.len, &req, &err);

			require(rc == 0 || rc == 1);
			if (rc == 0)
				request_free(&req);
			free(err);
		}
	} else
		require(why != NULL);
	http_response_free(&r);
	return 0;
}

#define _GNU_SOURCE
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static CURL *handle;
static int global_done;

typedef struct {
	http_response *resp;
	size_t max_body;
	int oom;
} sink;

static int
ensure_handle(char **err)
{
	if (handle != NULL)
		return 0;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			*err = strdup("could not initialise libcurl");
			return -1;
		}
		global_done = 1;
	}
	handle = curl_easy_init();
	if (handle == NULL) {
		*err = strdup("could not create a libcurl handle");
		return -1;
	}
	return 0;
}

void
http_cleanup(void)
{
	if (handle != NULL)
		curl_easy_cleanup(handle);
	handle = NULL;
	if (global_done)
		curl_global_cleanup();
	global_done = 0;
}

int
http_take_body(http_response *r, const char *p, size_t len, size_t max_body)
{
	if (len > max_body || r->body.len > max_body - len) {
		r->body_truncated = 1;
		return 1;
	}
	return buf_append(&r->body, p, len) < 0 ? -1 : 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	int rc = http_take_body(s->resp, p, size * n, s->max_body);

	if (rc < 0)
		s->oom = 1;
	return rc == 0 ? size * n : 0; /* 0 aborts the transfer */
}

static void
clear_headers(http_response *r)
{
	for (int i = 0; i < r->nheaders; i++) {
		free(r->name[i]);
		free(r->value[i]);
	}
	r->nheaders = 0;
}

int
http_take_header_line(http_response *r, const char *p, size_t len)
{
	size_t nl, vs, ve;
	const char *colon;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		clear_headers(r); /* a new response (after 100-continue or similar) */
		return 0;
	}
	/* A NUL byte is never valid in a header (RFC 9110), and strndup below would
	 * stop at it: "Lambda-Runtime-Aws-Request-Id\0junk: x" would pass for the
	 * request id, "x \0: y" keep a name with a space. Such lines are dropped. */
	colon = memchr(p, ':', len);
	if (colon == NULL || r->nheaders >= HTTP_MAX_HEADERS || memchr(p, '\0', len) != NULL)
		return 0;
	nl = (size_t) (colon - p);
	while (nl > 0 && isspace((unsigned char) p[nl - 1]))
		nl--;
	vs = (size_t) (colon - p) + 1;
	ve = len;
	while (vs < ve && isspace((unsigned char) p[vs]))
		vs++;
	while (ve > vs && isspace((unsigned char) p[ve - 1]))
		ve--;
	r->name[r->nheaders] = strndup(p, nl);
	r->value[r->nheaders] = strndup(p + vs, ve - vs);
	if (r->name[r->nheaders] == NULL || r->value[r->nheaders] == NULL) {
		free(r->name[r->nheaders]);
		free(r->value[r->nheaders]);
		return -1;
	}
	r->nheaders++;
	return 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;

	if (http_take_header_line(s->resp, p, size * n) < 0) {
		s->oom = 1;
		return 0;
	}
	return size * n;
}

const char *
http_header(const http_response *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->name[i], name) == 0)
			return r->value[i];
	return NULL;
}

void
http_response_free(http_response *r)
{
	clear_headers(r);
	buf_free(&r->body);
	memset(r, 0, sizeof *r);
}

char *
http_escape(const char *s)
{
	char *err = NULL, *e, *r;

	if (ensure_handle(&err) < 0) {
		free(err);
		return NULL;
	}
	e = curl_easy_escape(handle, s, 0);
	if (e == NULL)
		return NULL;
	r = strdup(e);
	curl_free(e);
	return r;
}

const char *
http_ca_bundle(void)
{
	static const char *const known[] = {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
					    "/etc/ssl/cert.pem", NULL};
	const char *v = getenv("SSL_CERT_FILE");

	if (v == NULL || *v == '\0')
		v = getenv("CURL_CA_BUNDLE");
	if (v != NULL && *v != '\0')
		return v;
	for (int i = 0; known[i]; i++)
		if (access(known[i], R_OK) == 0)
			return known[i];
	return NULL;
}

/* Signing and TLS options for one request (the handle was reset before). */
static void
set_signing(const char *url, const http_sigv4 *sig)
{
	if (strncasecmp(url, "https:", 6) == 0) {
		const char *ca = http_ca_bundle();

		curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
		if (ca != NULL)
			curl_easy_setopt(handle, CURLOPT_CAINFO, ca);
	}
	if (sig == NULL)
		return;
	curl_easy_setopt(handle, CURLOPT_AWS_SIGV4, sig->provider);
	/* separate options: no "key:secret" string to build, and a ':' in the secret is harmless */
	curl_easy_setopt(handle, CURLOPT_USERNAME, sig->access_key);
	curl_easy_setopt(handle, CURLOPT_PASSWORD, sig->secret_key);
}

static int perform(const char *method, const char *url, const char *const *headers, const char *body,
		   size_t body_len, long timeout_ms, size_t max_body, const http_sigv4 *sig,
		   http_response *resp, char **err);

int
http_request(const char *method, const char *url, const char *const *headers, const char *body,
	     size_t body_len, long timeout_ms, size_t max_body, http_response *resp, char **err)
{
	return perform(method, url, headers, body, body_len, timeout_ms, max_body, NULL, resp, err);
}

int
http_post_signed(const char *url, const char *const *headers, const char *body, size_t body_len,
		 long timeout_ms, size_t max_body, const http_sigv4 *sig, http_response *resp, char **err)
{
	return perform("POST", url, headers, body, body_len, timeout_ms, max_body, sig, resp, err);
}

static int
perform(const char *method, const char *url, const char *const *headers, const char *body,
	size_t body_len, long timeout_ms, size_t max_body, const http_sigv4 *sig, http_response *resp,
	char **err)
{
	struct curl_slist *hl = NULL, *t;
	sink s = {resp, max_body, 0};
	CURLcode rc;
	int ret = -1;

	memset(resp, 0, sizeof *resp);
	*err = NULL;
	if (ensure_handle(err) < 0)
		return -1;
	curl_easy_reset(handle); /* options only; connections and caches survive */

	/* no "Expect: 100-continue" round trip on POSTs. Not on signed requests:
	 * libcurl 7.88's SigV4 would sign this removal as an empty "expect" header
	 * that is never sent (AWS then refuses the signature); their bodies stay far
	 * below the 1 MB from which libcurl asks for 100-continue. */
	if (sig == NULL && (t = curl_slist_append(hl, "Expect:")) == NULL)
		goto oom;
	if (sig == NULL)
		hl = t;
	for (const char *const *h = headers; h && *h; h++) {
		if ((t = curl_slist_append(hl, *h)) == NULL)
			goto oom;
		hl = t;
	}
	curl_easy_setopt(handle, CURLOPT_URL, url);
	curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(handle, CURLOPT_HEADERDATA, &s);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(handle, CURLOPT_POST, 1L);
		curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_len);
	} else
		curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
	set_signing(url, sig);

	rc = curl_easy_perform(handle);
	if (s.oom)
		goto oom;
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && resp->body_truncated)) {
		*err = xasprintf("%s %s failed: %s", method, url, curl_easy_strerror(rc));
		goto done;
	}
	ret = 0;
	goto done;
oom:
	free(*err);
	*err = strdup("out of memory");
done:
	curl_slist_free_all(hl);
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, NULL);
	/* drop libcurl's copies of the credentials and the pointer to the body now,
	 * not at the next request */
	if (sig != NULL) {
		curl_easy_setopt(handle, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(handle, CURLOPT_PASSWORD, NULL);
		curl_easy_setopt(handle, CURLOPT_AWS_SIGV4, NULL);
	}
	curl_easy_setopt(handle, CURLOPT_POSTFIELDS, NULL);
	if (ret < 0)
		http_response_free(resp);
	return ret;
}

/* A thin layer over one reused libcurl easy handle (kept for the whole process so
 * connections to the Runtime API stay open), used by the runtime loop, the
 * parameter lookup (plain HTTP to local endpoints) and the Secrets Manager
 * client (HTTPS with verified TLS, signed by libcurl's own AWS SigV4). */
#ifndef SHIM_HTTP_H
#define SHIM_HTTP_H

#include "util.h"

#define HTTP_MAX_HEADERS 48

typedef struct {
	long status;
	buf_t body;
	int body_truncated;            /* more than max_body bytes arrived */
	int nheaders;
	char *name[HTTP_MAX_HEADERS];  /* as received; look up with http_header() */
	char *value[HTTP_MAX_HEADERS];
} http_response;

/* method "GET" or "POST"; headers: NULL-terminated "Name: value" list (may be
 * NULL); timeout_ms 0 = no timeout (the Runtime API's next call must have none).
 * Returns 0 when an HTTP answer arrived (any status), -1 with *err otherwise. */
int http_request(const char *method, const char *url, const char *const *headers,
		 const char *body, size_t body_len, long timeout_ms, size_t max_body,
		 http_response *resp, char **err);
/* AWS Signature Version 4, computed by libcurl (CURLOPT_AWS_SIGV4): provider
 * "aws:amz:<region>:<service>", the access key id and the secret access key. */
typedef struct {
	const char *provider;
	const char *access_key;
	const char *secret_key;
} http_sigv4;

/* A POST signed with SigV4 (every header given here is signed too); https URLs
 * are verified against the system's CA bundle (see http_ca_bundle). Same return
 * convention as http_request. */
int http_post_signed(const char *url, const char *const *headers, const char *body, size_t body_len,
		     long timeout_ms, size_t max_body, const http_sigv4 *sig, http_response *resp,
		     char **err);
/* The CA bundle for https: $SSL_CERT_FILE or $CURL_CA_BUNDLE when set, else the
 * first that exists of Debian's, Amazon Linux's / RHEL's and a generic path
 * (libcurl's compiled-in default is Debian's, which a Lambda runtime lacks);
 * NULL to keep libcurl's default. */
const char *http_ca_bundle(void);
/* The pure halves of the libcurl callbacks, exposed for the fuzz harness.
 * One header line as libcurl delivers it ("Name: value\r\n"; a status line
 * "HTTP/..." starts a new response): 0, or -1 when memory ran out. */
int http_take_header_line(http_response *r, const char *p, size_t len);
/* One body chunk: 0 kept, 1 over max_body in all (body_truncated set, chunk
 * dropped), -1 when memory ran out. */
int http_take_body(http_response *r, const char *p, size_t len, size_t max_body);
/* Case-insensitive header lookup; NULL when absent. */
const char *http_header(const http_response *r, const char *name);
void http_response_free(http_response *r);
/* URL-encodes s (malloc'd, NULL on OOM). */
char *http_escape(const char *s);
void http_cleanup(void);

#endif

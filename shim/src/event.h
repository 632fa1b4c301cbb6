/* Sym event -> request mapping. Pure: no I/O, no database. */
#ifndef SHIM_EVENT_H
#define SHIM_EVENT_H

#include <stddef.h>

/* Largest event accepted (Lambda's own synchronous payload limit is 6 MB). */
#define SHIM_EVENT_MAX (6u * 1024u * 1024u)
/* The extension raises on any text argument or context string over 1024 bytes and
 * on a context over 16384 bytes as text. Identifiers over the limit are refused
 * here (never cut); free text (the reason) is cut to fit. Role and user names of
 * 64..1024 bytes go to the database, which denies them (and audits the refusal). */
#define SHIM_TEXT_MAX 1024
#define SHIM_CONTEXT_MAX 16384u

typedef enum { REQ_GRANT, REQ_REVOKE, REQ_SWEEP } req_kind;

typedef struct {
	req_kind kind;
	char *role;     /* fields.target.name */
	char *email;    /* run.actors.request.username (resolved by the database) */
	char *duration; /* interval literal for $3::interval, NULL = role default */
	char *context;  /* jsonb text for the context argument */
	char *run_srn;  /* run.srn (names a temporary user's secret) */
	int reason_cut; /* the reason was shortened to fit */
} shim_request;

/* Parses and validates one event. Returns 0 and fills *req; or 1 with *err set to a
 * malloc'd message for a bad event; or -1 when memory ran out. */
int event_parse(const char *buf, size_t len, shim_request *req, char **err);
void request_free(shim_request *req);

/* Sym duration -> interval literal. Accepts "90", "30s", "15m", "2h", "1d", "1mo"
 * and combinations ("1h30m"), case-insensitive. Returns 0 and writes out, or 1
 * with *why set to a static explanation. */
int duration_from_string(const char *s, char *out, size_t outlen, const char **why);
/* Integer seconds (a JSON number) -> interval literal; same return convention. */
int duration_from_number(double v, char *out, size_t outlen, const char **why);

/* Cuts free text to at most max bytes (valid UTF-8 in, valid UTF-8 out), ending
 * with "…" when cut. Returns a malloc'd string (NULL on OOM); *cut set to 1 when
 * it was shortened. */
char *cut_text(const char *s, size_t max, int *cut);

#endif

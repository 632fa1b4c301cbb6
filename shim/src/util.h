/* Small helpers shared by the shim's modules: a growable byte buffer, UTF-8
 * checks and cutting, and bounded string copies. */
#ifndef SHIM_UTIL_H
#define SHIM_UTIL_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *data;   /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
} buf_t;

/* Appends n bytes; returns 0, or -1 when memory ran out (buffer unchanged). */
int buf_append(buf_t *b, const void *p, size_t n);
/* Appends printf-formatted text; 0 or -1. */
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(buf_t *b);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF),
 * 0 otherwise; *bad_at (if not NULL) gets the offset of the first bad byte. */
int utf8_valid(const char *s, size_t len, size_t *bad_at);

/* The longest prefix of the valid UTF-8 string s (length len) that is at most max
 * bytes and ends on a character boundary. */
size_t utf8_prefix(const char *s, size_t len, size_t max);

/* malloc'd copy of at most max bytes of s (cut on a character boundary, "…" added
 * when cut) for quoting user input in messages. NULL when out of memory. */
char *quote_for_message(const char *s, size_t max);

/* malloc'd printf; NULL when out of memory. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* free() after overwriting the string with zeros (for secrets). */
void free_secret(char *s);

/* Milliseconds since the Unix epoch (wall clock, as Lambda's deadline header). */
long long now_ms(void);

#endif

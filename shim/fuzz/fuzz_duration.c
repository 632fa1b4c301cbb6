#define _GNU_SOURCE
/* Harness: Sym's duration forms -> the interval literal the shim binds to
 * $3::interval. The first byte picks the form: even = a string (the rest, as
 * fields.duration "..." would carry it), odd = a JSON number (the next 8 bytes as
 * a double). Properties: no crash or UB; an accepted duration is a literal that
 * PostgreSQL can hold (months and days in int32, the time in int64 microseconds),
 * non-negative for strings; the string form ignores case; a number is accepted
 * exactly when it is a whole number of at most 1e12 seconds. */
#include "fuzz.h"

#include "event.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define PG_INT32_MAX 2147483647LL
#define PG_MAX_SECONDS (INT64_MAX / 1000000LL)

static void
check_string(const char *s)
{
	char out[96], lower_out[96], *lower = strdup(s);
	const char *why = NULL, *lower_why = NULL;
	long long months, days, secs;
	int n, rc, lower_rc;

	require(lower != NULL);
	rc = duration_from_string(s, out, sizeof out, &why);
	for (char *p = lower; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	lower_rc = duration_from_string(lower, lower_out, sizeof lower_out, &lower_why);
	require(rc == 0 || rc == 1);
	require(rc == lower_rc);
	if (rc == 1) {
		require(why != NULL && lower_why != NULL);
	} else {
		require(strcmp(out, lower_out) == 0);
		require(sscanf(out, "%lld months %lld days %lld seconds%n", &months, &days, &secs, &n) == 3);
		require(out[n] == '\0'); /* nothing cut by the buffer */
		require(months >= 0 && days >= 0 && secs >= 0);
		require(months < PG_INT32_MAX && days < PG_INT32_MAX && secs < PG_MAX_SECONDS);
	}
	free(lower);
}

static void
check_number(double v)
{
	char out[96];
	const char *why = NULL;
	long long secs;
	int n, rc = duration_from_number(v, out, sizeof out, &why);
	int acceptable = isfinite(v) && v == floor(v) && fabs(v) <= 1e12;

	require(rc == (acceptable ? 0 : 1));
	if (rc == 0) {
		require(sscanf(out, "%lld seconds%n", &secs, &n) == 1 && out[n] == '\0');
		require((double) secs == v);
	} else
		require(why != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		double v;

		if (size < 1 + sizeof v)
			return 0;
		memcpy(&v, data + 1, sizeof v);
		check_number(v);
	} else {
		char *s = strndup((const char *) data + 1, size - 1); /* as cJSON hands it over: NUL-terminated */

		require(s != NULL);
		check_string(s);
		free(s);
	}
	return 0;
}

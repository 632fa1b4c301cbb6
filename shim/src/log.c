#define _GNU_SOURCE
#include "log.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static int json_mode;
static int min_level = LOG_INFO;
static char request_id[129];

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int
log_level_from_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_WARN;
	return -1;
}

void
log_init(int json_lines, int level)
{
	json_mode = json_lines;
	min_level = level;
}

void
log_set_request(const char *id)
{
	if (id == NULL)
		request_id[0] = '\0';
	else
		snprintf(request_id, sizeof request_id, "%s", id);
}

static void
timestamp(char *out, size_t n)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (tv.tv_usec / 1000));
}

void
log_msg(int level, const char *fmt, ...)
{
	char ts[96];
	char *msg = NULL;
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	timestamp(ts, sizeof ts);

	if (json_mode) {
		cJSON *o = cJSON_CreateObject();
		char *line = NULL;

		if (o != NULL && cJSON_AddStringToObject(o, "timestamp", ts) &&
		    cJSON_AddStringToObject(o, "level", level_names[level]) &&
		    (request_id[0] == '\0' || cJSON_AddStringToObject(o, "requestId", request_id)) &&
		    cJSON_AddStringToObject(o, "message", msg ? msg : "(out of memory formatting message)"))
			line = cJSON_PrintUnformatted(o);
		if (line != NULL)
			fprintf(stderr, "%s\n", line);
		else
			fprintf(stderr, "{\"level\":\"ERROR\",\"message\":\"out of memory while logging\"}\n");
		free(line);
		cJSON_Delete(o);
	} else {
		fprintf(stderr, "%s sym-access-shim %s%s%s%s: %s\n", ts, level_names[level],
			request_id[0] ? " [" : "", request_id, request_id[0] ? "]" : "",
			msg ? msg : "(out of memory formatting message)");
	}
	fflush(stderr);
	free(msg);
}

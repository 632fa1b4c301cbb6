/* sym-access-shim: Sym's Lambda for the sym_access PostgreSQL extension.
 * Local mode (no AWS_LAMBDA_RUNTIME_API): one event from --event FILE or stdin,
 * the response on stdout; exit 0 (no errors), 1 (errors), 2 (usage/config). */
#define _GNU_SOURCE
#include "db.h"
#include "event.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SHIM_VERSION
#define SHIM_VERSION "0.0.0"
#endif

static void
usage(FILE *f)
{
	fputs("usage: sym-access-shim [--event FILE]\n"
	      "       sym-access-shim --help | --version\n"
	      "\n"
	      "Turns one Sym event (escalate, deescalate, or a sweep) into a call to the\n"
	      "sym_access PostgreSQL extension and prints Sym's response JSON.\n"
	      "\n"
	      "Local mode (AWS_LAMBDA_RUNTIME_API unset): reads the event from FILE, or from\n"
	      "standard input when FILE is '-' or absent; the response goes to standard\n"
	      "output, logs to standard error. Exit status: 0 when errors[] is empty, 1 when\n"
	      "not, 2 on usage or configuration errors.\n"
	      "Lambda mode (AWS_LAMBDA_RUNTIME_API set): serves the Lambda Runtime API.\n"
	      "\n"
	      "Database: libpq's PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, ...\n"
	      "or the aliases PG_HOST, PG_PORT, PG_NAME, PG_USER, PG_PASSWORD. PG_PASSWORD_KEY\n"
	      "names an SSM parameter read through the AWS Parameters and Secrets extension\n"
	      "(SYM_SHIM_SECRETS_URL overrides its base URL). SYM_SHIM_LOG_LEVEL:\n"
	      "debug|info|warn|error; SYM_SHIM_LOG_FORMAT: text|json.\n"
	      "\n"
	      "Temporary users (a role allowed with mode 'temporary_user'): the login's\n"
	      "credentials go to AWS Secrets Manager, signed with AWS_ACCESS_KEY_ID,\n"
	      "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN in AWS_REGION, as secret\n"
	      "<SYM_SHIM_SECRET_PREFIX>/<e-mail>/<run id> (default prefix\n"
	      "sym-access/$AWS_LAMBDA_FUNCTION_NAME); SYM_SHIM_SECRETSMANAGER_URL replaces\n"
	      "the endpoint. The password is never printed.\n",
	      f);
}

/* Reads at most SHIM_EVENT_MAX + 1 bytes (one more shows it is too large). */
static int
read_event(const char *path, buf_t *b, char **err)
{
	FILE *f = stdin;
	char chunk[65536];
	size_t n;

	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "rb");
		if (f == NULL) {
			*err = xasprintf("cannot open %s: %s", path, strerror(errno));
			return -1;
		}
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		size_t room = SHIM_EVENT_MAX + 1 - b->len;

		if (buf_append(b, chunk, n < room ? n : room) < 0) {
			*err = strdup("out of memory");
			break;
		}
		if (b->len > SHIM_EVENT_MAX)
			break;
	}
	if (*err == NULL && ferror(f))
		*err = xasprintf("cannot read %s: %s", path ? path : "standard input", strerror(errno));
	if (f != stdin)
		fclose(f);
	return *err ? -1 : 0;
}

int
main(int argc, char **argv)
{
	const char *event_path = NULL, *api = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *lvl = getenv("SYM_SHIM_LOG_LEVEL"), *fmt = getenv("SYM_SHIM_LOG_FORMAT");
	int lambda = api != NULL && *api != '\0';
	int level = LOG_INFO, json, has_errors = 1, rc;
	char *err = NULL, *out;
	buf_t ev = {0};
	db_t *db;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("sym-access-shim %s\n", SHIM_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--event") == 0 && i + 1 < argc && event_path == NULL) {
			event_path = argv[++i];
		} else if (strncmp(argv[i], "--event=", 8) == 0 && argv[i][8] && event_path == NULL) {
			event_path = argv[i] + 8;
		} else {
			fprintf(stderr, "sym-access-shim: unexpected argument \"%s\"\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	json = lambda;
	if (fmt != NULL && *fmt != '\0') {
		if (strcmp(fmt, "json") == 0)
			json = 1;
		else if (strcmp(fmt, "text") == 0)
			json = 0;
		else
			err = xasprintf("SYM_SHIM_LOG_FORMAT must be text or json, not \"%.20s\"", fmt);
	}
	if (lvl != NULL && *lvl != '\0' && (level = log_level_from_name(lvl)) < 0) {
		level = LOG_INFO;
		if (err == NULL)
			err = xasprintf("SYM_SHIM_LOG_LEVEL must be debug, info, warn or error, not \"%.20s\"", lvl);
	}
	log_init(json, level);
	if (lambda && event_path != NULL && err == NULL)
		err = strdup("--event is for local mode; unset AWS_LAMBDA_RUNTIME_API to use it");

	db = err ? NULL : db_new(lambda, &err);
	if (db == NULL) {
		if (lambda) {
			runtime_init_error(api, "Runtime.ConfigurationError", err ? err : "out of memory");
			http_cleanup();
		} else
			log_error("configuration error: %s", err ? err : "out of memory");
		free(err);
		return 2;
	}

	if (lambda) {
		rc = runtime_loop(api, db);
		db_free(db);
		http_cleanup();
		return rc;
	}

	if (read_event(event_path, &ev, &err) < 0) {
		log_error("%s", err);
		free(err);
		buf_free(&ev);
		db_free(db);
		return 2;
	}
	out = handle_event(db, ev.data ? ev.data : "", ev.len, 0, 1, &has_errors);
	if (out == NULL) {
		out = error_response("internal error: out of memory", 1);
		has_errors = 1;
	}
	if (out != NULL)
		printf("%s\n", out);
	else
		puts("{\"body\":{},\"errors\":[\"internal error: out of memory\"]}");
	fflush(stdout);
	free(out);
	buf_free(&ev);
	db_free(db);
	http_cleanup();
	return has_errors ? 1 : 0;
}

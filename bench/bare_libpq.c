/*
 * The floor the shim is measured against (bench/shim.sh): a bare libpq
 * program that connects the way the shim does and runs the same statements
 * per event (statement_timeout, resolve_user, then grant or revoke), with no
 * event parsing, no Runtime API and no logging.
 *
 *   bare_libpq cold grant|revoke EMAIL ROLE RUN   one event, then exit
 *   bare_libpq warm N EMAIL ROLE RUN              one connection, N events
 *                                                 (grant, revoke, grant, ...),
 *                                                 one line of microseconds each
 *
 * Connection parameters: PG_HOST, PG_PORT, PG_NAME, PG_USER, PG_PASSWORD,
 * as the shim reads them.
 */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The shim's statements (shim/src/db.c), verbatim. */
static const char SQL_TIMEOUT[] = "SELECT pg_catalog.set_config('statement_timeout', $1, false)";
static const char SQL_RESOLVE[] = "SELECT sym_access.resolve_user($1)";
static const char SQL_GRANT[] =
	"SELECT r.outcome, r.role, r.grantee,"
	" pg_catalog.to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	" r.audit_id, r.message"
	" FROM sym_access.grant($1, $2, $3::pg_catalog.interval, $4::pg_catalog.jsonb) AS r";
static const char SQL_REVOKE[] =
	"SELECT r.outcome, r.role, r.grantee,"
	" pg_catalog.to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	" r.audit_id, r.message"
	" FROM sym_access.revoke($1, $2, $3::pg_catalog.jsonb) AS r";

static void
die(PGconn *conn, const char *what)
{
	fprintf(stderr, "bare_libpq: %s: %s", what, PQerrorMessage(conn));
	exit(1);
}

static PGconn *
connect_like_the_shim(void)
{
	const char *keys[] = {"host", "port", "dbname", "user", "password", "application_name",
			      "client_encoding", "gssencmode", "connect_timeout", NULL};
	const char *vals[] = {getenv("PG_HOST"), getenv("PG_PORT"), getenv("PG_NAME"), getenv("PG_USER"),
			      getenv("PG_PASSWORD"), "bare-libpq", "UTF8", "disable", "10", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 0);

	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "connect");
	return conn;
}

static PGresult *
run(PGconn *conn, const char *sql, int n, const char *const *vals, const char *what)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		die(conn, what);
	return r;
}

/* One event: the three statements the shim runs; prints the outcome. */
static void
event(PGconn *conn, int grant, const char *email, const char *role, const char *run_srn, FILE *out)
{
	const char *timeout[1] = {"28000"};
	const char *resolve[1] = {email};
	char context[512];
	PGresult *r;
	char *user;

	snprintf(context, sizeof context,
		 "{\"run_srn\": \"%s\", \"requester\": \"%s\", \"approver\": \"sym-implementer@healthy-health.co\","
		 " \"reason\": \"Fix Ticket 123\", \"event_type\": \"%s\"}",
		 run_srn, email, grant ? "escalate" : "deescalate");
	PQclear(run(conn, SQL_TIMEOUT, 1, timeout, "statement_timeout"));
	r = run(conn, SQL_RESOLVE, 1, resolve, "resolve_user");
	user = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (grant) {
		const char *vals[4] = {role, user, "30 minutes", context};

		r = run(conn, SQL_GRANT, 4, vals, "grant");
	} else {
		const char *vals[3] = {role, user, context};

		r = run(conn, SQL_REVOKE, 3, vals, "revoke");
	}
	if (out)
		fprintf(out, "{\"outcome\": \"%s\", \"username\": \"%s\"}\n", PQgetvalue(r, 0, 0), user);
	PQclear(r);
	free(user);
}

int
main(int argc, char **argv)
{
	PGconn *conn;

	if (argc == 6 && strcmp(argv[1], "cold") == 0) {
		conn = connect_like_the_shim();
		event(conn, strcmp(argv[2], "grant") == 0, argv[3], argv[4], argv[5], stdout);
		PQfinish(conn);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "warm") == 0) {
		int n = atoi(argv[2]);

		conn = connect_like_the_shim();
		for (int i = 0; i < n; i++) {
			struct timespec a, b;

			clock_gettime(CLOCK_MONOTONIC, &a);
			event(conn, i % 2 == 0, argv[3], argv[4], argv[5], NULL);
			clock_gettime(CLOCK_MONOTONIC, &b);
			printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000);
		}
		PQfinish(conn);
		return 0;
	}
	fprintf(stderr, "usage: bare_libpq cold grant|revoke EMAIL ROLE RUN\n"
			"       bare_libpq warm N EMAIL ROLE RUN\n");
	return 2;
}

/* libpq side of the shim. The SQL text is fixed; every value travels as a
 * PQexecParams parameter. */
#define _GNU_SOURCE
#include "db.h"
#include "log.h"
#include "secrets.h"
#include "util.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* statement_timeout when there is no invocation deadline (local mode) */
#define LOCAL_TIMEOUT_MS 30000
/* Lambda's longest timeout is 15 minutes: a deadline further away is a broken
 * header, and statement_timeout (an int of ms) could not even hold some of them. */
#define MAX_TIMEOUT_MS (15L * 60L * 1000L)

struct db {
	PGconn *conn;
	int lambda;
	/* alias values, only used when the libpq variable itself is unset */
	const char *host, *port, *dbname, *user, *password;
	const char *password_key; /* PG_PASSWORD_KEY: SSM parameter name */
	char *secret;             /* cached value fetched through the extension */
	long long deadline_ms;
	long timeout_ms;
	int retries_left;
};

static const char SQL_TIMEOUT[] = "SELECT pg_catalog.set_config('statement_timeout', $1, false)";
static const char SQL_RESOLVE[] = "SELECT sym_access.resolve_user($1)";
/* password through to_jsonb: NULL from an extension whose result type has no
 * such column (1.0.0, or 1.1.0 before temporary users), so one shim serves both */
static const char SQL_GRANT[] =
	"SELECT r.outcome, r.role, r.grantee,"
	" pg_catalog.to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	" r.audit_id, r.message,"
	" pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.->>) 'password'"
	" FROM sym_access.grant($1, $2, $3::pg_catalog.interval, $4::pg_catalog.jsonb) AS r";
static const char SQL_REVOKE[] =
	"SELECT r.outcome, r.role, r.grantee,"
	" pg_catalog.to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	" r.audit_id, r.message, NULL::pg_catalog.text"
	" FROM sym_access.revoke($1, $2, $3::pg_catalog.jsonb) AS r";
static const char SQL_EXPIRE[] = "SELECT sym_access.expire()";

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The alias is used only when the libpq variable is not set. */
static const char *
alias(const char *std, const char *seed)
{
	return env(std) ? NULL : env(seed);
}

static int
valid_ports(const char *s)
{
	/* libpq accepts a comma-separated list for multiple hosts */
	while (*s) {
		long v = 0;
		int digits = 0;

		while (isdigit((unsigned char) *s) && digits < 6) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 5 || v < 1 || v > 65535)
			return 0;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return 0;
	}
	return 1;
}

db_t *
db_new(int lambda, char **err)
{
	db_t *db = calloc(1, sizeof *db);
	const char *port;

	*err = NULL;
	if (db == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	db->lambda = lambda;
	db->host = alias("PGHOST", "PG_HOST");
	db->port = alias("PGPORT", "PG_PORT");
	db->dbname = alias("PGDATABASE", "PG_NAME");
	db->user = alias("PGUSER", "PG_USER");
	db->password = alias("PGPASSWORD", "PG_PASSWORD");
	db->password_key = (env("PGPASSWORD") || env("PG_PASSWORD")) ? NULL : env("PG_PASSWORD_KEY");

	port = env("PGPORT") ? env("PGPORT") : db->port;
	if (port && !valid_ports(port))
		*err = xasprintf("%s=\"%.20s\" is not a port number", env("PGPORT") ? "PGPORT" : "PG_PORT", port);
	else if (db->password_key && !env("AWS_SESSION_TOKEN"))
		*err = strdup("PG_PASSWORD_KEY is set but AWS_SESSION_TOKEN is not; the Parameters and Secrets "
			      "extension needs the session token (set PG_PASSWORD or PGPASSWORD instead when "
			      "running outside Lambda)");
	else if (lambda && !env("PGHOST") && !db->host)
		*err = strdup("no database host: set PG_HOST (or PGHOST)");
	else if (lambda && !env("PGUSER") && !db->user)
		*err = strdup("no database user: set PG_USER (or PGUSER)");
	if (*err) {
		free(db);
		return NULL;
	}
	log_debug("password source: %s",
		  env("PGPASSWORD")   ? "PGPASSWORD"
		  : db->password      ? "PG_PASSWORD"
		  : db->password_key ? "SSM parameter (PG_PASSWORD_KEY)"
				      : "libpq defaults (.pgpass, trust, ...)");
	return db;
}

void
db_free(db_t *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free_secret(db->secret);
	free(db);
}

void
db_result_free(db_result *r)
{
	free(r->outcome);
	free(r->role);
	free(r->grantee);
	free(r->expires_at);
	free(r->message);
	free_secret(r->password);
	memset(r, 0, sizeof *r);
}

/* libpq's messages end in a newline; one line is enough for Sym. */
static char *
one_line(const char *m)
{
	char *s = strdup(m ? m : "unknown error");
	size_t n;

	if (s == NULL)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

static char *
result_error(PGconn *conn, const PGresult *r)
{
	const char *primary, *state, *hint;
	char *m, *msg;

	if (r == NULL) {
		m = one_line(PQerrorMessage(conn));
		msg = m ? xasprintf("database error: %s", m) : NULL;
		free(m);
		return msg;
	}
	primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
	if (primary == NULL) {
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			return strdup("database error: unexpected result shape");
		primary = PQresultErrorMessage(r);
	}
	m = one_line(primary);
	if (m == NULL)
		return NULL;
	msg = xasprintf("database error: %s%s%s%s%s%s", m, state ? " (SQLSTATE " : "", state ? state : "",
			state ? ")" : "", hint ? ". Hint: " : "", hint ? hint : "");
	free(m);
	return msg;
}

static long
remaining_ms(const db_t *db)
{
	return db->deadline_ms ? (long) (db->deadline_ms - now_ms()) : LOCAL_TIMEOUT_MS;
}

/* Applies statement_timeout on the current connection; 0, or -1 leaving a result
 * for the caller to examine in *res (NULL or non-OK). */
static int
apply_timeout(db_t *db, PGresult **res)
{
	char ms[32];
	const char *vals[1] = {ms};

	snprintf(ms, sizeof ms, "%ld", db->timeout_ms);
	*res = PQexecParams(db->conn, SQL_TIMEOUT, 1, NULL, vals, NULL, NULL, 0);
	if (*res != NULL && PQresultStatus(*res) == PGRES_TUPLES_OK) {
		PQclear(*res);
		*res = NULL;
		return 0;
	}
	return -1;
}

#define SESSION_PINS                                                 \
	"-c default_transaction_isolation=read\\ committed"            \
	" -c default_transaction_read_only=off -c default_transaction_deferrable=off"

static int
db_connect(db_t *db, char **err)
{
	const char *keys[13], *vals[13];
	const char *password = db->password;
	char *options;
	char timeout[16];
	PGresult *res = NULL;
	int n = 0;

	if (password == NULL && db->password_key) {
		if (db->secret == NULL) {
			long t = remaining_ms(db) / 2;
			char *serr = NULL;

			if (secrets_get_parameter(db->password_key, t < 1000 ? 1000 : t > 10000 ? 10000 : t,
						  &db->secret, &serr) < 0) {
				*err = xasprintf("could not read the database password: %s", serr ? serr : "out of memory");
				free(serr);
				return -1;
			}
			log_info("database password read from SSM parameter %s (cached)", db->password_key);
		}
		password = db->secret;
	}
#define KV(k, v)                 \
	do {                         \
		if ((v) != NULL) {       \
			keys[n] = (k);       \
			vals[n++] = (v);     \
		}                        \
	} while (0)
	KV("host", db->host);
	KV("port", db->port);
	KV("dbname", db->dbname);
	KV("user", db->user);
	KV("password", password);
	if (!env("PGAPPNAME"))
		KV("application_name", "sym-access-shim");
	if (!env("PGCLIENTENCODING"))
		KV("client_encoding", "UTF8");
	/* sym_access's functions need READ COMMITTED and a writable transaction;
	 * a startup option outranks what the database owner may have set with
	 * ALTER DATABASE ... SET default_transaction_* (PGOPTIONS comes after). */
	options = xasprintf("%s%s%s", SESSION_PINS, env("PGOPTIONS") ? " " : "", env("PGOPTIONS") ? env("PGOPTIONS") : "");
	if (options == NULL) {
		*err = strdup("could not connect to the database: out of memory");
		return -1;
	}
	KV("options", options);
	/* no Kerberos probing on a Lambda; set PGGSSENCMODE to use GSSAPI */
	if (!env("PGGSSENCMODE"))
		KV("gssencmode", "disable");
	if (!env("PGCONNECT_TIMEOUT")) {
		long s = (remaining_ms(db) - 500) / 1000;

		snprintf(timeout, sizeof timeout, "%ld", s < 2 ? 2 : s > 10 ? 10 : s);
		KV("connect_timeout", timeout);
	}
#undef KV
	keys[n] = vals[n] = NULL;

	db->conn = PQconnectdbParams(keys, vals, 0);
	free(options);
	if (db->conn == NULL) {
		*err = strdup("could not connect to the database: out of memory");
		return -1;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		char *m = one_line(PQerrorMessage(db->conn));

		*err = xasprintf("could not connect to the database: %s", m ? m : "out of memory");
		free(m);
		PQfinish(db->conn);
		db->conn = NULL;
		if (db->secret) {
			/* maybe rotated: read it again next time */
			free_secret(db->secret);
			db->secret = NULL;
		}
		return -1;
	}
	log_info("connected to database %s on %s:%s as %s (server %d)", PQdb(db->conn), PQhost(db->conn),
		 PQport(db->conn), PQuser(db->conn), PQserverVersion(db->conn));
	if (apply_timeout(db, &res) < 0) {
		*err = result_error(db->conn, res);
		PQclear(res);
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	return 0;
}

static void
drop_conn(db_t *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
}

int
db_begin(db_t *db, long long deadline_ms, char **err)
{
	long left;

	*err = NULL;
	db->deadline_ms = deadline_ms;
	db->retries_left = 1;
	left = remaining_ms(db);
	if (left < 300) {
		*err = xasprintf("only %ld ms left before the invocation deadline; not calling the database", left);
		return -1;
	}
	if (left > MAX_TIMEOUT_MS)
		left = MAX_TIMEOUT_MS;
	/* leave time to send the answer back: 1 s, or a third when time is short */
	db->timeout_ms = left > 3000 ? left - 1000 : left - left / 3;

	if (db->conn != NULL) {
		PGresult *res = NULL;

		/* Health check: notice a connection the server (or a NAT) closed while
		 * the function was frozen, then confirm with a round trip. */
		if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK) {
			log_warn("database connection was closed while idle; reconnecting");
			drop_conn(db);
		} else if (apply_timeout(db, &res) < 0) {
			if (PQstatus(db->conn) != CONNECTION_OK) {
				char *m = one_line(PQerrorMessage(db->conn));

				log_warn("database connection is broken (%s); reconnecting", m ? m : "?");
				free(m);
				drop_conn(db);
			} else {
				*err = result_error(db->conn, res);
				PQclear(res);
				return -1;
			}
			PQclear(res);
		}
	}
	if (db->conn == NULL && db_connect(db, err) < 0)
		return -1;
	log_debug("statement_timeout set to %ld ms", db->timeout_ms);
	return 0;
}

/* Runs one statement; on a broken connection, reconnects and retries once per
 * invocation (grant and revoke are idempotent per run). */
static PGresult *
run(db_t *db, const char *sql, int n, const char *const *vals, char **err)
{
	*err = NULL;
	for (;;) {
		PGresult *r;

		if (db->conn == NULL && db_connect(db, err) < 0)
			return NULL;
		r = PQexecParams(db->conn, sql, n, NULL, vals, NULL, NULL, 0);
		if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) >= 1)
			return r;
		if (PQstatus(db->conn) != CONNECTION_OK) {
			char *m = one_line(PQerrorMessage(db->conn));

			PQclear(r);
			drop_conn(db);
			if (db->retries_left > 0) {
				db->retries_left--;
				log_warn("database connection lost (%s); reconnecting and retrying once", m ? m : "?");
				free(m);
				continue;
			}
			*err = xasprintf("database connection lost: %s", m ? m : "?");
			free(m);
			return NULL;
		}
		*err = result_error(db->conn, r);
		PQclear(r);
		return NULL;
	}
}

static int
oom(char **err)
{
	if (*err == NULL)
		*err = strdup("out of memory");
	return -1;
}

int
db_resolve_user(db_t *db, const char *email, char **user, char **err)
{
	const char *vals[1] = {email};
	PGresult *r = run(db, SQL_RESOLVE, 1, vals, err);

	*user = NULL;
	if (r == NULL)
		return oom(err);
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		*err = strdup("sym_access.resolve_user returned no user");
		return oom(err);
	}
	*user = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return *user ? 0 : oom(err);
}

static int
read_result(PGresult *r, db_result *out, char **err)
{
	char **dst[] = {&out->outcome, &out->role, &out->grantee, &out->expires_at};

	memset(out, 0, sizeof *out);
	if (PQntuples(r) != 1 || PQnfields(r) != 7) {
		*err = strdup("database error: unexpected result shape from sym_access");
		return oom(err);
	}
	for (int i = 0; i < 4; i++)
		if (!PQgetisnull(r, 0, i) && (*dst[i] = strdup(PQgetvalue(r, 0, i))) == NULL)
			goto fail;
	out->audit_id = PQgetisnull(r, 0, 4) ? 0 : strtoll(PQgetvalue(r, 0, 4), NULL, 10);
	if (!PQgetisnull(r, 0, 5) && (out->message = strdup(PQgetvalue(r, 0, 5))) == NULL)
		goto fail;
	if (!PQgetisnull(r, 0, 6) && (out->password = strdup(PQgetvalue(r, 0, 6))) == NULL)
		goto fail;
	if (out->outcome == NULL) {
		db_result_free(out);
		*err = strdup("database error: sym_access returned no outcome");
		return oom(err);
	}
	return 0;
fail:
	db_result_free(out);
	return oom(err);
}

/* One call returning sym_access.result, read into *out. */
static int
call_result(db_t *db, const char *sql, int n, const char *const *vals, db_result *out, char **err)
{
	PGresult *r = run(db, sql, n, vals, err);
	int rc;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return oom(err);
	rc = read_result(r, out, err);
	/* the clear password of a temporary user: not left in freed memory */
	if (PQntuples(r) == 1 && PQnfields(r) == 7 && !PQgetisnull(r, 0, 6))
		explicit_bzero(PQgetvalue(r, 0, 6), (size_t) PQgetlength(r, 0, 6));
	PQclear(r);
	return rc;
}

void
db_endpoint(db_t *db, const char **host, const char **port, const char **dbname)
{
	*host = db->conn ? PQhost(db->conn) : NULL;
	*port = db->conn ? PQport(db->conn) : NULL;
	*dbname = db->conn ? PQdb(db->conn) : NULL;
}

int
db_grant(db_t *db, const char *role, const char *grantee, const char *duration, const char *context,
	 db_result *out, char **err)
{
	const char *vals[4] = {role, grantee, duration, context};

	return call_result(db, SQL_GRANT, 4, vals, out, err);
}

int
db_revoke(db_t *db, const char *role, const char *grantee, const char *context, db_result *out,
	  char **err)
{
	const char *vals[3] = {role, grantee, context};

	return call_result(db, SQL_REVOKE, 3, vals, out, err);
}

int
db_expire(db_t *db, long long *revoked, char **err)
{
	PGresult *r = run(db, SQL_EXPIRE, 0, NULL, err);

	*revoked = 0;
	if (r == NULL)
		return oom(err);
	if (PQntuples(r) != 1) {
		PQclear(r);
		*err = strdup("database error: unexpected result from sym_access.expire()");
		return oom(err);
	}
	*revoked = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

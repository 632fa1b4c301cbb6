/* The database side: one libpq connection, reused across invocations, checked at
 * the start of each invocation and re-established (once per call) when broken.
 * Every statement goes through PQexecParams with the values as parameters. */
#ifndef SHIM_DB_H
#define SHIM_DB_H

typedef struct db db_t;

/* The fields of sym_access.result (expires_at as ISO 8601 UTC, or NULL).
 * password: a temporary user's clear password (1.1.0 on PostgreSQL 16+), NULL
 * otherwise; db_result_free wipes it. */
typedef struct {
	char *outcome, *role, *grantee, *expires_at, *message, *password;
	long long audit_id;
} db_result;

/* Reads the connection settings from the environment (libpq's PG* variables, with
 * the seed's PG_HOST/PG_PORT/PG_NAME/PG_USER/PG_PASSWORD/PG_PASSWORD_KEY as
 * aliases). Returns NULL with *err set (malloc'd) when they are unusable; lambda
 * selects the stricter checks for a deployed function. */
db_t *db_new(int lambda, char **err);
void db_free(db_t *db);

/* Called at the start of each invocation with its deadline (ms since the epoch, 0
 * = none): health-checks the connection and sets statement_timeout below the
 * remaining time. 0, or -1 with *err. */
int db_begin(db_t *db, long long deadline_ms, char **err);

/* Each returns 0, or -1 with *err set to a message fit for Sym's errors[]. */
int db_resolve_user(db_t *db, const char *email, char **user, char **err);
int db_grant(db_t *db, const char *role, const char *grantee, const char *duration,
	     const char *context, db_result *out, char **err);
int db_revoke(db_t *db, const char *role, const char *grantee, const char *context,
	      db_result *out, char **err);
int db_expire(db_t *db, long long *revoked, char **err);

void db_result_free(db_result *r);

/* Where the connection goes (for a temporary user's secret): host, port and
 * database name as libpq reports them; NULLs when not connected. */
void db_endpoint(db_t *db, const char **host, const char **port, const char **dbname);

#endif

/* A temporary user's credentials in AWS Secrets Manager (SPEC "Temporary users"):
 * one secret per run, named <prefix>/<requester e-mail>/<run id>, tagged
 * sym.user=<e-mail> and sym-access:expires-at=<ISO 8601 UTC>; deleted on
 * deescalate and, once expired, by the sweep. The prefix is
 * $SYM_SHIM_SECRET_PREFIX, default sym-access/$AWS_LAMBDA_FUNCTION_NAME. */
#ifndef SHIM_CREDS_H
#define SHIM_CREDS_H

#define CREDS_TAG_USER "sym.user"
#define CREDS_TAG_EXPIRES "sym-access:expires-at"

typedef struct {
	const char *email;      /* the requester */
	const char *run_srn;    /* the run (its last ':' part is the run id) */
	const char *login;      /* the temporary login's name */
	const char *password;   /* its clear password: goes into SecretString only */
	const char *expires_at; /* ISO 8601 UTC, from the database */
	const char *host, *port, *dbname;
	int replay;             /* outcome extended: update the existing secret first */
} creds_input;

/* Pure: the prefix in force (malloc'd, no trailing '/'), or NULL with *why
 * (static) when SYM_SHIM_SECRET_PREFIX holds characters a secret name cannot. */
char *creds_prefix(const char **why);
/* Pure: <prefix>/<e-mail>/<run id> (malloc'd); characters a secret name cannot
 * hold (and '/') in the e-mail and run id become '_'. NULL when out of memory. */
char *creds_secret_name(const char *prefix, const char *email, const char *run_srn);
/* Pure: seconds since the epoch of an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.f]Z";
 * -1 when it is not one. */
long long creds_parse_time(const char *s);

/* Stores the credentials (CreateSecret, or PutSecretValue + TagResource when the
 * secret exists). 0 with *name and *arn (malloc'd), or -1 with *err. */
int creds_store(const creds_input *in, long timeout_ms, char **name, char **arn, char **err);
/* Deletes the run's secret (ForceDeleteWithoutRecovery). 0 deleted, 1 there was
 * none, -1 with *err. *name (malloc'd) is set whenever it could be built. */
int creds_delete(const char *email, const char *run_srn, long timeout_ms, char **name, char **err);
/* Deletes every secret under the prefix whose expires-at tag has passed
 * (ListSecrets, paginated). 0 with *deleted and *kept; 1 when the function may
 * not list secrets at all (AccessDeniedException: temporary users are not
 * enabled, nothing to sweep, not an error); or -1 with *err (what was deleted
 * before the failure is counted). */
int creds_sweep(long timeout_ms, int *deleted, int *kept, char **err);

#endif

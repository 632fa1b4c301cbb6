/*-------------------------------------------------------------------------
 *
 * sym_access.h
 *	  Shared declarations of the sym_access extension: just-in-time role
 *	  membership with an allow-list, an append-only audit trail and expiry.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYM_ACCESS_H
#define SYM_ACCESS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Role names are identifiers: never truncated, refused when too long. */
#define SYM_NAME_MAX	(NAMEDATALEN - 1)
/* Any free-text argument or context value. */
#define SYM_TEXT_MAX	1024
/* The whole context object, as text. */
#define SYM_CONTEXT_MAX 16384

#define SYM_ROLE_OPERATOR	"sym_access_operator"
#define SYM_ROLE_GRANTOR	"sym_access_grantor"
#define SYM_ROLE_ADMIN		"sym_access_admin"

/* GUCs (module.c) */
extern int	sym_expire_interval;
extern char *sym_database;

/* The understood keys of a call's context (input.c). */
typedef struct SymContext
{
	char	   *run_srn;		/* never NULL: "" when absent */
	char	   *requester;
	char	   *approver;
	char	   *reason;
	char	   *event_id;
	char	   *event_type;
	Jsonb	   *raw;			/* the whole context, kept in audit.detail */
} SymContext;

/* One audit row plus its LOG line (audit.c). */
typedef struct SymAudit
{
	const char *action;
	const char *outcome;
	const char *role_name;
	const char *grantee;
	const SymContext *ctx;		/* may be NULL */
	const Interval *duration;	/* may be NULL */
	TimestampTz expires_at;		/* DT_NOBEGIN when none */
	const char *message;		/* may be NULL */
	StringInfo	extra;			/* JSON object members for detail, or NULL */
} SymAudit;

/* input.c */
extern char *sym_text_arg(FunctionCallInfo fcinfo, int argno, const char *what,
						  bool required);
extern bool sym_name_ok(const char *name, const char *what, char **why);
extern void sym_parse_context(FunctionCallInfo fcinfo, int argno, SymContext *ctx);
extern void sym_require_read_committed(const char *fname);
extern int	sym_interval_cmp(const Interval *a, const Interval *b);
extern bool sym_interval_positive(const Interval *iv);
extern bool sym_interval_mixed_signs(const Interval *iv);
extern double sym_interval_clock_usecs(const Interval *iv, bool longest);
extern TimestampTz sym_now_plus(const Interval *iv);
extern TimestampTz sym_now_minus(const Interval *iv);
extern char *sym_interval_out(const Interval *iv);
extern char *sym_timestamptz_out(TimestampTz ts);

/* policy.c */
extern bool sym_role_is_dangerous(Oid roleid, StringInfo why);
extern bool sym_grantee_is_unfit(Oid granteeid, Oid roleid, StringInfo why);
extern Oid	sym_grantor_oid(void);

/* membership.c */
typedef struct SymMembership
{
	bool		ours;			/* a membership granted by sym_access_grantor */
	bool		outside;		/* a membership granted by anyone else */
} SymMembership;

extern void sym_lock_role(Oid roleid, bool exclusive);
extern void sym_lock_pair(Oid roleid, Oid granteeid);
extern bool sym_try_lock_pair(Oid roleid, Oid granteeid);
extern SymMembership sym_membership(Oid roleid, Oid granteeid);
extern bool sym_grantor_has_admin(Oid roleid);
extern void sym_grant_membership(Oid roleid, Oid granteeid);
extern void sym_revoke_membership(Oid roleid, Oid granteeid);
extern void sym_grant_admin_to_grantor(Oid roleid);
extern void sym_revoke_admin_from_grantor(Oid roleid);
extern bool sym_role_has_backend(Oid roleid);
extern int	sym_terminate_sessions(Oid granteeid);

/* spi.c */
extern int	sym_spi_exec(const char *sql, int nargs, Oid *argtypes, Datum *values,
						 const char *nulls, bool read_only);
extern Oid *sym_spi_oids(int col, uint64 *n);

/* audit.c */
extern int64 sym_audit(const SymAudit *a);
extern void sym_log_line(const char *action, const char *outcome,
						 const char *role, const char *grantee,
						 const char *run, const char *tail);
extern void sym_json_member(StringInfo buf, const char *key, const char *value);
extern void sym_json_member_int(StringInfo buf, const char *key, int64 value);
extern void sym_json_member_raw(StringInfo buf, const char *key, const char *json);
extern Datum sym_result(FunctionCallInfo fcinfo, const char *outcome,
						const char *role, const char *grantee,
						TimestampTz expires_at, int64 audit_id,
						const char *message);
extern Datum sym_result_password(FunctionCallInfo fcinfo, const char *outcome,
								 const char *role, const char *grantee,
								 TimestampTz expires_at, int64 audit_id,
								 const char *message, const char *password);
extern bool sym_purge_in_progress;

/* grant.c: what one grant() or revoke() decided; the audit row and result */
typedef struct SymDecision
{
	const char *outcome;
	char	   *message;
	Oid			roleid;
	Oid			granteeid;
	Interval   *duration;
	TimestampTz expires_at;
	StringInfoData extra;
	char	   *grantee_name;	/* the temporary login, if not the argument */
	char	   *password;		/* a temporary login's clear password */
} SymDecision;

/* The allow-list entry of a role, if any. */
typedef struct SymRolePolicy
{
	bool		found;
	Interval   *default_duration;
	Interval   *max_duration;
	bool		terminate_sessions;
} SymRolePolicy;

/* grant.c: shared by revoke, expire and disallow_role */
typedef struct SymRevocation
{
	const char *outcome;		/* revoked, not_granted */
	char	   *message;
	int			terminated;		/* sessions ended */
	char	   *terminate_error;	/* why ending them failed, or NULL */
	const char *temporary_user; /* dropped, disabled, or NULL */
	char	   *login;			/* the temporary login's name */
	char	   *drop_error;		/* why it could not be dropped */
} SymRevocation;

extern bool sym_revoke_and_terminate(Oid roleid, Oid granteeid,
									 SymRevocation *r);
extern void sym_deny(SymDecision *d, char *message);
extern SymRolePolicy sym_role_policy(Oid roleid);
extern bool sym_run_expiry(Interval *requested, const SymRolePolicy *policy,
						   SymDecision *d, bool *clamped);
extern TimestampTz sym_upsert_run(Oid roleid, Oid granteeid, const char *run_srn,
								  TimestampTz expires_at);

/* tempuser.c */
#define SYM_MODE_MEMBERSHIP		"membership"
#define SYM_MODE_TEMPORARY_USER "temporary_user"
extern void sym_grantor_createrole_sync(void);
extern bool sym_grantor_has_createrole(void);
extern bool sym_tempuser_role(const char *role_name);
extern void sym_tempuser_grant(const char *role_name, const char *base_name,
							   Interval *requested, const SymContext *ctx,
							   SymDecision *d);
extern char *sym_tempuser_revoke_target(const char *role_name,
										const char *grantee_name,
										const SymContext *ctx);
extern bool sym_is_temporary_login(Oid loginid);
extern void sym_tempuser_end(Oid loginid, SymRevocation *r);
extern int	sym_tempuser_retry_drops(Oid roleid, const char *action);

/* guard.c */
extern Oid	sym_extension_owner(void);

/* subxact.c */
extern ErrorData *sym_try(void (*fn) (void *arg), void *arg);

#endif							/* SYM_ACCESS_H */

/*-------------------------------------------------------------------------
 *
 * tempuser.c
 *	  Temporary users (16+): a login made by grant() for one run of a
 *	  temporary_user role, its password, its replay, and its end (dropped,
 *	  or disabled when it owns objects or holds privileges).
 *
 * The clear password exists only in this backend's memory and in the
 * result row: the role is created and altered through CreateRole() and
 * AlterRole() with parse nodes built here, never through SQL text, and it
 * is stored as the SCRAM-SHA-256 verifier that pg_be_scram_build_secret()
 * computes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/user.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "libpq/scram.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "sym_access.h"

/* Our advisory lock tags: membership.c uses 0x5341 and 0x5342. */
#define SYM_LOCK_RUN	0x5343

/* Random bytes in a password: 192 bits, 32 characters of [A-Za-z0-9_-]. */
#define PASSWORD_BYTES	24

/* A login name is the base name, '_', 8 hex digits and maybe "_N". */
#define LOGIN_HASH_LEN	9

/* The sym_access.temporary_login row of a run. */
typedef struct TempLogin
{
	bool		found;
	Oid			login;
	char	   *login_name;
	char	   *base_name;
	bool		disabled;
} TempLogin;

/* False on 1.0.0's schema, before ALTER EXTENSION UPDATE. */
static bool
temporary_login_table_exists(void)
{
	return OidIsValid(get_relname_relid("temporary_login",
										get_namespace_oid("sym_access", false)));
}

/* Does sym_access_grantor hold CREATEROLE right now? */
bool
sym_grantor_has_createrole(void)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(sym_grantor_oid()));
	bool		has;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "sym_access: role sym_access_grantor does not exist");
	has = ((Form_pg_authid) GETSTRUCT(tup))->rolcreaterole;
	ReleaseSysCache(tup);
	return has;
}

/* ALTER ROLE name WITH <option> <value>, as a parse tree. */
static void
alter_role_options(const char *name, List *options)
{
	AlterRoleStmt *stmt = makeNode(AlterRoleStmt);
	RoleSpec   *spec = makeNode(RoleSpec);

	spec->roletype = ROLESPEC_CSTRING;
	spec->rolename = pstrdup(name);
	spec->location = -1;
	stmt->role = spec;
	stmt->options = options;
	stmt->action = 1;
	(void) AlterRole(make_parsestate(NULL), stmt);
	CommandCounterIncrement();
}

/*
 * Give the grantor CREATEROLE while this database has a temporary_user
 * entry or a temporary login that still has to be dropped (dropping a
 * role needs it), and take it away otherwise.  Runs as the extension's
 * owner (allow_role, disallow_role): the grantor cannot change its own
 * attributes.  Caller is SPI-connected.
 */
void
sym_grantor_createrole_sync(void)
{
	bool		isnull;
	bool		wanted;

	if (!temporary_login_table_exists())
		return;
	if (sym_spi_exec("SELECT EXISTS (SELECT FROM sym_access.allowed_role"
					 "                WHERE mode = 'temporary_user')"
					 "    OR EXISTS (SELECT FROM sym_access.temporary_login)",
					 0, NULL, NULL, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the allow-list");
	wanted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (wanted == sym_grantor_has_createrole())
		return;
	alter_role_options(SYM_ROLE_GRANTOR,
					   list_make1(makeDefElem("createrole", (Node *) makeBoolean(wanted), -1)));
}

/*
 * Serialize grant, revoke and replay of one (role, run): two replays must
 * not make two logins, and a revoke racing a replay must not leave one.
 * Taken after the role's lock and before any pair lock.  A hash collision
 * of two runs only makes them wait for each other.
 */
static void
lock_run(Oid roleid, const char *run_srn)
{
	LOCKTAG		tag;
	uint32		h = DatumGetUInt32(hash_any((const unsigned char *) run_srn,
											(int) strlen(run_srn)));

	SET_LOCKTAG_ADVISORY(tag, InvalidOid, roleid, h, SYM_LOCK_RUN);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	AcceptInvalidationMessages();
	InvalidateCatalogSnapshot();
}

static bool
role_is_temporary(Oid roleid)
{
	Oid			argtypes[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(roleid)};

	if (sym_spi_exec("SELECT FROM sym_access.allowed_role"
					 " WHERE role = $1 AND mode = 'temporary_user'",
					 1, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the allow-list");
	return SPI_processed > 0;
}

/* Is role_name on the allow-list in temporary_user mode? */
bool
sym_tempuser_role(const char *role_name)
{
	char	   *why;
	Oid			roleid;

	if (!sym_name_ok(role_name, "role", &why) || !temporary_login_table_exists())
		return false;
	roleid = get_role_oid(role_name, true);
	return OidIsValid(roleid) && role_is_temporary(roleid);
}

/*
 * The run's row; a row whose login was dropped by hand is deleted and not
 * found (the sweep would delete it too).
 */
static TempLogin
find_run_login(Oid roleid, const char *run_srn)
{
	TempLogin	t;
	Oid			argtypes[2] = {REGROLEOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(roleid), CStringGetTextDatum(run_srn)};
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;

	memset(&t, 0, sizeof(t));
	if (sym_spi_exec("SELECT login::oid, login_name, base_name, disabled_at IS NOT NULL"
					 "  FROM sym_access.temporary_login WHERE role = $1 AND run_srn = $2",
					 2, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the temporary logins");
	if (SPI_processed == 0)
		return t;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	t.login = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	t.login_name = SPI_getvalue(tup, desc, 2);
	t.base_name = SPI_getvalue(tup, desc, 3);
	t.disabled = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
	if (GetUserNameFromId(t.login, true) == NULL)
	{
		values[0] = ObjectIdGetDatum(t.login);
		if (sym_spi_exec("DELETE FROM sym_access.temporary_login WHERE login = $1",
						 1, argtypes, values, NULL, false) != SPI_OK_DELETE)
			elog(ERROR, "sym_access: could not update the temporary logins");
		memset(&t, 0, sizeof(t));
		return t;
	}
	t.found = true;
	return t;
}

/*
 * The run's login name: the base name cut on a character boundary, '_',
 * 8 hex digits of hashtext(role_oid::text || '/' || run_srn) (what the
 * pg_tle edition computes), and "_2", "_3", ... while that name is taken;
 * at most 63 bytes.
 */
static char *
login_name_for(const char *base, Oid roleid, const char *run_srn)
{
	char	   *key = psprintf("%u/%s", roleid, run_srn);
	uint32		h = DatumGetUInt32(hash_any((const unsigned char *) key, (int) strlen(key)));

	for (int n = 1;; n++)
	{
		char	   *suffix = n == 1 ? psprintf("_%08x", h) : psprintf("_%08x_%d", h, n);
		int			room = SYM_NAME_MAX - (int) strlen(suffix);
		int			cut = pg_mbcliplen(base, (int) strlen(base), room);
		char	   *name = psprintf("%.*s%s", cut, base, suffix);

		if (!OidIsValid(get_role_oid(name, true)))
			return name;
	}
}

/* 192 random bits as 32 characters of [A-Za-z0-9_-]. */
static char *
new_password(void)
{
	static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8		raw[PASSWORD_BYTES];
	char	   *out = palloc(PASSWORD_BYTES / 3 * 4 + 1);
	int			o = 0;

	if (!pg_strong_random(raw, sizeof(raw)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("sym_access: could not generate a random password")));
	for (int i = 0; i < PASSWORD_BYTES; i += 3)
	{
		uint32		v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];

		for (int k = 3; k >= 0; k--)
			out[o++] = alphabet[(v >> (6 * k)) & 0x3f];
	}
	out[o] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return out;
}

/* VALID UNTIL's text: ISO 8601 in UTC with microseconds, any DateStyle. */
static char *
valid_until_text(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("sym_access: expiry out of range")));
	return psprintf("%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
}

static DefElem *
bool_option(const char *name, bool value)
{
	return makeDefElem(pstrdup(name), (Node *) makeBoolean(value), -1);
}

static DefElem *
string_option(const char *name, const char *value)
{
	return makeDefElem(pstrdup(name), value ? (Node *) makeString(pstrdup(value)) : NULL, -1);
}

/*
 * CREATE ROLE name LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
 * NOREPLICATION NOBYPASSRLS VALID UNTIL ... PASSWORD verifier, as a parse
 * tree: no statement text exists that log_statement, pg_stat_statements
 * or an error's CONTEXT could show.  createrole_self_grant is pinned to ''
 * for the call (a caller could have set it): the grantor gets ADMIN OPTION
 * on the login, never its privileges.
 */
static Oid
create_login(const char *name, const char *verifier, TimestampTz until)
{
	CreateRoleStmt *stmt = makeNode(CreateRoleStmt);
	Oid			loginid;
	int			nestlevel = NewGUCNestLevel();

#if PG_VERSION_NUM >= 160000
	(void) set_config_option("createrole_self_grant", "", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
#endif
	stmt->stmt_type = ROLESTMT_USER;
	stmt->role = pstrdup(name);
	stmt->options = list_make5(bool_option("canlogin", true),
							   bool_option("inherit", true),
							   bool_option("superuser", false),
							   bool_option("createdb", false),
							   bool_option("createrole", false));
	stmt->options = lappend(stmt->options, bool_option("isreplication", false));
	stmt->options = lappend(stmt->options, bool_option("bypassrls", false));
	stmt->options = lappend(stmt->options, string_option("validUntil", valid_until_text(until)));
	stmt->options = lappend(stmt->options, string_option("password", verifier));
	loginid = CreateRole(make_parsestate(NULL), stmt);
	AtEOXact_GUC(true, nestlevel);
	CommandCounterIncrement();
	return loginid;
}

static void
insert_login_row(Oid loginid, const char *login, Oid roleid,
				 const char *run_srn, const char *base)
{
	Oid			argtypes[5] = {REGROLEOID, TEXTOID, REGROLEOID, TEXTOID, TEXTOID};
	Datum		values[5];

	values[0] = ObjectIdGetDatum(loginid);
	values[1] = CStringGetTextDatum(login);
	values[2] = ObjectIdGetDatum(roleid);
	values[3] = CStringGetTextDatum(run_srn);
	values[4] = CStringGetTextDatum(base);
	if (sym_spi_exec("INSERT INTO sym_access.temporary_login"
					 "  (login, login_name, role, run_srn, base_name)"
					 " VALUES ($1, $2, $3, $4, $5)", 5, argtypes, values, NULL, false) != SPI_OK_INSERT)
		elog(ERROR, "sym_access: could not record the temporary login");
}

/* A new login for the run, a member of the role until d->expires_at. */
static void
create_run_login(const char *role_name, const char *base,
				 const SymContext *ctx, SymDecision *d)
{
	char	   *login = login_name_for(base, d->roleid, ctx->run_srn);
	char	   *password = new_password();

	d->granteeid = create_login(login, pg_be_scram_build_secret(password), d->expires_at);
	sym_lock_pair(d->roleid, d->granteeid);
	sym_grant_membership(d->roleid, d->granteeid);
	insert_login_row(d->granteeid, login, d->roleid, ctx->run_srn, base);
	d->expires_at = sym_upsert_run(d->roleid, d->granteeid, ctx->run_srn, d->expires_at);

	d->outcome = "granted";
	d->grantee_name = login;
	d->password = password;
	sym_json_member(&d->extra, "temporary_user", "created");
	sym_json_member(&d->extra, "base_name", base);
	d->message = psprintf("created temporary login \"%s\" with \"%s\" until %s",
						  login, role_name, sym_timestamptz_out(d->expires_at));
}

/*
 * A replay: a fresh password (the old one stops working) and VALID UNTIL
 * moved to the run's expiry, which never shortens.
 */
static void
rotate_run_login(const char *role_name, const TempLogin *t,
				 const SymContext *ctx, SymDecision *d)
{
	char	   *login = GetUserNameFromId(t->login, false);
	char	   *password = new_password();

	d->granteeid = t->login;
	/* Revoked outside sym_access: the run still holds it. */
	if (!sym_membership(d->roleid, t->login).ours)
		sym_grant_membership(d->roleid, t->login);
	d->expires_at = sym_upsert_run(d->roleid, t->login, ctx->run_srn, d->expires_at);
	alter_role_options(login,
					   list_make2(string_option("password", pg_be_scram_build_secret(password)),
								  string_option("validUntil", valid_until_text(d->expires_at))));

	d->outcome = "extended";
	d->grantee_name = login;
	d->password = password;
	sym_json_member(&d->extra, "temporary_user", "rotated");
	sym_json_member(&d->extra, "base_name", t->base_name);
	d->message = psprintf("rotated the password of temporary login \"%s\"; it holds \"%s\" until %s",
						  login, role_name, sym_timestamptz_out(d->expires_at));
}

/* Denials that only temporary users have; NULL when none applies. */
static char *
temporary_denial(const char *role_name, const char *base, const SymContext *ctx)
{
	if (PG_VERSION_NUM < 160000)
		return pstrdup("temporary users need PostgreSQL 16 or later");
	if (ctx->run_srn[0] == '\0')
		return pstrdup("a temporary user needs the run's run_srn");
	if (strncmp(base, "pg_", 3) == 0)
		return pstrdup("role names beginning with pg_ are reserved");
	if (!sym_grantor_has_createrole())
		return psprintf("sym_access_grantor does not hold CREATEROLE (taken away by hand?); run sym_access.allow_role('%s', mode => 'temporary_user') again",
						role_name);
	return NULL;
}

/*
 * grant() for a temporary_user role: the same checks as a membership
 * grant (the grantee is a base name and need not exist), then the run's
 * login is made, or replayed.
 */
void
sym_tempuser_grant(const char *role_name, const char *base,
				   Interval *requested, const SymContext *ctx, SymDecision *d)
{
	char	   *why;
	StringInfoData reason;
	SymRolePolicy policy;
	bool		clamped = false;
	TempLogin	t;

	if (!sym_name_ok(role_name, "role", &why) || !sym_name_ok(base, "grantee", &why))
		return sym_deny(d, why);
	d->roleid = get_role_oid(role_name, true);
	if (!OidIsValid(d->roleid))
		return sym_deny(d, psprintf("role \"%s\" does not exist", role_name));
	sym_lock_role(d->roleid, false);

	policy = sym_role_policy(d->roleid);
	if (!policy.found)
		return sym_deny(d, psprintf("role \"%s\" is not on the sym_access allow-list", role_name));
	if (!role_is_temporary(d->roleid))
		return sym_deny(d, psprintf("role \"%s\" was switched out of temporary_user mode meanwhile; call again",
									role_name));
	initStringInfo(&reason);
	if (sym_role_is_dangerous(d->roleid, &reason))
		return sym_deny(d, psprintf("%s; it cannot be granted while that is so", reason.data));
	if (!sym_run_expiry(requested, &policy, d, &clamped))
		return;
	if (!sym_grantor_has_admin(d->roleid))
		return sym_deny(d, psprintf("sym_access_grantor does not hold ADMIN OPTION on \"%s\" (restored into a new cluster, or revoked by hand); run sym_access.allow_role('%s') again",
									role_name, role_name));
	if ((why = temporary_denial(role_name, base, ctx)) != NULL)
		return sym_deny(d, why);

	lock_run(d->roleid, ctx->run_srn);
	t = find_run_login(d->roleid, ctx->run_srn);
	if (t.found && strcmp(t.base_name, base) != 0 && strcmp(t.login_name, base) != 0)
		return sym_deny(d, psprintf("run %s already has a temporary login for another user", ctx->run_srn));
	if (t.found && t.disabled)
		return sym_deny(d, "this run's temporary login was revoked");
	if (t.found)
	{
		/* The sweep takes only the pair's lock: read the row again under it. */
		sym_lock_pair(d->roleid, t.login);
		t = find_run_login(d->roleid, ctx->run_srn);
		if (t.found && t.disabled)
			return sym_deny(d, "this run's temporary login was revoked");
	}
	if (t.found)
		rotate_run_login(role_name, &t, ctx, d);
	else
		create_run_login(role_name, base, ctx, d);
	if (clamped)
		d->message = psprintf("%s (clamped to the role's max_duration %s)",
							  d->message, sym_interval_out(d->duration));
}

/*
 * revoke() names a temporary login by the base name given to grant() or
 * by the login's own name, with the run's run_srn.  Returns the login's
 * name when this run has one (its lock taken), else grantee_name.
 */
char	   *
sym_tempuser_revoke_target(const char *role_name, const char *grantee_name,
						   const SymContext *ctx)
{
	Oid			argtypes[3] = {REGROLEOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char	   *why;
	Oid			roleid;
	Oid			login;
	bool		isnull;
	char	   *name;

	if (!sym_name_ok(role_name, "role", &why) || !temporary_login_table_exists())
		return (char *) grantee_name;
	roleid = get_role_oid(role_name, true);
	if (!OidIsValid(roleid))
		return (char *) grantee_name;
	values[0] = ObjectIdGetDatum(roleid);
	values[1] = CStringGetTextDatum(ctx->run_srn);
	values[2] = CStringGetTextDatum(grantee_name);
	for (int pass = 0; pass < 2; pass++)
	{
		if (sym_spi_exec("SELECT login::oid FROM sym_access.temporary_login"
						 " WHERE role = $1 AND run_srn = $2 AND (base_name = $3 OR login_name = $3)",
						 3, argtypes, values, NULL, false) != SPI_OK_SELECT)
			elog(ERROR, "sym_access: could not read the temporary logins");
		if (SPI_processed == 0)
			return (char *) grantee_name;
		/* Found: wait for a replay in flight, then look again. */
		if (pass == 0)
			lock_run(roleid, ctx->run_srn);
	}
	login = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	name = GetUserNameFromId(login, true);
	return name ? name : (char *) grantee_name;
}

bool
sym_is_temporary_login(Oid loginid)
{
	Oid			argtypes[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(loginid)};

	if (!temporary_login_table_exists())
		return false;
	if (sym_spi_exec("SELECT FROM sym_access.temporary_login WHERE login = $1",
					 1, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the temporary logins");
	return SPI_processed > 0;
}

/* DROP ROLE login, as a parse tree, and its row. */
static void
drop_step(void *arg)
{
	Oid			loginid = *(Oid *) arg;
	DropRoleStmt *stmt = makeNode(DropRoleStmt);
	RoleSpec   *spec = makeNode(RoleSpec);
	Oid			argtypes[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(loginid)};

	spec->roletype = ROLESPEC_CSTRING;
	spec->rolename = GetUserNameFromId(loginid, false);
	spec->location = -1;
	stmt->roles = list_make1(spec);
	stmt->missing_ok = false;
	DropRole(stmt);
	CommandCounterIncrement();
	if (sym_spi_exec("DELETE FROM sym_access.temporary_login WHERE login = $1",
					 1, argtypes, values, NULL, false) != SPI_OK_DELETE)
		elog(ERROR, "sym_access: could not update the temporary logins");
}

/*
 * A login that owns objects or holds privileges cannot be dropped: it can
 * no longer log in, has no password and no membership that sym_access
 * granted, and its row says when, for check() and the sweep's retries.
 */
static void
disable_login(Oid loginid)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(loginid), ObjectIdGetDatum(sym_grantor_oid())};
	Oid		   *roles;
	uint64		n;

	alter_role_options(GetUserNameFromId(loginid, false),
					   list_make2(bool_option("canlogin", false),
								  string_option("password", NULL)));
	if (sym_spi_exec("SELECT roleid FROM pg_catalog.pg_auth_members"
					 " WHERE member = $1 AND grantor = $2 ORDER BY roleid",
					 2, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the login's memberships");
	roles = sym_spi_oids(1, &n);
	for (uint64 i = 0; i < n; i++)
		sym_revoke_membership(roles[i], loginid);
	argtypes[0] = REGROLEOID;
	if (sym_spi_exec("UPDATE sym_access.temporary_login SET disabled_at = now() WHERE login = $1",
					 1, argtypes, values, NULL, false) != SPI_OK_UPDATE)
		elog(ERROR, "sym_access: could not update the temporary logins");
}

/*
 * The end of a temporary login, after its membership was revoked and its
 * sessions ended: dropped, or disabled when the drop fails because it owns
 * objects or holds privileges (in any database).  Any other failure is
 * raised: the caller's revoke does not happen either.
 */
void
sym_tempuser_end(Oid loginid, SymRevocation *r)
{
	ErrorData  *err;

	r->login = GetUserNameFromId(loginid, false);
	err = sym_try(drop_step, &loginid);
	if (err == NULL)
	{
		r->temporary_user = "dropped";
		r->message = psprintf("%s; dropped temporary login \"%s\"", r->message, r->login);
		return;
	}
	if (err->sqlerrcode != ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST)
		ReThrowError(err);
	disable_login(loginid);
	r->temporary_user = "disabled";
	r->drop_error = err->message;
	r->message = psprintf("%s; disabled temporary login \"%s\" (NOLOGIN, no password, no memberships): it could not be dropped: %s",
						  r->message, r->login, err->message);
}

/* One login the sweep (or disallow_role) tries to drop again. */
typedef struct RetryStep
{
	Oid			login;
	Oid			role;
	char	   *login_name;
	char	   *run_srn;
	const char *action;
} RetryStep;

static void
retry_step(void *arg)
{
	RetryStep  *step = (RetryStep *) arg;
	char	   *role = GetUserNameFromId(step->role, true);
	SymContext	ctx;
	SymAudit	a;
	StringInfoData extra;

	/* Its role was dropped: it may still be enabled and logged in. */
	(void) sym_terminate_sessions(step->login);
	drop_step(&step->login);

	memset(&ctx, 0, sizeof(ctx));
	ctx.run_srn = step->run_srn;
	initStringInfo(&extra);
	sym_json_member(&extra, "temporary_user", "dropped");
	sym_json_member(&extra, "login", step->login_name);
	sym_json_member_raw(&extra, "retry", "true");
	memset(&a, 0, sizeof(a));
	a.action = step->action;
	a.outcome = "revoked";
	a.role_name = role ? role : psprintf("%u", step->role);
	a.grantee = step->login_name;
	a.ctx = &ctx;
	a.expires_at = DT_NOBEGIN;
	a.message = psprintf("dropped temporary login \"%s\", which could not be dropped before", step->login_name);
	a.extra = &extra;
	(void) sym_audit(&a);
}

/*
 * Retry the drop of every disabled login (of roleid only, when valid) and
 * of logins whose role was dropped; forget the rows of logins dropped by
 * hand.  A drop that fails again writes nothing: the row stays for the
 * next try.  Returns how many were dropped.
 */
int
sym_tempuser_retry_drops(Oid roleid, const char *action)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(roleid)};
	RetryStep  *steps;
	uint64		n;
	int			dropped = 0;

	if (!temporary_login_table_exists())
		return 0;
	if (sym_spi_exec("DELETE FROM sym_access.temporary_login t"
					 " WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = t.login)",
					 0, NULL, NULL, NULL, false) != SPI_OK_DELETE)
		elog(ERROR, "sym_access: could not update the temporary logins");
	if (sym_spi_exec("SELECT login::oid, role::oid, login_name, run_srn FROM sym_access.temporary_login t"
					 " WHERE (t.disabled_at IS NOT NULL"
					 "        OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = t.role))"
					 "   AND ($1 = 0 OR t.role = $1)"
					 " ORDER BY t.login_name", 1, argtypes, values, NULL, false) != SPI_OK_SELECT)
		elog(ERROR, "sym_access: could not read the temporary logins");
	n = SPI_processed;
	steps = palloc0(sizeof(RetryStep) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		steps[i].login = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		steps[i].role = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		steps[i].login_name = SPI_getvalue(tup, desc, 3);
		steps[i].run_srn = SPI_getvalue(tup, desc, 4);
		steps[i].action = action;
	}
	for (uint64 i = 0; i < n; i++)
		if (sym_try(retry_step, &steps[i]) == NULL)
			dropped++;
	return dropped;
}

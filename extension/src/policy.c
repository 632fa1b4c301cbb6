/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  Which roles may never be handed out, and who may never receive one.
 *
 * A role is dangerous when it, or any role it belongs to through any chain
 * of memberships, carries a cluster-level attribute, holds ADMIN OPTION on
 * any role (its holder could hand that role on and keep it after the
 * revoke), or is one of the roles below.  The walk ignores INHERIT and SET
 * options on purpose: what SET ROLE cannot reach today, a later ALTER can
 * make reachable.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

#include "sym_access.h"

/*
 * Roles whose membership is never handed out, looked up by name: those
 * that do not exist on this server or platform are skipped.
 */
static const char *const forbidden_roles[] = {
	/* reach outside the database */
	"pg_execute_server_program",
	"pg_read_server_files",
	"pg_write_server_files",
	"pg_create_subscription",	/* 16+ */
	/* end other sessions, sym_access's own among them */
	"pg_signal_backend",
	/* rewrite the extension's own tables */
	"pg_write_all_data",
	/* lock catalogs and the extension's tables, stalling grants and sweeps */
	"pg_maintain",				/* 17+ */
	/* managed platforms' administrators */
	"rds_superuser",
	"rds_replication",
	"rds_password",
	"azure_pg_admin",
	"cloudsqlsuperuser",
	/* sym_access itself */
	SYM_ROLE_GRANTOR,
	SYM_ROLE_ADMIN,
	SYM_ROLE_OPERATOR,
};

Oid
sym_grantor_oid(void)
{
	return get_role_oid(SYM_ROLE_GRANTOR, false);
}

static char *
role_name(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("%u", roleid);
}

/* The attribute that makes a role dangerous on its own, or NULL. */
static const char *
dangerous_attribute(Oid roleid)
{
	HeapTuple	tup;
	Form_pg_authid form;
	const char *attr = NULL;

	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	form = (Form_pg_authid) GETSTRUCT(tup);
	if (form->rolsuper)
		attr = "SUPERUSER";
	else if (form->rolcreaterole)
		attr = "CREATEROLE";
	else if (form->rolcreatedb)
		attr = "CREATEDB";
	else if (form->rolreplication)
		attr = "REPLICATION";
	else if (form->rolbypassrls)
		attr = "BYPASSRLS";
	ReleaseSysCache(tup);
	return attr;
}

/* The OIDs of forbidden_roles[] that exist here (looked up once per check). */
static int
forbidden_role_oids(Oid *oids)
{
	int			n = 0;

	for (int i = 0; i < lengthof(forbidden_roles); i++)
	{
		Oid			oid = get_role_oid(forbidden_roles[i], true);

		if (OidIsValid(oid))
			oids[n++] = oid;
	}
	return n;
}

static bool
oid_in(Oid oid, const Oid *oids, int n)
{
	for (int i = 0; i < n; i++)
		if (oids[i] == oid)
			return true;
	return false;
}

/* Describe the chain from the start role to roles[idx], following parents. */
static void
describe_chain(StringInfo why, List *roles, List *parents, int idx)
{
	List	   *chain = NIL;
	ListCell   *lc;
	bool		first = true;

	while (idx >= 0)
	{
		chain = lcons_oid(list_nth_oid(roles, idx), chain);
		idx = list_nth_int(parents, idx);
	}
	foreach(lc, chain)
	{
		appendStringInfo(why, "%s\"%s\"", first ? "" : " -> ",
						 role_name(lfirst_oid(lc)));
		first = false;
	}
}

/* A role on which roleid holds ADMIN OPTION, or InvalidOid. */
static Oid
admin_option_held(Oid roleid)
{
	CatCList   *list = SearchSysCacheList1(AUTHMEMMEMROLE, ObjectIdGetDatum(roleid));
	Oid			found = InvalidOid;

	for (int i = 0; i < list->n_members && !OidIsValid(found); i++)
	{
		Form_pg_auth_members form =
		(Form_pg_auth_members) GETSTRUCT(&list->members[i]->tuple);

		if (form->admin_option)
			found = form->roleid;
	}
	ReleaseSysCacheList(list);
	return found;
}

/*
 * Breadth-first walk up the membership graph from roleid.  On a finding,
 * explain it in why and return true.
 */
bool
sym_role_is_dangerous(Oid roleid, StringInfo why)
{
	List	   *roles = list_make1_oid(roleid);
	List	   *parents = list_make1_int(-1);
	Oid			forbidden[lengthof(forbidden_roles)];
	int			nforbidden = forbidden_role_oids(forbidden);

	for (int i = 0; i < list_length(roles); i++)
	{
		Oid			current = list_nth_oid(roles, i);
		const char *attr = dangerous_attribute(current);
		Oid			administered = InvalidOid;
		CatCList   *members;

		if (attr == NULL && !oid_in(current, forbidden, nforbidden))
		{
			administered = admin_option_held(current);
			if (OidIsValid(administered))
				attr = psprintf("ADMIN OPTION on \"%s\"", role_name(administered));
		}
		if (attr != NULL || oid_in(current, forbidden, nforbidden))
		{
			if (i == 0)
			{
				if (attr)
					appendStringInfo(why, "role \"%s\" has %s", role_name(current), attr);
				else
					appendStringInfo(why, "role \"%s\" is reserved", role_name(current));
			}
			else
			{
				appendStringInfo(why, "role \"%s\" is a member of %s\"%s\" (",
								 role_name(roleid),
								 attr && !OidIsValid(administered) ? psprintf("%s role ", attr) : "",
								 role_name(current));
				describe_chain(why, roles, parents, i);
				appendStringInfoChar(why, ')');
				if (OidIsValid(administered))
					appendStringInfo(why, ", which holds %s", attr);
			}
			return true;
		}

		members = SearchSysCacheList1(AUTHMEMMEMROLE, ObjectIdGetDatum(current));
		for (int j = 0; j < members->n_members; j++)
		{
			HeapTuple	tup = &members->members[j]->tuple;
			Oid			parent = ((Form_pg_auth_members) GETSTRUCT(tup))->roleid;

			if (!list_member_oid(roles, parent))
			{
				roles = lappend_oid(roles, parent);
				parents = lappend_int(parents, i);
			}
		}
		ReleaseSysCacheList(members);
	}
	return false;
}

/*
 * A grantee must be an ordinary login role: not a superuser, not one of the
 * extension's roles or a member of them (a bot), not the caller nor any role
 * the caller belongs to (the caller would inherit what it grants), and not
 * a role that would make the membership graph circular.
 */
bool
sym_grantee_is_unfit(Oid granteeid, Oid roleid, StringInfo why)
{
	HeapTuple	tup;
	Form_pg_authid form;
	char	   *name = role_name(granteeid);
	bool		canlogin;
	bool		super;

	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(granteeid));
	if (!HeapTupleIsValid(tup))
	{
		appendStringInfo(why, "user \"%s\" does not exist", name);
		return true;
	}
	form = (Form_pg_authid) GETSTRUCT(tup);
	canlogin = form->rolcanlogin;
	super = form->rolsuper;
	ReleaseSysCache(tup);

	if (super)
		appendStringInfo(why, "user \"%s\" is a superuser", name);
	else if (!canlogin)
		appendStringInfo(why, "role \"%s\" cannot log in (NOLOGIN); grantees must be login roles", name);
	else if (granteeid == GetSessionUserId() || granteeid == GetOuterUserId())
		appendStringInfo(why, "user \"%s\" is the caller; the bot cannot grant roles to itself", name);
	else if (is_member_of_role_nosuper(GetSessionUserId(), granteeid) ||
			 is_member_of_role_nosuper(GetOuterUserId(), granteeid))
		appendStringInfo(why, "the caller \"%s\" is a member of \"%s\"; the bot cannot grant roles to itself through a role it belongs to",
						 role_name(GetSessionUserId()), name);
	else if (granteeid == roleid)
		appendStringInfo(why, "a role cannot be granted to itself");
	else if (is_member_of_role_nosuper(roleid, granteeid))
		appendStringInfo(why, "role \"%s\" is itself a member of \"%s\"; granting it would make the membership circular",
						 role_name(roleid), name);
	else
	{
		const char *own[] = {SYM_ROLE_OPERATOR, SYM_ROLE_GRANTOR, SYM_ROLE_ADMIN};

		for (int i = 0; i < lengthof(own); i++)
		{
			Oid			ownid = get_role_oid(own[i], true);

			if (OidIsValid(ownid) && is_member_of_role_nosuper(granteeid, ownid))
			{
				appendStringInfo(why, "user \"%s\" is %s \"%s\"; sym_access does not grant roles to its own roles or bots",
								 name, granteeid == ownid ? "the role" : "a member of", own[i]);
				return true;
			}
		}
		return false;
	}
	return true;
}

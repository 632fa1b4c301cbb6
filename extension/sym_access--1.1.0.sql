/* sym_access--1.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION sym_access" to load this file. \quit

--
-- Install-time trust.  Everything below runs as a superuser; nothing that a
-- database owner or a CREATEROLE user made before may be bound or kept:
--  * the schema must be the one CREATE EXTENSION just made, or an empty,
--    superuser-owned schema that grants nothing to anyone but our roles
--    (what pg_restore creates from a dump of this extension, and what DROP
--    EXTENSION leaves);
--  * an existing role of ours must be harmless: no LOGIN, no cluster
--    attribute, no ADMIN OPTION held on it by a non-superuser (on 16+ a
--    CREATEROLE user holds that on the roles it made), and no member of
--    the grantor.
--
DO $guard$
DECLARE
	nsp record;
	r record;
BEGIN
	SELECT n.oid, n.nspowner, n.xmin,
		   (SELECT a.rolsuper FROM pg_catalog.pg_authid a
			 WHERE a.oid OPERATOR(pg_catalog.=) n.nspowner) AS owner_super,
		   EXISTS (SELECT FROM pg_catalog.pg_depend d
					WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
					  AND d.refobjid OPERATOR(pg_catalog.=) n.oid
					  -- the extension being created records its schema
					  AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass) AS has_objects,
		   EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) x
					 LEFT JOIN pg_catalog.pg_authid h ON h.oid OPERATOR(pg_catalog.=) x.grantee
					WHERE NOT COALESCE(h.rolsuper OR h.rolname OPERATOR(pg_catalog.=) ANY
									   ('{sym_access_grantor,sym_access_operator,sym_access_admin}'::pg_catalog.name[]),
									   false)) AS grants_others
	  INTO nsp
	  FROM pg_catalog.pg_namespace n
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'sym_access';
	-- Made by this CREATE EXTENSION, or left empty by pg_restore or by DROP
	-- EXTENSION (the schema is not a member of the extension).
	IF nsp.xmin OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id()::pg_catalog.xid
	   AND (NOT nsp.owner_super OR nsp.has_objects OR nsp.grants_others) THEN
		RAISE EXCEPTION 'sym_access: schema "sym_access" already exists and was not made by this CREATE EXTENSION'
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = pg_catalog.format('It is owned by %s%s%s.', nsp.nspowner::pg_catalog.regrole,
							CASE WHEN nsp.owner_super THEN ' (a superuser)' ELSE ', who is not a superuser' END,
							CASE WHEN nsp.has_objects THEN ', and holds objects'
								 WHEN nsp.grants_others THEN ', and grants privileges to other roles'
								 ELSE '' END),
				  HINT = 'Whoever made that schema could plant objects that the install binds to. Inspect it, then DROP SCHEMA sym_access CASCADE as a superuser and run CREATE EXTENSION again.';
	END IF;

	FOR r IN
		SELECT a.rolname,
			   CASE WHEN a.rolcanlogin OR a.rolsuper OR a.rolcreatedb
						 OR a.rolreplication OR a.rolbypassrls
						 -- On 16+ the grantor holds CREATEROLE while another
						 -- database allows a role in temporary_user mode.
						 OR (a.rolcreaterole
							 AND NOT (a.rolname OPERATOR(pg_catalog.=) 'sym_access_grantor'
									  AND pg_catalog.current_setting('server_version_num')::pg_catalog.int4
										  OPERATOR(pg_catalog.>=) 160000))
					THEN 'has LOGIN or a cluster-level attribute'
					WHEN EXISTS (SELECT FROM pg_catalog.pg_auth_members m
								   JOIN pg_catalog.pg_authid h ON h.oid OPERATOR(pg_catalog.=) m.member
								  WHERE m.roleid OPERATOR(pg_catalog.=) a.oid AND m.admin_option AND NOT h.rolsuper)
					THEN 'has ADMIN OPTION held on it by a role that is not a superuser'
					WHEN a.rolname OPERATOR(pg_catalog.=) 'sym_access_grantor'
						 AND EXISTS (SELECT FROM pg_catalog.pg_auth_members m
									  WHERE m.roleid OPERATOR(pg_catalog.=) a.oid)
					THEN 'has members'
			   END AS why
		  FROM pg_catalog.pg_authid a
		 WHERE a.rolname OPERATOR(pg_catalog.=) ANY ('{sym_access_grantor,sym_access_operator,sym_access_admin}'::pg_catalog.name[])
	LOOP
		IF r.why IS NOT NULL THEN
			RAISE EXCEPTION 'sym_access: role % already exists and %', r.rolname, r.why
				USING ERRCODE = 'insufficient_privilege',
					  HINT = 'Whoever controls that role could make itself grantor, admin or bot. Make it NOLOGIN with no attributes, revoke ADMIN OPTION on it and its grantor memberships, or drop it, then try again.';
		END IF;
	END LOOP;
END
$guard$;

--
-- Roles.  They are cluster-wide, so a second database reuses them (the
-- guard above has checked that existing ones are harmless).
--
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'sym_access_grantor') THEN
		CREATE ROLE sym_access_grantor NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
			NOREPLICATION NOBYPASSRLS INHERIT;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'sym_access_operator') THEN
		CREATE ROLE sym_access_operator NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'sym_access_admin') THEN
		CREATE ROLE sym_access_admin NOLOGIN;
	END IF;

	-- The grantor ends grantees' sessions; it needs pg_signal_backend and,
	-- by default, nothing else.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members
					WHERE roleid OPERATOR(pg_catalog.=) 'pg_signal_backend'::pg_catalog.regrole
					  AND member OPERATOR(pg_catalog.=) 'sym_access_grantor'::pg_catalog.regrole) THEN
		GRANT pg_signal_backend TO sym_access_grantor;
	END IF;
END
$roles$;

--
-- Tables.
--
CREATE TABLE sym_access.allowed_role (
	role				regrole PRIMARY KEY,
	label				text,
	default_duration	interval NOT NULL DEFAULT '1 hour',
	max_duration		interval NOT NULL DEFAULT '12 hours',
	terminate_sessions	boolean NOT NULL DEFAULT true,
	created_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by			name NOT NULL DEFAULT SESSION_USER,
	-- membership: grant() adds the grantee to the role; temporary_user
	-- (16+): grant() makes a login for the run (sym_access.temporary_login).
	mode				text NOT NULL DEFAULT 'membership'
		CHECK (mode OPERATOR(pg_catalog.=) ANY ('{membership,temporary_user}'::text[])),
	CHECK (default_duration OPERATOR(pg_catalog.>) '0'
		   AND max_duration OPERATOR(pg_catalog.>=) default_duration)
);
COMMENT ON TABLE sym_access.allowed_role IS
	'Roles sym_access may hand out; maintained by sym_access.allow_role() and disallow_role()';

CREATE TABLE sym_access.user_map (
	email	text PRIMARY KEY CHECK (email OPERATOR(pg_catalog.=) pg_catalog.lower(email)
									  AND email OPERATOR(pg_catalog.<>) ''),
	db_user text NOT NULL CHECK (pg_catalog.octet_length(db_user) OPERATOR(pg_catalog.>=) 1
							 AND pg_catalog.octet_length(db_user) OPERATOR(pg_catalog.<=) 63)
);
COMMENT ON TABLE sym_access.user_map IS
	'Sym e-mail to database user, consulted before the default rule by sym_access.resolve_user()';

CREATE TABLE sym_access.active_grant (
	role		regrole NOT NULL,
	grantee		regrole NOT NULL,
	run_srn		text NOT NULL DEFAULT '',
	granted_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	expires_at	timestamptz NOT NULL,
	preexisting boolean NOT NULL DEFAULT false,
	PRIMARY KEY (role, grantee, run_srn)
);
-- expire() finds due rows through this index.
CREATE INDEX active_grant_expires_at ON sym_access.active_grant (expires_at);
COMMENT ON TABLE sym_access.active_grant IS
	'One row per (role, grantee, Sym run) that holds access; the membership lasts while an unexpired row remains';

-- One row per login that grant() made for a temporary_user role's run
-- (16+).  revoke() and expire() know a temporary login by its row here,
-- whatever the role's mode is now.
CREATE TABLE sym_access.temporary_login (
	login		regrole PRIMARY KEY,
	login_name	text NOT NULL,			-- kept for messages and the audit after a drop
	role		regrole NOT NULL,		-- the allowed role it is a member of
	run_srn		text NOT NULL,
	base_name	text NOT NULL,			-- what the caller gave as grantee
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	disabled_at timestamptz,			-- set when it could not be dropped
	UNIQUE (role, run_srn)
);
COMMENT ON TABLE sym_access.temporary_login IS
	'Logins made by sym_access.grant() for temporary_user roles; a disabled one could not be dropped and is retried by expire()';

CREATE TABLE sym_access.audit (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action		text NOT NULL CHECK (action OPERATOR(pg_catalog.=) ANY ('{grant,revoke,expire,allow,disallow,map,unmap,purge}'::text[])),
	outcome		text NOT NULL,
	role_name	text,
	grantee		text,
	requester	text,
	approver	text,
	run_srn		text,
	reason		text,
	duration	interval,
	expires_at	timestamptz,
	called_by	name NOT NULL DEFAULT SESSION_USER,
	client_addr inet DEFAULT pg_catalog.inet_client_addr(),
	backend_pid int NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
	detail		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON sym_access.audit (at);
COMMENT ON TABLE sym_access.audit IS
	'Append-only trail of every sym_access decision; rows leave only through sym_access.purge_audit()';

CREATE FUNCTION sym_access.audit_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'sym_access_audit_guard'
LANGUAGE C;

CREATE TRIGGER audit_append_only
	BEFORE UPDATE OR DELETE ON sym_access.audit
	FOR EACH ROW EXECUTE FUNCTION sym_access.audit_guard();
CREATE TRIGGER audit_no_truncate
	BEFORE TRUNCATE ON sym_access.audit
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.audit_guard();

-- The tables change only through the extension's functions: a holder of
-- pg_write_all_data, or of a table privilege granted by mistake, is refused.
CREATE FUNCTION sym_access.table_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'sym_access_table_guard'
LANGUAGE C;

CREATE TRIGGER allowed_role_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.allowed_role
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();
CREATE TRIGGER user_map_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.user_map
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();
CREATE TRIGGER active_grant_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.active_grant
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();
CREATE TRIGGER audit_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.audit
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();
CREATE TRIGGER temporary_login_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.temporary_login
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();

-- pg_dump keeps the policy and the trail (and the id counter).
SELECT pg_catalog.pg_extension_config_dump('sym_access.allowed_role', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.user_map', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.active_grant', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.temporary_login', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.audit', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.audit_id_seq', '');

CREATE VIEW sym_access.active_grants WITH (security_invoker = true) AS
SELECT g.role,
	   g.grantee,
	   g.run_srn,
	   g.granted_at,
	   g.expires_at,
	   GREATEST(g.expires_at OPERATOR(pg_catalog.-) pg_catalog.now(), interval '0') AS remaining,
	   g.preexisting,
	   EXISTS (SELECT FROM pg_catalog.pg_auth_members m
				WHERE m.roleid OPERATOR(pg_catalog.=) g.role
				  AND m.member OPERATOR(pg_catalog.=) g.grantee) AS member
  FROM sym_access.active_grant g;
COMMENT ON VIEW sym_access.active_grants IS
	'What is held right now and for how long; member says whether the membership exists';

CREATE TYPE sym_access.result AS (
	outcome		text,
	role		text,
	grantee		text,
	expires_at	timestamptz,
	audit_id	bigint,
	message		text,
	-- NULL except when a temporary user's credentials are handed out
	password	text
);

--
-- Operator functions: SECURITY DEFINER, owned by sym_access_grantor.
--
CREATE FUNCTION sym_access.resolve_user(email text)
RETURNS text
AS 'MODULE_PATHNAME', 'sym_access_resolve_user'
LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION sym_access.grant(role text, grantee text,
								 duration interval DEFAULT NULL,
								 context jsonb DEFAULT '{}')
RETURNS sym_access.result
AS 'MODULE_PATHNAME', 'sym_access_grant'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION sym_access.revoke(role text, grantee text,
								  context jsonb DEFAULT '{}')
RETURNS sym_access.result
AS 'MODULE_PATHNAME', 'sym_access_revoke'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- A pair that another transaction holds is skipped, never waited for; the
-- lock_timeout bounds the waits that remain (a role's catalog lock on 16+).
CREATE FUNCTION sym_access.expire()
RETURNS integer
AS 'MODULE_PATHNAME', 'sym_access_expire'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s';

--
-- Admin functions: SECURITY DEFINER, owned by the extension's owner (a
-- superuser: giving the grantor ADMIN OPTION needs more than it has).
--
CREATE FUNCTION sym_access.allow_role(role text, label text DEFAULT NULL,
									  default_duration interval DEFAULT '1 hour',
									  max_duration interval DEFAULT '12 hours',
									  terminate_sessions boolean DEFAULT true,
									  mode text DEFAULT 'membership')
RETURNS void
AS 'MODULE_PATHNAME', 'sym_access_allow_role'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION sym_access.disallow_role(role text)
RETURNS integer
AS 'MODULE_PATHNAME', 'sym_access_disallow_role'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION sym_access.map_user(email text, db_user text)
RETURNS void
AS 'MODULE_PATHNAME', 'sym_access_map_user'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION sym_access.unmap_user(email text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'sym_access_unmap_user'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- Does what the database holds match what sym_access recorded?  No rows
-- means healthy.
CREATE FUNCTION sym_access.check()
RETURNS TABLE(problem text, role text, grantee text, detail text)
AS 'MODULE_PATHNAME', 'sym_access_check'
LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- Superusers only; runs as the caller so that it can tell who that is.
CREATE FUNCTION sym_access.purge_audit(older_than interval)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sym_access_purge_audit'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

--
-- Ownership and privileges.
--
ALTER FUNCTION sym_access.resolve_user(text) OWNER TO sym_access_grantor;
ALTER FUNCTION sym_access.grant(text, text, interval, jsonb) OWNER TO sym_access_grantor;
ALTER FUNCTION sym_access.revoke(text, text, jsonb) OWNER TO sym_access_grantor;
ALTER FUNCTION sym_access.expire() OWNER TO sym_access_grantor;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sym_access FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA sym_access FROM PUBLIC;
REVOKE ALL ON SCHEMA sym_access FROM PUBLIC;

GRANT USAGE ON SCHEMA sym_access TO sym_access_operator, sym_access_admin, sym_access_grantor;

GRANT EXECUTE ON FUNCTION sym_access.resolve_user(text) TO sym_access_operator;
GRANT EXECUTE ON FUNCTION sym_access.grant(text, text, interval, jsonb) TO sym_access_operator;
GRANT EXECUTE ON FUNCTION sym_access.revoke(text, text, jsonb) TO sym_access_operator;
GRANT EXECUTE ON FUNCTION sym_access.expire() TO sym_access_operator;

GRANT EXECUTE ON FUNCTION sym_access.allow_role(text, text, interval, interval, boolean, text) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.disallow_role(text) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.map_user(text, text) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.unmap_user(text) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.check() TO sym_access_admin;

-- What the operator functions touch, as the grantor; the audit only grows.
GRANT SELECT ON sym_access.allowed_role, sym_access.user_map TO sym_access_grantor;
-- expire() closes the entries of roles that were dropped.
GRANT DELETE ON sym_access.allowed_role TO sym_access_grantor;
GRANT SELECT, INSERT, UPDATE, DELETE ON sym_access.active_grant TO sym_access_grantor;
GRANT SELECT, INSERT, UPDATE, DELETE ON sym_access.temporary_login TO sym_access_grantor;
GRANT INSERT ON sym_access.audit TO sym_access_grantor;
GRANT SELECT (id) ON sym_access.audit TO sym_access_grantor;

-- Admins and security reviewers read everything.
GRANT SELECT ON ALL TABLES IN SCHEMA sym_access TO sym_access_admin;

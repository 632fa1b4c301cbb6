/* sym_access--1.0.0--1.1.0.sql: the hardened security rules */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION sym_access UPDATE TO '1.1.0'" to load this file. \quit

--
-- Install-time trust, for an install made before it was checked: the
-- schema must belong to a superuser (1.0.0 accepted a schema that a
-- database owner had made first), and our roles must be harmless.
--
DO $guard$
DECLARE
	owner_name name;
	r record;
BEGIN
	SELECT a.rolname INTO owner_name
	  FROM pg_catalog.pg_namespace n
	  JOIN pg_catalog.pg_authid a ON a.oid OPERATOR(pg_catalog.=) n.nspowner
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'sym_access' AND NOT a.rolsuper;
	IF FOUND THEN
		RAISE EXCEPTION 'sym_access: schema "sym_access" is owned by %, who is not a superuser', owner_name
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Its owner can drop or rename the schema with the audit trail in it, and may have planted objects there.',
				  HINT = 'Review the objects in the schema that are not part of the extension, then ALTER SCHEMA sym_access OWNER TO a superuser and update again.';
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

CREATE OR REPLACE VIEW sym_access.active_grants WITH (security_invoker = true) AS
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
ALTER FUNCTION sym_access.expire() SET lock_timeout = '1s';

-- Does what the database holds match what sym_access recorded?  No rows
-- means healthy.
CREATE FUNCTION sym_access.check()
RETURNS TABLE(problem text, role text, grantee text, detail text)
AS 'MODULE_PATHNAME', 'sym_access_check'
LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION sym_access.check() FROM PUBLIC;
REVOKE ALL ON FUNCTION sym_access.table_guard() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sym_access.check() TO sym_access_admin;
-- expire() closes the entries of roles that were dropped.
GRANT DELETE ON sym_access.allowed_role TO sym_access_grantor;

--
-- Temporary users (16+; allow_role refuses the mode on 15).
--
ALTER TABLE sym_access.allowed_role
	ADD COLUMN mode text NOT NULL DEFAULT 'membership'
		CHECK (mode OPERATOR(pg_catalog.=) ANY ('{membership,temporary_user}'::text[]));

CREATE TABLE sym_access.temporary_login (
	login		regrole PRIMARY KEY,
	login_name	text NOT NULL,
	role		regrole NOT NULL,
	run_srn		text NOT NULL,
	base_name	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	disabled_at timestamptz,
	UNIQUE (role, run_srn)
);
COMMENT ON TABLE sym_access.temporary_login IS
	'Logins made by sym_access.grant() for temporary_user roles; a disabled one could not be dropped and is retried by expire()';
CREATE TRIGGER temporary_login_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.temporary_login
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();
SELECT pg_catalog.pg_extension_config_dump('sym_access.temporary_login', '');
REVOKE ALL ON sym_access.temporary_login FROM PUBLIC;
GRANT SELECT ON sym_access.temporary_login TO sym_access_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON sym_access.temporary_login TO sym_access_grantor;

ALTER TYPE sym_access.result ADD ATTRIBUTE password text;

DROP FUNCTION sym_access.allow_role(text, text, interval, interval, boolean);
CREATE FUNCTION sym_access.allow_role(role text, label text DEFAULT NULL,
									  default_duration interval DEFAULT '1 hour',
									  max_duration interval DEFAULT '12 hours',
									  terminate_sessions boolean DEFAULT true,
									  mode text DEFAULT 'membership')
RETURNS void
AS 'MODULE_PATHNAME', 'sym_access_allow_role'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION sym_access.allow_role(text, text, interval, interval, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sym_access.allow_role(text, text, interval, interval, boolean, text) TO sym_access_admin;

/* sym_access--1.0.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION sym_access" to load this file. \quit

--
-- Roles.  They are cluster-wide, so a second database reuses them; an
-- existing role of the same name is accepted only if it is harmless.
--
DO $roles$
DECLARE
	r record;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sym_access_grantor') THEN
		CREATE ROLE sym_access_grantor NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
			NOREPLICATION NOBYPASSRLS INHERIT;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sym_access_operator') THEN
		CREATE ROLE sym_access_operator NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sym_access_admin') THEN
		CREATE ROLE sym_access_admin NOLOGIN;
	END IF;

	FOR r IN
		SELECT rolname FROM pg_catalog.pg_roles
		 WHERE rolname IN ('sym_access_grantor', 'sym_access_operator', 'sym_access_admin')
		   AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication
				OR rolbypassrls OR rolcanlogin)
	LOOP
		RAISE EXCEPTION 'sym_access: role % already exists with LOGIN or a cluster-level attribute', r.rolname
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Make it NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS, or drop it.';
	END LOOP;

	-- The grantor ends grantees' sessions; it needs pg_signal_backend and,
	-- by default, nothing else.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members
					WHERE roleid = 'pg_signal_backend'::pg_catalog.regrole
					  AND member = 'sym_access_grantor'::pg_catalog.regrole) THEN
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
	CHECK (default_duration > '0' AND max_duration >= default_duration)
);
COMMENT ON TABLE sym_access.allowed_role IS
	'Roles sym_access may hand out; maintained by sym_access.allow_role() and disallow_role()';

CREATE TABLE sym_access.user_map (
	email	text PRIMARY KEY CHECK (email = pg_catalog.lower(email) AND email <> ''),
	db_user text NOT NULL CHECK (pg_catalog.octet_length(db_user) BETWEEN 1 AND 63)
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

CREATE TABLE sym_access.audit (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	action		text NOT NULL CHECK (action IN ('grant', 'revoke', 'expire', 'allow',
												'disallow', 'map', 'unmap', 'purge')),
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

-- pg_dump keeps the policy and the trail (and the id counter).
SELECT pg_catalog.pg_extension_config_dump('sym_access.allowed_role', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.user_map', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.active_grant', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.audit', '');
SELECT pg_catalog.pg_extension_config_dump('sym_access.audit_id_seq', '');

CREATE VIEW sym_access.active_grants WITH (security_invoker = true) AS
SELECT g.role,
	   g.grantee,
	   g.run_srn,
	   g.granted_at,
	   g.expires_at,
	   GREATEST(g.expires_at - pg_catalog.now(), interval '0') AS remaining,
	   g.preexisting,
	   EXISTS (SELECT FROM pg_catalog.pg_auth_members m
				WHERE m.roleid = g.role AND m.member = g.grantee) AS member
  FROM sym_access.active_grant g;
COMMENT ON VIEW sym_access.active_grants IS
	'What is held right now and for how long; member says whether the membership exists';

CREATE TYPE sym_access.result AS (
	outcome		text,
	role		text,
	grantee		text,
	expires_at	timestamptz,
	audit_id	bigint,
	message		text
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

CREATE FUNCTION sym_access.expire()
RETURNS integer
AS 'MODULE_PATHNAME', 'sym_access_expire'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

--
-- Admin functions: SECURITY DEFINER, owned by the extension's owner (a
-- superuser: giving the grantor ADMIN OPTION needs more than it has).
--
CREATE FUNCTION sym_access.allow_role(role text, label text DEFAULT NULL,
									  default_duration interval DEFAULT '1 hour',
									  max_duration interval DEFAULT '12 hours',
									  terminate_sessions boolean DEFAULT true)
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

GRANT EXECUTE ON FUNCTION sym_access.allow_role(text, text, interval, interval, boolean) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.disallow_role(text) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.map_user(text, text) TO sym_access_admin;
GRANT EXECUTE ON FUNCTION sym_access.unmap_user(text) TO sym_access_admin;

-- What the operator functions touch, as the grantor; the audit only grows.
GRANT SELECT ON sym_access.allowed_role, sym_access.user_map TO sym_access_grantor;
GRANT SELECT, INSERT, UPDATE, DELETE ON sym_access.active_grant TO sym_access_grantor;
GRANT INSERT ON sym_access.audit TO sym_access_grantor;
GRANT SELECT (id) ON sym_access.audit TO sym_access_grantor;

-- Admins and security reviewers read everything.
GRANT SELECT ON ALL TABLES IN SCHEMA sym_access TO sym_access_admin;

--
-- Installation: objects, roles, ownership, privileges, dump registration,
-- uninstall and reinstall.  Also creates the display helpers later tests use.
--
\set VERBOSITY terse
CREATE EXTENSION sym_access;

-- META.json and the control file agree on the version.
\set meta `cat META.json`
SELECT (:'meta'::jsonb ->> 'version') = e.default_version AS meta_version_matches,
       (:'meta'::jsonb -> 'provides' -> 'sym_access' ->> 'version') = e.default_version AS provides_version_matches
  FROM pg_available_extensions e WHERE e.name = 'sym_access';
SELECT extversion, extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'sym_access';

-- The three roles: NOLOGIN, no cluster-level attributes.
SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
  FROM pg_roles WHERE rolname LIKE 'sym\_access\_%' ORDER BY rolname;
-- The grantor belongs to pg_signal_backend and to nothing else.
SELECT r.rolname AS grantor_member_of
  FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
 WHERE m.member = 'sym_access_grantor'::regrole;

-- Every function: owner, SECURITY DEFINER, pinned search_path.
SELECT p.oid::regprocedure AS function, p.proowner::regrole = 'sym_access_grantor'::regrole AS owned_by_grantor,
       p.prosecdef AS security_definer, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'sym_access'::regnamespace ORDER BY p.oid::regprocedure::text;

-- EXECUTE: operator functions to the operator, admin functions to the admin,
-- nothing to PUBLIC.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('sym_access_operator', p.oid, 'EXECUTE') AS operator,
       has_function_privilege('sym_access_admin', p.oid, 'EXECUTE') AS admin,
       has_function_privilege('sym_access_grantor', p.oid, 'EXECUTE') AS grantor,
       EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS public
  FROM pg_proc p WHERE p.pronamespace = 'sym_access'::regnamespace ORDER BY p.oid::regprocedure::text;

-- Table privileges of the three roles.
SELECT c.relname, r.rolname,
       has_table_privilege(r.oid, c.oid, 'SELECT') AS sel,
       has_table_privilege(r.oid, c.oid, 'INSERT') AS ins,
       has_table_privilege(r.oid, c.oid, 'UPDATE') AS upd,
       has_table_privilege(r.oid, c.oid, 'DELETE') AS del,
       has_table_privilege(r.oid, c.oid, 'TRUNCATE') AS trunc
  FROM pg_class c, pg_roles r
 WHERE c.relnamespace = 'sym_access'::regnamespace AND c.relkind IN ('r', 'v')
   AND r.rolname LIKE 'sym\_access\_%'
 ORDER BY 1, 2;
SELECT has_column_privilege('sym_access_grantor', 'sym_access.audit', 'id', 'SELECT') AS grantor_reads_audit_id,
       has_column_privilege('sym_access_grantor', 'sym_access.audit', 'reason', 'SELECT') AS grantor_reads_audit_reason;

-- All four tables (and the audit id sequence) are dumped by pg_dump.
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS cfg(oid)
  JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'sym_access' ORDER BY 1;

-- Not relocatable.
ALTER EXTENSION sym_access SET SCHEMA public;

-- Uninstall leaves the cluster-wide roles; reinstall reuses them.
DROP EXTENSION sym_access;
SELECT count(*) AS sym_access_relations FROM pg_class WHERE relnamespace::regnamespace::text = 'sym_access';
SELECT count(*) AS roles_kept FROM pg_roles WHERE rolname LIKE 'sym\_access\_%';
CREATE EXTENSION sym_access;
SELECT count(*) AS grantor_memberships FROM pg_auth_members WHERE member = 'sym_access_grantor'::regrole;

-- A pre-existing role of the same name that could log in is refused.
DROP EXTENSION sym_access;
ALTER ROLE sym_access_operator LOGIN;
CREATE EXTENSION sym_access;
ALTER ROLE sym_access_operator NOLOGIN;
CREATE EXTENSION sym_access;

--
-- Display helpers for the other tests: hide timestamps, keep everything else.
--
CREATE FUNCTION public.mask(t text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT regexp_replace(t, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<time>', 'g') $$;

CREATE FUNCTION public.show(r sym_access.result)
RETURNS TABLE (outcome text, role text, grantee text, has_expiry boolean, message text)
LANGUAGE sql AS $$ SELECT r.outcome, r.role, r.grantee, r.expires_at IS NOT NULL, public.mask(r.message) $$;

-- Audit rows after a mark, without the volatile columns.
CREATE FUNCTION public.audit_after(mark bigint)
RETURNS TABLE (action text, outcome text, role_name text, grantee text, run_srn text,
               requester text, approver text, reason text, called_by name, detail text)
LANGUAGE sql AS $$
  SELECT action, outcome, role_name, grantee, run_srn, requester, approver, reason, called_by,
         public.mask(detail::text)
    FROM sym_access.audit WHERE id > mark ORDER BY id $$;

CREATE FUNCTION public.audit_mark() RETURNS bigint LANGUAGE sql
AS $$ SELECT coalesce(max(id), 0) FROM sym_access.audit $$;

-- Direct members of a role and who granted each membership.
CREATE FUNCTION public.members(r text)
RETURNS TABLE (member name, grantor name)
LANGUAGE sql AS $$
  SELECT m.member::regrole::text::name, m.grantor::regrole::text::name
    FROM pg_auth_members m WHERE m.roleid = r::regrole ORDER BY 1, 2 $$;

-- A connection string for a user's own session (dblink, as superuser).
CREATE FUNCTION public.user_conn(u text) RETURNS text LANGUAGE sql AS $$
  SELECT format('host=%s port=%s dbname=%s user=%s',
                split_part(current_setting('unix_socket_directories'), ',', 1),
                current_setting('port'), current_database(), u) $$;
-- Wait (at most 10 s) until the user has no session left.
CREATE FUNCTION public.sessions_after_wait(u text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  FOR i IN 1..100 LOOP
    PERFORM pg_stat_clear_snapshot();  -- activity is cached per transaction
    SELECT count(*) INTO n FROM pg_stat_activity WHERE usename = u;
    EXIT WHEN n = 0;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN n;
END $$;

--
-- A hostile search_path cannot reach into the SECURITY DEFINER functions:
-- an object of the same name in a schema earlier on the caller's path
-- (or in pg_temp) is never used.
--
\set VERBOSITY terse
CREATE ROLE sp_role NOLOGIN;
CREATE ROLE sp_user LOGIN;
CREATE ROLE sp_bot LOGIN;
GRANT sym_access_operator TO sp_bot;
SELECT sym_access.allow_role('sp_role');
CREATE SCHEMA sp_evil AUTHORIZATION sp_bot;
CREATE TABLE public.sp_log (what text);
GRANT INSERT ON public.sp_log TO PUBLIC;

SET SESSION AUTHORIZATION sp_bot;
-- Look-alikes of what the C code's queries use: tables, functions,
-- operators, and casts of the right names.
CREATE TABLE sp_evil.active_grant (role regrole, grantee regrole, run_srn text,
  granted_at timestamptz, expires_at timestamptz, preexisting boolean);
CREATE TABLE sp_evil.audit (id bigint);
CREATE FUNCTION sp_evil.now() RETURNS timestamptz LANGUAGE sql
  AS $$ INSERT INTO public.sp_log VALUES ('now() hijacked'); SELECT 'infinity'::timestamptz $$;
CREATE FUNCTION sp_evil.lower(text) RETURNS text LANGUAGE sql
  AS $$ INSERT INTO public.sp_log VALUES ('lower() hijacked'); SELECT 'x' $$;
CREATE FUNCTION sp_evil.count(anyelement) RETURNS bigint LANGUAGE sql
  AS $$ SELECT 0::bigint $$;
CREATE FUNCTION sp_evil.texteq_evil(text, text) RETURNS boolean LANGUAGE sql
  AS $$ INSERT INTO public.sp_log VALUES ('= hijacked'); SELECT true $$;
CREATE OPERATOR sp_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = sp_evil.texteq_evil);
CREATE FUNCTION sp_evil.pg_terminate_backend(int, bigint DEFAULT 0) RETURNS boolean LANGUAGE sql
  AS $$ INSERT INTO public.sp_log VALUES ('pg_terminate_backend hijacked'); SELECT true $$;
CREATE TEMP TABLE active_grant (x int);
SET search_path = sp_evil, pg_temp, public, pg_catalog;

SELECT outcome, role, grantee FROM sym_access.grant('sp_role', 'sp_user', '1 hour', '{"run_srn": "sp"}');
SELECT outcome FROM sym_access.grant('sp_role', 'sp_user', '1 hour', '{"run_srn": "sp"}');
SELECT outcome FROM sym_access.revoke('sp_role', 'sp_user', '{"run_srn": "sp"}');
SELECT sym_access.resolve_user('SP-User@Example.com');
SELECT sym_access.expire();
RESET search_path;
DROP TABLE pg_temp.active_grant;
RESET SESSION AUTHORIZATION;

SELECT count(*) AS hijacks FROM public.sp_log;
SELECT count(*) AS evil_rows FROM sp_evil.active_grant;
SELECT action, outcome, run_srn FROM sym_access.audit WHERE run_srn = 'sp' ORDER BY id;

SELECT sym_access.disallow_role('sp_role');
DROP SCHEMA sp_evil CASCADE;
DROP TABLE public.sp_log;
DROP ROLE sp_role, sp_user, sp_bot;

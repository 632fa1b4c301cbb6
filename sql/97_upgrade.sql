--
-- ALTER EXTENSION sym_access UPDATE from 1.0.0 keeps every row, grant and
-- audit id, and brings the 1.1.0 rules; an install whose schema a non-
-- superuser owns is refused until a superuser takes the schema over.
--
\set VERBOSITY terse
CREATE DATABASE sym_upgrade;
\c sym_upgrade
CREATE EXTENSION sym_access VERSION '1.0.0';
CREATE ROLE up_role NOLOGIN;
CREATE ROLE up_user LOGIN;
CREATE ROLE up_user2 LOGIN;
SELECT sym_access.allow_role('up_role', 'before update', '1 hour', '8 hours');
SELECT outcome FROM sym_access.grant('up_role', 'up_user', '2 hours', '{"run_srn": "up-1"}');
SELECT outcome FROM sym_access.grant('up_role', 'up_user2', '3 hours', '{"run_srn": "up-2"}');
SELECT outcome FROM sym_access.revoke('up_role', 'up_user2', '{"run_srn": "up-2"}');
CREATE TEMP TABLE before_rows AS
  SELECT 'audit' AS t, to_jsonb(a) - 'at' AS row FROM sym_access.audit a
  UNION ALL SELECT 'active', to_jsonb(g) FROM sym_access.active_grant g
  UNION ALL SELECT 'allowed', to_jsonb(r) FROM sym_access.allowed_role r;
SELECT max(id) AS last_id_before FROM sym_access.audit \gset

ALTER EXTENSION sym_access UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'sym_access';
-- every row as it was
SELECT t, count(*) AS changed_or_lost FROM before_rows b
 WHERE NOT EXISTS (
   SELECT FROM (SELECT 'audit' AS t, to_jsonb(a) - 'at' AS row FROM sym_access.audit a
                UNION ALL SELECT 'active', to_jsonb(g) FROM sym_access.active_grant g
                UNION ALL SELECT 'allowed', to_jsonb(r) - 'mode' FROM sym_access.allowed_role r) n
    WHERE n.t = b.t AND n.row = b.row)
 GROUP BY t;
SELECT count(*) AS rows_before FROM before_rows;
-- temporary users' objects: the entries stay membership ones
SELECT DISTINCT mode FROM sym_access.allowed_role;
SELECT attname FROM pg_attribute WHERE attrelid = 'sym_access.result'::regclass AND attnum > 6;
SELECT pg_get_function_identity_arguments(p.oid) FROM pg_proc p
 WHERE p.pronamespace = 'sym_access'::regnamespace AND p.proname = 'allow_role';
SELECT tgname FROM pg_trigger WHERE tgrelid = 'sym_access.temporary_login'::regclass;
SELECT pg_has_role('up_user', 'up_role', 'MEMBER') AS still_member;
-- the replaced view reads the live run and its membership
SELECT role, grantee, run_srn, member, remaining > '1 hour' AS remaining_ok FROM sym_access.active_grants;
-- the id sequence goes on, and 1.1.0's functions and guards are there
SELECT outcome FROM sym_access.revoke('up_role', 'up_user', '{"run_srn": "up-1"}');
SELECT min(id) > :last_id_before AS ids_continue FROM sym_access.audit WHERE id > :last_id_before;
SELECT count(*) AS problems FROM sym_access.check();
SELECT tgname FROM pg_trigger WHERE tgrelid = 'sym_access.active_grant'::regclass ORDER BY 1;
SELECT proconfig FROM pg_proc WHERE oid = 'sym_access.expire()'::regprocedure;
SELECT outcome, message FROM sym_access.grant('up_role', 'up_user', '1 month -29 days', '{"run_srn": "up-3"}');
SELECT sym_access.disallow_role('up_role');
\c contrib_regression
DROP DATABASE sym_upgrade;

-- A 1.0.0 install into a schema that a database owner made first.
CREATE ROLE up_owner LOGIN;
CREATE DATABASE sym_upgrade OWNER up_owner;
\c sym_upgrade up_owner
CREATE SCHEMA sym_access;
\c sym_upgrade postgres
CREATE EXTENSION sym_access VERSION '1.0.0';
ALTER EXTENSION sym_access UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'sym_access';
ALTER SCHEMA sym_access OWNER TO postgres;
ALTER EXTENSION sym_access UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'sym_access';
\c contrib_regression
DROP DATABASE sym_upgrade;
DROP ROLE up_role, up_user, up_user2, up_owner;

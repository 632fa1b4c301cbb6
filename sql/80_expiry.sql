--
-- Time-bound access without Sym: expire(), overlapping runs, and ending
-- the sessions of a grantee who ran SET ROLE.  Grants of one second and a
-- single short sleep make time pass; nothing here needs a test-only path.
--
\set VERBOSITY terse
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE ROLE ex_role NOLOGIN;
CREATE ROLE ex_keep NOLOGIN;
CREATE ROLE ex_u1 LOGIN;
CREATE ROLE ex_u2 LOGIN;
CREATE ROLE ex_u3 LOGIN;
CREATE ROLE ex_u4 LOGIN;
CREATE ROLE ex_bot LOGIN;
GRANT sym_access_operator TO ex_bot;
CREATE TABLE public.ex_data (x int);
INSERT INTO public.ex_data VALUES (1), (2);
GRANT SELECT ON public.ex_data TO ex_role, ex_keep;
SELECT sym_access.allow_role('ex_role', 'terminating');
SELECT sym_access.allow_role('ex_keep', 'not terminating', terminate_sessions => false);


--
-- The problem first: REVOKE alone does not take the role away from a
-- session that already ran SET ROLE.
--
SET SESSION AUTHORIZATION ex_bot;
SELECT outcome FROM sym_access.grant('ex_keep', 'ex_u1', '1 hour', '{"run_srn": "k1"}');
RESET SESSION AUTHORIZATION;
SELECT dblink_connect('u1', user_conn('ex_u1'));
SELECT dblink_exec('u1', 'SET ROLE ex_keep');
SELECT * FROM dblink('u1', 'SELECT current_user::text, count(*) FROM public.ex_data') AS t(who text, n bigint);
SET SESSION AUTHORIZATION ex_bot;
SELECT * FROM show(sym_access.revoke('ex_keep', 'ex_u1', '{"run_srn": "k1"}'));
RESET SESSION AUTHORIZATION;
SELECT pg_has_role('ex_u1', 'ex_keep', 'MEMBER') AS still_member;
-- ... and yet the open session still reads as ex_keep:
SELECT * FROM dblink('u1', 'SELECT current_user::text, count(*) FROM public.ex_data') AS t(who text, n bigint);
SELECT dblink_disconnect('u1');

--
-- With terminate_sessions (the default) revoke ends the grantee's sessions
-- and counts them in the audit row.
--
SET SESSION AUTHORIZATION ex_bot;
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u1', '1 hour', '{"run_srn": "r1"}');
RESET SESSION AUTHORIZATION;
SELECT dblink_connect('u1', user_conn('ex_u1'));
SELECT dblink_exec('u1', 'SET ROLE ex_role');
SELECT * FROM dblink('u1', 'SELECT current_user::text, count(*) FROM public.ex_data') AS t(who text, n bigint);
SET SESSION AUTHORIZATION ex_bot;
SELECT * FROM show(sym_access.revoke('ex_role', 'ex_u1', '{"run_srn": "r1"}'));
RESET SESSION AUTHORIZATION;
SELECT sessions_after_wait('ex_u1') AS sessions_left;
SELECT detail::jsonb -> 'terminated_sessions' AS terminated FROM sym_access.audit
 WHERE run_srn = 'r1' AND action = 'revoke';
SELECT dblink_disconnect('u1');

--
-- Expiry.  Four pairs, all with one-second runs:
--   ex_u1: a plain grant, with an open SET ROLE session  -> revoked, session ended
--   ex_u2: a one-second run overlapped by a one-hour run  -> still_active
--   ex_u3: a membership that predates sym_access          -> preexisting, kept
--   ex_u4: a membership a DBA revoked by hand meanwhile   -> not_granted
--
GRANT ex_role TO ex_u3;
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION ex_bot;
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u1', '1 second', '{"run_srn": "e1"}');
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u2', '1 second', '{"run_srn": "e2-short"}');
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u2', '1 hour', '{"run_srn": "e2-long"}');
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u3', '1 second', '{"run_srn": "e3"}');
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u4', '1 second', '{"run_srn": "e4"}');
RESET SESSION AUTHORIZATION;
-- (On 16+ a REVOKE removes only the grants of the named grantor.)
REVOKE ex_role FROM ex_u4 GRANTED BY sym_access_grantor;
SELECT dblink_connect('u1', user_conn('ex_u1'));
SELECT dblink_exec('u1', 'SET ROLE ex_role');

SELECT pg_sleep(1.1);
SET SESSION AUTHORIZATION ex_bot;
SELECT sym_access.expire() AS revoked;
-- A second sweep finds nothing left to do.
SELECT sym_access.expire() AS revoked_again;
RESET SESSION AUTHORIZATION;

SELECT grantee, outcome, run_srn, called_by, mask(detail) AS detail
  FROM audit_after(:mark) WHERE action = 'expire' ORDER BY grantee;
SELECT * FROM members('ex_role');
SELECT grantee, run_srn, preexisting FROM sym_access.active_grant ORDER BY 1, 2;
SELECT sessions_after_wait('ex_u1') AS sessions_left;
SELECT dblink_disconnect('u1');

-- A deescalate that arrives after the sweep is a harmless replay.
SET SESSION AUTHORIZATION ex_bot;
SELECT * FROM show(sym_access.revoke('ex_role', 'ex_u1', '{"run_srn": "e1"}'));
SELECT * FROM show(sym_access.revoke('ex_role', 'ex_u2', '{"run_srn": "e2-long"}'));
RESET SESSION AUTHORIZATION;

--
-- A deescalate that arrives after expiry but before the sweep revokes; the
-- expired rows of other runs of the pair go with it.
--
SET SESSION AUTHORIZATION ex_bot;
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u1', '1 second', '{"run_srn": "late-1"}');
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u1', '1 second', '{"run_srn": "late-2"}');
SELECT pg_sleep(1.1);
SELECT * FROM show(sym_access.revoke('ex_role', 'ex_u1', '{"run_srn": "late-1"}'));
SELECT sym_access.expire() AS revoked;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS rows_left FROM sym_access.active_grant WHERE grantee = 'ex_u1'::regrole;

--
-- disallow_role revokes what is active, ends sessions, keeps pre-existing
-- memberships, and takes the grantor's ADMIN OPTION away.
--
SET SESSION AUTHORIZATION ex_bot;
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u1', '1 hour', '{"run_srn": "d1"}');
SELECT outcome FROM sym_access.grant('ex_role', 'ex_u4', '1 hour', '{"run_srn": "d4"}');
RESET SESSION AUTHORIZATION;
SELECT dblink_connect('u1', user_conn('ex_u1'));
SELECT sym_access.disallow_role('ex_role') AS revoked;
SELECT sessions_after_wait('ex_u1') AS sessions_left;
SELECT dblink_disconnect('u1');
SELECT * FROM members('ex_role');
SELECT count(*) AS rows_left FROM sym_access.active_grant WHERE role = 'ex_role'::regrole;
SELECT action, outcome, mask(detail) FROM audit_after(audit_mark() - 1);
SET SESSION AUTHORIZATION ex_bot;
SELECT * FROM show(sym_access.grant('ex_role', 'ex_u1'));
RESET SESSION AUTHORIZATION;

SELECT sym_access.disallow_role('ex_keep');
DROP TABLE public.ex_data;
DROP ROLE ex_role, ex_keep, ex_u1, ex_u2, ex_u3, ex_u4, ex_bot;
DROP EXTENSION dblink;

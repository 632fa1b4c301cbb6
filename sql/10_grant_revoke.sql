--
-- The happy path and its replays, as the bot (a member of
-- sym_access_operator and of nothing else), with the audit rows.
--
\set VERBOSITY terse
CREATE ROLE gr_readonly NOLOGIN;
CREATE ROLE gr_user LOGIN;
CREATE ROLE gr_other LOGIN;
CREATE ROLE gr_bot LOGIN;
GRANT sym_access_operator TO gr_bot;
CREATE TABLE public.gr_data (x int);
INSERT INTO public.gr_data VALUES (42);
GRANT SELECT ON public.gr_data TO gr_readonly;

SELECT sym_access.allow_role('gr_readonly', 'Read only', '1 hour', '4 hours');
SELECT role, label, default_duration, max_duration, terminate_sessions, created_by
  FROM sym_access.allowed_role WHERE role = 'gr_readonly'::regrole;
-- The database itself now lets the grantor hand out the role.
SELECT admin_option FROM pg_auth_members
 WHERE roleid = 'gr_readonly'::regrole AND member = 'sym_access_grantor'::regrole;

SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION gr_bot;

-- Before: no access.
SELECT has_table_privilege('gr_user', 'public.gr_data', 'SELECT') AS user_can_read;

-- Escalate.
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_user', '30 minutes',
  '{"run_srn": "run-1", "requester": "gr-user@example.com", "approver": "boss@example.com",
    "reason": "Fix ticket 123", "event_id": "ev-1", "event_type": "escalate", "ticket": 123}'));
SELECT * FROM members('gr_readonly');
SELECT has_table_privilege('gr_user', 'public.gr_data', 'SELECT') AS user_can_read;

-- The grant's expiry is the requested duration from now.
RESET SESSION AUTHORIZATION;
SELECT role, grantee, run_srn, preexisting, expires_at - granted_at AS held_for, member,
       remaining > '29 minutes' AS remaining_ok
  FROM sym_access.active_grants;
SET SESSION AUTHORIZATION gr_bot;

-- A replayed escalate (Lambda retry) changes nothing but the run's expiry.
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_user', '30 minutes', '{"run_srn": "run-1"}'));
RESET SESSION AUTHORIZATION;
SELECT count(*) AS rows_for_run FROM sym_access.active_grant WHERE run_srn = 'run-1';
SELECT * FROM members('gr_readonly');
SET SESSION AUTHORIZATION gr_bot;

-- Deescalate.
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_user', '{"run_srn": "run-1", "event_type": "deescalate"}'));
SELECT * FROM members('gr_readonly');
SELECT has_table_privilege('gr_user', 'public.gr_data', 'SELECT') AS user_can_read;

-- A replayed deescalate is fine and changes nothing.
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_user', '{"run_srn": "run-1"}'));

-- Default duration when none is given; clamped to max_duration when too long.
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_user', NULL, '{"run_srn": "run-2"}'));
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_other', '3 days', '{"run_srn": "run-3"}'));
RESET SESSION AUTHORIZATION;
SELECT grantee, run_srn, expires_at - granted_at AS held_for
  FROM sym_access.active_grant ORDER BY grantee::text;
SET SESSION AUTHORIZATION gr_bot;
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_user', '{"run_srn": "run-2"}'));
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_other', '{"run_srn": "run-3"}'));

-- Without a context the run is the empty string, consistently.
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_user'));
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_user'));
RESET SESSION AUTHORIZATION;

-- Exactly one audit row per call, in order, with the caller and context.
SELECT * FROM audit_after(:mark);
SELECT count(*) AS active_rows_left FROM sym_access.active_grant;

--
-- A membership that existed before sym_access survives grant and revoke.
--
GRANT gr_readonly TO gr_other;
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION gr_bot;
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_other', '10 minutes', '{"run_srn": "run-4"}'));
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_other', '10 minutes', '{"run_srn": "run-4"}'));
RESET SESSION AUTHORIZATION;
SELECT role, grantee, run_srn, preexisting FROM sym_access.active_grant;
SET SESSION AUTHORIZATION gr_bot;
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_other', '{"run_srn": "run-4"}'));
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_other', '{"run_srn": "run-4"}'));
RESET SESSION AUTHORIZATION;
SELECT * FROM members('gr_readonly');
SELECT action, outcome, grantee, run_srn FROM audit_after(:mark);
REVOKE gr_readonly FROM gr_other;

--
-- Two overlapping runs: the first deescalate must not end the second's access.
--
SET SESSION AUTHORIZATION gr_bot;
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_user', '10 minutes', '{"run_srn": "run-a"}'));
SELECT * FROM show(sym_access.grant('gr_readonly', 'gr_user', '20 minutes', '{"run_srn": "run-b"}'));
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_user', '{"run_srn": "run-a"}'));
SELECT has_table_privilege('gr_user', 'public.gr_data', 'SELECT') AS still_readable;
SELECT * FROM show(sym_access.revoke('gr_readonly', 'gr_user', '{"run_srn": "run-b"}'));
SELECT has_table_privilege('gr_user', 'public.gr_data', 'SELECT') AS still_readable;
RESET SESSION AUTHORIZATION;

SELECT sym_access.disallow_role('gr_readonly');
DROP TABLE public.gr_data;
DROP ROLE gr_readonly, gr_user, gr_other, gr_bot;

--
-- The 1.1.0 security rules, one by one (the attack suite in test/attacks/
-- tries them as each actor; these pin the messages and states).
--
\set VERBOSITY terse
CREATE ROLE hd_role NOLOGIN;
CREATE ROLE hd_user LOGIN;
CREATE ROLE hd_bot LOGIN;
GRANT sym_access_operator TO hd_bot;
SELECT sym_access.allow_role('hd_role', 'hardening', '1 hour', '1 day');

-- Durations act on the clock.  Mixed-sign fields are refused wherever a
-- duration is taken; the expiry is clamped to now + max_duration.
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_user', '1 month -29 days', '{"run_srn": "d1"}');
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_user', '-1 month 40 days', '{"run_srn": "d2"}');
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_user', '1 year -364 days', '{"run_srn": "d3"}');
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_user', '-1 hour', '{"run_srn": "d4"}');
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_user', '0', '{"run_srn": "d5"}');
-- a month is longer than the one-day cap on any calendar: clamped
SELECT outcome, expires_at = now() + interval '1 day' AS at_cap
  FROM sym_access.grant('hd_role', 'hd_user', '1 month', '{"run_srn": "d6"}');
-- far beyond any timestamp: clamped, not an overflow
SELECT outcome, expires_at = now() + interval '1 day' AS at_cap
  FROM sym_access.grant('hd_role', 'hd_user', '170000000 years', '{"run_srn": "d7"}');
SELECT count(*) AS rows_past_cap FROM sym_access.active_grant
 WHERE grantee = 'hd_user'::regrole AND expires_at > now() + interval '1 day';
SELECT sym_access.allow_role('hd_role', NULL, '1 month -29 days', '12 hours');
SELECT sym_access.allow_role('hd_role', NULL, '1 hour', '2 days -47 hours');
SELECT sym_access.purge_audit('1 month -25 days');
SELECT sym_access.purge_audit('29 days 23:59:59');

-- Dangerous: holding ADMIN OPTION on any role, directly or up a chain.
CREATE ROLE hd_admin_holder NOLOGIN;
CREATE ROLE hd_via NOLOGIN;
CREATE ROLE hd_victim NOLOGIN;
GRANT hd_victim TO hd_admin_holder WITH ADMIN OPTION;
GRANT hd_admin_holder TO hd_via;
SELECT sym_access.allow_role('hd_admin_holder');
SELECT sym_access.allow_role('hd_via');
-- pg_write_all_data, and managed platforms' admin roles (stand-ins here).
CREATE ROLE hd_writer NOLOGIN;
GRANT pg_write_all_data TO hd_writer;
SELECT sym_access.allow_role('hd_writer');
CREATE ROLE rds_superuser NOLOGIN;
CREATE ROLE azure_pg_admin NOLOGIN;
CREATE ROLE hd_rds NOLOGIN;
CREATE ROLE hd_azure NOLOGIN;
GRANT rds_superuser TO hd_rds;
GRANT azure_pg_admin TO hd_azure;
SELECT sym_access.allow_role('hd_rds');
SELECT sym_access.allow_role('hd_azure');
-- Allowed while harmless, dangerous later: every grant checks again.
CREATE ROLE hd_later NOLOGIN;
SELECT sym_access.allow_role('hd_later');
GRANT hd_victim TO hd_later WITH ADMIN OPTION;
SELECT outcome, message FROM sym_access.grant('hd_later', 'hd_user', '1 hour', '{"run_srn": "l1"}');
REVOKE hd_victim FROM hd_later;
SELECT sym_access.disallow_role('hd_later');

-- The caller is never the grantee, nor any role the caller belongs to.
CREATE ROLE hd_shared LOGIN;
GRANT hd_shared TO hd_bot;
CREATE ROLE hd_shared_top LOGIN;
CREATE ROLE hd_shared_mid NOLOGIN;
GRANT hd_shared_top TO hd_shared_mid;
GRANT hd_shared_mid TO hd_bot;
SET SESSION AUTHORIZATION hd_bot;
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_bot', '1 hour', '{"run_srn": "c1"}');
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_shared', '1 hour', '{"run_srn": "c2"}');
SELECT outcome, message FROM sym_access.grant('hd_role', 'hd_shared_top', '1 hour', '{"run_srn": "c3"}');
RESET SESSION AUTHORIZATION;
SELECT count(*) AS bot_reaches_role FROM pg_auth_members
 WHERE roleid = 'hd_role'::regrole AND member IN ('hd_bot'::regrole, 'hd_shared'::regrole, 'hd_shared_top'::regrole);

-- The tables change only through the functions.
CREATE ROLE hd_dba LOGIN;
GRANT pg_write_all_data TO hd_dba;
GRANT ALL ON ALL TABLES IN SCHEMA sym_access TO hd_dba;
GRANT USAGE ON SCHEMA sym_access TO hd_dba;
SET ROLE hd_dba;
INSERT INTO sym_access.allowed_role (role) VALUES ('hd_victim');
UPDATE sym_access.allowed_role SET max_duration = '100 years';
DELETE FROM sym_access.active_grant;
INSERT INTO sym_access.user_map VALUES ('x@example.com', 'hd_bot');
TRUNCATE sym_access.user_map;
INSERT INTO sym_access.audit (action, outcome) VALUES ('grant', 'forged');
RESET ROLE;
SELECT (SELECT count(*) FROM sym_access.allowed_role WHERE role = 'hd_victim'::regrole) AS victim_allowed,
       (SELECT max(max_duration) FROM sym_access.allowed_role) AS longest_max,
       (SELECT count(*) FROM sym_access.active_grant WHERE grantee = 'hd_user'::regrole) AS user_runs,
       (SELECT count(*) FROM sym_access.audit WHERE outcome = 'forged') AS forged;
REVOKE ALL ON ALL TABLES IN SCHEMA sym_access FROM hd_dba;
REVOKE USAGE ON SCHEMA sym_access FROM hd_dba;

-- Clean up.
SELECT sym_access.disallow_role('hd_role');
DROP ROLE hd_role, hd_user, hd_bot, hd_admin_holder, hd_via, hd_victim, hd_writer,
  rds_superuser, azure_pg_admin, hd_rds, hd_azure, hd_later, hd_shared, hd_shared_top,
  hd_shared_mid, hd_dba;

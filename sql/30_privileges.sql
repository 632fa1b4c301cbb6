--
-- What the bot cannot do, and the audit trail that nobody can rewrite.
--
\set VERBOSITY terse
CREATE ROLE pv_role NOLOGIN;
CREATE ROLE pv_user LOGIN;
CREATE ROLE pv_bot LOGIN;
GRANT sym_access_operator TO pv_bot;
CREATE ROLE pv_admin LOGIN;
GRANT sym_access_admin TO pv_admin;
SELECT sym_access.allow_role('pv_role');

SET SESSION AUTHORIZATION pv_bot;
-- No admin functions.
SELECT sym_access.allow_role('pv_role');
SELECT sym_access.disallow_role('pv_role');
SELECT sym_access.map_user('x@example.com', 'pv_user');
SELECT sym_access.unmap_user('x@example.com');
SELECT sym_access.purge_audit('1 year');
-- No table access, not even reading.
SELECT count(*) FROM sym_access.audit;
SELECT count(*) FROM sym_access.allowed_role;
SELECT count(*) FROM sym_access.active_grant;
SELECT count(*) FROM sym_access.user_map;
SELECT count(*) FROM sym_access.active_grants;
INSERT INTO sym_access.allowed_role (role) VALUES ('pv_user');
INSERT INTO sym_access.active_grant (role, grantee, expires_at) VALUES ('pv_role', 'pv_user', now());
INSERT INTO sym_access.audit (action, outcome) VALUES ('grant', 'granted');
UPDATE sym_access.audit SET outcome = 'x';
DELETE FROM sym_access.audit;
TRUNCATE sym_access.audit;
-- No ADMIN OPTION: a raw GRANT fails even for an allowed role (the wording
-- differs between 15 and 16+, the SQLSTATE does not).
\set VERBOSITY sqlstate
GRANT pv_role TO pv_user;
\set VERBOSITY terse
-- Cannot become the grantor.
SET ROLE sym_access_grantor;
-- What it can do.
SELECT outcome FROM sym_access.grant('pv_role', 'pv_user', '5 minutes', '{"run_srn": "pv"}');
SELECT outcome FROM sym_access.revoke('pv_role', 'pv_user', '{"run_srn": "pv"}');
SELECT sym_access.expire() >= 0 AS expire_runs;
RESET SESSION AUTHORIZATION;

-- An admin manages the allow-list and reads the trail, but cannot grant.
SET SESSION AUTHORIZATION pv_admin;
SELECT sym_access.allow_role('pv_role', 'updated label');
SELECT label FROM sym_access.allowed_role WHERE role = 'pv_role'::regrole;
SELECT count(*) > 0 AS admin_reads_audit FROM sym_access.audit;
SELECT outcome FROM sym_access.grant('pv_role', 'pv_user');
SELECT sym_access.purge_audit('1 year');
DELETE FROM sym_access.audit;
RESET SESSION AUTHORIZATION;

-- The table owner (a superuser) cannot rewrite the trail either.
SELECT count(*) AS rows_before FROM sym_access.audit \gset
UPDATE sym_access.audit SET reason = 'rewritten';
DELETE FROM sym_access.audit WHERE action = 'grant';
TRUNCATE sym_access.audit;
\set VERBOSITY sqlstate
UPDATE sym_access.audit SET reason = 'rewritten';
\set VERBOSITY terse
SELECT count(*) = :rows_before AS nothing_lost,
       count(*) FILTER (WHERE reason = 'rewritten') AS rewritten FROM sym_access.audit;
-- The grantor cannot either.
SET ROLE sym_access_grantor;
UPDATE sym_access.audit SET reason = 'rewritten';
DELETE FROM sym_access.audit;
RESET ROLE;

-- purge_audit: superusers only, never younger than 30 days, and audited.
SELECT sym_access.purge_audit('29 days');
SELECT sym_access.purge_audit(NULL);
SELECT audit_mark() AS mark \gset
SELECT sym_access.purge_audit('30 days') AS purged;
SELECT action, outcome, called_by, detail::jsonb ->> 'deleted' AS deleted
  FROM sym_access.audit WHERE id > :mark;
-- It removes exactly the old rows: make one old row through a restore-like
-- path (COPY into the table is an INSERT, which the trail accepts).
SELECT count(*) AS rows_before FROM sym_access.audit \gset
COPY sym_access.audit (id, at, action, outcome, called_by, backend_pid)
  FROM stdin;
-1	2000-01-01 00:00:00+00	grant	granted	ancient	1
\.
SELECT sym_access.purge_audit('1 year') AS purged;
SELECT count(*) = :rows_before + 1 AS only_old_row_gone_and_purge_audited,
       count(*) FILTER (WHERE called_by = 'ancient') AS ancient_left
  FROM sym_access.audit;
-- After a purge, and after a refused one, the guard is armed again.
SELECT sym_access.purge_audit('29 days');
DELETE FROM sym_access.audit;

SELECT sym_access.disallow_role('pv_role');
DROP ROLE pv_role, pv_user, pv_bot, pv_admin;

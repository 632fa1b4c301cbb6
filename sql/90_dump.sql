--
-- pg_dump keeps the policy and the trail: dump this database, restore it
-- into a new one, and find the allow-list, the map, the active grants and
-- the audit there, with the audit still append-only and its ids going on.
--
\set VERBOSITY terse
CREATE ROLE du_role NOLOGIN;
CREATE ROLE du_user LOGIN;
CREATE ROLE du_bot LOGIN;
GRANT sym_access_operator TO du_bot;
SELECT sym_access.allow_role('du_role', 'Dump me', '2 hours', '8 hours', false);
SELECT sym_access.map_user('du-user@example.com', 'du_user');
SET SESSION AUTHORIZATION du_bot;
SELECT outcome FROM sym_access.grant('du_role', 'du_user', '1 hour', '{"run_srn": "dump-run", "reason": "dump test"}');
RESET SESSION AUTHORIZATION;

SELECT count(*) AS audit_rows, max(id) AS max_id FROM sym_access.audit \gset
\! pg_dump -Fc -f "${TMPDIR:-/tmp}/sym_access_regress.pgdump" contrib_regression && dropdb --if-exists sym_restore && createdb sym_restore && pg_restore -d sym_restore "${TMPDIR:-/tmp}/sym_access_regress.pgdump" && echo restored
\c sym_restore
SELECT role, label, default_duration, max_duration, terminate_sessions FROM sym_access.allowed_role
 WHERE role = 'du_role'::regrole;
SELECT email, db_user FROM sym_access.user_map;
SELECT role, grantee, run_srn, preexisting FROM sym_access.active_grant;
SELECT count(*) = :audit_rows AS audit_complete, max(id) = :max_id AS same_ids FROM sym_access.audit;
SELECT action, outcome, run_srn, reason FROM sym_access.audit WHERE run_srn = 'dump-run';
-- Still append-only after the restore.
DELETE FROM sym_access.audit;
-- New rows continue the id sequence instead of colliding with restored ones.
SELECT sym_access.map_user('after-restore@example.com', 'du_user');
SELECT max(id) > :max_id AS ids_continue FROM sym_access.audit;
-- The restored database works (same cluster: the grantor's ADMIN OPTION is
-- cluster-wide and still there).
SET SESSION AUTHORIZATION du_bot;
SELECT outcome FROM sym_access.revoke('du_role', 'du_user', '{"run_srn": "dump-run"}');
RESET SESSION AUTHORIZATION;
\c contrib_regression
\! dropdb sym_restore && rm -f "${TMPDIR:-/tmp}/sym_access_regress.pgdump"

SELECT sym_access.disallow_role('du_role');
SELECT sym_access.unmap_user('du-user@example.com');
DROP ROLE du_role, du_user, du_bot;

--
-- sym_access.check(): each problem kind is made to happen, reported, fixed
-- and gone.  No rows means healthy.
--
\set VERBOSITY terse
CREATE ROLE ck_role NOLOGIN;
CREATE ROLE ck_role2 NOLOGIN;
CREATE ROLE ck_user LOGIN;
CREATE ROLE ck_user2 LOGIN;
SELECT sym_access.allow_role('ck_role');
SELECT sym_access.allow_role('ck_role2');
SELECT count(*) AS problems_at_start FROM sym_access.check();

-- orphan_membership: a membership sym_access made, whose row is gone.
SELECT outcome FROM sym_access.grant('ck_role', 'ck_user', '1 hour', '{"run_srn": "ck-1"}');
DELETE FROM sym_access.active_grant WHERE grantee = 'ck_user'::regrole;
SELECT problem, role, grantee, detail FROM sym_access.check();
-- fixed by granting it through sym_access again (the row comes back)
SELECT outcome FROM sym_access.grant('ck_role', 'ck_user', '1 hour', '{"run_srn": "ck-1"}');
SELECT count(*) AS problems FROM sym_access.check();

-- missing_membership: a row whose membership was revoked outside sym_access.
DO $$ BEGIN
  IF current_setting('server_version_num')::int >= 160000 THEN
    EXECUTE 'REVOKE ck_role FROM ck_user GRANTED BY sym_access_grantor';
  ELSE
    EXECUTE 'REVOKE ck_role FROM ck_user';
  END IF;
END $$;
SELECT problem, role, grantee, detail FROM sym_access.check();
-- fixed by closing the run through sym_access
SELECT outcome, message FROM sym_access.revoke('ck_role', 'ck_user', '{"run_srn": "ck-1"}');
SELECT count(*) AS problems FROM sym_access.check();

-- dangerous_allowed_role: an allowed role that became dangerous.
GRANT pg_write_all_data TO ck_role;
SELECT problem, role, grantee, detail FROM sym_access.check();
REVOKE pg_write_all_data FROM ck_role;
SELECT count(*) AS problems FROM sym_access.check();

-- grantor_lacks_admin: ADMIN OPTION taken from the grantor by hand.
REVOKE ADMIN OPTION FOR ck_role2 FROM sym_access_grantor CASCADE;
SELECT problem, role, grantee, detail FROM sym_access.check();
SELECT sym_access.allow_role('ck_role2');
SELECT count(*) AS problems FROM sym_access.check();

-- dropped_role: a grantee and an allowed role dropped with live rows.
SELECT outcome FROM sym_access.grant('ck_role', 'ck_user2', '1 hour', '{"run_srn": "ck-2"}');
SELECT outcome FROM sym_access.grant('ck_role2', 'ck_user', '1 hour', '{"run_srn": "ck-3"}');
DROP ROLE ck_user2;
DROP ROLE ck_role2;
SELECT problem, role ~ '^\d+$' AS role_is_oid, grantee ~ '^\d+$' AS grantee_is_oid,
       regexp_replace(detail, '\d{4,}', '<oid>', 'g') AS detail
  FROM sym_access.check() ORDER BY 1, 4;
-- The view and disallow_role still work with those rows in place.
SELECT count(*) AS view_rows FROM sym_access.active_grants;
SELECT mark AS before_expire FROM audit_mark() AS mark \gset
SELECT sym_access.expire() AS revoked;
SELECT action, outcome, role_name ~ '^\d+$' AS role_is_oid, grantee ~ '^\d+$' AS grantee_is_oid,
       regexp_replace(detail->>'message', '\d{4,}', '<oid>', 'g') AS message
  FROM sym_access.audit WHERE id > :before_expire ORDER BY id;
SELECT count(*) AS problems FROM sym_access.check();
SELECT count(*) AS rows_naming_dropped_roles
  FROM (SELECT role FROM sym_access.allowed_role UNION ALL
        SELECT role FROM sym_access.active_grant UNION ALL
        SELECT grantee FROM sym_access.active_grant) r
 WHERE NOT EXISTS (SELECT FROM pg_roles p WHERE p.oid = r.role);

-- overdue: a due row that no sweep has closed for a long time.
SELECT outcome FROM sym_access.grant('ck_role', 'ck_user', '1 hour', '{"run_srn": "ck-4"}');
UPDATE sym_access.active_grant SET expires_at = now() - interval '1 hour' WHERE run_srn = 'ck-4';
SELECT problem, role, grantee, regexp_replace(detail, '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', '<time>') AS detail
  FROM sym_access.check();
SELECT sym_access.expire() AS revoked;
SELECT count(*) AS problems FROM sym_access.check();

-- Admins may run it; operators and others may not.
CREATE ROLE ck_admin LOGIN;
GRANT sym_access_admin TO ck_admin;
CREATE ROLE ck_bot LOGIN;
GRANT sym_access_operator TO ck_bot;
SET ROLE ck_admin;
SELECT count(*) AS admin_sees FROM sym_access.check();
RESET ROLE;
SET ROLE ck_bot;
SELECT count(*) FROM sym_access.check();
RESET ROLE;

SELECT sym_access.disallow_role('ck_role');
DROP ROLE ck_role, ck_user, ck_admin, ck_bot;

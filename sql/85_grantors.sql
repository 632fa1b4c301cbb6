--
-- Who granted what.  On 16+ a membership can be held several times, once
-- per grantor: sym_access's grant carries the grantor sym_access_grantor
-- (and the grantor's own ADMIN membership is INHERIT FALSE, SET FALSE), and
-- revoke removes exactly that grant, leaving a DBA's grant of the same role
-- to the same user in place.  On 15 there is one membership per pair, so a
-- DBA's later GRANT adds nothing and sym_access's revoke removes the pair.
-- (Alternative expected output: 85_grantors_1.out is 15's.)
--
\set VERBOSITY terse
CREATE ROLE gt_role NOLOGIN;
CREATE ROLE gt_user LOGIN;
CREATE ROLE gt_bot LOGIN;
GRANT sym_access_operator TO gt_bot;
SELECT sym_access.allow_role('gt_role');

-- The grantor's own membership.
SELECT admin_option,
       coalesce((to_jsonb(m) ->> 'inherit_option') || '/' || (to_jsonb(m) ->> 'set_option'),
                'no options before 16') AS inherit_set
  FROM pg_auth_members m
 WHERE roleid = 'gt_role'::regrole AND member = 'sym_access_grantor'::regrole;
-- The grantor does not gain the role's privileges on 16+ (it does on 15,
-- where membership options do not exist; it cannot log in either way).
SELECT has_table_privilege('sym_access_grantor', 'pg_catalog.pg_class', 'SELECT') AS sanity,
       pg_has_role('sym_access_grantor', 'gt_role', 'USAGE') AS grantor_uses_role;

SET SESSION AUTHORIZATION gt_bot;
SELECT outcome FROM sym_access.grant('gt_role', 'gt_user', '1 hour', '{"run_srn": "g1"}');
RESET SESSION AUTHORIZATION;
-- A DBA grants the same role to the same user while sym_access's grant is live.
GRANT gt_role TO gt_user;
SELECT * FROM members('gt_role');
SET SESSION AUTHORIZATION gt_bot;
SELECT * FROM show(sym_access.revoke('gt_role', 'gt_user', '{"run_srn": "g1"}'));
RESET SESSION AUTHORIZATION;
SELECT * FROM members('gt_role');
SELECT pg_has_role('gt_user', 'gt_role', 'MEMBER') AS still_member;

SELECT sym_access.disallow_role('gt_role');
DROP ROLE gt_role, gt_user, gt_bot;

--
-- Every policy refusal returns outcome 'denied' with a WARNING, changes
-- nothing, and is audited in the caller's transaction.
--
\set VERBOSITY terse
CREATE ROLE dn_ok NOLOGIN;
CREATE ROLE dn_user LOGIN;
CREATE ROLE dn_nologin NOLOGIN;
CREATE ROLE dn_super LOGIN SUPERUSER;
CREATE ROLE dn_bot LOGIN;
GRANT sym_access_operator TO dn_bot;
CREATE ROLE dn_bot2 LOGIN;
GRANT sym_access_operator TO dn_bot2;
CREATE ROLE dn_notallowed NOLOGIN;
SELECT sym_access.allow_role('dn_ok');

-- Roles that are put on the allow-list while harmless and made dangerous
-- afterwards: each attribute, and each forbidden membership, directly and
-- through a chain.
CREATE ROLE dn_attr_superuser NOLOGIN;
CREATE ROLE dn_attr_createrole NOLOGIN;
CREATE ROLE dn_attr_createdb NOLOGIN;
CREATE ROLE dn_attr_replication NOLOGIN;
CREATE ROLE dn_attr_bypassrls NOLOGIN;
CREATE ROLE dn_mem_exec NOLOGIN;
CREATE ROLE dn_mem_read NOLOGIN;
CREATE ROLE dn_mem_write NOLOGIN;
CREATE ROLE dn_mem_signal NOLOGIN;
CREATE ROLE dn_mem_grantor NOLOGIN;
CREATE ROLE dn_mem_admin NOLOGIN;
CREATE ROLE dn_mem_operator NOLOGIN;
CREATE ROLE dn_chain_top NOLOGIN;
CREATE ROLE dn_chain_mid NOLOGIN;
CREATE ROLE dn_chain NOLOGIN;
CREATE ROLE dn_chain_attr_top NOLOGIN;
CREATE ROLE dn_chain_attr NOLOGIN;
SELECT sym_access.allow_role(r) FROM unnest(ARRAY[
  'dn_attr_superuser', 'dn_attr_createrole', 'dn_attr_createdb', 'dn_attr_replication',
  'dn_attr_bypassrls', 'dn_mem_exec', 'dn_mem_read', 'dn_mem_write', 'dn_mem_signal',
  'dn_mem_admin', 'dn_mem_operator', 'dn_chain', 'dn_chain_attr']) AS r;

ALTER ROLE dn_attr_superuser SUPERUSER;
ALTER ROLE dn_attr_createrole CREATEROLE;
ALTER ROLE dn_attr_createdb CREATEDB;
ALTER ROLE dn_attr_replication REPLICATION;
ALTER ROLE dn_attr_bypassrls BYPASSRLS;
GRANT pg_execute_server_program TO dn_mem_exec;
GRANT pg_read_server_files TO dn_mem_read;
GRANT pg_write_server_files TO dn_mem_write;
GRANT pg_signal_backend TO dn_mem_signal;
GRANT sym_access_admin TO dn_mem_admin;
GRANT sym_access_operator TO dn_mem_operator;
-- dn_chain -> dn_chain_mid -> dn_chain_top -> pg_read_server_files
GRANT pg_read_server_files TO dn_chain_top;
GRANT dn_chain_top TO dn_chain_mid;
GRANT dn_chain_mid TO dn_chain;
-- dn_chain_attr -> dn_chain_attr_top (BYPASSRLS)
ALTER ROLE dn_chain_attr_top BYPASSRLS;
GRANT dn_chain_attr_top TO dn_chain_attr;

SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION dn_bot;

-- Role checks.
SELECT * FROM show(sym_access.grant('dn_notallowed', 'dn_user'));
SELECT * FROM show(sym_access.grant('dn_no_such_role', 'dn_user'));
SELECT r, (show(sym_access.grant(r, 'dn_user'))).*
  FROM unnest(ARRAY[
  'dn_attr_superuser', 'dn_attr_createrole', 'dn_attr_createdb', 'dn_attr_replication',
  'dn_attr_bypassrls', 'dn_mem_exec', 'dn_mem_read', 'dn_mem_write', 'dn_mem_signal',
  'dn_mem_admin', 'dn_mem_operator', 'dn_chain', 'dn_chain_attr']) AS r;

-- Grantee checks.
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_no_such_user'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_nologin'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_super'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_bot'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_bot2'));
SELECT * FROM show(sym_access.grant('dn_ok', 'sym_access_grantor'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_ok'));

-- Names are never truncated: 64 bytes would silently become another name.
SELECT * FROM show(sym_access.grant(repeat('r', 64), 'dn_user'));
SELECT * FROM show(sym_access.grant('dn_ok', repeat('u', 64)));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_user' || repeat('x', 57)));
SELECT * FROM show(sym_access.grant('', 'dn_user'));
SELECT * FROM show(sym_access.revoke(repeat('r', 64), 'dn_user'));

-- Durations.
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_user', '0 seconds'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_user', '-5 minutes'));
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_user', '1 mon -30 days'));

-- Revoke of unknown role or user.
SELECT * FROM show(sym_access.revoke('dn_no_such_role', 'dn_user'));
SELECT * FROM show(sym_access.revoke('dn_ok', 'dn_no_such_user'));
RESET SESSION AUTHORIZATION;

-- Nothing was granted, nothing recorded as active; every refusal audited.
SELECT count(*) AS memberships FROM pg_auth_members WHERE member = 'dn_user'::regrole;
SELECT count(*) AS active_rows FROM sym_access.active_grant;
SELECT outcome, count(*) FROM sym_access.audit WHERE id > :mark GROUP BY 1;
SELECT count(*) AS refusals_audited_by_bot FROM sym_access.audit
 WHERE id > :mark AND called_by = 'dn_bot' AND outcome = 'denied';

-- A denied call inside the caller's transaction commits its audit row with it.
BEGIN;
SET LOCAL SESSION AUTHORIZATION dn_bot;
SELECT outcome FROM sym_access.grant('dn_notallowed', 'dn_user', NULL, '{"run_srn": "tx"}');
COMMIT;
SELECT action, outcome, run_srn FROM sym_access.audit WHERE run_srn = 'tx';

-- Every forbidden role through a two-step chain (pg_create_subscription
-- exists from 16 on; the check counts what exists, so 15 and 16+ agree).
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['pg_execute_server_program', 'pg_read_server_files',
      'pg_write_server_files', 'pg_create_subscription', 'pg_signal_backend',
      'sym_access_admin', 'sym_access_operator'] LOOP
    CONTINUE WHEN NOT EXISTS (SELECT FROM pg_roles WHERE rolname = f);
    EXECUTE format('CREATE ROLE %I NOLOGIN', 'dnc_' || f);
    EXECUTE format('CREATE ROLE %I NOLOGIN', 'dnc_mid_' || f);
    PERFORM sym_access.allow_role('dnc_' || f);
    EXECUTE format('GRANT %I TO %I', f, 'dnc_mid_' || f);
    EXECUTE format('GRANT %I TO %I', 'dnc_mid_' || f, 'dnc_' || f);
  END LOOP;
END $$;
SET SESSION AUTHORIZATION dn_bot;
SET client_min_messages = error;
SELECT count(*) = (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dnc\_mid\_%') AS every_forbidden_role_tried,
       bool_and(g.outcome = 'denied') AS all_denied,
       bool_and(g.message LIKE '%-> "dnc_mid_%" -> %') AS chains_named
  FROM pg_roles r, LATERAL sym_access.grant(r.rolname::text, 'dn_user') g
 WHERE r.rolname LIKE 'dnc\_%' AND r.rolname NOT LIKE 'dnc\_mid\_%';
RESET client_min_messages;
RESET SESSION AUTHORIZATION;
SELECT sum(sym_access.disallow_role(rolname::text)) AS revoked FROM pg_roles
 WHERE rolname LIKE 'dnc\_%' AND rolname NOT LIKE 'dnc\_mid\_%';
DO $$
DECLARE r text;
BEGIN
  FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'dnc\_%' ORDER BY rolname DESC LOOP
    EXECUTE format('DROP ROLE %I', r);
  END LOOP;
END $$;

-- A role that is fixed again is grantable again (checked at every grant).
ALTER ROLE dn_attr_createdb NOCREATEDB;
SET SESSION AUTHORIZATION dn_bot;
SELECT * FROM show(sym_access.grant('dn_attr_createdb', 'dn_user'));
SELECT * FROM show(sym_access.revoke('dn_attr_createdb', 'dn_user'));
RESET SESSION AUTHORIZATION;

-- The grantor cannot hand out a role it has no ADMIN OPTION on, even when
-- the allow-list says yes (e.g. after a restore into a fresh cluster).
REVOKE dn_ok FROM sym_access_grantor;
SET SESSION AUTHORIZATION dn_bot;
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_user'));
RESET SESSION AUTHORIZATION;
SELECT sym_access.allow_role('dn_ok');
SET SESSION AUTHORIZATION dn_bot;
SELECT * FROM show(sym_access.grant('dn_ok', 'dn_user'));
SELECT * FROM show(sym_access.revoke('dn_ok', 'dn_user'));
RESET SESSION AUTHORIZATION;

-- allow_role itself refuses dangerous and unknown roles (42501, 42704).
\set VERBOSITY default
SELECT sym_access.allow_role('dn_chain');
SELECT sym_access.allow_role('dn_super');
SELECT sym_access.allow_role('pg_execute_server_program');
SELECT sym_access.allow_role('sym_access_admin');
SELECT sym_access.allow_role('dn_no_such_role');
-- A member of the grantor can never be allowed (and once allowed, the
-- grantor's ADMIN membership makes that membership circular, so impossible).
GRANT sym_access_grantor TO dn_mem_grantor;
SELECT sym_access.allow_role('dn_mem_grantor');
REVOKE sym_access_grantor FROM dn_mem_grantor;
\set VERBOSITY sqlstate
SELECT sym_access.allow_role('dn_chain');
SELECT sym_access.allow_role('dn_no_such_role');
SELECT sym_access.allow_role(repeat('r', 64));
\set VERBOSITY terse

SELECT sym_access.disallow_role(role::text) FROM sym_access.allowed_role ORDER BY 1;
DROP ROLE dn_ok, dn_user, dn_nologin, dn_super, dn_bot, dn_bot2, dn_notallowed,
  dn_attr_superuser, dn_attr_createrole, dn_attr_createdb, dn_attr_replication,
  dn_attr_bypassrls, dn_mem_exec, dn_mem_read, dn_mem_write, dn_mem_signal,
  dn_mem_grantor, dn_mem_admin, dn_mem_operator, dn_chain, dn_chain_mid, dn_chain_top,
  dn_chain_attr, dn_chain_attr_top;

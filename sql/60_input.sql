--
-- Programming errors raise with a proper SQLSTATE and HINT and change
-- nothing (no audit row either): NULLs, malformed or oversized context,
-- oversized text, the wrong isolation level.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE ROLE in_role NOLOGIN;
CREATE ROLE in_user LOGIN;
CREATE ROLE in_bot LOGIN;
GRANT sym_access_operator TO in_bot;
SELECT sym_access.allow_role('in_role');
SELECT audit_mark() AS mark \gset

SET SESSION AUTHORIZATION in_bot;
SELECT sym_access.grant(NULL, 'in_user');
SELECT sym_access.grant('in_role', NULL);
SELECT sym_access.revoke(NULL, 'in_user');
SELECT sym_access.resolve_user(NULL);
SELECT sym_access.grant('in_role', 'in_user', '1 hour', '[1, 2]');
SELECT sym_access.grant('in_role', 'in_user', '1 hour', '"run"');
SELECT sym_access.grant('in_role', 'in_user', '1 hour', '{"run_srn": 42}');
SELECT sym_access.grant('in_role', 'in_user', '1 hour', '{"reason": ["a"]}');
SELECT sym_access.grant('in_role', 'in_user', '1 hour', jsonb_build_object('reason', repeat('r', 1025)));
SELECT sym_access.grant('in_role', 'in_user', '1 hour', jsonb_build_object('nested', jsonb_build_object('deep', repeat('d', 1025))));
SELECT sym_access.grant('in_role', 'in_user', '1 hour', jsonb_build_object(repeat('k', 1025), 1));
SELECT sym_access.grant('in_role', 'in_user', '1 hour',
  (SELECT jsonb_object_agg('k' || i, repeat('v', 1000)) FROM generate_series(1, 17) i));
SELECT sym_access.grant(repeat('r', 1025), 'in_user');
SELECT sym_access.resolve_user(repeat('e', 1025));
\set VERBOSITY sqlstate
SELECT sym_access.grant(NULL, 'in_user');
SELECT sym_access.grant('in_role', 'in_user', '1 hour', '[1, 2]');
SELECT sym_access.grant('in_role', 'in_user', '1 hour', jsonb_build_object('reason', repeat('r', 1025)));
SELECT sym_access.grant('in_role', 'in_user', '1 hour',
  (SELECT jsonb_object_agg('k' || i, repeat('v', 1000)) FROM generate_series(1, 17) i));
SELECT sym_access.grant(repeat('r', 1025), 'in_user');
\set VERBOSITY default
-- Exactly at the limits is fine: a 1 kB reason, a context just under 16 kB.
SELECT outcome FROM sym_access.grant('in_role', 'in_user', '1 hour',
  jsonb_build_object('reason', repeat('r', 1024), 'run_srn', 'limits'));
SELECT outcome FROM sym_access.revoke('in_role', 'in_user',
  (SELECT jsonb_object_agg('k' || i, repeat('v', 1000)) FROM generate_series(1, 15) i)
  || '{"run_srn": "limits"}');
-- NULL context means no context.
SELECT outcome FROM sym_access.grant('in_role', 'in_user', NULL, NULL);
SELECT outcome FROM sym_access.revoke('in_role', 'in_user', NULL);

-- Serialization relies on READ COMMITTED.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sym_access.grant('in_role', 'in_user');
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT sym_access.revoke('in_role', 'in_user');
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- Only the four successful calls left audit rows.
SELECT action, outcome, run_srn FROM audit_after(:mark);

-- Admin input errors.
SELECT sym_access.allow_role('in_role', NULL, '0 seconds');
SELECT sym_access.allow_role('in_role', NULL, '2 hours', '1 hour');
SELECT sym_access.allow_role('in_role', NULL, NULL);
SELECT sym_access.allow_role('in_role', NULL, '1 hour', '2 hours', NULL);
SELECT sym_access.allow_role('');
SELECT sym_access.map_user('', 'in_user');
SELECT sym_access.map_user('a@example.com', repeat('u', 64));
SELECT sym_access.map_user('a@example.com', '');
SELECT sym_access.disallow_role('in_no_such_role');

SELECT sym_access.disallow_role('in_role');
DROP ROLE in_role, in_user, in_bot;

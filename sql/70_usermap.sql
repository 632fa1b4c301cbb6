--
-- resolve_user: the map first (case-insensitive), then the seed's rule.
--
\set VERBOSITY terse
SELECT audit_mark() AS mark \gset
SELECT sym_access.resolve_user('sym-user@healthy-health.co');
SELECT sym_access.resolve_user('first.last@example.com');
SELECT sym_access.resolve_user('a-b-c@example.com');
-- The local part is everything before the last '@'.
SELECT sym_access.resolve_user('"odd@name"@example.com');
SELECT sym_access.resolve_user('no-at-sign');
-- Errors: empty result, too long for a role name.
SELECT sym_access.resolve_user('@example.com');
SELECT sym_access.resolve_user(repeat('a', 64) || '@example.com');
SELECT sym_access.resolve_user(repeat('a', 63) || '@example.com');

-- The map wins, whatever the case of the e-mail.
SELECT sym_access.map_user('Sym-User@Healthy-Health.co', 'alice');
SELECT email, db_user FROM sym_access.user_map;
SELECT sym_access.resolve_user('sym-user@healthy-health.co');
SELECT sym_access.resolve_user('SYM-USER@HEALTHY-HEALTH.CO');
-- Remapping updates; unmapping falls back to the rule.
SELECT sym_access.map_user('sym-user@healthy-health.co', 'bob');
SELECT sym_access.resolve_user('sym-user@healthy-health.co');
SELECT sym_access.unmap_user('SYM-USER@healthy-health.co');
SELECT sym_access.unmap_user('sym-user@healthy-health.co');
SELECT sym_access.resolve_user('sym-user@healthy-health.co');

-- Map changes are audited; lookups are not.
SELECT action, outcome, grantee, requester, detail FROM audit_after(:mark);

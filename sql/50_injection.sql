--
-- Hostile values in role, grantee, e-mail and context are data, never SQL:
-- nothing they say is executed, and names with quotes, spaces and
-- separators are handled as the exact roles they name.
--
\set VERBOSITY terse
CREATE ROLE "inj role"";DROP TABLE public.inj_canary;--" NOLOGIN;
CREATE ROLE "inj user' OR '1'='1" LOGIN;
CREATE ROLE inj_plain LOGIN;
CREATE ROLE inj_bot LOGIN;
GRANT sym_access_operator TO inj_bot;
CREATE TABLE public.inj_canary (x int);
INSERT INTO public.inj_canary VALUES (1);
SELECT sym_access.allow_role('inj role";DROP TABLE public.inj_canary;--');

SET SESSION AUTHORIZATION inj_bot;
-- The odd names are granted as exactly those roles.
SELECT outcome, role, grantee
  FROM sym_access.grant('inj role";DROP TABLE public.inj_canary;--', 'inj user'' OR ''1''=''1',
                        '1 hour', '{"run_srn": "inj"}');
-- Classic payloads as names are just unknown roles.
SELECT outcome, message FROM sym_access.grant('readonly; DROP TABLE public.inj_canary; --', 'inj_plain');
SELECT outcome, message FROM sym_access.grant('"inj role"', 'inj_plain');
SELECT outcome, message FROM sym_access.grant('inj role";DROP TABLE public.inj_canary;--', 'inj_plain'' WITH ADMIN OPTION --');
SELECT outcome, message FROM sym_access.grant('inj role";DROP TABLE public.inj_canary;--', 'inj_plain; ALTER ROLE inj_plain SUPERUSER');
SELECT outcome, message FROM sym_access.grant('inj role";DROP TABLE public.inj_canary;--', E'inj_plain\nGRANTED BY postgres');
-- Context values are stored as given.
SELECT outcome FROM sym_access.grant('inj role";DROP TABLE public.inj_canary;--', 'inj_plain', '1 hour',
  jsonb_build_object('run_srn', 'x''); DROP TABLE public.inj_canary; --',
                     'reason', E'Robert''); DROP TABLE students;--\n\u0001',
                     'requester', '$$; DROP TABLE public.inj_canary; $$'));
-- E-mail values.
SELECT sym_access.resolve_user('x''; DROP TABLE public.inj_canary; --@example.com');
SELECT sym_access.resolve_user(E'a\\b"c@example.com');
SELECT outcome FROM sym_access.revoke('inj role";DROP TABLE public.inj_canary;--', 'inj user'' OR ''1''=''1', '{"run_srn": "inj"}');
SELECT outcome FROM sym_access.revoke('inj role";DROP TABLE public.inj_canary;--', 'inj_plain',
  jsonb_build_object('run_srn', 'x''); DROP TABLE public.inj_canary; --'));
RESET SESSION AUTHORIZATION;

SELECT count(*) AS canary_alive FROM public.inj_canary;
SELECT rolsuper FROM pg_roles WHERE rolname = 'inj_plain';
SELECT count(*) AS memberships_left FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
 WHERE r.rolname = 'inj role";DROP TABLE public.inj_canary;--' AND m.member <> 'sym_access_grantor'::regrole;
SELECT run_srn, reason, requester FROM sym_access.audit
 WHERE role_name = 'inj role";DROP TABLE public.inj_canary;--' AND reason IS NOT NULL;

-- The map stores hostile e-mails and names verbatim, too.
SELECT sym_access.map_user('Evil''--@Example.com', 'inj user'' OR ''1''=''1');
SELECT sym_access.resolve_user('evil''--@example.com');
SELECT sym_access.unmap_user('EVIL''--@EXAMPLE.COM');

SELECT sym_access.disallow_role('inj role";DROP TABLE public.inj_canary;--');
DROP TABLE public.inj_canary;
DROP ROLE "inj role"";DROP TABLE public.inj_canary;--", "inj user' OR '1'='1", inj_plain, inj_bot;

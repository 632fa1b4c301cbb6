--
-- Temporary users (16+; 15 refuses the mode with 0A000 and changes
-- nothing): a login per run, its password, replays, revoke by base name or
-- login name, drop or disable, expiry, disallow_role, the grantor's
-- CREATEROLE and check().  Login names end in 8 hex digits of a hash of
-- the role's OID: shown as <h>.  Passwords are never shown, only checked.
--
\set VERBOSITY terse
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE ROLE tu_role NOLOGIN;
CREATE ROLE tu_member_role NOLOGIN;
CREATE ROLE tu_other NOLOGIN;
CREATE ROLE tu_bot LOGIN;
GRANT sym_access_operator TO tu_bot;
CREATE TABLE public.tu_data (x int);
INSERT INTO public.tu_data VALUES (7);
GRANT SELECT ON public.tu_data TO tu_role;
SELECT sym_access.allow_role('tu_member_role');

CREATE FUNCTION public.tu(t text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT regexp_replace(public.mask(t), '_[0-9a-f]{8}', '_<h>', 'g') $$;
CREATE FUNCTION public.tu_show(r sym_access.result)
RETURNS TABLE (outcome text, grantee text, has_expiry boolean, password_ok boolean, message text)
LANGUAGE sql AS $$
  SELECT r.outcome, public.tu(r.grantee), r.expires_at IS NOT NULL,
         r.password ~ '^[A-Za-z0-9_-]{32,}$', public.tu(r.message) $$;
CREATE FUNCTION public.tu_audit(mark bigint)
RETURNS TABLE (action text, outcome text, role_name text, grantee text, run_srn text, detail text)
LANGUAGE sql AS $$
  SELECT action, outcome, role_name, public.tu(grantee), run_srn,
         public.tu(regexp_replace(detail::text, '"context": \{[^}]*\}, ', ''))
    FROM sym_access.audit WHERE id > mark ORDER BY id $$;
-- The name grant() gives a new login: what the pg_tle edition computes too.
CREATE FUNCTION public.tu_login(base text, run text) RETURNS text LANGUAGE sql
AS $$ SELECT base || '_' || lpad(to_hex(hashtext('tu_role'::regrole::oid::text || '/' || run)), 8, '0') $$;
SELECT current_setting('server_version_num')::int >= 160000 AS pg16 \gset

-- mode is checked first
SELECT sym_access.allow_role('tu_role', mode => 'bogus');
SELECT sym_access.allow_role('tu_role', mode => NULL);
SELECT rolcreaterole AS grantor_createrole FROM pg_roles WHERE rolname = 'sym_access_grantor';
SELECT audit_mark() AS mark \gset
\set VERBOSITY sqlstate
SELECT sym_access.allow_role('tu_role', 'temporary', '1 hour', '4 hours', false, 'temporary_user');
\set VERBOSITY terse
SELECT role, mode, terminate_sessions FROM sym_access.allowed_role ORDER BY role::text;
SELECT rolcreaterole AS grantor_createrole FROM pg_roles WHERE rolname = 'sym_access_grantor';
SELECT action, outcome, role_name, detail->>'mode' AS mode FROM sym_access.audit WHERE id > :mark ORDER BY id;

\if :pg16
--
-- Denials, audited like any other: no run, a reserved or unusable base name.
--
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.grant('tu_role', 'tu_alice', '1 hour', '{}'));
SELECT * FROM tu_show(sym_access.grant('tu_role', 'pg_alice', '1 hour', '{"run_srn": "tu-1"}'));
SELECT * FROM tu_show(sym_access.grant('tu_role', '', '1 hour', '{"run_srn": "tu-1"}'));
SELECT * FROM tu_show(sym_access.grant('tu_role', repeat('a', 64), '1 hour', '{"run_srn": "tu-1"}'));
RESET SESSION AUTHORIZATION;
SELECT action, outcome, tu(grantee) AS grantee FROM sym_access.audit WHERE id > :mark ORDER BY id;
SELECT count(*) AS logins FROM sym_access.temporary_login;

--
-- Create: a login named after the base name, LOGIN with no attribute,
-- VALID UNTIL the run's expiry, a SCRAM verifier, a member of the role only.
--
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT r.grantee AS login1, r.password AS pw1, r.expires_at AS exp1, r.outcome AS outcome1,
       r.message AS msg1
  FROM sym_access.grant('tu_role', 'tu_alice', '1 hour', '{"run_srn": "tu-1"}') r \gset
RESET SESSION AUTHORIZATION;
SELECT :'outcome1' AS outcome, tu(:'login1') AS login, :'login1' = tu_login('tu_alice', 'tu-1') AS name_as_specified,
       length(:'pw1') >= 32 AS long_password, :'pw1' ~ '^[A-Za-z0-9_-]+$' AS password_charset,
       tu(:'msg1') AS message, strpos(:'msg1', :'pw1') = 0 AS message_has_no_password;
SELECT a.rolcanlogin, a.rolinherit, a.rolsuper, a.rolcreatedb, a.rolcreaterole, a.rolreplication,
       a.rolbypassrls, a.rolvaliduntil = :'exp1'::timestamptz AS valid_until_is_expiry,
       a.rolpassword LIKE 'SCRAM-SHA-256$%' AS scram, strpos(a.rolpassword, :'pw1') = 0 AS no_clear_text
  FROM pg_authid a WHERE a.rolname = :'login1';
SELECT roleid::regrole AS role, grantor::regrole AS grantor, admin_option
  FROM pg_auth_members WHERE member = :'login1'::regrole;
SELECT tu(login::text) AS login, tu(login_name) AS login_name, role, run_srn, base_name, disabled_at IS NULL AS enabled
  FROM sym_access.temporary_login;
SELECT role, tu(grantee::text) AS grantee, run_srn, member FROM sym_access.active_grants;
SELECT * FROM tu_audit(:mark);
SELECT count(*) AS audit_rows_with_password FROM sym_access.audit a WHERE strpos(to_jsonb(a)::text, :'pw1') > 0;
SELECT rolpassword AS verifier1 FROM pg_authid WHERE rolname = :'login1' \gset
-- the login reads what the role may read
SELECT * FROM dblink(user_conn(:'login1'), 'SELECT current_user = session_user, x FROM public.tu_data') AS t(own bool, x int);

--
-- Replay: a fresh password, same login; the expiry is extended, never
-- shortened; the login's own name is accepted as the grantee too.
--
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT r.password AS pw2, r.expires_at AS exp2, r.grantee = :'login1' AS same_login, r.outcome AS outcome2
  FROM sym_access.grant('tu_role', 'tu_alice', '10 minutes', '{"run_srn": "tu-1"}') r \gset
RESET SESSION AUTHORIZATION;
SELECT :'outcome2' AS outcome, :'same_login' AS same_login, :'pw2' <> :'pw1' AS new_password,
       :'exp2'::timestamptz = :'exp1'::timestamptz AS not_shortened;
SELECT rolpassword <> :'verifier1' AS verifier_changed, rolvaliduntil = :'exp1'::timestamptz AS valid_until_kept
  FROM pg_authid WHERE rolname = :'login1';
SET SESSION AUTHORIZATION tu_bot;
SELECT r.password AS pw3, r.expires_at AS exp3
  FROM sym_access.grant('tu_role', :'login1', '2 hours', '{"run_srn": "tu-1"}') r \gset
RESET SESSION AUTHORIZATION;
SELECT :'exp3'::timestamptz > :'exp1'::timestamptz AS extended, :'pw3' <> :'pw2' AS new_password;
SELECT rolvaliduntil = :'exp3'::timestamptz AS valid_until_extended FROM pg_authid WHERE rolname = :'login1';
SELECT expires_at = :'exp3'::timestamptz AS row_extended FROM sym_access.active_grant WHERE run_srn = 'tu-1';
SELECT count(*) AS logins FROM sym_access.temporary_login;
SELECT * FROM tu_audit(:mark);
SELECT count(*) AS audit_rows_with_password FROM sym_access.audit a
 WHERE strpos(to_jsonb(a)::text, :'pw2') > 0 OR strpos(to_jsonb(a)::text, :'pw3') > 0;

--
-- Another base name for the same run is refused; a temporary login gets no
-- other role; the login's name never falls on an existing role.
--
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.grant('tu_role', 'tu_mallory', '1 hour', '{"run_srn": "tu-1"}'));
-- (its WARNING would show the login's hash)
SET client_min_messages = error;
SELECT * FROM tu_show(sym_access.grant('tu_member_role', :'login1', '1 hour', '{"run_srn": "tu-1"}'));
RESET client_min_messages;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS memberships FROM pg_auth_members WHERE member = :'login1'::regrole;
-- a base name that is an existing role's name: that role is left alone
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.grant('tu_role', 'tu_other', '1 hour', '{"run_srn": "tu-2"}'));
RESET SESSION AUTHORIZATION;
SELECT pg_has_role('tu_other', 'tu_role', 'MEMBER') AS existing_role_got_it;
-- a role already has the name the login would get: "_2" follows
SELECT format('CREATE ROLE %I NOLOGIN', tu_login('tu_carol', 'tu-3')) AS squat \gset
:squat;
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.grant('tu_role', 'tu_carol', '1 hour', '{"run_srn": "tu-3"}'));
RESET SESSION AUTHORIZATION;
SELECT login_name = tu_login('tu_carol', 'tu-3') || '_2' AS suffixed FROM sym_access.temporary_login WHERE run_srn = 'tu-3';
SELECT pg_has_role(tu_login('tu_carol', 'tu-3'), 'tu_role', 'MEMBER') AS squatter_got_it;
-- a long multibyte base name is cut on a character boundary (54 bytes
-- would split an é: 53 are kept), so the login has at most 63 bytes
SET SESSION AUTHORIZATION tu_bot;
SELECT outcome FROM sym_access.grant('tu_role', 'a' || repeat('é', 31), '1 hour', '{"run_srn": "tu-4"}');
RESET SESSION AUTHORIZATION;
SELECT octet_length(login_name) AS bytes, length(login_name) AS chars,
       left(login_name, 28) = 'a' || repeat('é', 26) || '_' AS cut_on_boundary
  FROM sym_access.temporary_login WHERE run_srn = 'tu-4';

--
-- Revoke: with another run nothing happens; by base name or by login name
-- the membership goes, the sessions end (terminate_sessions is false for
-- this role: a temporary login's always end) and the login is dropped.
--
SELECT audit_mark() AS mark \gset
SELECT dblink_connect('l1', user_conn(:'login1'));
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.revoke('tu_role', :'login1', '{"run_srn": "tu-9"}'));
SELECT * FROM tu_show(sym_access.revoke('tu_role', 'tu_alice', '{"run_srn": "tu-9"}'));
SELECT * FROM tu_show(sym_access.revoke('tu_role', 'tu_alice', '{"run_srn": "tu-1"}'));
RESET SESSION AUTHORIZATION;
SELECT sessions_after_wait(:'login1') AS sessions_left;
SELECT dblink_disconnect('l1');
SELECT count(*) AS login_left FROM pg_roles WHERE rolname = :'login1';
SELECT tu(login_name) FROM sym_access.temporary_login WHERE run_srn = 'tu-1';
SELECT login_name AS login2 FROM sym_access.temporary_login WHERE run_srn = 'tu-2' \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.revoke('tu_role', :'login2', '{"run_srn": "tu-2"}'));
RESET SESSION AUTHORIZATION;
SELECT count(*) AS login_left FROM pg_roles WHERE rolname = :'login2';
SELECT * FROM tu_audit(:mark);

--
-- A login that owns an object cannot be dropped: it is disabled (no login,
-- no password, no membership), check() lists it, a replay is refused, and
-- expire() drops it once its objects are gone.
--
SET SESSION AUTHORIZATION tu_bot;
SELECT grantee AS login5 FROM sym_access.grant('tu_role', 'tu_dave', '1 hour', '{"run_srn": "tu-5"}') \gset
RESET SESSION AUTHORIZATION;
CREATE TABLE public.tu_owned (x int);
SELECT format('ALTER TABLE public.tu_owned OWNER TO %I', :'login5') AS give \gset
:give;
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT * FROM tu_show(sym_access.revoke('tu_role', 'tu_dave', '{"run_srn": "tu-5"}'));
SELECT * FROM tu_show(sym_access.grant('tu_role', 'tu_dave', '1 hour', '{"run_srn": "tu-5"}'));
RESET SESSION AUTHORIZATION;
SELECT rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = :'login5';
SELECT count(*) AS memberships FROM pg_auth_members WHERE member = :'login5'::regrole;
SELECT tu(login_name), disabled_at IS NOT NULL AS disabled FROM sym_access.temporary_login WHERE run_srn = 'tu-5';
SELECT problem, role, tu(grantee) AS grantee, regexp_replace(detail, '^disabled at \S+: ', 'disabled at <time>: ') AS detail
  FROM sym_access.check();
SELECT * FROM tu_audit(:mark);
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT sym_access.expire() AS expired;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS login_left FROM pg_roles WHERE rolname = :'login5';
SELECT count(*) AS audit_rows FROM sym_access.audit WHERE id > :mark;
SELECT format('DROP OWNED BY %I', :'login5') AS drop_owned \gset
:drop_owned;
SET SESSION AUTHORIZATION tu_bot;
SELECT sym_access.expire() AS expired;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS login_left FROM pg_roles WHERE rolname = :'login5';
SELECT count(*) AS rows_left FROM sym_access.temporary_login WHERE run_srn = 'tu-5';
SELECT * FROM tu_audit(:mark);

--
-- expire() ends a due temporary login the same way.
--
SET SESSION AUTHORIZATION tu_bot;
SELECT grantee AS login6 FROM sym_access.grant('tu_role', 'tu_erin', '1 second', '{"run_srn": "tu-6"}') \gset
RESET SESSION AUTHORIZATION;
SELECT pg_sleep(1.2);
SELECT audit_mark() AS mark \gset
SET SESSION AUTHORIZATION tu_bot;
SELECT sym_access.expire() AS expired;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS login_left FROM pg_roles WHERE rolname = :'login6';
SELECT * FROM tu_audit(:mark);

--
-- disallow_role drops every login of the role; one that owns an object is
-- disabled and keeps the grantor's CREATEROLE (its drop needs it) until a
-- later sweep drops it; check() then says CREATEROLE is left over, and the
-- next allow_role takes it away.
--
SET SESSION AUTHORIZATION tu_bot;
SELECT grantee AS login7 FROM sym_access.grant('tu_role', 'tu_frank', '1 hour', '{"run_srn": "tu-7"}') \gset
SELECT grantee AS login8 FROM sym_access.grant('tu_role', 'tu_grace', '1 hour', '{"run_srn": "tu-8"}') \gset
RESET SESSION AUTHORIZATION;
CREATE TABLE public.tu_owned (x int);
SELECT format('ALTER TABLE public.tu_owned OWNER TO %I', :'login8') AS give \gset
:give;
SELECT audit_mark() AS mark \gset
SELECT sym_access.disallow_role('tu_role') AS revoked;
SELECT count(*) AS login7_left FROM pg_roles WHERE rolname = :'login7';
SELECT rolcanlogin AS login8_can_login FROM pg_roles WHERE rolname = :'login8';
SELECT tu(login_name), disabled_at IS NOT NULL AS disabled FROM sym_access.temporary_login ORDER BY 1;
SELECT rolcreaterole AS grantor_createrole FROM pg_roles WHERE rolname = 'sym_access_grantor';
SELECT action, outcome, role_name, tu(grantee) AS grantee, tu(detail->>'revoked') AS revoked
  FROM sym_access.audit WHERE id > :mark ORDER BY id;
SELECT problem, role, tu(grantee) AS grantee FROM sym_access.check();
DROP TABLE public.tu_owned;
SELECT sym_access.expire() AS expired;
SELECT count(*) AS logins_left FROM sym_access.temporary_login;
SELECT problem, role, grantee FROM sym_access.check();
SELECT sym_access.allow_role('tu_member_role');
SELECT rolcreaterole AS grantor_createrole FROM pg_roles WHERE rolname = 'sym_access_grantor';
SELECT count(*) AS problems FROM sym_access.check();

--
-- Switching a role back to membership mode takes CREATEROLE away too.
--
SELECT sym_access.allow_role('tu_role', mode => 'temporary_user');
SELECT rolcreaterole AS grantor_createrole FROM pg_roles WHERE rolname = 'sym_access_grantor';
SELECT sym_access.allow_role('tu_role', mode => 'membership');
SELECT rolcreaterole AS grantor_createrole FROM pg_roles WHERE rolname = 'sym_access_grantor';
SELECT sym_access.disallow_role('tu_role');
\else
-- 15: the refusal's message; nothing else changed
SELECT sym_access.allow_role('tu_role', mode => 'temporary_user');
SELECT count(*) AS logins FROM sym_access.temporary_login;
\endif

SELECT sym_access.disallow_role('tu_member_role');
SELECT format('DROP ROLE %I', tu_login('tu_carol', 'tu-3')) AS unsquat \gset
\if :pg16
:unsquat;
\endif
DROP TABLE public.tu_data;
DROP FUNCTION public.tu_show(sym_access.result), public.tu_audit(bigint), public.tu_login(text, text),
  public.tu(text);
DROP ROLE tu_role, tu_member_role, tu_other, tu_bot;

--
-- tempuser.sql (mirrors extension/src/tempuser.c): temporary users (16+).
-- A login made by grant() for one run of a temporary_user role, its
-- password, its replay, and its end (dropped, or disabled when it owns
-- objects or holds privileges).
--
-- The password.  The C edition computes the SCRAM-SHA-256 verifier with the
-- server's own code and creates the role from parse nodes, so neither the
-- password nor the verifier is ever SQL text.  PL/pgSQL can only run SQL:
-- the verifier is computed here (HMAC and PBKDF2 written with the core
-- sha256()), and the CREATE ROLE / ALTER ROLE statement carries the
-- VERIFIER as a literal (a declared difference: README, "Running on RDS and
-- Aurora").  The clear password is only ever a PL/pgSQL variable, passed to
-- functions as a parameter, never in any statement's text, audit row,
-- message or log line.
--

-- Locks on (role, run): a run's login is looked up and made under this row
-- lock, so two replays of one run make one login, and a revoke racing a
-- replay sees the login the replay made.  A table (like pair_lock,
-- membership.sql) and not an advisory lock, which the login itself could
-- take to stall its own end.  Rows without a temporary login are removed by
-- expire().
CREATE TABLE sym_access.run_lock (
	role	oid NOT NULL,
	run_srn text NOT NULL,
	PRIMARY KEY (role, run_srn)
);
COMMENT ON TABLE sym_access.run_lock IS
	'Rows that sym_access''s functions lock to serialize calls for one temporary_user role and run (pg_tle edition)';
CREATE TRIGGER run_lock_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.run_lock
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();

-- Waits.  A row that expire() deletes between our INSERT and our lock is
-- inserted again.
CREATE FUNCTION sym_access._lock_run(roleid oid, run text)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	LOOP
		INSERT INTO sym_access.run_lock AS l (role, run_srn) VALUES (roleid, run) ON CONFLICT DO NOTHING;
		PERFORM FROM sym_access.run_lock l WHERE l.role = roleid AND l.run_srn = run FOR UPDATE;
		EXIT WHEN FOUND;
	END LOOP;
END
$$;

--
-- SCRAM-SHA-256 (RFC 5802, RFC 7677), as PostgreSQL stores it:
--   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
-- SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations), StoredKey
-- = SHA-256(HMAC(SaltedPassword, "Client Key")), ServerKey =
-- HMAC(SaltedPassword, "Server Key"), all base64.  The passwords made here
-- are [A-Za-z0-9_-] only, which SASLprep leaves as they are.
-- Every function that sees the password or a key derived from it is
-- PL/pgSQL: its statements get their values through PL/pgSQL's parameter
-- hook, which auto_explain's parameter logging cannot print (an SQL
-- function's could be).
--

-- A bit string (a multiple of 64 bits long) as bytes: core SQL has no cast.
CREATE FUNCTION sym_access._bits_bytea(b bit varying)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN (SELECT decode(string_agg(lpad(to_hex(substring(b FROM i FOR 64)::bit(64)::bigint), 16, '0'), '' ORDER BY i), 'hex')
			  FROM generate_series(1, length(b), 64) i);
END
$$;

-- HMAC's two padded keys (RFC 2104, SHA-256's block of 64 bytes), computed
-- once per key: PBKDF2 uses the same key thousands of times.
CREATE FUNCTION sym_access._hmac_pads(key bytea, OUT inner_pad bytea, OUT outer_pad bytea)
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k bit(512);
BEGIN
	IF octet_length(key) > 64 THEN
		key := sha256(key);
	END IF;
	k := rpad('x' || encode(key, 'hex'), 129, '0')::bit(512);
	inner_pad := sym_access._bits_bytea(k # ('x' || repeat('36', 64))::bit(512));
	outer_pad := sym_access._bits_bytea(k # ('x' || repeat('5c', 64))::bit(512));
END
$$;

CREATE FUNCTION sym_access._hmac_sha256(key bytea, msg bytea)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record := sym_access._hmac_pads(key);
BEGIN
	RETURN sha256(p.outer_pad || sha256(p.inner_pad || msg));
END
$$;

-- PBKDF2's Hi() for one block of SHA-256's 32 bytes: U1 = HMAC(P, salt ||
-- INT(1)), Ui = HMAC(P, Ui-1), the result is U1 xor ... xor Un.
CREATE FUNCTION sym_access._pbkdf2_sha256(password bytea, salt bytea, iterations integer)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record := sym_access._hmac_pads(password);
	u bytea := sha256(p.outer_pad || sha256(p.inner_pad || salt || '\x00000001'::bytea));
	acc bit(256) := ('x' || encode(u, 'hex'))::bit(256);
BEGIN
	FOR i IN 2..iterations LOOP
		u := sha256(p.outer_pad || sha256(p.inner_pad || u));
		acc := acc # ('x' || encode(u, 'hex'))::bit(256);
	END LOOP;
	RETURN sym_access._bits_bytea(acc);
END
$$;

-- Random bytes from the server's strong generator: gen_random_uuid() draws
-- 122 random bits from pg_strong_random() per UUID; two of them, hashed,
-- give 32 bytes with 244 bits of it.
CREATE FUNCTION sym_access._random_bytes()
RETURNS bytea LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()))
$$;

-- 43 characters of [A-Za-z0-9_-] (base64url of 32 random bytes).
CREATE FUNCTION sym_access._random_password()
RETURNS text LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT translate(rtrim(encode(sym_access._random_bytes(), 'base64'), '='), '+/', '-_')
$$;

-- The verifier of a password.  Iterations: the server's scram_iterations
-- (16+; 4096 before it, its default); salt: 16 random bytes.  Both can be
-- given, for the tests' known vectors.
CREATE FUNCTION sym_access._scram_verifier(password text, iterations integer DEFAULT NULL, salt bytea DEFAULT NULL)
RETURNS text LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	iter integer := COALESCE(iterations, CASE WHEN current_setting('server_version_num')::int >= 160000
											   THEN current_setting('scram_iterations')::integer ELSE 4096 END);
	s bytea := COALESCE(salt, substr(sym_access._random_bytes(), 1, 16));
	salted bytea := sym_access._pbkdf2_sha256(convert_to(password, 'UTF8'), s, iter);
BEGIN
	RETURN format('SCRAM-SHA-256$%s:%s$%s:%s', iter, encode(s, 'base64'),
				  encode(sha256(sym_access._hmac_sha256(salted, convert_to('Client Key', 'UTF8'))), 'base64'),
				  encode(sym_access._hmac_sha256(salted, convert_to('Server Key', 'UTF8')), 'base64'));
END
$$;

--
-- The login.
--

-- The run's login name: the base name cut on a character boundary, '_', 8
-- hex digits of hashtext(role OID || '/' || run) (the C edition's
-- hash_any over the same bytes), and '_2', '_3', ... while a role of that
-- name exists.  At most 63 bytes.  The same for a replay of one run.
CREATE FUNCTION sym_access._temporary_login_name(base text, roleid oid, run text)
RETURNS text LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hex text := lpad(to_hex(hashtext(roleid::text || '/' || run)), 8, '0');
	suffix text;
	cut text;
	n integer := 1;
BEGIN
	LOOP
		suffix := '_' || hex || CASE WHEN n > 1 THEN '_' || n ELSE '' END;
		cut := base;
		WHILE octet_length(cut) > 63 - octet_length(suffix) LOOP
			cut := left(cut, -1);
		END LOOP;
		EXIT WHEN NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = cut || suffix);
		n := n + 1;
	END LOOP;
	RETURN cut || suffix;
END
$$;

-- VALID UNTIL's text: UTC, to the microsecond, whatever DateStyle says.
CREATE FUNCTION sym_access._valid_until(ts timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'
$$;

-- Create the login (as the grantor, which holds CREATEROLE for this), or
-- alter it on a replay, with a fresh password (the old one stops working)
-- and its expiry; returns the password.  createrole_self_grant would make
-- the grantor a member of a login it creates, inheriting the role through
-- it: off for the CREATE.
CREATE FUNCTION sym_access._set_login(login text, valid_until timestamptz, is_new boolean)
RETURNS text LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	password text := sym_access._random_password();
	self_grant text := current_setting('createrole_self_grant', true);
BEGIN
	IF self_grant <> '' THEN
		PERFORM set_config('createrole_self_grant', '', true);
	END IF;
	EXECUTE format('%s ROLE %I %s VALID UNTIL %L PASSWORD %L',
				   CASE WHEN is_new THEN 'CREATE' ELSE 'ALTER' END, login,
				   CASE WHEN is_new THEN 'LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS' ELSE '' END,
				   sym_access._valid_until(valid_until), sym_access._scram_verifier(password));
	IF self_grant <> '' THEN
		PERFORM set_config('createrole_self_grant', self_grant, true);
	END IF;
	RETURN password;
END
$$;

-- Is the grantor allowed to make logins?
CREATE FUNCTION sym_access._grantor_has_createrole()
RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT COALESCE((SELECT r.rolcreaterole FROM pg_roles r WHERE r.rolname = 'sym_access_grantor'), false)
$$;

-- The grantor holds CREATEROLE while this database has a temporary_user
-- entry or a temporary login still to be dropped (dropping one needs it),
-- and not otherwise.  Runs as the caller: allow_role and disallow_role, as
-- the extension's owner (the grantor cannot change its own attributes).
CREATE FUNCTION sym_access._grantor_createrole_sync()
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	wanted boolean := EXISTS (SELECT FROM sym_access.allowed_role a WHERE a.mode = 'temporary_user')
					  OR EXISTS (SELECT FROM sym_access.temporary_login t);
BEGIN
	IF wanted IS DISTINCT FROM sym_access._grantor_has_createrole() THEN
		EXECUTE format('ALTER ROLE sym_access_grantor %s', CASE WHEN wanted THEN 'CREATEROLE' ELSE 'NOCREATEROLE' END);
	END IF;
END
$$;


--
-- grant() for a temporary_user role.
--

-- Does grant() take the temporary_user path?  For a usable name of a role
-- allowed in that mode.
CREATE FUNCTION sym_access._temporary_mode(role_name text)
RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT sym_access._name_problem(role_name, 'role') IS NULL
	   AND EXISTS (SELECT FROM sym_access.allowed_role a JOIN pg_roles r ON r.oid = a.role
				    WHERE r.rolname = role_name AND a.mode = 'temporary_user')
$$;

-- The run's row; a row whose login was dropped by hand is deleted and not
-- found (the sweep would delete it too).
CREATE FUNCTION sym_access._run_login(roleid oid, run text)
RETURNS sym_access.temporary_login LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t sym_access.temporary_login;
BEGIN
	SELECT * INTO t FROM sym_access.temporary_login x WHERE x.role = roleid AND x.run_srn = run;
	IF FOUND AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = t.login) THEN
		DELETE FROM sym_access.temporary_login x WHERE x.login = t.login;
		RETURN NULL;
	END IF;
	RETURN t;
END
$$;

-- Denials that only temporary users have, or NULL.
CREATE FUNCTION sym_access._temporary_denial(role_name text, base text, run text)
RETURNS text LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN current_setting('server_version_num')::int < 160000 THEN 'temporary users need PostgreSQL 16 or later'
		WHEN run = '' THEN 'a temporary user needs the run''s run_srn'
		WHEN starts_with(base, 'pg_') THEN 'role names beginning with pg_ are reserved'
		WHEN NOT sym_access._grantor_has_createrole()
		THEN format('sym_access_grantor does not hold CREATEROLE (taken away by hand?); run sym_access.allow_role(''%s'', mode => ''temporary_user'') again',
					role_name)
	END
$$;

-- grant() for a temporary_user role: the checks of a membership grant (the
-- grantee is a base name and need not exist), then the run's login is
-- made, or on a replay its password rotated and its expiry extended (never
-- shortened).  The run's lock makes two replays see one login; the sweep
-- takes only the pair's lock, so the row is read again under that.
CREATE FUNCTION sym_access._grant_temporary(role_name text, base text, ctx jsonb, requested interval)
RETURNS sym_access.result LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	run text := COALESCE(ctx ->> 'run_srn', '');
	roleid oid;
	policy record;
	e record;
	why text := COALESCE(sym_access._name_problem(role_name, 'role'), sym_access._name_problem(base, 'grantee'));
	t sym_access.temporary_login;
	login text;
	loginid oid;
	password text;
	exp timestamptz;
	extra jsonb;
	message text;
	res sym_access.result;
BEGIN
	IF why IS NULL THEN
		SELECT r.oid INTO roleid FROM pg_roles r WHERE r.rolname = role_name;
		why := CASE WHEN roleid IS NULL THEN format('role "%s" does not exist', role_name) END;
	END IF;
	IF why IS NULL THEN
		PERFORM sym_access._lock_role(roleid, false);
		SELECT a.default_duration, a.max_duration, a.mode INTO policy FROM sym_access.allowed_role a WHERE a.role = roleid;
		why := CASE WHEN policy.mode IS NULL THEN format('role "%s" is not on the sym_access allow-list', role_name)
					WHEN policy.mode <> 'temporary_user'
					THEN format('role "%s" was switched out of temporary_user mode meanwhile; call again', role_name) END;
	END IF;
	IF why IS NULL THEN
		why := sym_access._role_is_dangerous(roleid) || '; it cannot be granted while that is so';
	END IF;
	IF why IS NULL THEN
		e := sym_access._run_expiry(requested, policy.default_duration, policy.max_duration);
		why := COALESCE(e.why, sym_access._admin_problem(roleid, role_name),
						sym_access._temporary_denial(role_name, base, run));
	END IF;
	IF why IS NULL THEN
		PERFORM sym_access._lock_run(roleid, run);
		t := sym_access._run_login(roleid, run);
		IF t.login IS NOT NULL AND base NOT IN (t.base_name, t.login_name) THEN
			why := format('run %s already has a temporary login for another user', run);
		ELSIF t.login IS NOT NULL THEN
			PERFORM sym_access._lock_pair(roleid, t.login, true);
			t := sym_access._run_login(roleid, run);
			why := CASE WHEN t.disabled_at IS NOT NULL THEN 'this run''s temporary login was revoked' END;
		END IF;
	END IF;
	IF why IS NOT NULL THEN
		RETURN sym_access._finish('grant', role_name, base, ctx, 'denied', why, NULL, NULL, NULL);
	END IF;

	IF t.login IS NULL THEN
		login := sym_access._temporary_login_name(base, roleid, run);
		password := sym_access._set_login(login, e.exp, true);
		loginid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = login);
		PERFORM sym_access._lock_pair(roleid, loginid, true);
		EXECUTE format('GRANT %I TO %I', sym_access._role_name(roleid), login);
		INSERT INTO sym_access.temporary_login (login, login_name, role, run_srn, base_name)
		VALUES (loginid, login, roleid, run, base);
		extra := jsonb_build_object('temporary_user', 'created', 'base_name', base);
	ELSE
		loginid := t.login;
		login := sym_access._role_name(loginid);
		-- Revoked outside sym_access: the run still holds it.
		IF NOT (sym_access._membership(roleid, loginid)).ours THEN
			EXECUTE format('GRANT %I TO %I', sym_access._role_name(roleid), login);
		END IF;
		extra := jsonb_build_object('temporary_user', 'rotated', 'base_name', t.base_name);
	END IF;
	INSERT INTO sym_access.active_grant AS g (role, grantee, run_srn, granted_at, expires_at, preexisting)
	VALUES (roleid, loginid, run, now(), e.exp, false)
	ON CONFLICT ON CONSTRAINT active_grant_pkey DO UPDATE
	   SET expires_at = GREATEST(g.expires_at, excluded.expires_at), preexisting = false
	RETURNING g.expires_at INTO exp;
	IF t.login IS NULL THEN
		message := format('created temporary login "%s" with "%s" until %s', login, role_name, sym_access._ts_out(exp));
	ELSE
		password := sym_access._set_login(login, exp, false);
		message := format('rotated the password of temporary login "%s"; it holds "%s" until %s',
						  login, role_name, sym_access._ts_out(exp));
	END IF;
	IF e.extra <> '{}' THEN
		message := format('%s (clamped to the role''s max_duration %s)', message, sym_access._interval_out(e.dur));
	END IF;
	res := sym_access._finish('grant', role_name, login, ctx, CASE WHEN t.login IS NULL THEN 'granted' ELSE 'extended' END,
							  message, e.dur, exp, e.extra || extra);
	res.password := password;
	RETURN res;
END
$$;

--
-- The end of a temporary login: revoke(), expire() and disallow_role()
-- revoke its membership and end its sessions (_revoke_and_terminate, which
-- always ends a temporary login's), then _end_temporary_login drops it.
--

-- revoke() names a temporary login by the base name given to grant() or
-- by the login's own name, with the run's run_srn.  Returns the login's
-- name when this run has one (its lock taken), else grantee_name.
CREATE FUNCTION sym_access._revoke_target(role_name text, grantee_name text, run text)
RETURNS text LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	roleid oid;
	loginid oid;
BEGIN
	IF sym_access._name_problem(role_name, 'role') IS NOT NULL THEN
		RETURN grantee_name;
	END IF;
	SELECT r.oid INTO roleid FROM pg_roles r WHERE r.rolname = role_name;
	FOR pass IN 1..2 LOOP
		SELECT t.login INTO loginid FROM sym_access.temporary_login t
		 WHERE t.role = roleid AND t.run_srn = run AND grantee_name IN (t.base_name, t.login_name);
		EXIT WHEN pass = 2 OR (loginid IS NULL AND NOT EXISTS (SELECT FROM sym_access.allowed_role a
																  WHERE a.role = roleid AND a.mode = 'temporary_user'));
		-- A grant or replay of this run may be in flight: wait for it, then
		-- look again.
		PERFORM sym_access._lock_run(roleid, run);
	END LOOP;
	RETURN COALESCE((SELECT r.rolname::text FROM pg_roles r WHERE r.oid = loginid), grantee_name);
END
$$;

-- After its membership was revoked and its sessions ended: drop the login,
-- or disable it when the drop fails because it owns objects or holds
-- privileges (in any database): NOLOGIN, no password, none of the
-- grantor's memberships, and its row says since when, for check() and the
-- sweep's retries.  Any other failure is raised: the caller's revoke does
-- not happen either.  Runs as the grantor (called by _revoke_and_terminate).
CREATE FUNCTION sym_access._end_temporary_login(loginid oid, message text,
		OUT temporary_user text, OUT login text, OUT drop_error text, OUT new_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r text;
BEGIN
	login := sym_access._role_name(loginid);
	BEGIN
		EXECUTE format('DROP ROLE %I', login);
		DELETE FROM sym_access.temporary_login t WHERE t.login = loginid;
		temporary_user := 'dropped';
		new_message := format('%s; dropped temporary login "%s"', message, login);
		RETURN;
	EXCEPTION WHEN dependent_objects_still_exist THEN
		drop_error := SQLERRM;
	END;
	EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', login);
	FOR r IN SELECT m.roleid::regrole::text FROM pg_auth_members m
			  WHERE m.member = loginid AND m.grantor = (SELECT g.oid FROM pg_roles g WHERE g.rolname = 'sym_access_grantor')
			  ORDER BY m.roleid
	LOOP
		-- (regrole's text is already quoted where needed)
		EXECUTE format('REVOKE %s FROM %I', r, login);
	END LOOP;
	UPDATE sym_access.temporary_login t SET disabled_at = now() WHERE t.login = loginid;
	temporary_user := 'disabled';
	new_message := format('%s; disabled temporary login "%s" (NOLOGIN, no password, no memberships): it could not be dropped: %s',
						  message, login, drop_error);
END
$$;

-- Retry the drop of every disabled login (of only_role, when given) and of
-- logins whose role was dropped; forget the rows of logins dropped by
-- hand.  Each drop in its own block: one that fails again writes nothing
-- and its row stays for the next try.  Returns how many were dropped.
-- SECURITY DEFINER as the grantor (disallow_role runs as the owner).
CREATE FUNCTION sym_access._retry_drops(only_role oid, action text)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t sym_access.temporary_login;
	dropped integer := 0;
BEGIN
	DELETE FROM sym_access.temporary_login x WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = x.login);
	FOR t IN SELECT * FROM sym_access.temporary_login x
			  WHERE (x.disabled_at IS NOT NULL OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = x.role))
				AND (only_role IS NULL OR x.role = only_role)
			  ORDER BY x.login_name
	LOOP
		BEGIN
			-- Its role was dropped: it may still be enabled and logged in.
			PERFORM sym_access._terminate_sessions(t.login);
			EXECUTE format('DROP ROLE %I', sym_access._role_name(t.login));
			DELETE FROM sym_access.temporary_login x WHERE x.login = t.login;
			PERFORM sym_access._audit(action, 'revoked', sym_access._role_name(t.role), t.login_name,
				jsonb_build_object('run_srn', t.run_srn), NULL, NULL,
				format('dropped temporary login "%s", which could not be dropped before', t.login_name),
				jsonb_build_object('temporary_user', 'dropped', 'login', t.login_name, 'retry', true));
			dropped := dropped + 1;
		EXCEPTION WHEN OTHERS THEN
			NULL;				-- still not droppable: the next sweep tries again
		END;
	END LOOP;
	RETURN dropped;
END
$$;

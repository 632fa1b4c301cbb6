--
-- admin.sql (mirrors extension/src/admin.c): the allow-list (allow_role,
-- disallow_role), the e-mail to user map (map_user, unmap_user,
-- resolve_user) and purge_audit.  Admin functions are SECURITY DEFINER,
-- owned by the extension's owner: on a managed platform that is its admin
-- (LOGIN CREATEROLE, not a superuser), who must hold ADMIN OPTION on the
-- roles it allows (on 16+ a CREATEROLE user has it on the roles it made).
-- Admin refusals raise; what admins change is audited.
--

-- An admin argument that names a role: raises instead of being denied.
CREATE FUNCTION sym_access._require_role(name text)
RETURNS oid LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	why text := sym_access._name_problem(name, 'role');
	roleid oid;
BEGIN
	IF why IS NOT NULL THEN
		RAISE EXCEPTION 'sym_access: %', why
			USING ERRCODE = CASE WHEN octet_length(name) > 63 THEN 'name_too_long' ELSE 'invalid_name' END;
	END IF;
	SELECT r.oid INTO roleid FROM pg_roles r WHERE r.rolname = name;
	IF roleid IS NULL THEN
		RAISE EXCEPTION 'sym_access: role "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	RETURN roleid;
END
$$;

CREATE FUNCTION sym_access._require_duration(iv interval, what text)
RETURNS interval LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF iv IS NULL THEN
		RAISE EXCEPTION 'sym_access: % must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT isfinite(iv) THEN
		RAISE EXCEPTION 'sym_access: % must be finite', what USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF sym_access._mixed_signs(iv) THEN
		RAISE EXCEPTION 'sym_access: % % mixes positive and negative fields', what, sym_access._interval_out(iv)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Interval comparison counts a month as 30 days, the clock does not, so such a duration is not what it seems.',
				  HINT = 'Give it as one signed quantity, such as ''8 hours'' or ''2 days''.';
	END IF;
	IF iv <= interval '0' THEN
		RAISE EXCEPTION 'sym_access: % must be positive, not %', what, sym_access._interval_out(iv)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN iv;
END
$$;

-- allow_role's mode: membership, or temporary_user on 16+.  15 refuses the
-- latter: there CREATEROLE lets its holder grant itself any role that is
-- not a superuser's, so the grantor would hold every role in the cluster.
CREATE FUNCTION sym_access._require_mode(mode text)
RETURNS text LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	mode := sym_access._text_arg(mode, 'mode', true);
	IF mode NOT IN ('membership', 'temporary_user') THEN
		RAISE EXCEPTION 'sym_access: mode must be ''membership'' or ''temporary_user'', not "%"', mode
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF mode = 'temporary_user' AND current_setting('server_version_num')::int < 160000 THEN
		RAISE EXCEPTION 'temporary users need PostgreSQL 16 or later'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'On PostgreSQL 15, CREATEROLE would let sym_access_grantor grant itself any role that is not a superuser''s.',
				  HINT = 'Use mode ''membership'', or upgrade the server.';
	END IF;
	RETURN mode;
END
$$;

CREATE FUNCTION sym_access.allow_role(role text, label text DEFAULT NULL,
									  default_duration interval DEFAULT '1 hour',
									  max_duration interval DEFAULT '12 hours',
									  terminate_sessions boolean DEFAULT true,
									  mode text DEFAULT 'membership')
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role_name text := sym_access._text_arg(role, 'role', true);
	lbl text := sym_access._text_arg(label, 'label', false);
	def interval := sym_access._require_duration(default_duration, 'default_duration');
	mx interval := sym_access._require_duration(max_duration, 'max_duration');
	term boolean := terminate_sessions;
	md text := sym_access._require_mode(mode);
	roleid oid;
	why text;
	inserted boolean;
BEGIN
	IF term IS NULL THEN
		RAISE EXCEPTION 'sym_access: terminate_sessions must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF def > mx THEN
		RAISE EXCEPTION 'sym_access: default_duration % is longer than max_duration %',
			sym_access._interval_out(def), sym_access._interval_out(mx) USING ERRCODE = 'invalid_parameter_value';
	END IF;
	roleid := sym_access._require_role(role_name);
	why := sym_access._role_is_dangerous(roleid);
	IF why IS NOT NULL THEN
		RAISE EXCEPTION 'sym_access: role "%" cannot be put on the allow-list', role_name
			USING ERRCODE = 'insufficient_privilege', DETAIL = why || '.',
				  HINT = 'Grant a role without cluster-level attributes or dangerous memberships instead.';
	END IF;

	INSERT INTO sym_access.allowed_role AS a (role, label, default_duration, max_duration, terminate_sessions, mode)
	VALUES (roleid, lbl, def, mx, term, md)
	ON CONFLICT ON CONSTRAINT allowed_role_pkey DO UPDATE
	   SET label = excluded.label, default_duration = excluded.default_duration,
		   max_duration = excluded.max_duration, terminate_sessions = excluded.terminate_sessions,
		   mode = excluded.mode
	RETURNING (a.xmax = 0) INTO inserted;

	-- The database itself now lets the grantor hand out this role.  On 16+
	-- the grantor's membership confers nothing (INHERIT FALSE, SET FALSE);
	-- 15 knows no such options (and rejects the WITH ... TRUE syntax).
	IF NOT sym_access._grantor_has_admin(roleid) THEN
		EXECUTE format('GRANT %I TO sym_access_grantor WITH %s', (SELECT r.rolname FROM pg_roles r WHERE r.oid = roleid),
					   CASE WHEN current_setting('server_version_num')::int >= 160000
							THEN 'ADMIN TRUE, INHERIT FALSE, SET FALSE' ELSE 'ADMIN OPTION' END);
	END IF;
	-- temporary_user needs CREATEROLE; membership may let it go.
	PERFORM sym_access._grantor_createrole_sync();

	PERFORM sym_access._audit('allow', CASE WHEN inserted THEN 'allowed' ELSE 'updated' END, role_name, NULL,
		'{}', NULL, NULL,
		format('%s "%s" on the allow-list', CASE WHEN inserted THEN 'put' ELSE 'updated' END, role_name),
		jsonb_build_object('label', lbl, 'default_duration', sym_access._interval_out(def),
						   'max_duration', sym_access._interval_out(mx), 'terminate_sessions', term, 'mode', md));
END
$$;

CREATE FUNCTION sym_access.disallow_role(role text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role_name text := sym_access._text_arg(role, 'role', true);
	roleid oid := sym_access._require_role(role_name);
	g oid;
	name text;
	r record;
	revoked_names jsonb := '[]'::jsonb;
	terminated_total integer := 0;
	was_allowed boolean;
BEGIN
	PERFORM sym_access._require_read_committed('disallow_role');
	-- Wait for grants of this role in flight; new ones wait for us.
	PERFORM sym_access._lock_role(roleid, true);

	FOR g IN
		SELECT a.grantee::oid FROM sym_access.active_grant a
		 WHERE a.role = roleid GROUP BY a.grantee HAVING bool_or(NOT a.preexisting)
		 ORDER BY a.grantee::text
	LOOP
		PERFORM sym_access._lock_pair(roleid, g, true);
		-- Before the revoke: a temporary login is dropped by it.
		name := sym_access._role_name(g);
		-- Contained: a DROP ROLE of that grantee committed meanwhile makes
		-- REVOKE fail although nothing is left to revoke.
		BEGIN
			r := sym_access._revoke_and_terminate(roleid, g);
		EXCEPTION WHEN OTHERS THEN
			IF (sym_access._membership(roleid, g)).ours THEN
				RAISE;
			END IF;
			RAISE WARNING 'sym_access: a grantee''s membership was removed while disallow_role ran (a DROP ROLE?): %', SQLERRM;
			CONTINUE;
		END;
		IF r.revoked THEN
			revoked_names := revoked_names || to_jsonb(name);
			terminated_total := terminated_total + r.terminated;
			IF r.terminate_error IS NOT NULL THEN
				RAISE WARNING 'sym_access: %', r.message USING ERRCODE = 'insufficient_privilege';
			END IF;
		END IF;
	END LOOP;

	DELETE FROM sym_access.active_grant a WHERE a.role = roleid;
	DELETE FROM sym_access.allowed_role a WHERE a.role = roleid;
	was_allowed := FOUND;

	-- Its temporary logins that could not be dropped before (tempuser.sql).
	PERFORM sym_access._retry_drops(roleid, 'disallow');
	-- Our grants are the only ones made through the grantor's ADMIN OPTION:
	-- on 16+ take any that remain with it.
	IF sym_access._grantor_has_admin(roleid) THEN
		EXECUTE format('REVOKE %I FROM sym_access_grantor%s', role_name,
					   CASE WHEN current_setting('server_version_num')::int >= 160000 THEN ' CASCADE' ELSE '' END);
	END IF;
	PERFORM sym_access._grantor_createrole_sync();

	PERFORM sym_access._audit('disallow', CASE WHEN was_allowed THEN 'disallowed' ELSE 'not_allowed' END,
		role_name, NULL, '{}', NULL, NULL,
		CASE WHEN was_allowed
			 THEN format('took "%s" off the allow-list; revoked %s active grant%s', role_name,
						 jsonb_array_length(revoked_names), CASE WHEN jsonb_array_length(revoked_names) = 1 THEN '' ELSE 's' END)
			 ELSE format('"%s" was not on the allow-list', role_name) END,
		jsonb_build_object('revoked', revoked_names, 'terminated_sessions', terminated_total));
	RETURN jsonb_array_length(revoked_names);
END
$$;

CREATE FUNCTION sym_access._require_email(email text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	email := sym_access._text_arg(email, 'email', true);
	IF email = '' THEN
		RAISE EXCEPTION 'sym_access: email must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN email;
END
$$;

CREATE FUNCTION sym_access.map_user(email text, db_user text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	addr text := sym_access._require_email(email);
	usr text := sym_access._text_arg(db_user, 'db_user', true);
	why text := sym_access._name_problem(usr, 'db_user');
	inserted boolean;
BEGIN
	IF why IS NOT NULL THEN
		RAISE EXCEPTION 'sym_access: %', why
			USING ERRCODE = CASE WHEN octet_length(usr) > 63 THEN 'name_too_long' ELSE 'invalid_name' END;
	END IF;
	INSERT INTO sym_access.user_map AS m (email, db_user) VALUES (lower(addr), usr)
	ON CONFLICT ON CONSTRAINT user_map_pkey DO UPDATE SET db_user = excluded.db_user
	RETURNING (m.xmax = 0) INTO inserted;
	PERFORM sym_access._audit('map', CASE WHEN inserted THEN 'mapped' ELSE 'updated' END, NULL, usr,
		jsonb_build_object('requester', addr), NULL, NULL,
		format('e-mail %s maps to "%s"', addr, usr), jsonb_build_object('email', addr));
END
$$;

CREATE FUNCTION sym_access.unmap_user(email text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	addr text := sym_access._require_email(email);
	usr text;
BEGIN
	DELETE FROM sym_access.user_map m WHERE m.email = lower(addr) RETURNING m.db_user INTO usr;
	PERFORM sym_access._audit('unmap', CASE WHEN usr IS NOT NULL THEN 'unmapped' ELSE 'not_mapped' END, NULL, usr,
		jsonb_build_object('requester', addr), NULL, NULL,
		CASE WHEN usr IS NOT NULL THEN format('e-mail %s no longer maps to "%s"', addr, usr)
			 ELSE format('e-mail %s was not mapped', addr) END,
		jsonb_build_object('email', addr));
	RETURN usr IS NOT NULL;
END
$$;

-- user_map first; otherwise the seed's rule: the part before the last '@',
-- with '-' replaced by '_'.  No audit row: it decides nothing.
CREATE FUNCTION sym_access.resolve_user(email text)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	addr text := sym_access._text_arg(email, 'email', true);
	usr text;
BEGIN
	SELECT m.db_user INTO usr FROM sym_access.user_map m WHERE m.email = lower(addr);
	IF NOT FOUND THEN
		usr := replace(CASE WHEN strpos(addr, '@') > 0
							THEN substr(addr, 1, length(addr) - strpos(reverse(addr), '@'))
							ELSE addr END, '-', '_');
	END IF;
	IF octet_length(usr) = 0 THEN
		RAISE EXCEPTION 'sym_access: e-mail "%" resolves to an empty user name', addr
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Map it explicitly with sym_access.map_user().';
	END IF;
	IF octet_length(usr) > 63 THEN
		RAISE EXCEPTION 'sym_access: e-mail "%" resolves to a user name of % bytes, more than 63', addr, octet_length(usr)
			USING ERRCODE = 'name_too_long', HINT = 'Map it explicitly with sym_access.map_user().';
	END IF;
	RETURN usr;
END
$$;

-- Superusers only, or (on a platform without superusers) the extension's
-- owner; runs as the caller so that it can tell who that is.  The audit
-- guard lets exactly this function's DELETE through (it reads the call
-- stack).
CREATE FUNCTION sym_access.purge_audit(older_than interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cutoff timestamptz;
	deleted bigint;
BEGIN
	IF NOT COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user), false)
	   AND (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user) IS DISTINCT FROM
		   (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'sym_access') THEN
		RAISE EXCEPTION 'sym_access: only superusers may purge the audit trail' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF older_than IS NULL THEN
		RAISE EXCEPTION 'sym_access: older_than must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF sym_access._mixed_signs(older_than) THEN
		RAISE EXCEPTION 'sym_access: older_than % mixes positive and negative fields', sym_access._interval_out(older_than)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass one signed quantity of at least ''30 days'', such as ''400 days''.';
	END IF;
	-- On the clock, the way the DELETE below applies it.
	cutoff := now() - older_than;
	IF cutoff > now() - interval '30 days' THEN
		RAISE EXCEPTION 'sym_access: audit rows younger than 30 days are kept; % does not reach back that far on the clock',
			sym_access._interval_out(older_than)
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass an interval of at least ''30 days''.';
	END IF;
	DELETE FROM sym_access.audit WHERE at < cutoff;
	GET DIAGNOSTICS deleted = ROW_COUNT;
	PERFORM sym_access._audit('purge', 'purged', NULL, NULL, '{}', NULL, NULL,
		format('purged %s audit row%s older than %s', deleted, CASE WHEN deleted = 1 THEN '' ELSE 's' END,
			   sym_access._ts_out(cutoff)),
		jsonb_build_object('deleted', deleted, 'before', sym_access._ts_out(cutoff)));
	RETURN deleted;
END
$$;

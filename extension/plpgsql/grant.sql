--
-- grant.sql (mirrors extension/src/grant.c): the operator functions grant(),
-- revoke() and expire().  SECURITY DEFINER, owned by sym_access_grantor.
--
-- Bookkeeping: sym_access.active_grant holds one row per (role, grantee,
-- run).  A membership made by sym_access is held while at least one of its
-- runs' rows is unexpired.  Every decision about a pair runs under the
-- pair's lock, writes one audit row and one LOG line; policy refusals
-- return outcome "denied" (with a WARNING) so the audit row commits.
--

-- Shared tail of grant() and revoke(): audit, warn, build the result.
CREATE FUNCTION sym_access._finish(action text, role_name text, grantee_name text, ctx jsonb,
								   outcome text, message text, duration interval,
								   expires_at timestamptz, extra jsonb)
RETURNS sym_access.result LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint := sym_access._audit(action, outcome, role_name, grantee_name, ctx, duration,
								   expires_at, message, extra);
BEGIN
	IF outcome = 'denied' THEN
		RAISE WARNING 'sym_access: % denied: %', action, message
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = format('The refusal is recorded as audit row %s.', id);
	END IF;
	RETURN ROW(outcome, role_name, grantee_name, expires_at, id, message, NULL)::sym_access.result;
END
$$;

-- Names to OIDs (looked up by exact text), then the pair's lock (and, for a
-- call that adds rows, the role's lock in share mode first).  why says what
-- is unusable or unknown, with nothing locked.
CREATE FUNCTION sym_access._lock_named_pair(role_name text, grantee_name text, adds_rows boolean,
		OUT roleid oid, OUT granteeid oid, OUT why text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	why := COALESCE(sym_access._name_problem(role_name, 'role'), sym_access._name_problem(grantee_name, 'grantee'));
	IF why IS NOT NULL THEN
		RETURN;
	END IF;
	SELECT r.oid INTO roleid FROM pg_roles r WHERE r.rolname = role_name;
	IF roleid IS NULL THEN
		why := format('role "%s" does not exist', role_name);
		RETURN;
	END IF;
	SELECT r.oid INTO granteeid FROM pg_roles r WHERE r.rolname = grantee_name;
	IF granteeid IS NULL THEN
		why := format('user "%s" does not exist', grantee_name);
		RETURN;
	END IF;
	IF adds_rows THEN
		PERFORM sym_access._lock_role(roleid, false);
	END IF;
	PERFORM sym_access._lock_pair(roleid, granteeid, true);
END
$$;

-- The run's expiry on the clock, clamped to now + max_duration: dur and
-- exp, with extra (the audit's detail) and note (the message's tail) when
-- clamped; why says what is wrong with the duration instead.
CREATE FUNCTION sym_access._run_expiry(requested interval, default_duration interval, max_duration interval,
		OUT dur interval, OUT exp timestamptz, OUT extra jsonb, OUT note text, OUT why text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	now_ts timestamptz := now();
	cap timestamptz := now_ts + max_duration;
BEGIN
	dur := COALESCE(requested, default_duration);
	extra := '{}';
	note := '';
	IF sym_access._mixed_signs(dur) THEN
		why := format('duration %s mixes positive and negative fields; give it as one signed quantity such as ''2 hours''',
					  sym_access._interval_out(dur));
		RETURN;
	END IF;
	IF sym_access._clock_seconds(dur, false) > sym_access._clock_seconds(max_duration, true) THEN
		exp := 'infinity';
	ELSE
		exp := now_ts + dur;
	END IF;
	IF exp <= now_ts THEN
		why := format('duration %s is not positive', sym_access._interval_out(dur));
		RETURN;
	END IF;
	IF exp > cap THEN
		exp := cap;
		extra := jsonb_build_object('requested_duration', sym_access._interval_out(dur), 'clamped', true);
		note := format(' (requested %s, clamped to the role''s max_duration %s)',
					   sym_access._interval_out(dur), sym_access._interval_out(max_duration));
		dur := max_duration;
	END IF;
END
$$;

-- The grantor must hold ADMIN OPTION on the role to grant it.
CREATE FUNCTION sym_access._admin_problem(roleid oid, role_name text)
RETURNS text LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN NOT sym_access._grantor_has_admin(roleid)
				THEN format('sym_access_grantor does not hold ADMIN OPTION on "%s" (restored into a new cluster, or revoked by hand); run sym_access.allow_role(''%s'') again',
							role_name, role_name) END
$$;

CREATE FUNCTION sym_access.grant(role text, grantee text,
								 duration interval DEFAULT NULL,
								 context jsonb DEFAULT '{}')
RETURNS sym_access.result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role_name text := sym_access._text_arg(role, 'role', true);
	grantee_name text := sym_access._text_arg(grantee, 'grantee', true);
	ctx jsonb;
	run text;
	roleid oid;
	granteeid oid;
	why text;
	policy record;
	requested interval := duration;
	e record;
	exp timestamptz;
	m record;
	outcome text;
	message text;
BEGIN
	PERFORM sym_access._require_read_committed('grant');
	ctx := sym_access._context(context);
	run := COALESCE(ctx ->> 'run_srn', '');

	-- A temporary_user role's grantee is a base name (tempuser.sql).
	IF sym_access._temporary_mode(role_name) THEN
		RETURN sym_access._grant_temporary(role_name, grantee_name, ctx, requested);
	END IF;

	SELECT p.roleid, p.granteeid, p.why INTO roleid, granteeid, why
	  FROM sym_access._lock_named_pair(role_name, grantee_name, true) p;
	IF why IS NOT NULL THEN
		RETURN sym_access._finish('grant', role_name, grantee_name, ctx, 'denied', why, NULL, NULL, NULL);
	END IF;

	SELECT a.default_duration, a.max_duration INTO policy FROM sym_access.allowed_role a WHERE a.role = roleid;
	IF NOT FOUND THEN
		RETURN sym_access._finish('grant', role_name, grantee_name, ctx, 'denied',
			format('role "%s" is not on the sym_access allow-list', role_name), NULL, NULL, NULL);
	END IF;
	why := sym_access._role_is_dangerous(roleid);
	IF why IS NOT NULL THEN
		RETURN sym_access._finish('grant', role_name, grantee_name, ctx, 'denied',
			why || '; it cannot be granted while that is so', NULL, NULL, NULL);
	END IF;
	why := COALESCE(sym_access._grantee_unfit(granteeid, roleid),
					CASE WHEN EXISTS (SELECT FROM sym_access.temporary_login t WHERE t.login = granteeid)
						 THEN format('"%s" is a temporary login; it holds the role it was made for and nothing else', grantee_name) END);
	IF why IS NOT NULL THEN
		RETURN sym_access._finish('grant', role_name, grantee_name, ctx, 'denied', why, NULL, NULL, NULL);
	END IF;

	e := sym_access._run_expiry(requested, policy.default_duration, policy.max_duration);
	why := COALESCE(e.why, sym_access._admin_problem(roleid, role_name));
	IF why IS NOT NULL THEN
		RETURN sym_access._finish('grant', role_name, grantee_name, ctx, 'denied', why, NULL, NULL, NULL);
	END IF;

	m := sym_access._membership(roleid, granteeid);
	IF m.ours THEN
		outcome := 'extended';
	ELSIF m.outside THEN
		outcome := 'already_member';
	ELSE
		-- Names from the catalog, by OID: nothing is parsed from caller text.
		EXECUTE format('GRANT %I TO %I', (SELECT r.rolname FROM pg_roles r WHERE r.oid = roleid),
					   (SELECT r.rolname FROM pg_roles r WHERE r.oid = granteeid));
		outcome := 'granted';
	END IF;

	INSERT INTO sym_access.active_grant AS g (role, grantee, run_srn, granted_at, expires_at, preexisting)
	VALUES (roleid, granteeid, run, now(), e.exp, outcome = 'already_member')
	ON CONFLICT ON CONSTRAINT active_grant_pkey DO UPDATE
	   SET expires_at = GREATEST(g.expires_at, excluded.expires_at),
		   preexisting = excluded.preexisting
	RETURNING g.expires_at INTO exp;

	IF outcome = 'already_member' THEN
		message := format('"%s" was already a member of "%s" outside sym_access; recorded as pre-existing, sym_access will never revoke it',
						  grantee_name, role_name);
	ELSIF outcome = 'extended' THEN
		message := format('"%s" already holds "%s" through sym_access; this run holds it until %s',
						  grantee_name, role_name, sym_access._ts_out(exp));
	ELSE
		message := format('granted "%s" to "%s" until %s', role_name, grantee_name, sym_access._ts_out(exp));
	END IF;
	RETURN sym_access._finish('grant', role_name, grantee_name, ctx, outcome, message || e.note, e.dur, exp, e.extra);
END
$$;

CREATE FUNCTION sym_access.revoke(role text, grantee text,
								  context jsonb DEFAULT '{}')
RETURNS sym_access.result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role_name text := sym_access._text_arg(role, 'role', true);
	grantee_name text := sym_access._text_arg(grantee, 'grantee', true);
	ctx jsonb;
	run text;
	roleid oid;
	granteeid oid;
	why text;
	pre boolean;
	others bigint;
	until timestamptz;
	r record;
BEGIN
	PERFORM sym_access._require_read_committed('revoke');
	ctx := sym_access._context(context);
	run := COALESCE(ctx ->> 'run_srn', '');
	-- A temporary login is revoked by its base name or its own (tempuser.sql).
	grantee_name := sym_access._revoke_target(role_name, grantee_name, run);

	SELECT p.roleid, p.granteeid, p.why INTO roleid, granteeid, why
	  FROM sym_access._lock_named_pair(role_name, grantee_name, false) p;
	-- A base name of a temporary_user role is no role: with no login of this
	-- run left, a replayed deescalate has nothing to do.
	IF why IS NOT NULL AND roleid IS NOT NULL AND granteeid IS NULL
	   AND sym_access._temporary_mode(role_name) THEN
		RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, 'not_granted',
			format('no temporary login of "%s" for "%s" in this run; nothing to do', role_name, grantee_name),
			NULL, NULL, NULL);
	END IF;
	IF why IS NOT NULL THEN
		RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, 'denied', why, NULL, NULL, NULL);
	END IF;

	-- Refuse before changing anything if the revoke could not complete.
	IF (sym_access._membership(roleid, granteeid)).ours AND NOT sym_access._grantor_has_admin(roleid) THEN
		RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, 'denied',
			format('sym_access_grantor does not hold ADMIN OPTION on "%s"; the membership cannot be revoked by sym_access', role_name),
			NULL, NULL, NULL);
	END IF;

	DELETE FROM sym_access.active_grant g
	 WHERE g.role = roleid AND g.grantee = granteeid AND g.run_srn = run
	RETURNING g.preexisting INTO pre;
	IF NOT FOUND THEN
		RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, 'not_granted',
			format('no active grant of "%s" to "%s" for this run; nothing to do', role_name, grantee_name),
			NULL, NULL, NULL);
	END IF;
	IF pre THEN
		RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, 'preexisting',
			format('"%s" was a member of "%s" before sym_access; the run is closed and the membership kept',
				   grantee_name, role_name), NULL, NULL, NULL);
	END IF;

	SELECT count(*), max(g.expires_at) INTO others, until FROM sym_access.active_grant g
	 WHERE g.role = roleid AND g.grantee = granteeid AND NOT g.preexisting AND g.expires_at > now();
	IF others > 0 THEN
		RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, 'still_active',
			format('this run is closed; %s other run%s still hold%s "%s" for "%s" until %s',
				   others, CASE WHEN others = 1 THEN '' ELSE 's' END, CASE WHEN others = 1 THEN 's' ELSE '' END,
				   role_name, grantee_name, sym_access._ts_out(until)), NULL, until, NULL);
	END IF;

	-- Expired rows of other runs have nothing left to hold.
	DELETE FROM sym_access.active_grant g WHERE g.role = roleid AND g.grantee = granteeid AND NOT g.preexisting;
	r := sym_access._revoke_and_terminate(roleid, granteeid);
	RETURN sym_access._finish('revoke', role_name, grantee_name, ctx, r.outcome, r.message, NULL, NULL,
		CASE WHEN r.revoked THEN r.detail ELSE '{}' END);
END
$$;

-- Close the due runs of one pair (all of them when the role or the user was
-- dropped) and revoke the membership if no run is left to hold it.  The
-- caller holds the pair's lock and runs this in an exception block.  One
-- audit row when anything was closed; returns 1 when a membership was revoked.
CREATE FUNCTION sym_access._expire_pair(roleid oid, granteeid oid)
RETURNS integer LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role text := (SELECT x.rolname FROM pg_roles x WHERE x.oid = roleid);
	grantee text := (SELECT x.rolname FROM pg_roles x WHERE x.oid = granteeid);
	dropped boolean;
	closed record;
	others bigint;
	until timestamptz;
	outcome text;
	message text;
	extra jsonb;
	r record;
	revoked boolean := false;
BEGIN
	dropped := role IS NULL OR grantee IS NULL;
	WITH d AS (
		DELETE FROM sym_access.active_grant g
		 WHERE g.role = roleid AND g.grantee = granteeid AND (g.expires_at <= now() OR dropped)
		RETURNING g.run_srn, g.preexisting, g.expires_at
	)
	SELECT count(*) AS n, jsonb_agg(d.run_srn) AS runs, bool_or(NOT d.preexisting) AS any_ours,
		   max(d.expires_at) AS last_expiry, min(d.run_srn) AS run
	  INTO closed FROM d;
	IF closed.n = 0 THEN
		RETURN 0;				-- a concurrent call closed them already
	END IF;
	extra := jsonb_build_object('runs', closed.runs);

	IF NOT dropped THEN
		SELECT count(*), max(g.expires_at) INTO others, until FROM sym_access.active_grant g
		 WHERE g.role = roleid AND g.grantee = granteeid AND NOT g.preexisting AND g.expires_at > now();
	END IF;
	IF dropped THEN
		outcome := 'dropped';
		message := format('the %s with OID %s was dropped; its runs are closed',
						  CASE WHEN role IS NULL THEN 'role' ELSE 'user' END,
						  CASE WHEN role IS NULL THEN roleid ELSE granteeid END);
	ELSIF others > 0 THEN
		outcome := 'still_active';
		message := format('expired run closed; another run holds "%s" for "%s" until %s',
						  role, grantee, sym_access._ts_out(until));
	ELSIF NOT closed.any_ours THEN
		outcome := 'preexisting';
		message := format('expired run closed; "%s" was a member of "%s" before sym_access and keeps it', grantee, role);
	ELSIF (sym_access._membership(roleid, granteeid)).ours AND NOT sym_access._grantor_has_admin(roleid) THEN
		outcome := 'denied';
		message := format('sym_access_grantor does not hold ADMIN OPTION on "%s"; "%s" keeps the membership: revoke it by hand',
						  role, grantee);
		RAISE WARNING 'sym_access: expire denied: %', message USING ERRCODE = 'insufficient_privilege';
	ELSE
		r := sym_access._revoke_and_terminate(roleid, granteeid);
		revoked := r.revoked;
		outcome := r.outcome;
		message := r.message;
		IF revoked THEN
			extra := extra || r.detail;
		END IF;
		-- Revoked, but its sessions live on: someone must look.
		IF r.terminate_error IS NOT NULL THEN
			outcome := 'error';
		END IF;
	END IF;

	PERFORM sym_access._audit('expire', outcome, COALESCE(role, roleid::text), COALESCE(grantee, granteeid::text),
							  CASE WHEN closed.n = 1 THEN jsonb_build_object('run_srn', closed.run) ELSE '{}' END,
							  NULL, closed.last_expiry, message, extra);
	RETURN CASE WHEN revoked THEN 1 ELSE 0 END;
END
$$;

-- A pair that another transaction holds is skipped, never waited for; the
-- lock_timeout bounds the waits that remain (a role's catalog lock on 16+).
-- On 16+ a GRANT or REVOKE of a role locks the role until its transaction
-- ends: a bot that keeps its transaction open after a call would stop the
-- sweep from revoking that role from anybody.  A bot has no business
-- holding a transaction open longer than the sweep's lock_timeout, so the
-- sweep ends such sessions (the grantor has pg_signal_backend), logs it and
-- tries the pair once more.  Returns what _expire_pair returned (memberships
-- revoked), or -1 when the pair is still to be skipped.
CREATE FUNCTION sym_access._expire_after_ending_bots(roleid oid, granteeid oid)
RETURNS integer LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ended bigint;
BEGIN
	SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid)) INTO ended
	  FROM pg_locks l
	 WHERE l.locktype = 'object' AND l.granted
	   AND l.classid = 'pg_catalog.pg_authid'::regclass AND l.objid = roleid
	   AND l.pid <> pg_backend_pid()
	   AND EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = l.pid
					 AND pg_has_role(a.usesysid, 'sym_access_operator', 'MEMBER'));
	IF ended = 0 THEN
		RETURN -1;
	END IF;
	PERFORM sym_access._log_line('expire', 'ended_bot_sessions', sym_access._role_name(roleid), NULL, NULL,
		format('sessions=%s reason="a bot held the role locked in an open transaction, stalling the sweep"', ended));
	IF NOT sym_access._lock_pair(roleid, granteeid, false) THEN
		RETURN -1;
	END IF;
	RETURN sym_access._expire_pair(roleid, granteeid);
EXCEPTION
	WHEN lock_not_available OR insufficient_privilege THEN
		RETURN -1;
END
$$;

-- One pair failing never stops the others: each runs in its own block.
CREATE FUNCTION sym_access.expire()
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s'
AS $$
DECLARE
	p record;
	revoked integer := 0;
	retried integer;
	st text;
	msg text;
	dropped_role oid;
BEGIN
	PERFORM sym_access._require_read_committed('expire');
	FOR p IN
		SELECT g.role::oid AS roleid, g.grantee::oid AS granteeid FROM sym_access.active_grant g
		 WHERE g.expires_at <= now()
		UNION
		SELECT g.role::oid, g.grantee::oid FROM sym_access.active_grant g
		 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.role)
			OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.grantee)
		ORDER BY 1, 2
	LOOP
		BEGIN
			IF sym_access._lock_pair(p.roleid, p.granteeid, false) THEN
				revoked := revoked + sym_access._expire_pair(p.roleid, p.granteeid);
			ELSE
				PERFORM sym_access._log_line('expire', 'skipped', sym_access._role_name(p.roleid),
					sym_access._role_name(p.granteeid), NULL,
					'reason="another transaction holds this role and user; due again at the next sweep"');
			END IF;
		EXCEPTION
			WHEN lock_not_available THEN
				msg := SQLERRM;
				retried := sym_access._expire_after_ending_bots(p.roleid, p.granteeid);
				IF retried < 0 THEN
					PERFORM sym_access._log_line('expire', 'skipped', sym_access._role_name(p.roleid),
						sym_access._role_name(p.granteeid), NULL,
						format('reason="%s; due again at the next sweep"', msg));
				ELSE
					revoked := revoked + retried;
				END IF;
			WHEN OTHERS THEN
				st := SQLSTATE;
				msg := SQLERRM;
				PERFORM sym_access._audit('expire', 'error', sym_access._role_name(p.roleid),
					sym_access._role_name(p.granteeid), '{}', NULL, NULL,
					'could not expire this role and user; it is due again at the next sweep: ' || msg,
					jsonb_build_object('sqlstate', st));
				RAISE WARNING 'sym_access: expire of "%" for "%" failed: %',
					sym_access._role_name(p.roleid), sym_access._role_name(p.granteeid), msg
					USING ERRCODE = st;
		END;
	END LOOP;

	-- Lock rows of dropped roles go too (those another transaction holds
	-- wait for the next sweep).
	DELETE FROM sym_access.pair_lock l
	 WHERE l.ctid = ANY (ARRAY(SELECT x.ctid FROM sym_access.pair_lock x
								WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = x.role)
								   OR (x.grantee <> 0 AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = x.grantee))
								  FOR UPDATE SKIP LOCKED));

	-- Close the allow-list entries of roles that were dropped.
	FOR dropped_role IN
		DELETE FROM sym_access.allowed_role a
		 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = a.role)
		RETURNING a.role::oid
	LOOP
		PERFORM sym_access._audit('expire', 'dropped', dropped_role::text, NULL, '{}', NULL, NULL,
			format('the role with OID %s was dropped; its allow-list entry is removed', dropped_role), NULL);
	END LOOP;

	-- Temporary logins that could not be dropped before (tempuser.sql), and
	-- the run locks of runs that have no login left.
	PERFORM sym_access._retry_drops(NULL, 'expire');
	DELETE FROM sym_access.run_lock l
	 WHERE l.ctid = ANY (ARRAY(SELECT x.ctid FROM sym_access.run_lock x
								WHERE NOT EXISTS (SELECT FROM sym_access.temporary_login t
												   WHERE t.role = x.role AND t.run_srn = x.run_srn)
								  FOR UPDATE SKIP LOCKED));
	RETURN revoked;
END
$$;

--
-- membership.sql (mirrors extension/src/membership.c): the locks, what the
-- catalog says about a membership, GRANT/REVOKE by names read from the
-- catalog by OID (never from caller text), and ending a grantee's sessions.
--
-- Locks.  The C edition takes private lock tags that no SQL can take; in
-- SQL an advisory lock on the pair's numbers could be taken by anyone, the
-- grantee included, who would then stall its own expiry for good.  So the
-- locks are row locks on sym_access.pair_lock, which only the grantor and
-- the extension's owner may write (and so lock): one row per (role,
-- grantee) ever handled, and (role, 0) for the role as a whole.  Like every
-- table they are per database: two databases running sym_access on one
-- cluster do not serialize each other's calls for the same pair (the C
-- edition's locks are cluster-wide).
--
CREATE TABLE sym_access.pair_lock (
	role	oid NOT NULL,
	grantee oid NOT NULL,
	PRIMARY KEY (role, grantee)
);
COMMENT ON TABLE sym_access.pair_lock IS
	'Rows that sym_access''s functions lock to serialize calls for one role and grantee (pg_tle edition)';
CREATE TRIGGER pair_lock_guard
	BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sym_access.pair_lock
	FOR EACH STATEMENT EXECUTE FUNCTION sym_access.table_guard();

-- grant() holds the role's lock in share mode, disallow_role() exclusively,
-- so that disallow_role() never misses a grant still in flight.  Taken
-- before any pair lock, always.
CREATE FUNCTION sym_access._lock_role(roleid oid, exclusive boolean)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO sym_access.pair_lock AS l (role, grantee) VALUES (roleid, 0) ON CONFLICT DO NOTHING;
	IF exclusive THEN
		PERFORM FROM sym_access.pair_lock l WHERE l.role = roleid AND l.grantee = 0 FOR UPDATE;
	ELSE
		PERFORM FROM sym_access.pair_lock l WHERE l.role = roleid AND l.grantee = 0 FOR SHARE;
	END IF;
END
$$;

-- The pair's lock; without wait, false at once when another transaction
-- holds it (the sweep never waits for a pair: a bot that keeps its
-- transaction open must not stall it).  A row another transaction is still
-- inserting makes the INSERT wait: expire()'s lock_timeout bounds that.
CREATE FUNCTION sym_access._lock_pair(roleid oid, granteeid oid, wait boolean)
RETURNS boolean LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT wait THEN
		PERFORM FROM sym_access.pair_lock l WHERE l.role = roleid AND l.grantee = granteeid FOR UPDATE SKIP LOCKED;
		IF FOUND THEN
			RETURN true;
		ELSIF EXISTS (SELECT FROM sym_access.pair_lock l WHERE l.role = roleid AND l.grantee = granteeid) THEN
			RETURN false;
		END IF;
	END IF;
	INSERT INTO sym_access.pair_lock AS l (role, grantee) VALUES (roleid, granteeid) ON CONFLICT DO NOTHING;
	IF wait THEN
		PERFORM FROM sym_access.pair_lock l WHERE l.role = roleid AND l.grantee = granteeid FOR UPDATE;
		RETURN true;
	END IF;
	PERFORM FROM sym_access.pair_lock l WHERE l.role = roleid AND l.grantee = granteeid FOR UPDATE SKIP LOCKED;
	RETURN FOUND;
END
$$;

-- ours: a membership granted by sym_access_grantor; outside: by anyone else.
CREATE FUNCTION sym_access._membership(roleid oid, granteeid oid, OUT ours boolean, OUT outside boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT COALESCE(bool_or(m.grantor = g.oid), false), COALESCE(bool_or(m.grantor <> g.oid), false)
	  FROM pg_auth_members m, pg_roles g
	 WHERE g.rolname = 'sym_access_grantor' AND m.roleid = $1 AND m.member = $2
$$;

CREATE FUNCTION sym_access._grantor_has_admin(roleid oid)
RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.member
					WHERE g.rolname = 'sym_access_grantor' AND m.roleid = $1 AND m.admin_option)
$$;

-- End every session of the grantee: a session that ran SET ROLE keeps the
-- role's privileges after REVOKE until it ends.  Runs as the grantor, which
-- has pg_signal_backend for exactly this.
CREATE FUNCTION sym_access._terminate_sessions(granteeid oid)
RETURNS integer LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid))::int
	  FROM pg_stat_activity a
	 WHERE a.usesysid = $1 AND a.pid <> pg_backend_pid()
$$;

-- Revoke the membership sym_access made, then end the grantee's sessions if
-- the role asks for it.  A temporary login's sessions always end (the login
-- is going away), then it is dropped or disabled (tempuser.sql); detail is
-- the audit's part of all this.  SECURITY DEFINER as the grantor: on 16+ a REVOKE
-- removes the grant made by the role that runs it, so the admin functions
-- (owned by the extension's owner) revoke through this one.  Ending the
-- sessions runs in its own block: when it fails (a grantee who became a
-- superuser cannot be signalled), the revoke stands and terminate_error
-- says why.
CREATE FUNCTION sym_access._revoke_and_terminate(roleid oid, granteeid oid,
		OUT revoked boolean, OUT outcome text, OUT message text,
		OUT terminated integer, OUT terminate_error text, OUT detail jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role text := (SELECT r.rolname FROM pg_roles r WHERE r.oid = roleid);
	grantee text := (SELECT r.rolname FROM pg_roles r WHERE r.oid = granteeid);
	m record := sym_access._membership(roleid, granteeid);
	temporary boolean := EXISTS (SELECT FROM sym_access.temporary_login t WHERE t.login = granteeid);
	ending jsonb := '{}';
BEGIN
	revoked := false;
	terminated := 0;
	detail := '{}';
	IF role IS NULL OR grantee IS NULL THEN
		outcome := 'not_granted';
		message := format('the %s with OID %s was dropped; there is no membership left to revoke',
						  CASE WHEN role IS NULL THEN 'role' ELSE 'user' END,
						  CASE WHEN role IS NULL THEN roleid ELSE granteeid END);
		RETURN;
	END IF;
	IF NOT m.ours AND NOT temporary THEN
		outcome := 'not_granted';
		message := format('"%s" no longer held "%s" through sym_access: the membership had been removed outside sym_access',
						  grantee, role);
		RETURN;
	END IF;

	IF m.ours THEN
		EXECUTE format('REVOKE %I FROM %I', role, grantee);
	END IF;
	revoked := true;
	outcome := 'revoked';
	message := format('revoked "%s" from "%s"', role, grantee);

	IF temporary OR COALESCE((SELECT a.terminate_sessions FROM sym_access.allowed_role a WHERE a.role = roleid), true) THEN
		BEGIN
			terminated := sym_access._terminate_sessions(granteeid);
			IF terminated > 0 THEN
				message := format('%s; terminated %s session%s', message, terminated,
								  CASE WHEN terminated = 1 THEN '' ELSE 's' END);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			terminate_error := SQLERRM;
			message := format('%s; its sessions could not be ended: %s', message, SQLERRM);
		END;
	END IF;
	IF m.outside THEN
		message := message || '; a membership granted outside sym_access remains';
	END IF;
	IF temporary THEN
		SELECT to_jsonb(x) INTO ending FROM sym_access._end_temporary_login(granteeid, message) x;
		message := ending ->> 'new_message';
	END IF;
	detail := jsonb_strip_nulls(jsonb_build_object('terminated_sessions', terminated, 'terminate_error', terminate_error)
								|| (ending - 'new_message'));
END
$$;

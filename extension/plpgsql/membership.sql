--
-- membership.sql (mirrors extension/src/membership.c): the locks, what the
-- catalog says about a membership, GRANT/REVOKE by names read from the
-- catalog by OID (never from caller text), and ending a grantee's sessions.
--
-- Locks are transaction-scoped advisory locks.  In SQL they are per
-- database (the C edition's lock tags use database 0, i.e. the whole
-- cluster), so two databases that both run sym_access do not serialize
-- each other's calls for the same pair.  The pair lock uses the two-int
-- form (role OID, grantee OID); the role lock the one-bigint form with
-- 0x5342 in the high half: they cannot collide with each other, but can
-- with an application's own advisory locks of the same values.
--

CREATE FUNCTION sym_access._lock_role(roleid oid, exclusive boolean)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF exclusive THEN
		PERFORM pg_advisory_xact_lock((x'5342' :: bigint << 32) | roleid::bigint);
	ELSE
		PERFORM pg_advisory_xact_lock_shared((x'5342' :: bigint << 32) | roleid::bigint);
	END IF;
END
$$;

-- OIDs above 2^31 wrap to negative int4 keys; the mapping stays one to one.
CREATE FUNCTION sym_access._lock_pair(roleid oid, granteeid oid, wait boolean)
RETURNS boolean LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r int := (roleid::bigint - CASE WHEN roleid::bigint > 2147483647 THEN 4294967296 ELSE 0 END)::int;
	g int := (granteeid::bigint - CASE WHEN granteeid::bigint > 2147483647 THEN 4294967296 ELSE 0 END)::int;
BEGIN
	IF wait THEN
		PERFORM pg_advisory_xact_lock(r, g);
		RETURN true;
	END IF;
	RETURN pg_try_advisory_xact_lock(r, g);
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
-- the role asks for it.  SECURITY DEFINER as the grantor: on 16+ a REVOKE
-- removes the grant made by the role that runs it, so the admin functions
-- (owned by the extension's owner) revoke through this one.  Ending the
-- sessions runs in its own block: when it fails (a grantee who became a
-- superuser cannot be signalled), the revoke stands and terminate_error
-- says why.
CREATE FUNCTION sym_access._revoke_and_terminate(roleid oid, granteeid oid,
		OUT revoked boolean, OUT outcome text, OUT message text,
		OUT terminated integer, OUT terminate_error text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role text := (SELECT r.rolname FROM pg_roles r WHERE r.oid = roleid);
	grantee text := (SELECT r.rolname FROM pg_roles r WHERE r.oid = granteeid);
	m record := sym_access._membership(roleid, granteeid);
BEGIN
	revoked := false;
	terminated := 0;
	IF role IS NULL OR grantee IS NULL THEN
		outcome := 'not_granted';
		message := format('the %s with OID %s was dropped; there is no membership left to revoke',
						  CASE WHEN role IS NULL THEN 'role' ELSE 'user' END,
						  CASE WHEN role IS NULL THEN roleid ELSE granteeid END);
		RETURN;
	END IF;
	IF NOT m.ours THEN
		outcome := 'not_granted';
		message := format('"%s" no longer held "%s" through sym_access: the membership had been removed outside sym_access',
						  grantee, role);
		RETURN;
	END IF;

	EXECUTE format('REVOKE %I FROM %I', role, grantee);
	revoked := true;
	outcome := 'revoked';
	message := format('revoked "%s" from "%s"', role, grantee);

	IF COALESCE((SELECT a.terminate_sessions FROM sym_access.allowed_role a WHERE a.role = roleid), true) THEN
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
END
$$;

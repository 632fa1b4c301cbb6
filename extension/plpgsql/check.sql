--
-- check.sql (mirrors extension/src/check.c): does what the database holds
-- match what sym_access recorded?  One row per problem; no rows means
-- healthy.  There is no worker in this edition (pg_cron or the shim's sweep
-- event calls expire()), so "overdue" uses the C edition's default: more
-- than max(2 x 60 s, 5 minutes) past the expiry.
--
CREATE FUNCTION sym_access.check()
RETURNS TABLE(problem text, role text, grantee text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantor_id oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = 'sym_access_grantor');
	a oid;
	why text;
BEGIN
	RETURN QUERY
	SELECT 'orphan_membership', sym_access._role_name(m.roleid), sym_access._role_name(m.member),
		   'granted by sym_access_grantor, but no active grant explains it; revoke it by hand or run sym_access.grant() for it'
	  FROM pg_auth_members m
	 WHERE m.grantor = grantor_id AND m.member <> grantor_id
	   AND NOT EXISTS (SELECT FROM sym_access.active_grant g
					    WHERE g.role = m.roleid AND g.grantee = m.member AND NOT g.preexisting)
	 ORDER BY m.roleid::regrole::text, m.member::regrole::text;

	RETURN QUERY
	SELECT 'missing_membership', sym_access._role_name(g.role), sym_access._role_name(g.grantee),
		   'active grant of run(s) ' || string_agg(quote_literal(g.run_srn), ', ' ORDER BY g.run_srn)
		   || ' but no membership granted by sym_access_grantor; it was revoked outside sym_access'
	  FROM sym_access.active_grant g
	 WHERE NOT g.preexisting
	   AND EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.role)
	   AND EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.grantee)
	   AND NOT EXISTS (SELECT FROM pg_auth_members m
					    WHERE m.roleid = g.role AND m.member = g.grantee AND m.grantor = grantor_id)
	 GROUP BY g.role, g.grantee
	 ORDER BY g.role::text, g.grantee::text;

	FOR a IN SELECT x.role::oid FROM sym_access.allowed_role x
			  WHERE EXISTS (SELECT FROM pg_roles r WHERE r.oid = x.role) ORDER BY x.role::text
	LOOP
		why := sym_access._role_is_dangerous(a);
		IF why IS NOT NULL THEN
			problem := 'dangerous_allowed_role'; role := sym_access._role_name(a); grantee := NULL;
			detail := why || '; every grant of it is denied: take it off with sym_access.disallow_role() or remove what makes it dangerous';
			RETURN NEXT;
		END IF;
		IF NOT sym_access._grantor_has_admin(a) THEN
			problem := 'grantor_lacks_admin'; role := sym_access._role_name(a); grantee := NULL;
			detail := 'sym_access_grantor does not hold ADMIN OPTION on it (revoked by hand, or restored into another cluster): run sym_access.allow_role() for it again';
			RETURN NEXT;
		END IF;
	END LOOP;

	RETURN QUERY
	SELECT 'dropped_role', x.role::oid::text, NULL::text,
		   'the allow-list names role OID ' || x.role::oid || ', which was dropped; the next sym_access.expire() removes the entry'
	  FROM sym_access.allowed_role x
	 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = x.role)
	 ORDER BY x.role::oid;
	RETURN QUERY
	SELECT 'dropped_role', sym_access._role_name(g.role), sym_access._role_name(g.grantee),
		   'active grant of run ' || quote_literal(g.run_srn) || ' names a role or user that was dropped; the next sym_access.expire() closes it'
	  FROM sym_access.active_grant g
	 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.role)
		OR NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.grantee)
	 ORDER BY g.role::oid, g.grantee::oid, g.run_srn;

	RETURN QUERY
	SELECT 'overdue', sym_access._role_name(g.role), sym_access._role_name(g.grantee),
		   'run ' || quote_literal(g.run_srn) || ' expired at '
		   || to_char(g.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		   || ' and is still open: nothing is sweeping (is the worker running, or pg_cron calling sym_access.expire()?)'
	  FROM sym_access.active_grant g
	 WHERE g.expires_at < now() - interval '300 seconds'
	   AND EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.role)
	   AND EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.grantee)
	 ORDER BY g.expires_at, g.role::text, g.grantee::text;

	-- Temporary logins that could not be dropped, and a grantor that holds
	-- CREATEROLE although nothing here needs it (tempuser.sql).
	RETURN QUERY
	SELECT 'disabled_temporary_user', sym_access._role_name(t.role), sym_access._role_name(t.login),
		   'disabled at ' || sym_access._ts_out(t.disabled_at)
		   || ': could not be dropped (owns objects or holds privileges); reassign or drop them'
		   || ' (REASSIGN OWNED BY / DROP OWNED BY in each database), then sym_access.expire() drops it'
	  FROM sym_access.temporary_login t
	 WHERE t.disabled_at IS NOT NULL
	 ORDER BY t.login_name;
	RETURN QUERY
	SELECT 'grantor_has_createrole', NULL::text, r.rolname::text,
		   'sym_access_grantor holds CREATEROLE but no role is allowed in temporary_user mode'
		   || ' and no temporary login is left: run sym_access.disallow_role() or allow_role() for any role'
		   || ' (they take it away), or ALTER ROLE sym_access_grantor NOCREATEROLE'
	  FROM pg_roles r
	 WHERE r.rolname = 'sym_access_grantor' AND r.rolcreaterole
	   AND NOT EXISTS (SELECT FROM sym_access.allowed_role a WHERE a.mode = 'temporary_user')
	   AND NOT EXISTS (SELECT FROM sym_access.temporary_login);
END
$$;

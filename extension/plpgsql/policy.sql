--
-- policy.sql (mirrors extension/src/policy.c): which roles may never be
-- handed out, and who may never receive one.  Roles are looked up in
-- pg_roles by OID or by exact name, never by casting caller text to regrole
-- (which folds case, strips quotes and truncates to 63 bytes).
--

-- Is member a member of role through any chain of memberships, superuser
-- status aside (pg_has_role() says yes to everything for a superuser)?
-- INHERIT and SET options are ignored on purpose: what SET ROLE cannot reach
-- today, a later ALTER can make reachable.
CREATE FUNCTION sym_access._member_of(member oid, role oid)
RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE up(r) AS (
		SELECT member
		UNION
		SELECT m.roleid FROM up JOIN pg_auth_members m ON m.member = up.r
	)
	SELECT EXISTS (SELECT FROM up WHERE up.r = role)
$$;

-- Why the role is dangerous (it, or a role in its membership chain, has a
-- cluster attribute, holds ADMIN OPTION on any role, or is one of the
-- reserved roles), or NULL.  Breadth-first, so the chain named is a
-- shortest one, as in the C edition.
CREATE FUNCTION sym_access._role_is_dangerous(roleid oid)
RETURNS text LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	reserved oid[];
	roles oid[] := ARRAY[roleid];
	parents int[] := ARRAY[0];
	i int := 1;
	cur oid;
	attr text;
	administered oid;
	chain text;
	j int;
	p oid;
BEGIN
	SELECT array_agg(r.oid) INTO reserved FROM pg_roles r
	 WHERE r.rolname = ANY ('{pg_execute_server_program,pg_read_server_files,pg_write_server_files,pg_create_subscription,pg_signal_backend,pg_write_all_data,pg_maintain,rds_superuser,rds_replication,rds_password,azure_pg_admin,cloudsqlsuperuser,sym_access_grantor,sym_access_admin,sym_access_operator}'::name[]);
	reserved := COALESCE(reserved, '{}');
	WHILE i <= cardinality(roles) LOOP
		cur := roles[i];
		administered := NULL;
		SELECT CASE WHEN r.rolsuper THEN 'SUPERUSER' WHEN r.rolcreaterole THEN 'CREATEROLE'
					WHEN r.rolcreatedb THEN 'CREATEDB' WHEN r.rolreplication THEN 'REPLICATION'
					WHEN r.rolbypassrls THEN 'BYPASSRLS' END
		  INTO attr FROM pg_roles r WHERE r.oid = cur;
		IF attr IS NULL AND NOT cur = ANY (reserved) THEN
			SELECT m.roleid INTO administered FROM pg_auth_members m
			 WHERE m.member = cur AND m.admin_option ORDER BY m.roleid LIMIT 1;
			IF administered IS NOT NULL THEN
				attr := format('ADMIN OPTION on "%s"', sym_access._role_name(administered));
			END IF;
		END IF;
		IF attr IS NOT NULL OR cur = ANY (reserved) THEN
			IF i = 1 THEN
				IF attr IS NOT NULL THEN
					RETURN format('role "%s" has %s', sym_access._role_name(cur), attr);
				END IF;
				RETURN format('role "%s" is reserved', sym_access._role_name(cur));
			END IF;
			chain := '';
			j := i;
			WHILE j > 0 LOOP
				chain := format('"%s"', sym_access._role_name(roles[j]))
						 || CASE WHEN chain = '' THEN '' ELSE ' -> ' || chain END;
				j := parents[j];
			END LOOP;
			RETURN format('role "%s" is a member of %s"%s" (%s)%s',
						  sym_access._role_name(roleid),
						  CASE WHEN attr IS NOT NULL AND administered IS NULL THEN attr || ' role ' ELSE '' END,
						  sym_access._role_name(cur), chain,
						  CASE WHEN administered IS NOT NULL THEN ', which holds ' || attr ELSE '' END);
		END IF;
		FOR p IN SELECT m.roleid FROM pg_auth_members m WHERE m.member = cur ORDER BY m.roleid LOOP
			IF NOT p = ANY (roles) THEN
				roles := roles || p;
				parents := parents || i;
			END IF;
		END LOOP;
		i := i + 1;
	END LOOP;
	RETURN NULL;
END
$$;

-- A role's name for messages, or its OID when it was dropped.
CREATE FUNCTION sym_access._role_name(roleid oid)
RETURNS text LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT COALESCE((SELECT r.rolname::text FROM pg_roles r WHERE r.oid = roleid), roleid::text) $$;

-- Why the grantee may not receive the role, or NULL.  The caller is the
-- session user: a role it runs SET ROLE to is one it is a member of, so
-- that case is covered by the membership test.
CREATE FUNCTION sym_access._grantee_unfit(granteeid oid, roleid oid)
RETURNS text LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g record;
	caller oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = session_user);
	own text;
	ownid oid;
BEGIN
	SELECT r.rolname, r.rolcanlogin, r.rolsuper INTO g FROM pg_roles r WHERE r.oid = granteeid;
	IF NOT FOUND THEN
		RETURN format('user "%s" does not exist', granteeid);
	ELSIF g.rolsuper THEN
		RETURN format('user "%s" is a superuser', g.rolname);
	ELSIF NOT g.rolcanlogin THEN
		RETURN format('role "%s" cannot log in (NOLOGIN); grantees must be login roles', g.rolname);
	ELSIF granteeid = caller THEN
		RETURN format('user "%s" is the caller; the bot cannot grant roles to itself', g.rolname);
	ELSIF sym_access._member_of(caller, granteeid) THEN
		RETURN format('the caller "%s" is a member of "%s"; the bot cannot grant roles to itself through a role it belongs to',
					  session_user, g.rolname);
	ELSIF granteeid = roleid THEN
		RETURN 'a role cannot be granted to itself';
	ELSIF sym_access._member_of(roleid, granteeid) THEN
		RETURN format('role "%s" is itself a member of "%s"; granting it would make the membership circular',
					  sym_access._role_name(roleid), g.rolname);
	END IF;
	FOREACH own IN ARRAY ARRAY['sym_access_operator', 'sym_access_grantor', 'sym_access_admin'] LOOP
		SELECT r.oid INTO ownid FROM pg_roles r WHERE r.rolname = own;
		IF ownid IS NOT NULL AND sym_access._member_of(granteeid, ownid) THEN
			RETURN format('user "%s" is %s "%s"; sym_access does not grant roles to its own roles or bots',
						  g.rolname, CASE WHEN granteeid = ownid THEN 'the role' ELSE 'a member of' END, own);
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;

--
-- Install-time trust, pg_tle edition.  The installer is a superuser or a
-- platform's admin (LOGIN CREATEROLE CREATEDB, not a superuser: pg_authid
-- is not readable, so this reads pg_roles).  Nothing that someone else made
-- before may be bound or kept:
--  * the schema must be the one this CREATE EXTENSION made, or an empty one
--    owned by the installer (or a superuser) that grants nothing to anyone
--    but our roles (what DROP EXTENSION and pg_restore leave);
--  * an existing role of ours must be harmless: no LOGIN, no cluster
--    attribute, no ADMIN OPTION held on it by anyone but a superuser or the
--    installer (on 16+ a CREATEROLE user holds that on the roles it made),
--    and no member of the grantor.
--
DO $guard$
DECLARE
	me oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);
	nsp record;
	r record;
BEGIN
	SELECT n.oid, n.nspowner, n.xmin,
		   (SELECT a.rolsuper OR a.oid OPERATOR(pg_catalog.=) me FROM pg_catalog.pg_roles a
			 WHERE a.oid OPERATOR(pg_catalog.=) n.nspowner) AS owner_trusted,
		   EXISTS (SELECT FROM pg_catalog.pg_depend d
					WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
					  AND d.refobjid OPERATOR(pg_catalog.=) n.oid
					  AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass) AS has_objects,
		   EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) x
					 LEFT JOIN pg_catalog.pg_roles h ON h.oid OPERATOR(pg_catalog.=) x.grantee
					WHERE NOT COALESCE(h.rolsuper OR h.oid OPERATOR(pg_catalog.=) me
									   OR h.rolname OPERATOR(pg_catalog.=) ANY
									   ('{sym_access_grantor,sym_access_operator,sym_access_admin}'::pg_catalog.name[]),
									   false)) AS grants_others
	  INTO nsp
	  FROM pg_catalog.pg_namespace n
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'sym_access';
	IF nsp.xmin OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id()::pg_catalog.xid
	   AND (NOT nsp.owner_trusted OR nsp.has_objects OR nsp.grants_others) THEN
		RAISE EXCEPTION 'sym_access: schema "sym_access" already exists and was not made by this CREATE EXTENSION'
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = pg_catalog.format('It is owned by %s%s%s.', nsp.nspowner::pg_catalog.regrole,
							CASE WHEN nsp.owner_trusted THEN '' ELSE ', who is neither a superuser nor the installing user' END,
							CASE WHEN nsp.has_objects THEN ', and holds objects'
								 WHEN nsp.grants_others THEN ', and grants privileges to other roles'
								 ELSE '' END),
				  HINT = 'Whoever made that schema could plant objects that the install binds to. Inspect it, then DROP SCHEMA sym_access CASCADE and run CREATE EXTENSION again.';
	END IF;

	FOR r IN
		SELECT a.rolname,
			   CASE WHEN a.rolcanlogin OR a.rolsuper OR a.rolcreatedb
						 OR a.rolreplication OR a.rolbypassrls
						 -- On 16+ the grantor holds CREATEROLE while another
						 -- database allows a role in temporary_user mode.
						 OR (a.rolcreaterole
							 AND NOT (a.rolname OPERATOR(pg_catalog.=) 'sym_access_grantor'
									  AND pg_catalog.current_setting('server_version_num')::pg_catalog.int4
										  OPERATOR(pg_catalog.>=) 160000))
					THEN 'has LOGIN or a cluster-level attribute'
					WHEN EXISTS (SELECT FROM pg_catalog.pg_auth_members m
								   JOIN pg_catalog.pg_roles h ON h.oid OPERATOR(pg_catalog.=) m.member
								  WHERE m.roleid OPERATOR(pg_catalog.=) a.oid AND m.admin_option
									AND NOT h.rolsuper AND h.oid OPERATOR(pg_catalog.<>) me)
					THEN 'has ADMIN OPTION held on it by a role that is not a superuser'
					-- On 16+ the CREATEROLE installer holds ADMIN OPTION on the
					-- roles it made, without INHERIT or SET: that one is allowed
					-- (15 has no such columns, hence the jsonb).
					WHEN a.rolname OPERATOR(pg_catalog.=) 'sym_access_grantor'
						 AND EXISTS (SELECT FROM pg_catalog.pg_auth_members m
									  WHERE m.roleid OPERATOR(pg_catalog.=) a.oid
										AND NOT (m.member OPERATOR(pg_catalog.=) me
												 AND NOT COALESCE((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'inherit_option')::pg_catalog.bool
																  OR (pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'set_option')::pg_catalog.bool, true)))
					THEN 'has members'
			   END AS why
		  FROM pg_catalog.pg_roles a
		 WHERE a.rolname OPERATOR(pg_catalog.=) ANY ('{sym_access_grantor,sym_access_operator,sym_access_admin}'::pg_catalog.name[])
	LOOP
		IF r.why IS NOT NULL THEN
			RAISE EXCEPTION 'sym_access: role % already exists and %', r.rolname, r.why
				USING ERRCODE = 'insufficient_privilege',
					  HINT = 'Whoever controls that role could make itself grantor, admin or bot. Make it NOLOGIN with no attributes, revoke ADMIN OPTION on it and its grantor memberships, or drop it, then try again.';
		END IF;
	END LOOP;
END
$guard$;

-- A platform's admin is not a superuser: to give functions to the grantor
-- it must be a member of it (with SET on 16+) and the grantor must have
-- CREATE on the schema.  Both are lent for the length of this script and
-- taken back at its end; with INHERIT, so that the GRANTs and REVOKEs below
-- on the grantor's functions act as the owner's (a non-owner's REVOKE
-- FROM PUBLIC would revoke nothing).  A superuser needs neither.
DO $lend$
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 160000 THEN
			EXECUTE pg_catalog.format('GRANT sym_access_grantor TO %I WITH INHERIT TRUE, SET TRUE', CURRENT_USER);
		ELSE
			EXECUTE pg_catalog.format('GRANT sym_access_grantor TO %I', CURRENT_USER);
		END IF;
		GRANT CREATE ON SCHEMA sym_access TO sym_access_grantor;
	END IF;
END
$lend$;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sym_access FROM PUBLIC;
ALTER FUNCTION sym_access.resolve_user(text) OWNER TO sym_access_grantor;
ALTER FUNCTION sym_access.grant(text, text, interval, jsonb) OWNER TO sym_access_grantor;
ALTER FUNCTION sym_access.revoke(text, text, jsonb) OWNER TO sym_access_grantor;
ALTER FUNCTION sym_access.expire() OWNER TO sym_access_grantor;
-- The internal helpers (names beginning with an underscore).
DO $helpers$
DECLARE
	f pg_catalog.regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
			  WHERE p.pronamespace OPERATOR(pg_catalog.=) 'sym_access'::pg_catalog.regnamespace
				AND p.proname OPERATOR(pg_catalog.~~) '\_%'
				AND p.proname OPERATOR(pg_catalog.<>) '_heal_audit_sequence'
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO sym_access_grantor', f);
	END LOOP;
END
$helpers$;


--
-- pg_tle edition: the extension's owner runs the admin functions,
-- purge_audit and check, which call the grantor's internal helpers.  Granted
-- here, after the change of owner: granted before it, ALTER ... OWNER would
-- pass the installer's own entry on to the new owner.  Then take back what
-- the ownership step lent.
--
-- The grantor takes and cleans the locks of the operator functions.
GRANT SELECT, INSERT, UPDATE, DELETE ON sym_access.pair_lock, sym_access.run_lock TO sym_access_grantor;
-- The audit insert heals a sequence moved back, as the owner.
GRANT EXECUTE ON FUNCTION sym_access._heal_audit_sequence() TO sym_access_grantor;

DO $owner$
DECLARE
	f pg_catalog.regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
			  WHERE p.pronamespace OPERATOR(pg_catalog.=) 'sym_access'::pg_catalog.regnamespace
				AND p.proname OPERATOR(pg_catalog.~~) '\_%'
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', f, CURRENT_USER);
	END LOOP;
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		REVOKE CREATE ON SCHEMA sym_access FROM sym_access_grantor;
		EXECUTE pg_catalog.format('REVOKE sym_access_grantor FROM %I', CURRENT_USER);
	END IF;
END
$owner$;

--
-- guard.sql (mirrors extension/src/guard.c and the trigger of audit.c).
--
-- audit_guard: BEFORE UPDATE OR DELETE (row) and BEFORE TRUNCATE
-- (statement) on sym_access.audit.  It binds the table owner too: only
-- purge_audit()'s own DELETE gets rows out.  The C edition sets a flag in
-- the backend around that DELETE; PL/pgSQL has no such private state (a
-- custom setting could be set by anyone), so this reads the call stack:
-- the DELETE must be purge_audit's own statement, called directly by it.
--
CREATE FUNCTION sym_access.audit_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stack text;
	lines text[];
BEGIN
	IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' THEN
		GET DIAGNOSTICS stack = PG_CONTEXT;
		lines := string_to_array(stack, E'\n');
		IF lines[2] = 'SQL statement "DELETE FROM sym_access.audit WHERE at < cutoff"'
		   AND lines[3] ~ '^PL/pgSQL function sym_access\.purge_audit\(interval\) line [0-9]+ at SQL statement$' THEN
			RETURN OLD;
		END IF;
	END IF;
	RAISE EXCEPTION 'sym_access.audit is append-only: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege',
			  HINT = 'Audit rows leave the table only through sym_access.purge_audit(), which keeps at least 30 days.';
END
$$;

-- table_guard: the tables change only through the extension's functions,
-- which run as sym_access_grantor (operator functions) or as the
-- extension's owner (admin functions); superusers aside, a change made as
-- anyone else did not come through them.
CREATE FUNCTION sym_access.table_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user), false)
	   OR current_user = 'sym_access_grantor'
	   OR (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user) = (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'sym_access') THEN
		RETURN NULL;
	END IF;
	RAISE EXCEPTION 'sym_access: % on %.% is refused: its rows change only through sym_access''s functions',
		TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege',
			  DETAIL = format('Role "%s" is neither sym_access_grantor nor the extension''s owner.', current_user),
			  HINT = 'Use sym_access.allow_role(), disallow_role(), map_user(), unmap_user(), grant(), revoke() or expire().';
END
$$;

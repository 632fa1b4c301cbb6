--
-- audit.sql (mirrors extension/src/audit.c): one audit row and one LOG line
-- per decision.  RAISE LOG adds the caller's statement to the server log
-- (log_min_error_statement); the LOG line itself is the same as the C
-- edition's.
--

-- Log values are bare when harmless and JSON-quoted otherwise, so a role
-- called "x outcome=granted" or one with a newline cannot forge fields.
CREATE FUNCTION sym_access._log_value(value text)
RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN value IS NULL THEN '-'
				WHEN value ~ '^[!#-<>-\[\]-~]+$' THEN value
				ELSE to_jsonb(value)::text END
$$;

CREATE FUNCTION sym_access._log_line(action text, outcome text, role text,
									 grantee text, run text, tail text)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE LOG '%', format('sym_access: action=%s outcome=%s role=%s grantee=%s run=%s %s',
						  action, outcome, sym_access._log_value(role), sym_access._log_value(grantee),
						  sym_access._log_value(run), tail);
END
$$;

-- Move the audit id sequence past the highest id in use.  Owned by the
-- extension's owner (left out of the grantor's helpers in ownership.sql):
-- the grantor has no UPDATE on the sequence, and should not.
CREATE FUNCTION sym_access._heal_audit_sequence()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM setval('sym_access.audit_id_seq', (SELECT max(a.id) FROM sym_access.audit a));
	RAISE WARNING 'sym_access: the audit id sequence had been moved back below ids in use; it was set past them'
		USING ERRCODE = 'unique_violation',
			  HINT = 'Find who calls setval() on sym_access.audit_id_seq: members of pg_write_all_data can.';
END
$$;

-- Insert the audit row (in the transaction that makes the change), emit the
-- LOG line, return the row's id.  The context keys without a column of
-- their own go to detail.context.
CREATE FUNCTION sym_access._audit(action text, outcome text, role_name text, grantee text,
								  ctx jsonb, duration interval, expires_at timestamptz,
								  message text, extra jsonb)
RETURNS bigint LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
	run text := NULLIF(ctx ->> 'run_srn', '');
	rest jsonb := COALESCE(ctx, '{}') - '{run_srn,requester,approver,reason}'::text[];
BEGIN
	-- ON CONFLICT: a holder of pg_write_all_data may move the id sequence
	-- back (setval needs only UPDATE on it); heal and retry, as in C.
	FOR attempt IN 1..3 LOOP
		INSERT INTO sym_access.audit
			(action, outcome, role_name, grantee, requester, approver, run_srn, reason,
			 duration, expires_at, detail)
		VALUES (action, outcome, role_name, grantee, ctx ->> 'requester', ctx ->> 'approver', run,
				ctx ->> 'reason', duration, expires_at,
				jsonb_strip_nulls(jsonb_build_object('message', message)) || COALESCE(extra, '{}')
				|| CASE WHEN rest = '{}' THEN '{}'::jsonb ELSE jsonb_build_object('context', rest) END)
		ON CONFLICT ON CONSTRAINT audit_pkey DO NOTHING
		RETURNING audit.id INTO id;
		EXIT WHEN id IS NOT NULL;
		IF attempt = 3 THEN
			RAISE EXCEPTION 'sym_access: the audit id sequence keeps being moved back; no audit row could be written'
				USING ERRCODE = 'unique_violation',
					  HINT = 'Find who calls setval() on sym_access.audit_id_seq: members of pg_write_all_data can.';
		END IF;
		PERFORM sym_access._heal_audit_sequence();
	END LOOP;
	PERFORM sym_access._log_line(action, outcome, role_name, grantee, run, 'audit_id=' || id);
	RETURN id;
END
$$;

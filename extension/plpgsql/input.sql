--
-- input.sql (mirrors extension/src/input.c): checks on what callers hand in,
-- and the clock arithmetic of durations.  Helpers whose names start with an
-- underscore are internal: owned by sym_access_grantor, EXECUTE for nobody
-- but the grantor and the extension's owner.
--

-- A text argument: NULL raises when required, oversized input always raises.
CREATE FUNCTION sym_access._text_arg(value text, what text, required boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF value IS NULL THEN
		IF required THEN
			RAISE EXCEPTION 'sym_access: % must not be NULL', what
				USING ERRCODE = 'null_value_not_allowed',
					  HINT = format('Pass the %s as a non-NULL text value.', what);
		END IF;
		RETURN NULL;
	END IF;
	IF octet_length(value) > 1024 THEN
		RAISE EXCEPTION 'sym_access: % is longer than 1024 bytes', what
			USING ERRCODE = 'string_data_right_truncation',
				  HINT = 'Identifiers are at most 63 bytes; free text at most 1024 bytes.';
	END IF;
	RETURN value;
END
$$;

-- Why a role or user name is unusable as given, or NULL.  PostgreSQL would
-- silently cut a longer one to 63 bytes, which could name another role.
CREATE FUNCTION sym_access._name_problem(name text, what text)
RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN octet_length(name) = 0 THEN format('%s name is empty', what)
				WHEN octet_length(name) > 63
				THEN format('%s name is %s bytes long; PostgreSQL names are at most 63 bytes and sym_access never truncates them',
							what, octet_length(name))
		   END
$$;

-- The context: NULL means '{}'; an object whose strings, keys included, are
-- at most 1 kB each and 16 kB in all; the known keys hold strings.
CREATE FUNCTION sym_access._context(ctx jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	len int;
	big record;
	k text;
BEGIN
	IF ctx IS NULL THEN
		RETURN '{}'::jsonb;
	END IF;
	IF jsonb_typeof(ctx) <> 'object' THEN
		RAISE EXCEPTION 'sym_access: context must be a jsonb object'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass something like ''{"run_srn": "...", "reason": "..."}''::jsonb.';
	END IF;
	len := octet_length(ctx::text);
	IF len > 16384 THEN
		RAISE EXCEPTION 'sym_access: context is % bytes as text, more than the limit of 16384', len
			USING ERRCODE = 'program_limit_exceeded',
				  HINT = 'Shorten free-text fields such as the reason before calling.';
	END IF;
	WITH RECURSIVE node(v) AS (
		SELECT ctx
		UNION ALL
		SELECT c.v FROM node n,
			LATERAL (SELECT e.value AS v FROM jsonb_each(CASE WHEN jsonb_typeof(n.v) = 'object' THEN n.v ELSE '{}' END) e
					 UNION ALL
					 SELECT a.value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n.v) = 'array' THEN n.v ELSE '[]' END) a) c
	), strings(kind, len) AS (
		SELECT 'key', octet_length(e.key)
		  FROM node n, jsonb_each(CASE WHEN jsonb_typeof(n.v) = 'object' THEN n.v ELSE '{}' END) e
		UNION ALL
		SELECT 'value', octet_length(n.v #>> '{}') FROM node n WHERE jsonb_typeof(n.v) = 'string'
	)
	SELECT s.kind, s.len INTO big FROM strings s WHERE s.len > 1024 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'sym_access: a context % is % bytes long, more than the limit of 1024', big.kind, big.len
			USING ERRCODE = 'string_data_right_truncation',
				  HINT = 'Shorten free-text fields such as the reason before calling.';
	END IF;
	FOREACH k IN ARRAY ARRAY['run_srn', 'requester', 'approver', 'reason', 'event_id', 'event_type'] LOOP
		IF jsonb_typeof(ctx -> k) NOT IN ('string', 'null') THEN
			RAISE EXCEPTION 'sym_access: context key "%" must be a string', k
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Pass context as a jsonb object whose known keys (run_srn, requester, approver, reason, event_id, event_type) hold strings.';
		END IF;
	END LOOP;
	RETURN ctx;
END
$$;

-- The per-pair lock only serializes callers that read what the previous
-- holder committed, i.e. that take a new snapshot per statement.
CREATE FUNCTION sym_access._require_read_committed(fname text)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'sym_access.% must run at READ COMMITTED isolation', fname
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'Under REPEATABLE READ or SERIALIZABLE a concurrent call for the same role and grantee could go unseen.',
				  HINT = 'Call it outside an explicit REPEATABLE READ or SERIALIZABLE transaction.';
	END IF;
END
$$;

-- Do the month, day and time fields disagree in sign?  Interval comparison
-- counts a month as 30 days, the clock does not.  The fields are taken apart
-- with date_trunc, which works field by field.
CREATE FUNCTION sym_access._mixed_signs(iv interval)
RETURNS boolean LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT isfinite(iv) AND (f.m > 0 OR f.d > 0 OR f.t > 0) AND (f.m < 0 OR f.d < 0 OR f.t < 0)
	  FROM (SELECT extract(year FROM date_trunc('month', iv)) * 12 + extract(month FROM date_trunc('month', iv)) AS m,
				   extract(day FROM date_trunc('day', iv) - date_trunc('month', iv)) AS d,
				   extract(epoch FROM iv - date_trunc('day', iv)) AS t
			 WHERE isfinite(iv)) f
	UNION ALL SELECT false WHERE NOT isfinite(iv)
$$;

-- Bounds of a same-signed interval's length on the clock, in seconds: a
-- month lasts 28 to 31 days, a day 23 to 25 hours.  Lets a caller tell that
-- a duration is longer than another without adding it to a timestamp.
CREATE FUNCTION sym_access._clock_seconds(iv interval, longest boolean)
RETURNS double precision LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN NOT isfinite(iv) THEN CASE WHEN iv > interval '0' THEN 'infinity'::float8 ELSE '-infinity'::float8 END
				ELSE (extract(year FROM date_trunc('month', iv)) * 12 + extract(month FROM date_trunc('month', iv)))::float8
						 * CASE WHEN longest THEN 31 ELSE 28 END * 86400
					 + extract(day FROM date_trunc('day', iv) - date_trunc('month', iv))::float8
						 * CASE WHEN longest THEN 25 ELSE 23 END * 3600
					 + extract(epoch FROM iv - date_trunc('day', iv))::float8
		   END
$$;

-- Messages read the same whatever the session's IntervalStyle or TimeZone.
CREATE FUNCTION sym_access._interval_out(iv interval)
RETURNS text LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET intervalstyle = 'postgres'
AS $$ SELECT iv::text $$;

CREATE FUNCTION sym_access._ts_out(ts timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN NOT isfinite(ts) THEN CASE WHEN ts < now() THEN '-infinity' ELSE 'infinity' END
				ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END
$$;

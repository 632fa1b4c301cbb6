-- Shared by bench/cycles.sh (psql) and bench/instructions.sh (single-user
-- backend, hence one statement a line): the role sym_access hands out, its
-- bot, the floor's bot with ADMIN OPTION, one grantee, and the floor's
-- audit-like table (identity key, timestamp index, text columns, jsonb).
CREATE EXTENSION sym_access;
CREATE ROLE b_role NOLOGIN;
CREATE ROLE b_bot LOGIN;
GRANT sym_access_operator TO b_bot;
CREATE ROLE b_floor_bot LOGIN;
GRANT b_role TO b_floor_bot WITH ADMIN OPTION;
CREATE ROLE b_u0 LOGIN;
SELECT sym_access.allow_role('b_role');
CREATE TABLE floor_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), action text NOT NULL, outcome text NOT NULL, role_name text, grantee text, run_srn text, called_by name NOT NULL DEFAULT SESSION_USER, backend_pid int NOT NULL DEFAULT pg_backend_pid(), detail jsonb NOT NULL DEFAULT '{}');
CREATE INDEX ON floor_audit (at);
GRANT INSERT ON floor_audit TO b_floor_bot;

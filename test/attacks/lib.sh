# shellcheck shell=bash
# (root, T, DB, P and the actors are set by run.sh)
# shellcheck disable=SC2154
# Helpers for the attack suite (sourced by test/attacks/run.sh).
#
# A case reads:
#
#   attack class/actor/what          # starts a case
#   out=$(as "$BOT" -c "SELECT ...")  # the attack, as the actor (never aborts)
#   want_eq "$out" denied "outcome"   # expectations on what the attack got
#   want_state 42501                  # ... on the SQLSTATE of its last error
#   want "NOT pg_has_role(...)" "the bot gained the role"   # on the end state
#   verdict                           # PASS, or FAIL with every unmet reason
#
# `want` predicates are evaluated by the superuser after the attack: they
# assert the end state (memberships, attributes, rows), not just the reply.

passed=0
failed=0
skipped=0
failures=()
CASE=
REASONS=()

attack() {
	CASE=$1
	REASONS=()
	PREDS=()
	PRED_REASONS=()
	: >"$T/err"
}
reason() { REASONS+=("$*"); }
verdict() {
	judge_preds
	if [ ${#REASONS[@]} -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $CASE"
	else
		failed=$((failed + 1))
		local IFS=';'
		echo "FAIL $CASE: ${REASONS[*]}"
		failures+=("$CASE")
	fi
}
skip() { # reason: the case cannot apply to this server
	skipped=$((skipped + 1))
	echo "SKIP $CASE: $*"
}

# psql as a role in a database ($DB unless DBNAME is set).  Stdout is the
# result; stderr goes to $T/err, where want_state looks for the SQLSTATE.
as() {
	local who=$1
	shift
	psql -X -At -q -v VERBOSITY=verbose -U "$who" -d "${DBNAME:-$DB}" "$@" 2>"$T/err"
}
# The superuser, for set-up and for judging; stops the case on error only
# through the caller checking its status.
# Its search_path is pinned: a judge must not itself call what an attacker
# planted in public (a database owner can put public first for everyone).
su() {
	PGOPTIONS="${PGOPTIONS:-} -c search_path=pg_catalog,pg_temp" \
		psql -X -At -q -v ON_ERROR_STOP=1 -U postgres -d "${DBNAME:-$DB}" "$@"
}
# Set-up as the superuser; a failure is reported (the case will then fail
# on its own assertions) but does not stop the suite.
setup() { su -c "$1" >/dev/null 2>"$T/setup.err" || sed 's/^/   setup: /' "$T/setup.err" >&2; }

# SQLSTATE of the first ERROR/FATAL in the last `as` call ('' when none).
last_state() { sed -n 's/^\(ERROR\|FATAL\): *\([0-9A-Z]\{5\}\):.*/\2/p' "$T/err" | head -1; }
last_error() { grep -m1 -E '^(ERROR|FATAL)' "$T/err" | cut -c1-160; }

# Predicates are collected and judged together at verdict (one query).
PREDS=()
PRED_REASONS=()
want() { # predicate (superuser SQL), reason when false
	PREDS+=("$1")
	PRED_REASONS+=("$2")
}
judge_preds() {
	local sql='' i got one
	[ ${#PREDS[@]} -gt 0 ] || return 0
	for i in "${!PREDS[@]}"; do
		sql+="${sql:+, }coalesce((${PREDS[$i]})::bool, false)::int"
	done
	if one=$(su -F ' ' -c "SELECT $sql" 2>&1) && [[ $one =~ ^[01\ ]+$ ]]; then
		read -r -a got <<<"$one"
		for i in "${!PREDS[@]}"; do
			[ "${got[$i]}" = 1 ] || reason "${PRED_REASONS[$i]}"
		done
	else # one of them fails: judge each alone
		for i in "${!PREDS[@]}"; do
			one=$(su -c "SELECT coalesce((${PREDS[$i]})::bool, false)" 2>&1)
			[ "$one" = t ] || reason "${PRED_REASONS[$i]} [$one]"
		done
	fi
	PREDS=()
	PRED_REASONS=()
}
want_eq() { # got, expected, what
	[ "$1" = "$2" ] || reason "$3: got '${1:0:120}', want '$2'"
}
want_state() { # SQLSTATE ... (any of them)
	local s
	s=$(last_state)
	for w in "$@"; do [ "$s" = "$w" ] && return 0; done
	reason "SQLSTATE ${s:-none} (want $*)${s:+: $(last_error)}"
}
want_error() { # the last call raised (any SQLSTATE)
	[ -n "$(last_state)" ] || reason "no error was raised${1:+ ($1)}"
}
want_hint() {
	grep -q '^HINT:' "$T/err" || reason "no HINT with the error"
}

# The common end-state predicates.
member() { echo "pg_has_role('$1', '$2', 'MEMBER')"; }
not_member() { echo "NOT pg_has_role('$1', '$2', 'MEMBER')"; }
not_super() { echo "NOT (SELECT rolsuper FROM pg_roles WHERE rolname = '$1')"; }
allowed() { echo "EXISTS (SELECT FROM sym_access.allowed_role WHERE role::oid = (SELECT oid FROM pg_roles WHERE rolname = '$1'))"; }

ver_at_least() { [ "$PGV" -ge "$1" ]; }

# The edition under attack: ATTACK_EDITION=c (default) or pgtle, the pg_tle
# edition (test/pgtle/run.sh sets it), which ATTACK_INSTALLER, the platform's
# non-superuser admin, installs into databases whose template has pg_tle and
# the edition registered (test/pgtle/platform.sh).
EDITION=${ATTACK_EDITION:-c}
INSTALLER=${ATTACK_INSTALLER:-postgres}
pgtle() { [ "$EDITION" = pgtle ]; }
# CREATE EXTENSION sym_access as the installer, in ${DBNAME:-$DB}; a
# non-superuser installer needs CREATE on the database. Errors in $T/err.
install_ext() {
	[ "$INSTALLER" = postgres ] || setup "GRANT CREATE ON DATABASE \"${DBNAME:-$DB}\" TO \"$INSTALLER\""
	as "$INSTALLER" -c "CREATE EXTENSION sym_access" >/dev/null
}
# The installer, as a predicate on a pg_roles row aliased $1.
by_installer() { echo "($1.rolsuper OR $1.rolname = '$INSTALLER')"; }
role_exists() { [ "$(su -c "SELECT count(*) FROM pg_roles WHERE rolname = '$1'")" = 1 ]; }

# A snapshot of a table, to compare before and after an attack.
snap() { su -c "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM $1 t"; }
# One snapshot of the extension's four tables (row counts and contents).
EXT_TABLES="sym_access.allowed_role sym_access.user_map sym_access.active_grant sym_access.audit"
snap_tables() {
	local t sql=''
	for t in $EXT_TABLES; do
		sql+="${sql:+ || ' ' || }(SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM $t t)"
	done
	su -c "SELECT $sql"
}
# A snapshot of every membership in the cluster.
memberships() { su -c "SELECT md5(coalesce(string_agg(roleid || ':' || member || ':' || admin_option, ',' ORDER BY roleid, member, admin_option), '')) FROM pg_auth_members"; }

# A background psql session fed through a FIFO: open_session NAME ROLE,
# say NAME SQL, close_session NAME.  Output in $T/NAME.out.
open_session() {
	local name=$1 who=$2
	mkfifo "$T/$name.in"
	psql -X -At -v VERBOSITY=verbose -U "$who" -d "${DBNAME:-$DB}" <"$T/$name.in" >"$T/$name.out" 2>&1 &
	eval "pid_$name=$!"
	eval "exec {fd_$name}>\"\$T/$name.in\""
}
say() { # a closed session (terminated backend) is not an error here
	local fd="fd_$1"
	{ printf '%s\n' "$2" >&"${!fd}"; } 2>/dev/null || true
}
close_session() {
	local pid="pid_$1"
	eval "exec {fd_$1}>&-" 2>/dev/null
	timeout 10 tail --pid="${!pid}" -f /dev/null 2>/dev/null || kill "${!pid}" 2>/dev/null
	rm -f "$T/$1.in"
}
# Poll a superuser query until it prints the expected value (at most $3 s).
wait_for() {
	local sql=$1 want=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(su -c "$sql" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# plant SCHEMA OWNER: look-alike operators and functions in SCHEMA, made by
# OWNER, for every operator the install script, the view and the functions
# use or could be resolved to.
plant() {
	local schema=$1 owner=$2
	as "$owner" -v ON_ERROR_STOP=1 >/dev/null <<SQL || sed 's/^/   plant: /' "$T/err" >&2
CREATE TABLE IF NOT EXISTS public.${P}_mark (who name, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON public.${P}_mark TO PUBLIC;
CREATE FUNCTION $schema.${P}_evil(anyelement, anyelement) RETURNS boolean LANGUAGE plpgsql AS \$f\$
BEGIN
	INSERT INTO public.${P}_mark (who) VALUES (current_user);
	BEGIN
		EXECUTE 'ALTER ROLE $owner SUPERUSER';
	EXCEPTION WHEN OTHERS THEN NULL;
	END;
	RETURN \$1::text OPERATOR(pg_catalog.=) \$2::text;
END
\$f\$;
CREATE FUNCTION $schema.${P}_eo(oid, regrole) RETURNS boolean LANGUAGE sql AS 'SELECT $schema.${P}_evil(\$1::text, \$2::oid::text)';
CREATE FUNCTION $schema.${P}_er(regrole, oid) RETURNS boolean LANGUAGE sql AS 'SELECT $schema.${P}_evil(\$1::oid::text, \$2::text)';
CREATE FUNCTION $schema.${P}_rr(regrole, regrole) RETURNS boolean LANGUAGE sql AS 'SELECT $schema.${P}_evil(\$1::oid::text, \$2::oid::text)';
CREATE FUNCTION $schema.${P}_tt(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT $schema.${P}_evil(\$1, \$2)';
CREATE FUNCTION $schema.${P}_ii(interval, interval) RETURNS boolean LANGUAGE sql AS 'SELECT $schema.${P}_evil(\$1::text, \$2::text) AND \$1 OPERATOR(pg_catalog.>) \$2';
CREATE FUNCTION $schema.${P}_tsi(timestamptz, interval) RETURNS boolean LANGUAGE sql AS 'SELECT $schema.${P}_evil(\$1::text, \$2::text)';
CREATE OPERATOR $schema.= (LEFTARG = oid, RIGHTARG = regrole, FUNCTION = $schema.${P}_eo);
CREATE OPERATOR $schema.= (LEFTARG = regrole, RIGHTARG = oid, FUNCTION = $schema.${P}_er);
CREATE OPERATOR $schema.= (LEFTARG = regrole, RIGHTARG = regrole, FUNCTION = $schema.${P}_rr);
CREATE OPERATOR $schema.<> (LEFTARG = oid, RIGHTARG = regrole, FUNCTION = $schema.${P}_eo);
CREATE OPERATOR $schema.> (LEFTARG = interval, RIGHTARG = interval, FUNCTION = $schema.${P}_ii);
CREATE OPERATOR $schema.<= (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = $schema.${P}_tsi);
CREATE FUNCTION $schema.now() RETURNS timestamptz LANGUAGE plpgsql AS \$f\$ BEGIN PERFORM $schema.${P}_evil(1, 1); RETURN pg_catalog.now(); END \$f\$;
CREATE FUNCTION $schema.lower(text) RETURNS text LANGUAGE plpgsql AS \$f\$ BEGIN PERFORM $schema.${P}_evil(1, 1); RETURN pg_catalog.lower(\$1); END \$f\$;
CREATE FUNCTION $schema.pg_has_role(name, name, text) RETURNS boolean LANGUAGE plpgsql AS \$f\$ BEGIN PERFORM $schema.${P}_evil(1, 1); RETURN pg_catalog.pg_has_role(\$1, \$2, \$3); END \$f\$;
CREATE FUNCTION $schema.greatest(interval, interval) RETURNS interval LANGUAGE plpgsql AS \$f\$ BEGIN PERFORM $schema.${P}_evil(1, 1); RETURN \$1; END \$f\$;
SQL
}
planted_never_ran() { # owner
	want "NOT EXISTS (SELECT FROM public.${P}_mark)" "a planted function ran (as $(su -c "SELECT string_agg(DISTINCT who::text, ',') FROM public.${P}_mark" 2>&1))"
	want "$(not_super "$1")" "the planter became a superuser"
}

# The second cluster: no extension roles until a case creates them, the
# library preloaded, the expiry worker sweeping database ${P}_w every second
# (pg_tle edition: pg_tle preloaded, the edition registered in template1).
# use_extra switches PGHOST/PGPORT to it, use_main back.
MAIN_PGHOST=$PGHOST
MAIN_PGPORT=$PGPORT
use_extra() {
	if [ -z "${EXTRA:-}" ]; then
		EXTRA=$T/extra
		local gucs=("shared_preload_libraries = 'sym_access'" "sym_access.expire_interval = 1" "sym_access.database = '${P}_w'")
		pgtle && gucs=("shared_preload_libraries = 'pg_tle'")
		"$root/test/cluster.sh" start "$EXTRA" "${gucs[@]}" >/dev/null || { EXTRA=; return 1; }
		if pgtle && ! PGHOST="$EXTRA/sock" PGPORT=$(sed -n "s/^export PGPORT='\(.*\)'/\1/p" "$EXTRA/env") \
			"$root/test/pgtle/platform.sh" template1 >/dev/null; then
			"$root/test/cluster.sh" stop "$EXTRA" >/dev/null 2>&1
			EXTRA=
			return 1
		fi
		PGHOST="$EXTRA/sock" PGPORT=$(sed -n "s/^export PGPORT='\(.*\)'/\1/p" "$EXTRA/env") \
			psql -X -q -d postgres -c "CREATE DATABASE ${P}_w" >/dev/null
	fi
	PGHOST="$EXTRA/sock"
	PGPORT=$(sed -n "s/^export PGPORT='\(.*\)'/\1/p" "$EXTRA/env")
	export PGHOST PGPORT
}
use_main() {
	export PGHOST=$MAIN_PGHOST PGPORT=$MAIN_PGPORT
	DBNAME=
}

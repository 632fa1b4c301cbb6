# shellcheck shell=bash
# 8b. context jsonb abuse: oversized, deeply nested, not an object, odd
# types.  Programming errors raise (with a SQLSTATE); nothing is granted on
# a raise; the server survives.

CX=${P}_cx
setup "CREATE ROLE $CX NOLOGIN; SELECT sym_access.allow_role('$CX')"
nc=0
ctx_attack() { # what, context SQL expression, must-raise (yes/no)
	nc=$((nc + 1))
	local who=${P}_cg$nc
	setup "CREATE ROLE $who LOGIN"
	attack "context/bot/$1"
	out=$(as "$BOT" -c "SELECT outcome FROM sym_access.grant('$CX', '$who', '1 hour', $2)")
	if [ "$3" = yes ]; then
		want_error "accepted (outcome '$out')"
		want "$(not_member "$who" "$CX")" "granted although the call raised"
	fi
	grep -q 'server closed the connection' "$T/err" && reason "the backend crashed"
	want "(SELECT count(*) FROM sym_access.audit WHERE grantee = '$who') <= 1" "more than one audit row for one call"
	verdict
}
ctx_attack "whole context over 16 kB" "jsonb_build_object('run_srn', 'big', 'pad', repeat('x', 17000))" yes
ctx_attack "many small keys over 16 kB" "(SELECT jsonb_object_agg('k' || i, 'v') FROM generate_series(1, 3000) i)" yes
ctx_attack "reason over 1 kB" "jsonb_build_object('reason', repeat('r', 1025))" yes
ctx_attack "run_srn over 1 kB" "jsonb_build_object('run_srn', repeat('s', 1025))" yes
ctx_attack "requester over 1 kB in multibyte characters" "jsonb_build_object('requester', repeat('é', 600))" yes
ctx_attack "an array, not an object" "'[1, 2, 3]'" yes
ctx_attack "a string, not an object" "'\"run_srn\"'" yes
ctx_attack "JSON null" "'null'" yes
ctx_attack "a number" "'42'" yes
ctx_attack "SQL NULL" "NULL" no
ctx_attack "deeply nested (5000 levels)" "(repeat('{\"a\":', 5000) || '1' || repeat('}', 5000))::jsonb" yes
ctx_attack "run_srn as an object" "'{\"run_srn\": {\"x\": 1}}'" no
ctx_attack "run_srn as a number" "'{\"run_srn\": 7}'" no
ctx_attack "duplicate keys (last wins, one value)" "'{\"run_srn\": \"a\", \"run_srn\": \"b\"}'" no

attack "context/bot/revoke with an oversized context"
setup "CREATE ROLE ${P}_cgr LOGIN"
as "$BOT" -c "SELECT sym_access.grant('$CX', '${P}_cgr', '1 hour', '{\"run_srn\": \"keep\"}')" >/dev/null
as "$BOT" -c "SELECT outcome FROM sym_access.revoke('$CX', '${P}_cgr', jsonb_build_object('run_srn', 'keep', 'pad', repeat('x', 17000)))" >/dev/null
want_error "oversized revoke context accepted"
want "$(member "${P}_cgr" "$CX")" "the grant was revoked by a call that should have raised"
verdict

attack "context/bot/a non-object context cannot make expire() or the view fail"
as "$BOT" -c "SELECT sym_access.expire()" >/dev/null
want_eq "$(last_error)" "" "expire()"
as "$ADMIN" -c "SELECT count(*) FROM sym_access.active_grants" >/dev/null
want_eq "$(last_error)" "" "the view"
verdict

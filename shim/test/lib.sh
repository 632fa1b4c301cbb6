# shellcheck shell=bash
# Helpers shared by the shim's test scripts (run.sh, tempusers.sh): TAP-like
# "ok"/"not ok" lines counted in $passed and $failed, and JSON one-liners.

passed=${passed:-0} failed=${failed:-0}
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	[ $# -gt 1 ] && printf '    %s\n' "${@:2}"
	return 0
}
# check NAME COMMAND...: passes when the command succeeds
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
section() { echo "# $*"; }
# jq-like: j FILE 'python expression over d'
j() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("" if v is None else v)' "$1" "$2" 2>/dev/null; }
# mkev BASE OUT 'python statements modifying d'
mkev() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(d, open(sys.argv[2], "w"))' "$1" "$2" "$3"; }

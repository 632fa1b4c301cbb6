#!/bin/sh
# Entry point of the "shim" sandbox service: feeds each event file to the
# packaged bootstrap in local mode (no AWS_LAMBDA_RUNTIME_API) and prints the
# response Sym would get. Exits non-zero if any response carries errors.
#
#   run-events EVENT.json [EVENT.json ...]
set -u

bootstrap=${BOOTSTRAP:-/var/task/bootstrap}
[ $# -gt 0 ] || { echo "usage: run-events EVENT.json [EVENT.json ...]" >&2; exit 2; }
[ -x "$bootstrap" ] || { echo "run-events: $bootstrap is missing or not executable" >&2; exit 2; }

status=0
for event in "$@"; do
	echo "=== $event"
	"$bootstrap" --event "$event"
	rc=$?
	echo "--- exit $rc"
	[ "$rc" -eq 0 ] || status=1
done
exit "$status"

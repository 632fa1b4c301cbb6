#!/usr/bin/env bash
# Forwards a local port to PostgreSQL on the sym_access sandbox instance through
# AWS Systems Manager Session Manager: no SSH, no public IP, no inbound rule.
#
#   terraform/tunnel.sh [-i INSTANCE_ID | -n NAME_PREFIX] [-l LOCAL_PORT] [-r REGION]
#
# Then connect from another terminal with a database login of the sandbox:
#   psql "host=localhost port=LOCAL_PORT dbname=symdb user=sym_bot sslmode=require"
# (admin work: `aws ssm start-session --target INSTANCE_ID`, then sudo -u postgres psql)
#
# Needs the AWS CLI v2 and the Session Manager plugin on your machine.
set -euo pipefail

instance_id=''
name_prefix='sym-access'
local_port=5432
remote_port=5432
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}

usage() {
	sed -n '2,11s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

while getopts 'i:n:l:r:h' opt; do
	case $opt in
	i) instance_id=$OPTARG ;;
	n) name_prefix=$OPTARG ;;
	l) local_port=$OPTARG ;;
	r) region=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage 2

case $local_port in
'' | *[!0-9]*) echo "tunnel.sh: -l needs a port number, got '$local_port'" >&2; exit 2 ;;
esac
command -v aws >/dev/null || { echo "tunnel.sh: the AWS CLI (aws) is not installed" >&2; exit 1; }
command -v session-manager-plugin >/dev/null ||
	{ echo "tunnel.sh: the Session Manager plugin (session-manager-plugin) is not installed" >&2; exit 1; }

region_args=()
[ -n "$region" ] && region_args=(--region "$region")

if [ -z "$instance_id" ]; then
	instance_id=$(aws "${region_args[@]}" ec2 describe-instances \
		--filters "Name=tag:Name,Values=${name_prefix}-sandbox-db" "Name=instance-state-name,Values=running" \
		--query 'Reservations[0].Instances[0].InstanceId' --output text)
	if [ -z "$instance_id" ] || [ "$instance_id" = None ]; then
		echo "tunnel.sh: no running instance tagged Name=${name_prefix}-sandbox-db" >&2
		exit 1
	fi
fi

echo "tunnel.sh: localhost:${local_port} -> ${instance_id}:${remote_port} (Ctrl-C to stop)" >&2
exec aws "${region_args[@]}" ssm start-session \
	--target "$instance_id" \
	--document-name AWS-StartPortForwardingSession \
	--parameters "portNumber=${remote_port},localPortNumber=${local_port}"

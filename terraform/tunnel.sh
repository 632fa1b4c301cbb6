#!/usr/bin/env bash
# Forwards a local port to PostgreSQL on the sym_access sandbox instance through
# AWS Systems Manager Session Manager: no SSH, no public IP, no inbound rule.
#
#   terraform/tunnel.sh [-i INSTANCE_ID | -n NAME_PREFIX] [-H DB_IP] [-l LOCAL_PORT] [-r REGION]
#
# -H is the RDS instance's DNS name for the RDS sandbox (-i: its bastion).
# Then connect from another terminal with YOUR OWN database login (not sym_bot,
# which pg_hba.conf admits from the Lambda's subnets only):
#   psql "host=localhost port=LOCAL_PORT dbname=symdb user=jane_doe sslmode=require"
# Your IAM identity needs the policy of the sandbox_tunnel_policy_arn output.
# Needs the AWS CLI v2 and the Session Manager plugin on your machine.
set -euo pipefail

instance_id=''
db_ip=''
name_prefix='sym-access'
local_port=5432
remote_port=5432
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

while getopts 'i:H:n:l:r:h' opt; do
	case $opt in
	i) instance_id=$OPTARG ;;
	H) db_ip=$OPTARG ;;
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

# PostgreSQL listens on the instance's private address only, so the tunnel
# goes to that address (AWS-StartPortForwardingSessionToRemoteHost), not to
# the instance's localhost.
if [ -z "$instance_id" ] || [ -z "$db_ip" ]; then
	filters=("Name=instance-state-name,Values=running")
	if [ -n "$instance_id" ]; then
		filters+=("Name=instance-id,Values=${instance_id}")
	else
		filters+=("Name=tag:Name,Values=${name_prefix}-sandbox-db")
	fi
	read -r found_id found_ip < <(aws "${region_args[@]}" ec2 describe-instances --filters "${filters[@]}" \
		--query 'Reservations[0].Instances[0].[InstanceId,PrivateIpAddress]' --output text) || true
	if [ -z "${found_id:-}" ] || [ "$found_id" = None ]; then
		echo "tunnel.sh: no running instance ${instance_id:-tagged Name=${name_prefix}-sandbox-db}" >&2
		exit 1
	fi
	instance_id=$found_id
	[ -n "$db_ip" ] || db_ip=$found_ip
fi
case $db_ip in
'' | -* | *[!A-Za-z0-9.-]*) echo "tunnel.sh: -H needs the database's IPv4 address or DNS name (RDS), got '$db_ip'" >&2; exit 2 ;;
esac

echo "tunnel.sh: localhost:${local_port} -> ${instance_id} ${db_ip}:${remote_port} (Ctrl-C to stop)" >&2
exec aws "${region_args[@]}" ssm start-session \
	--target "$instance_id" \
	--document-name AWS-StartPortForwardingSessionToRemoteHost \
	--parameters "host=${db_ip},portNumber=${remote_port},localPortNumber=${local_port}"

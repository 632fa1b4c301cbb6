#!/bin/bash
# Runs once at first boot of the sandbox instance (Amazon Linux 2023), from
# cloud-init's runcmd, after the PostgreSQL 15 packages are installed. Safe to
# re-run by hand: every step checks what is already there.
#
#   - builds and installs sym_access from the sources Terraform uploaded to S3,
#     after checking their SHA-256 against the one in its settings
#   - initialises the cluster, preloads sym_access for the expiry worker,
#     enables TLS with the certificate the Lambda verifies (its key from SSM),
#     listens on the instance's private address only, and lets the bot log in
#     (scram-sha-256, TLS) from the Lambda's subnets only
#   - creates the database, the extension, the target roles, the bot login
#     (password from the same SSM parameter the Lambda reads)
# Output goes to /var/log/sym-access-bootstrap.log and cloud-init's log.
set -euo pipefail
exec > >(tee -a /var/log/sym-access-bootstrap.log) 2>&1

here=/opt/sym-access
# shellcheck source=/dev/null
. "$here/sandbox.env"
: "${SYM_DB_NAME:?}" "${SYM_DB_IP:?}" "${SYM_LAMBDA_CIDRS:?}" "${SYM_PASSWORD_PARAM:?}"
: "${SYM_SERVER_KEY_PARAM:?}" "${SYM_SOURCE_S3_URI:?}" "${SYM_SOURCE_SHA256:?}"
export AWS_DEFAULT_REGION

pgdata=/var/lib/pgsql/data
log() { printf '%s sym-access-bootstrap: %s\n' "$(date -u +%FT%TZ)" "$*"; }
as_postgres() { runuser -u postgres -- "$@"; }

log "fetching sources from $SYM_SOURCE_S3_URI"
rm -rf "$here/src" "$here/src.zip"
aws s3 cp --only-show-errors "$SYM_SOURCE_S3_URI" "$here/src.zip"
echo "$SYM_SOURCE_SHA256  $here/src.zip" | sha256sum --check --strict --quiet ||
	{ log "the sources in S3 do not match the SHA-256 Terraform recorded: refusing to build"; exit 1; }
mkdir -p "$here/src"
unzip -q "$here/src.zip" -d "$here/src"

log "building sym_access with PGXS"
pg_config=$(command -v pg_config)
make -C "$here/src" PG_CONFIG="$pg_config"
make -C "$here/src" PG_CONFIG="$pg_config" install

if [ ! -f "$pgdata/PG_VERSION" ]; then
	log "initialising the cluster"
	postgresql-setup --initdb
fi

# The certificate came with the user data; its key is read from SSM each boot
# of this script (never written to the user data, which EC2 shows to anyone
# allowed ec2:DescribeInstanceAttribute).
log "installing the TLS certificate and key (key from SSM parameter $SYM_SERVER_KEY_PARAM)"
install -o postgres -g postgres -m 0644 "$here/server.crt" "$pgdata/server.crt"
(
	umask 077
	aws ssm get-parameter --with-decryption --name "$SYM_SERVER_KEY_PARAM" \
		--query Parameter.Value --output text >"$pgdata/server.key.new"
)
chown postgres:postgres "$pgdata/server.key.new"
mv -f "$pgdata/server.key.new" "$pgdata/server.key"

conf=$pgdata/postgresql.conf
if ! grep -q '^# sym_access sandbox' "$conf"; then
	log "configuring postgresql.conf and pg_hba.conf"
	cat >>"$conf" <<CONF
# sym_access sandbox
listen_addresses = '$SYM_DB_IP'
ssl = on
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
shared_preload_libraries = 'sym_access'
sym_access.database = '$SYM_DB_NAME'
sym_access.expire_interval = 60
log_connections = on
CONF
	# First match wins. The bot: TLS + SCRAM from the Lambda's subnets, refused
	# from anywhere else. Everyone else: TLS + SCRAM from the instance's own
	# address, where Session Manager's port forwarding arrives from.
	{
		echo '# sym_access sandbox'
		for cidr in $SYM_LAMBDA_CIDRS; do
			printf 'hostssl all sym_bot %s scram-sha-256\n' "$cidr"
		done
		echo 'host all sym_bot all reject'
		printf 'hostssl all all %s/32 scram-sha-256\n' "$SYM_DB_IP"
	} >>"$pgdata/pg_hba.conf"
fi

systemctl enable postgresql
systemctl restart postgresql
for _ in $(seq 1 30); do
	as_postgres pg_isready -q && break
	sleep 1
done
as_postgres pg_isready

if ! as_postgres psql -XAtq -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$SYM_DB_NAME'" | grep -q 1; then
	log "creating database $SYM_DB_NAME"
	as_postgres createdb "$SYM_DB_NAME"
fi

log "reading the bot password from SSM parameter $SYM_PASSWORD_PARAM"
SYM_BOT_PASSWORD=$(aws ssm get-parameter --with-decryption --name "$SYM_PASSWORD_PARAM" \
	--query Parameter.Value --output text)
export SYM_BOT_PASSWORD

log "creating the extension, the roles and the bot"
runuser -u postgres -- \
	psql -X -v ON_ERROR_STOP=1 -d "$SYM_DB_NAME" -f "$here/setup.sql"
unset SYM_BOT_PASSWORD

log "done"

# sym_access against a PostgreSQL you already run (self-managed: EC2, on-premises
# behind a VPN, Kubernetes) with the sym_access extension installed. RDS and
# Aurora cannot load the C extension: see ../rds-existing (the pg_tle edition).

provider "aws" {
  region = var.aws_region
}

provider "sym" {
  org = var.sym_org
}

module "sym_access" {
  source = "../.."

  postgres_roles = [
    { name = "readonly", label = "Read Only" },
    { name = "app_readwrite", label = "App Read/Write" },
  ]

  db_config = {
    host    = var.db_host
    name    = "app"
    user    = "sym_bot"
    sslmode = "verify-full"
  }
  # The CA that signed the server's certificate (verify-full checks db_host
  # against it).
  db_ca_cert_pem     = file(var.db_ca_cert_file)
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids

  # Write-only: sent to SSM on the first apply (and when the version is
  # bumped), never kept in the state. Rotate with
  # `aws ssm put-parameter --overwrite` in between.
  db_password         = var.bot_password
  db_password_version = 1

  approvers          = var.approvers
  slack_workspace_id = var.slack_workspace_id
  approval_channel   = "#db-access" # a private channel
  duration_choices   = ["15m", "1h", "8h"]

  tags = { Project = "sym-access", Environment = "prod" }
}

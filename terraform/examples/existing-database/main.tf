# sym_access against a PostgreSQL you already run (self-managed: EC2, on-premises
# behind a VPN, Kubernetes) with the sym_access extension installed. Not RDS or
# Aurora: they cannot load the extension (see the module README).

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
    pass    = var.bot_password
    sslmode = "verify-full"
  }
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids

  # The password is rotated with `aws ssm put-parameter --overwrite` after the
  # first apply; Terraform keeps its hands off the value.
  ignore_password_changes = true

  slack_workspace_id = var.slack_workspace_id
  approval_channel   = "#db-access"
  duration_choices   = ["15m", "1h", "8h"]

  tags = { Project = "sym-access", Environment = "prod" }
}

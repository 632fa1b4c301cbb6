# sym_access on an RDS for PostgreSQL instance you already run, through the
# pg_tle edition (the C extension cannot load on RDS or Aurora). Terraform
# creates the parameter group, the Lambda's security group and the rules
# between it and the database; installing the pg_tle script is a manual step
# an administrator runs once (README.md, "Running on RDS and Aurora").
#
# Aurora PostgreSQL: the same, except that the parameters go into the
# cluster's parameter group (aws_rds_cluster_parameter_group, family
# aurora-postgresqlNN), which you manage; leave rds_parameter_group_enabled
# false and point db_host at the cluster's writer endpoint.

provider "aws" {
  region = var.aws_region
}

provider "sym" {
  org = var.sym_org
}

data "aws_db_instance" "this" {
  db_instance_identifier = var.db_instance_identifier
}

# The Lambda's own group: PostgreSQL on the instance, HTTPS to the SSM
# interface endpoint (the bot's password), nothing else.
resource "aws_security_group" "lambda" {
  name        = "sym-access-lambda"
  description = "sym_access Lambda: the RDS instance and the SSM endpoint, nothing else"
  vpc_id      = var.vpc_id
}

locals {
  # Every rule: tcp only, each to or from a named group.
  sg_rules = {
    lambda-to-db  = { egress = true, group = aws_security_group.lambda.id, peer = var.db_security_group_id, port = 5432 }
    lambda-to-ssm = { egress = true, group = aws_security_group.lambda.id, peer = var.ssm_endpoint_security_group_id, port = 443 }
    db-from-lambda = {
      egress = false, group = var.db_security_group_id, peer = aws_security_group.lambda.id, port = 5432
    }
    ssm-from-lambda = {
      egress = false, group = var.ssm_endpoint_security_group_id, peer = aws_security_group.lambda.id, port = 443
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = { for k, r in local.sg_rules : k => r if r.egress }

  security_group_id            = each.value.group
  description                  = "sym_access ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.peer
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = { for k, r in local.sg_rules : k => r if !r.egress }

  security_group_id            = each.value.group
  description                  = "sym_access ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.peer
}

module "sym_access" {
  source = "../.."

  postgres_roles = [
    { name = "app_readonly", label = "App Read Only" },
    { name = "app_readwrite", label = "App Read/Write" },
  ]

  db_config = {
    host    = data.aws_db_instance.this.address
    port    = data.aws_db_instance.this.port
    name    = var.db_name
    user    = "sym_bot"
    sslmode = "verify-full"
  }
  # The RDS CA bundle of the region (it names the instance's DNS name, which
  # verify-full checks): https://truststore.pki.rds.amazonaws.com/REGION/REGION-bundle.pem
  db_ca_cert_pem     = file(var.rds_ca_bundle_file)
  subnet_ids         = var.subnet_ids
  security_group_ids = [aws_security_group.lambda.id]

  # Write-only: never in the state. The sym_bot login you create in step 4
  # of the README's RDS section gets this password.
  db_password         = var.bot_password
  db_password_version = 1

  # A parameter group preloading pg_tle and pg_cron (and rds.force_ssl = 1):
  # attach it to the instance (output rds_parameter_group_name) and reboot.
  rds_parameter_group_enabled = true
  rds_parameter_group_family  = var.parameter_group_family
  rds_cron_database           = var.db_name

  # pg_cron runs the sweep inside the database; the shim's scheduled sweep
  # is then a second, harmless pass. Keep it as a fallback, or turn it off.
  sweep_enabled = true

  approvers          = var.approvers
  slack_workspace_id = var.slack_workspace_id
  approval_channel   = "#db-access" # a private channel
  duration_choices   = ["15m", "1h", "8h"]

  tags = { Project = "sym-access", Environment = "prod" }
}

# A throw-away sandbox: a VPC without internet route, and an EC2 instance running PostgreSQL 15
# with sym_access built from this repository, the roles below, the sym_bot login
# and one login per requester. `terraform destroy` removes all of it.
#
# sandbox_engine = "rds": RDS for PostgreSQL 16 instead, with the pg_tle
# edition installed by you over the tunnel (module README, "The RDS path");
# it has deletion protection, so destroy needs it turned off first.

provider "aws" {
  region = var.aws_region
}

provider "sym" {
  org = var.sym_org
}

module "sym_access" {
  source = "../.."

  db_enabled     = true
  sandbox_engine = var.sandbox_engine
  # RDS: the region's RDS CA bundle; EC2: the sandbox makes its own.
  db_ca_cert_pem = var.rds_ca_bundle_file == null ? null : file(var.rds_ca_bundle_file)

  postgres_roles = [
    { name = "readonly", label = "Read Only" },
  ]
  sandbox_db_users = var.requesters
  approvers        = var.approvers

  slack_workspace_id   = var.slack_workspace_id
  sym_environment_name = "sandbox"
  name_prefix          = "sym-access-sbx"
  allow_self_approval  = true
  duration_choices     = ["5m", "30m", "1h"]
  sweep_schedule       = "rate(1 minute)"

  tags = { Project = "sym-access", Environment = "sandbox" }
}

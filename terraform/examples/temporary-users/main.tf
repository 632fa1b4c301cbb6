# Temporary users (README.md, "Temporary users"): engineers need no standing
# database login. For a role allowed with mode = 'temporary_user', every
# approved request gets a new login, valid until the access ends; the Lambda
# puts its credentials in Secrets Manager under the module's secret prefix,
# and the requester reads them with their SSO profile. PostgreSQL 16 or later
# (sym_access refuses temporary users on 15), self-managed with the C
# extension or RDS/Aurora with the pg_tle edition (../rds-existing for the
# RDS plumbing).
#
# In the database (as in the README):
#   SELECT sym_access.allow_role('readonly', 'Read Only');
#   SELECT sym_access.allow_role('app_admin', 'App Admin', mode => 'temporary_user');

provider "aws" {
  region = var.aws_region
}

# The account that holds the IAM Identity Center instance (the management
# account or the delegated administrator): permission sets live there.
provider "aws" {
  alias  = "identity_center"
  region = var.identity_center_region
}

provider "sym" {
  org = var.sym_org
}

module "sym_access" {
  source = "../.."

  postgres_roles = [
    # The requester's own login (mapped with sym_access.map_user) joins it.
    { name = "readonly", label = "Read Only" },
    # A login made for the run; its password goes to Secrets Manager.
    { name = "app_admin", label = "App Admin (temporary user)", mode = "temporary_user" },
  ]

  # Secrets: sym-access/prod/<requester e-mail>/<run id>. The Lambda may
  # write only there; requesters read only their own.
  secret_prefix          = "sym-access/prod"
  requester_identity_tag = "email"

  db_config = {
    host    = var.db_host
    name    = "app"
    user    = "sym_bot"
    sslmode = "verify-full"
  }
  db_ca_cert_pem = file(var.db_ca_cert_file)
  subnet_ids     = var.subnet_ids
  # These groups must also let the Lambda reach Secrets Manager (tcp/443 to
  # a secretsmanager interface endpoint, or a NAT) besides the database and
  # the ssm endpoint.
  security_group_ids = var.security_group_ids

  db_password         = var.bot_password
  db_password_version = 1

  approvers          = var.approvers
  slack_workspace_id = var.slack_workspace_id
  approval_channel   = "#db-access" # a private channel
  duration_choices   = ["15m", "1h", "4h"]

  tags = { Project = "sym-access", Environment = "prod" }
}

# IAM Identity Center passes each user's e-mail into their AWS session as
# the principal tag "email" (attributes for access control). This resource
# owns the instance's whole attribute list: set manage_access_control_attributes
# to false if you manage it elsewhere, and add the "email" key there.
resource "aws_ssoadmin_instance_access_control_attributes" "this" {
  count    = var.manage_access_control_attributes ? 1 : 0
  provider = aws.identity_center

  instance_arn = var.identity_center_instance_arn
  attribute {
    key = "email"
    value {
      source = ["$${path:emails[primary].value}"]
    }
  }
}

# The requesters' permission set gets the module's policy (a customer managed
# policy is referenced by name and path, and must exist in every account the
# permission set is provisioned to: the module creates it in this one).
resource "aws_ssoadmin_customer_managed_policy_attachment" "requesters" {
  provider = aws.identity_center

  instance_arn       = var.identity_center_instance_arn
  permission_set_arn = var.requester_permission_set_arn
  customer_managed_policy_reference {
    name = module.sym_access.requester_secrets_policy.name
    path = module.sym_access.requester_secrets_policy.path
  }
}

# The RDS path (issue 11). RDS for PostgreSQL and Aurora load no C extension:
# there sym_access is the pg_tle edition (dist/sym_access.pgtle.sql, `make
# pgtle`), installed by the master user, a member of rds_superuser and
# pgtle_admin but not a superuser. This file holds:
# - the parameter group preloading pg_tle and pg_cron, for an existing
#   instance (rds_parameter_group_enabled) and for the RDS sandbox;
# - the RDS sandbox (db_enabled with sandbox_engine = "rds"): an RDS for
#   PostgreSQL 16 instance in the sandbox VPC, encrypted with a key of this
#   module, private, reachable on 5432 from the Lambda and from a bastion
#   whose only job is Session Manager port forwarding (no sources, no
#   PostgreSQL, no user data), through which an administrator runs the
#   pg_tle script. Nothing here fetches or runs it: see README.md.

locals {
  sandbox_rds       = var.db_enabled && var.sandbox_engine == "rds"
  sandbox_rds_count = local.sandbox_rds ? 1 : 0
  sandbox_ec2_count = var.db_enabled && var.sandbox_engine == "ec2" ? 1 : 0

  rds_parameter_group_count = var.rds_parameter_group_enabled || local.sandbox_rds ? 1 : 0
  rds_parameter_family      = local.sandbox_rds ? "postgres16" : var.rds_parameter_group_family

  # RDS wants subnets in two zones: the database subnet and a second one.
  sandbox_rds_subnet_cidr = cidrsubnet(var.sandbox_vpc_cidr, 4, 4)

  # The master password: generated per run (ephemeral), sent to RDS through
  # password_wo and to an SSM SecureString through value_wo, so that the
  # administrator who installs the pg_tle script can read it; never in the
  # state or the plan.
  sandbox_master_param_name = "/${var.name_prefix}/sandbox/rds-master-password"
  sandbox_master_param_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.sandbox_master_param_name}"

  # The host the tunnel reaches and the role of the instance in the VPC that
  # runs the Session Manager agent: the database instance (ec2) or the
  # bastion (rds).
  sandbox_host_instance = local.sandbox_rds ? try(aws_instance.sandbox_bastion[0], null) : try(aws_instance.sandbox_db[0], null)
  sandbox_host_role_arn = local.sandbox_rds ? try(aws_iam_role.sandbox_bastion[0].arn, "") : try(aws_iam_role.sandbox_db[0].arn, "")
}

############################ Parameter group ############################

# pg_tle and pg_cron must be preloaded (a reboot applies it); rds.force_ssl
# refuses plaintext logins; pg_cron runs its jobs in the database holding
# sym_access (the sweep: SELECT sym_access.expire()).
resource "aws_db_parameter_group" "pg_tle" {
  count = local.rds_parameter_group_count

  name_prefix = "${var.name_prefix}-pgtle-"
  family      = local.rds_parameter_family
  description = "sym_access pg_tle edition: preload pg_tle and pg_cron, TLS only"

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_tle,pg_cron"
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "cron.database_name"
    value        = coalesce(var.rds_cron_database, var.sandbox_db_name)
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

############################ Network ############################

resource "aws_subnet" "rds" {
  count = local.sandbox_rds_count

  vpc_id            = aws_vpc.sandbox[0].id
  cidr_block        = local.sandbox_rds_subnet_cidr
  availability_zone = data.aws_availability_zones.available[0].names[1]
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-rds" })
}

resource "aws_route_table_association" "rds" {
  count = local.sandbox_rds_count

  subnet_id      = aws_subnet.rds[0].id
  route_table_id = aws_route_table.private[0].id
}

resource "aws_db_subnet_group" "sandbox" {
  count = local.sandbox_rds_count

  name_prefix = "${var.name_prefix}-sandbox-"
  description = "sym_access RDS sandbox: private subnets, no route out of the VPC"
  subnet_ids  = [aws_subnet.db[0].id, aws_subnet.rds[0].id]
  tags        = var.tags
}

# Rules in local.sandbox_sg_rules (sandbox.tf): 5432 in from the Lambda's
# group and the bastion's group, nothing else; no egress.
resource "aws_security_group" "sandbox_rds" {
  count = local.sandbox_rds_count

  name        = "${var.name_prefix}-sandbox-rds"
  description = "sym_access RDS sandbox: 5432 from the Lambda and the tunnel bastion only"
  vpc_id      = aws_vpc.sandbox[0].id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-sandbox-rds" })
}

resource "aws_security_group" "sandbox_bastion" {
  count = local.sandbox_rds_count

  name        = "${var.name_prefix}-sandbox-bastion"
  description = "sym_access RDS sandbox bastion: 5432 to the database, HTTPS to the VPC endpoints; nothing in"
  vpc_id      = aws_vpc.sandbox[0].id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-sandbox-bastion" })
}

############################ Storage key ############################

# The database's own key (rotation on). The account administers it and uses
# it not; RDS uses it for this account's instances only (kms:ViaService rds,
# grants for AWS resources only), with the storage encryption context of an
# RDS instance (aws:rds:db-id).
data "aws_iam_policy_document" "sandbox_rds_key" {
  count                   = local.sandbox_rds_count
  source_policy_documents = [data.aws_iam_policy_document.kms_admin.json]

  statement {
    sid       = "RdsStorage"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:rds:db-id"
      values   = ["db-*"]
    }
  }

  statement {
    sid       = "RdsGrants"
    actions   = ["kms:CreateGrant", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}

resource "aws_kms_key" "sandbox_rds" {
  count = local.sandbox_rds_count

  description             = "sym_access ${var.name_prefix}: storage of the RDS sandbox"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.sandbox_rds_key[0].json
  tags                    = var.tags
}

############################ Database ############################

ephemeral "random_password" "sandbox_rds_master" {
  count = local.sandbox_rds_count

  length  = 32
  special = false
}

resource "aws_ssm_parameter" "sandbox_rds_master" {
  count = local.sandbox_rds_count

  name             = local.sandbox_master_param_name
  description      = "Master password of the sym_access RDS sandbox (${var.name_prefix}): for installing the pg_tle edition"
  type             = "SecureString"
  key_id           = local.kms_key_arn
  value_wo         = ephemeral.random_password.sandbox_rds_master[0].result
  value_wo_version = 1
  tags             = var.tags
}

resource "aws_db_instance" "sandbox" {
  count = local.sandbox_rds_count

  identifier_prefix = "${var.name_prefix}-sandbox-"
  engine            = "postgres"
  engine_version    = "16"
  instance_class    = var.sandbox_rds_instance_class
  db_name           = var.sandbox_db_name
  username          = "sym_admin"

  password_wo         = ephemeral.random_password.sandbox_rds_master[0].result
  password_wo_version = 1

  allocated_storage     = 20
  max_allocated_storage = 100
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.sandbox_rds[0].arn

  db_subnet_group_name   = aws_db_subnet_group.sandbox[0].name
  vpc_security_group_ids = [aws_security_group.sandbox_rds[0].id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.pg_tle[0].name

  iam_database_authentication_enabled = var.sandbox_rds_iam_auth
  auto_minor_version_upgrade          = true
  backup_retention_period             = var.sandbox_rds_backup_retention_days
  copy_tags_to_snapshot               = true
  deletion_protection                 = true
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "${var.name_prefix}-sandbox-final"
  enabled_cloudwatch_logs_exports     = ["postgresql"]

  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-rds" })

  depends_on = [aws_ssm_parameter.sandbox_rds_master, aws_route_table_association.rds]
}

############################ Bastion ############################

# Session Manager's agent only (preinstalled on Amazon Linux 2023): no user
# data, no sources, no parameters.
resource "aws_iam_role" "sandbox_bastion" {
  count = local.sandbox_rds_count

  name               = "${var.name_prefix}-sandbox-bastion"
  description        = "sym_access RDS sandbox bastion: Session Manager agent and its session logs only"
  assume_role_policy = data.aws_iam_policy_document.assume["sandbox-db"].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "sandbox_bastion" {
  count = local.sandbox_rds_count

  name   = "${var.name_prefix}-sandbox-bastion"
  role   = aws_iam_role.sandbox_bastion[0].id
  policy = data.aws_iam_policy_document.session_agent[0].json
}

resource "aws_iam_instance_profile" "sandbox_bastion" {
  count = local.sandbox_rds_count

  name = "${var.name_prefix}-sandbox-bastion"
  role = aws_iam_role.sandbox_bastion[0].name
  tags = var.tags
}

resource "aws_instance" "sandbox_bastion" {
  count = local.sandbox_rds_count

  ami                    = data.aws_ssm_parameter.al2023_ami[0].insecure_value
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.db[0].id
  vpc_security_group_ids = [aws_security_group.sandbox_bastion[0].id]
  iam_instance_profile   = aws_iam_instance_profile.sandbox_bastion[0].name
  monitoring             = true

  metadata_options {
    http_tokens                 = "required"
    http_endpoint               = "enabled"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 8
    encrypted   = true
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-bastion" })

  # Stateless, but a new AMI should not surprise an open tunnel: replace it
  # deliberately (`terraform apply -replace`).
  lifecycle {
    ignore_changes = [ami, user_data]
  }

  depends_on = [
    aws_iam_role_policy.sandbox_bastion,
    aws_vpc_endpoint.interface,
    aws_vpc_security_group_egress_rule.sandbox,
  ]
}

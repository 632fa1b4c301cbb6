# Sandbox (db_enabled = true): a VPC with no route to the internet and one EC2
# instance running PostgreSQL 15 with sym_access built from this repository by
# cloud-init (sandbox_engine = "ec2", the default). Amazon RDS and Aurora
# cannot load the C extension; sandbox_engine = "rds" (rds.tf) replaces the
# instance with RDS for PostgreSQL and the pg_tle edition.
#
# Reachability: the Lambda talks to PostgreSQL (tcp/5432) and to the SSM
# endpoint (tcp/443); the instance talks to the VPC endpoints (SSM, Session
# Manager, CloudWatch Logs) and, through the S3 gateway endpoint, to its source
# bucket and the Amazon Linux package repositories. No NAT, no internet gateway.

locals {
  sandbox_count = var.db_enabled ? 1 : 0
  source_dir    = coalesce(var.extension_source_dir, "${path.module}/..")

  # Fixed address: PostgreSQL listens on it only, and it is the name in the
  # server certificate the Lambda verifies (verify-full).
  sandbox_db_subnet_cidr = cidrsubnet(var.sandbox_vpc_cidr, 4, 3)
  sandbox_db_ip          = cidrhost(local.sandbox_db_subnet_cidr, 10)
  sandbox_lambda_cidrs   = [for i in range(2) : cidrsubnet(var.sandbox_vpc_cidr, 4, i + 1)]

  sandbox_key_param_name = "/${var.name_prefix}/sandbox/server-key"
  sandbox_key_param_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.sandbox_key_param_name}"

  # Amazon Linux 2023's package repositories are S3 buckets of the region,
  # reached through the S3 gateway endpoint (its policy allows only these).
  al2023_repo_bucket = "al2023-repos-${local.region}-de612dc2"

  # Interface endpoints; those that accept an endpoint policy get one.
  sandbox_endpoints = {
    ssm         = true
    ssmmessages = false
    logs        = true
  }

  # SQL run by the instance after the extension is installed. Names were
  # validated as plain identifiers, modes as membership or temporary_user;
  # labels are quoted as SQL literals. A membership role gets the call every
  # edition and version knows; a temporary_user role passes its mode, and is
  # allowed again if it was allowed in another mode (allow_role updates it).
  sandbox_setup_sql = join("\n", concat(
    ["CREATE EXTENSION IF NOT EXISTS sym_access;"],
    flatten([for r in var.postgres_roles : [
      "SELECT 'CREATE ROLE ${r.name} NOLOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${r.name}') \\gexec",
      r.name == "readonly" ? "GRANT pg_read_all_data TO readonly;" : "-- ${r.name}: grant it the privileges it stands for",
      r.mode == "membership"
      ? "SELECT sym_access.allow_role('${r.name}', '${replace(r.label, "'", "''")}') WHERE NOT EXISTS (SELECT FROM sym_access.allowed_role WHERE role = '${r.name}'::regrole);"
      : "SELECT sym_access.allow_role('${r.name}', '${replace(r.label, "'", "''")}', mode => '${r.mode}') WHERE NOT EXISTS (SELECT FROM sym_access.allowed_role WHERE role = '${r.name}'::regrole AND mode = '${r.mode}');",
    ]]),
    [for u in var.sandbox_db_users :
      "SELECT 'CREATE ROLE ${u} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${u}') \\gexec"
    ],
    [
      "\\getenv bot_password SYM_BOT_PASSWORD",
      "SELECT 'CREATE ROLE sym_bot LOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sym_bot') \\gexec",
      "SELECT format('ALTER ROLE sym_bot PASSWORD %L', :'bot_password') \\gexec",
      "GRANT sym_access_operator TO sym_bot;",
      "",
    ],
  ))

  sandbox_env = join("\n", [
    "SYM_DB_NAME=${var.sandbox_db_name}",
    "SYM_DB_IP=${local.sandbox_db_ip}",
    "SYM_LAMBDA_CIDRS='${join(" ", local.sandbox_lambda_cidrs)}'",
    "SYM_PASSWORD_PARAM=${local.password_param_name}",
    "SYM_SERVER_KEY_PARAM=${local.sandbox_key_param_name}",
    "SYM_SOURCE_S3_URI=s3://${try(module.sandbox_source[0].id, "")}/${try(aws_s3_object.sandbox_source[0].key, "")}",
    "SYM_SOURCE_SHA256=${try(data.archive_file.sandbox_source[0].output_sha256, "")}",
    "AWS_DEFAULT_REGION=${local.region}",
    "",
  ])
}

data "aws_availability_zones" "available" {
  count = local.sandbox_count
  state = "available"
}

############################ Network ############################

resource "aws_vpc" "sandbox" {
  count = local.sandbox_count

  cidr_block           = var.sandbox_vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-sandbox" })
}

# The VPC's default security group allows everything between its members:
# take every rule away, so nothing ends up in it by accident.
resource "aws_default_security_group" "sandbox" {
  count = local.sandbox_count

  vpc_id = aws_vpc.sandbox[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox-default-closed" })
}

# Two subnets (two zones) for the Lambda's ENIs and the interface endpoints;
# one for the database. pg_hba.conf lets the bot in from the Lambda subnets only.
resource "aws_subnet" "lambda" {
  count = var.db_enabled ? 2 : 0

  vpc_id            = aws_vpc.sandbox[0].id
  cidr_block        = local.sandbox_lambda_cidrs[count.index]
  availability_zone = data.aws_availability_zones.available[0].names[count.index]
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-lambda-${count.index}" })
}

resource "aws_subnet" "db" {
  count = local.sandbox_count

  vpc_id            = aws_vpc.sandbox[0].id
  cidr_block        = local.sandbox_db_subnet_cidr
  availability_zone = data.aws_availability_zones.available[0].names[0]
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-db" })
}

# Local routes only, plus the S3 gateway endpoint.
resource "aws_route_table" "private" {
  count = local.sandbox_count

  vpc_id = aws_vpc.sandbox[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox-private" })
}

resource "aws_route_table_association" "lambda" {
  count = var.db_enabled ? 2 : 0

  subnet_id      = aws_subnet.lambda[count.index].id
  route_table_id = aws_route_table.private[0].id
}

resource "aws_route_table_association" "db" {
  count = local.sandbox_count

  subnet_id      = aws_subnet.db[0].id
  route_table_id = aws_route_table.private[0].id
}

data "aws_iam_policy_document" "s3_endpoint" {
  count = local.sandbox_ec2_count

  # dnf fetches the Amazon Linux repositories anonymously; the instance role
  # fetches its sources. Nothing else in S3 is reachable from the VPC.
  statement {
    sid     = "SourcesAndPackages"
    actions = ["s3:GetObject"]
    resources = [
      "${module.sandbox_source[0].arn}/*",
      "arn:${local.partition}:s3:::${local.al2023_repo_bucket}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  count = local.sandbox_ec2_count

  vpc_id            = aws_vpc.sandbox[0].id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private[0].id]
  policy            = data.aws_iam_policy_document.s3_endpoint[0].json
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-s3" })
}

# Interface endpoints answer only the module's two roles.
data "aws_iam_policy_document" "endpoint" {
  for_each = var.db_enabled ? { for k, v in local.sandbox_endpoints : k => v if v } : {}

  statement {
    sid       = "OwnRolesOnly"
    actions   = ["${each.key}:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.lambda.arn, local.sandbox_host_role_arn]
    }
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.db_enabled ? local.sandbox_endpoints : {}

  vpc_id              = aws_vpc.sandbox[0].id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.lambda[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]
  policy              = each.value ? data.aws_iam_policy_document.endpoint[each.key].json : null
  tags                = merge(var.tags, { Name = "${var.name_prefix}-sandbox-${each.key}" })
}

# Security groups without inline rules (the rules below reference each
# other's groups); a group with no egress rule allows no egress.
resource "aws_security_group" "lambda" {
  count = local.sandbox_count

  name        = "${var.name_prefix}-lambda"
  description = "sym_access Lambda: PostgreSQL and the SSM endpoint, nothing else"
  vpc_id      = aws_vpc.sandbox[0].id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-lambda" })
}

resource "aws_security_group" "sandbox_db" {
  count = local.sandbox_ec2_count

  name        = "${var.name_prefix}-sandbox-db"
  description = "sym_access sandbox PostgreSQL: 5432 from the Lambda only; no SSH (use SSM)"
  vpc_id      = aws_vpc.sandbox[0].id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-sandbox-db" })
}

resource "aws_security_group" "endpoints" {
  count = local.sandbox_count

  name        = "${var.name_prefix}-sandbox-endpoints"
  description = "sym_access sandbox VPC interface endpoints: HTTPS from the Lambda and the instance"
  vpc_id      = aws_vpc.sandbox[0].id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-sandbox-endpoints" })
}

# Every rule of the three groups: tcp only, each to a named group or to the S3
# prefix list, never to an address range.
locals {
  sandbox_sg_rules = merge(var.db_enabled ? {
    lambda-to-endpoints = {
      egress = true, group = aws_security_group.lambda[0].id, port = 443, description = "SSM endpoint (the password)"
      peer   = aws_security_group.endpoints[0].id, prefix_list = null
    }
    endpoints-from-lambda = {
      egress = false, group = aws_security_group.endpoints[0].id, port = 443, description = "HTTPS from the Lambda"
      peer   = aws_security_group.lambda[0].id, prefix_list = null
    }
    } : {}, local.sandbox_ec2_count == 1 ? {
    lambda-to-db = {
      egress = true, group = aws_security_group.lambda[0].id, port = 5432, description = "PostgreSQL"
      peer   = aws_security_group.sandbox_db[0].id, prefix_list = null
    }
    db-from-lambda = {
      egress = false, group = aws_security_group.sandbox_db[0].id, port = 5432, description = "PostgreSQL from the Lambda"
      peer   = aws_security_group.lambda[0].id, prefix_list = null
    }
    db-to-endpoints = {
      egress = true, group = aws_security_group.sandbox_db[0].id, port = 443, description = "SSM, Session Manager, CloudWatch Logs endpoints"
      peer   = aws_security_group.endpoints[0].id, prefix_list = null
    }
    db-to-s3 = {
      egress = true, group = aws_security_group.sandbox_db[0].id, port = 443, description = "S3 gateway endpoint: sources and Amazon Linux packages"
      peer   = null, prefix_list = aws_vpc_endpoint.s3[0].prefix_list_id
    }
    endpoints-from-db = {
      egress = false, group = aws_security_group.endpoints[0].id, port = 443, description = "HTTPS from the database instance"
      peer   = aws_security_group.sandbox_db[0].id, prefix_list = null
    }
    } : {}, local.sandbox_rds_count == 1 ? {
    # The RDS sandbox (rds.tf): the database takes 5432 from the Lambda and
    # the tunnel bastion, and sends nothing; the bastion reaches the
    # database and the endpoints (Session Manager), nothing else.
    lambda-to-rds = {
      egress = true, group = aws_security_group.lambda[0].id, port = 5432, description = "PostgreSQL (RDS)"
      peer   = aws_security_group.sandbox_rds[0].id, prefix_list = null
    }
    rds-from-lambda = {
      egress = false, group = aws_security_group.sandbox_rds[0].id, port = 5432, description = "PostgreSQL from the Lambda"
      peer   = aws_security_group.lambda[0].id, prefix_list = null
    }
    rds-from-bastion = {
      egress = false, group = aws_security_group.sandbox_rds[0].id, port = 5432, description = "PostgreSQL from the tunnel bastion"
      peer   = aws_security_group.sandbox_bastion[0].id, prefix_list = null
    }
    bastion-to-rds = {
      egress = true, group = aws_security_group.sandbox_bastion[0].id, port = 5432, description = "PostgreSQL (the tunnel)"
      peer   = aws_security_group.sandbox_rds[0].id, prefix_list = null
    }
    bastion-to-endpoints = {
      egress = true, group = aws_security_group.sandbox_bastion[0].id, port = 443, description = "SSM, Session Manager, CloudWatch Logs endpoints"
      peer   = aws_security_group.endpoints[0].id, prefix_list = null
    }
    endpoints-from-bastion = {
      egress = false, group = aws_security_group.endpoints[0].id, port = 443, description = "HTTPS from the tunnel bastion"
      peer   = aws_security_group.sandbox_bastion[0].id, prefix_list = null
    }
  } : {})
}

resource "aws_vpc_security_group_egress_rule" "sandbox" {
  for_each = { for k, r in local.sandbox_sg_rules : k => r if r.egress }

  security_group_id            = each.value.group
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.peer
  prefix_list_id               = each.value.prefix_list
}

resource "aws_vpc_security_group_ingress_rule" "sandbox" {
  for_each = { for k, r in local.sandbox_sg_rules : k => r if !r.egress }

  security_group_id            = each.value.group
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.peer
}

############################ Flow logs ############################

resource "aws_cloudwatch_log_group" "sandbox_flow" {
  count = local.sandbox_count

  name              = "/${var.name_prefix}/sandbox/flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

resource "aws_iam_role" "flow_logs" {
  count = local.sandbox_count

  name               = "${var.name_prefix}-sandbox-flow-logs"
  description        = "VPC flow logs of the sym_access sandbox into their own log group"
  assume_role_policy = data.aws_iam_policy_document.assume["flow-logs"].json
  tags               = var.tags
}

data "aws_iam_policy_document" "flow_logs" {
  count = local.sandbox_count

  statement {
    sid       = "WriteFlowLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.sandbox_flow[0].arn, "${aws_cloudwatch_log_group.sandbox_flow[0].arn}:log-stream:*"]
  }

  # The service checks that the group exists; Describe* takes no
  # resource-level permission.
  statement {
    sid       = "FindFlowLogGroup"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = local.sandbox_count

  name   = "${var.name_prefix}-sandbox-flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs[0].json
}

resource "aws_flow_log" "sandbox" {
  count = local.sandbox_count

  vpc_id               = aws_vpc.sandbox[0].id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.sandbox_flow[0].arn
  iam_role_arn         = aws_iam_role.flow_logs[0].arn
  tags                 = var.tags
}

############################ Extension sources ############################

module "sandbox_source" {
  source = "./modules/private-bucket"
  count  = local.sandbox_ec2_count

  bucket_prefix = "${var.name_prefix}-src-"
  force_destroy = true
  tags          = var.tags
}

data "archive_file" "sandbox_source" {
  count = local.sandbox_ec2_count

  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.root}/.terraform/sym-access-src.zip"
  excludes = [
    ".git/**", ".cache/**", "dist/**", "terraform/**", "docker/**",
    "**/*.o", "**/*.so", "**/*.bc", "**/.terraform/**", "**/*.tfstate*",
  ]
}

# The instance checks the archive's SHA-256 (from its user data) before
# building: a replaced object in the bucket is refused.
resource "aws_s3_object" "sandbox_source" {
  count = local.sandbox_ec2_count

  bucket = module.sandbox_source[0].id
  key    = "sym-access-src-${data.archive_file.sandbox_source[0].output_sha256}.zip"
  source = data.archive_file.sandbox_source[0].output_path
  etag   = data.archive_file.sandbox_source[0].output_md5
  tags   = var.tags

  depends_on = [module.sandbox_source]
}

############################ TLS ############################

# The server certificate the Lambda verifies (verify-full against the fixed
# address). Self-signed: it is its own CA, shipped to the Lambda in the CA
# layer. Its key is generated by Terraform and therefore in the state (the
# tls provider has no write-only path into a certificate); it reaches the
# instance through a SecureString only the instance may decrypt. Sandbox only:
# for your own database bring your own CA (db_ca_cert_pem).
resource "tls_private_key" "sandbox_db" {
  count = local.sandbox_ec2_count

  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_self_signed_cert" "sandbox_db" {
  count = local.sandbox_ec2_count

  private_key_pem       = tls_private_key.sandbox_db[0].private_key_pem
  is_ca_certificate     = true
  validity_period_hours = 24 * 825
  ip_addresses          = [local.sandbox_db_ip]
  allowed_uses          = ["cert_signing", "digital_signature", "key_encipherment", "server_auth"]

  subject {
    common_name  = local.sandbox_db_ip
    organization = "sym_access sandbox ${var.name_prefix}"
  }
}

resource "aws_ssm_parameter" "sandbox_server_key" {
  count = local.sandbox_ec2_count

  name             = local.sandbox_key_param_name
  description      = "TLS key of the sym_access sandbox PostgreSQL (${var.name_prefix})"
  type             = "SecureString"
  key_id           = local.kms_key_arn
  value_wo         = tls_private_key.sandbox_db[0].private_key_pem
  value_wo_version = 1
  tags             = var.tags
}

############################ Instance ############################

# The bot's password: generated for this run only (ephemeral), written to SSM
# through value_wo; neither the state nor the plan holds it.
ephemeral "random_password" "sandbox_bot" {
  count = local.sandbox_count

  length  = 32
  special = false
}

data "aws_ssm_parameter" "al2023_ami" {
  count = local.sandbox_count
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

resource "aws_iam_role" "sandbox_db" {
  count = local.sandbox_ec2_count

  name               = "${var.name_prefix}-sandbox-db"
  description        = "sym_access sandbox database instance: Session Manager agent, its sources, its two parameters"
  assume_role_policy = data.aws_iam_policy_document.assume["sandbox-db"].json
  tags               = var.tags
}

# The Session Manager agent's minimal actions and its session log group: the
# instance in the VPC that runs the agent (the EC2 database, or the RDS
# sandbox's bastion) has them.
data "aws_iam_policy_document" "session_agent" {
  count = local.sandbox_count

  statement {
    sid     = "SessionManagerAgent"
    actions = ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
    # These actions take no resource-level permission.
    resources = ["*"]
  }

  statement {
    sid       = "WriteSessionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.sandbox_sessions[0].arn}:log-stream:*"]
  }

  # The agent checks that the session log group exists and is encrypted;
  # Describe* takes no resource-level permission.
  statement {
    sid       = "DescribeSessionLogGroup"
    actions   = ["logs:DescribeLogGroups", "logs:DescribeLogStreams"]
    resources = ["*"]
  }
}

# Instead of AmazonSSMManagedInstanceCore (which reads every parameter of the
# account): the Session Manager agent's minimal actions, its session log
# group, the sources, and the two parameters this instance needs.
data "aws_iam_policy_document" "sandbox_db" {
  count                   = local.sandbox_ec2_count
  source_policy_documents = [data.aws_iam_policy_document.session_agent[0].json]

  statement {
    sid       = "ReadExtensionSources"
    actions   = ["s3:GetObject"]
    resources = ["${module.sandbox_source[0].arn}/${aws_s3_object.sandbox_source[0].key}"]
  }

  statement {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParameter"]
    resources = [local.password_param_arn, local.sandbox_key_param_arn]
  }

  statement {
    sid       = "DecryptOwnParameters"
    actions   = ["kms:Decrypt"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = [local.password_param_arn, local.sandbox_key_param_arn]
    }
  }
}

resource "aws_iam_role_policy" "sandbox_db" {
  count = local.sandbox_ec2_count

  name   = "${var.name_prefix}-sandbox-db"
  role   = aws_iam_role.sandbox_db[0].id
  policy = data.aws_iam_policy_document.sandbox_db[0].json
}

resource "aws_iam_instance_profile" "sandbox_db" {
  count = local.sandbox_ec2_count

  name = "${var.name_prefix}-sandbox-db"
  role = aws_iam_role.sandbox_db[0].name
  tags = var.tags
}

resource "aws_instance" "sandbox_db" {
  count = local.sandbox_ec2_count

  ami                    = data.aws_ssm_parameter.al2023_ami[0].insecure_value
  instance_type          = var.sandbox_instance_type
  subnet_id              = aws_subnet.db[0].id
  private_ip             = local.sandbox_db_ip
  vpc_security_group_ids = [aws_security_group.sandbox_db[0].id]
  iam_instance_profile   = aws_iam_instance_profile.sandbox_db[0].name
  monitoring             = true

  user_data = templatefile("${path.module}/sandbox/cloud-init.yaml.tftpl", {
    bootstrap_b64   = base64encode(file("${path.module}/sandbox/bootstrap.sh"))
    env_b64         = base64encode(local.sandbox_env)
    setup_sql_b64   = base64encode(local.sandbox_setup_sql)
    server_cert_b64 = base64encode(tls_self_signed_cert.sandbox_db[0].cert_pem)
  })

  metadata_options {
    http_tokens                 = "required"
    http_endpoint               = "enabled"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 20
    encrypted   = true
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-db" })

  # The database and its audit trail live on this instance: a newer AMI or
  # changed user data must not replace it (user data only runs at first
  # boot anyway). Rebuild deliberately with `terraform apply -replace`.
  lifecycle {
    ignore_changes = [ami, user_data]
  }

  # The instance reads its parameters and sources at first boot.
  depends_on = [
    aws_ssm_parameter.bot_password,
    aws_ssm_parameter.sandbox_server_key,
    aws_iam_role_policy.sandbox_db,
    aws_route_table_association.db,
    aws_vpc_endpoint.s3,
    aws_vpc_endpoint.interface,
    aws_vpc_security_group_egress_rule.sandbox,
    aws_vpc_security_group_ingress_rule.sandbox,
  ]
}

############################ Session Manager ############################

resource "aws_cloudwatch_log_group" "sandbox_sessions" {
  count = local.sandbox_count

  name              = "/${var.name_prefix}/sandbox/sessions"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

# Shell sessions on the instance (administrators only), every keystroke and
# output line logged to the encrypted log group above.
resource "aws_ssm_document" "sandbox_shell" {
  count = local.sandbox_count

  name            = "${var.name_prefix}-sandbox-shell"
  document_type   = "Session"
  document_format = "JSON"
  content = jsonencode({
    schemaVersion = "1.0"
    description   = "Logged shell on the sym_access sandbox database"
    sessionType   = "Standard_Stream"
    inputs = {
      cloudWatchLogGroupName      = aws_cloudwatch_log_group.sandbox_sessions[0].name
      cloudWatchEncryptionEnabled = true
      cloudWatchStreamingEnabled  = true
      s3BucketName                = ""
      kmsKeyId                    = ""
      runAsEnabled                = false
      idleSessionTimeout          = "20"
      maxSessionDuration          = "60"
      shellProfile                = { linux = "", windows = "" }
    }
  })
  tags = var.tags
}

# Attach to the people who may reach the sandbox database: port forwarding to
# PostgreSQL on the instance, nothing else (no shell).
data "aws_iam_policy_document" "sandbox_session" {
  for_each = var.db_enabled ? {
    tunnel = "arn:${local.partition}:ssm:${local.region}::document/AWS-StartPortForwardingSessionToRemoteHost"
    admin  = aws_ssm_document.sandbox_shell[0].arn
  } : {}

  statement {
    sid       = "StartSession"
    actions   = ["ssm:StartSession"]
    resources = [local.sandbox_host_instance.arn, each.value]
    condition {
      test     = "BoolIfExists"
      variable = "ssm:SessionDocumentAccessCheck"
      values   = ["true"]
    }
  }

  statement {
    sid       = "OwnSessions"
    actions   = ["ssm:TerminateSession", "ssm:ResumeSession"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:session/$${aws:userid}-*"]
  }
}

resource "aws_iam_policy" "sandbox_session" {
  for_each = data.aws_iam_policy_document.sandbox_session

  name        = "${var.name_prefix}-sandbox-${each.key}"
  description = each.key == "tunnel" ? "Port forwarding to the sym_access sandbox PostgreSQL (attach to the people who use the sandbox)" : "Logged shell on the sym_access sandbox instance (administrators only)"
  policy      = each.value.json
  tags        = var.tags
}

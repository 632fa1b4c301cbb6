data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The principal running Terraform, as an IAM role or user ARN (not the STS
# session): it writes the password parameter, so the key policy lets it use the
# key for that parameter, and the provider reads the parameter back.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  deployer   = data.aws_iam_session_context.current.issuer_arn

  function_name       = "${var.name_prefix}-lambda"
  function_arn        = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  password_param_name = "/${var.name_prefix}/sym-bot/PG_PASSWORD"
  password_param_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.password_param_name}"
  lambda_zip_path     = coalesce(var.lambda_zip_path, "${path.module}/../dist/sym-access-lambda.zip")

  # Where the CA layer puts the certificate libpq verifies the server with
  # (layers are unpacked under /opt).
  ca_file = "/opt/sym-access/root.crt"

  # Connection settings handed to the Lambda. Only the password is secret; it
  # travels through SSM, never through the environment. TLS always verifies the
  # server (verify-full by default) and channel binding is required.
  # The RDS sandbox is verified against its DNS name and the regional RDS CA
  # bundle (db_ca_cert_pem); the EC2 sandbox against its fixed address and
  # its own certificate.
  db = var.db_enabled ? {
    host    = local.sandbox_rds ? try(aws_db_instance.sandbox[0].address, "") : local.sandbox_db_ip
    port    = 5432
    name    = var.sandbox_db_name
    user    = "sym_bot"
    sslmode = "verify-full"
    } : {
    host    = try(var.db_config.host, "")
    port    = try(var.db_config.port, 5432)
    name    = try(var.db_config.name, "postgres")
    user    = try(var.db_config.user, "sym_bot")
    sslmode = try(var.db_config.sslmode, "verify-full")
  }
  db_ca_cert_pem = local.sandbox_ec2_count == 1 ? try(tls_self_signed_cert.sandbox_db[0].cert_pem, "") : (var.db_ca_cert_pem == null ? "" : var.db_ca_cert_pem)

  subnet_ids         = var.db_enabled ? aws_subnet.lambda[*].id : var.subnet_ids
  security_group_ids = var.db_enabled ? [aws_security_group.lambda[0].id] : var.security_group_ids
  subnet_arns        = [for id in local.subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/${id}"]
  security_group_arns = [
    for id in local.security_group_ids : "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/${id}"
  ]

  # Publisher accounts of the x86_64 AWS-Parameters-and-Secrets-Lambda-Extension
  # layer, by region (from AWS's published ARN table).
  secrets_extension_accounts = {
    "us-east-1"      = "177933569100"
    "us-east-2"      = "590474943231"
    "us-west-1"      = "997803712105"
    "us-west-2"      = "345057560386"
    "af-south-1"     = "317013901791"
    "ap-east-1"      = "768336418462"
    "ap-south-1"     = "176022468876"
    "ap-northeast-1" = "133490724326"
    "ap-northeast-2" = "738900069198"
    "ap-northeast-3" = "576959938190"
    "ap-southeast-1" = "044395824272"
    "ap-southeast-2" = "665172237481"
    "ap-southeast-3" = "490737872127"
    "ca-central-1"   = "200266452380"
    "eu-central-1"   = "187925254637"
    "eu-west-1"      = "015030872274"
    "eu-west-2"      = "133256977650"
    "eu-west-3"      = "780235371811"
    "eu-south-1"     = "325218067255"
    "eu-north-1"     = "427196147048"
    "me-south-1"     = "832021897121"
    "me-central-1"   = "858974508948"
    "sa-east-1"      = "933737806257"
    "us-gov-east-1"  = "129776340158"
    "us-gov-west-1"  = "127562683043"
    "cn-north-1"     = "287114880934"
    "cn-northwest-1" = "287310001119"
  }
  secrets_extension_layer_arn = coalesce(
    var.secrets_extension_layer_arn,
    format(
      "arn:%s:lambda:%s:%s:layer:AWS-Parameters-and-Secrets-Lambda-Extension:%d",
      local.partition, local.region, lookup(local.secrets_extension_accounts, local.region, "000000000000"),
      var.secrets_extension_layer_version,
    ),
  )

  # ENI actions the Lambda service performs with the execution role to attach
  # the function to the VPC. The function's own code must never use them.
  eni_actions = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
  ]
}

############################ Bot password (SSM) ############################

# The bot's password, in a SecureString encrypted with the module's CMK (or
# var.kms_key_arn). value_wo is write-only: the value is sent to SSM and never
# stored in the Terraform state or plan. Terraform writes it again only when
# db_password_version changes, so a rotation done out of band
# (`aws ssm put-parameter --overwrite`) is left alone.
resource "aws_ssm_parameter" "bot_password" {
  name             = local.password_param_name
  description      = "Password of the sym_access bot login (${local.db.user}) used by ${local.function_name}"
  type             = "SecureString"
  key_id           = local.kms_key_arn
  value_wo         = var.db_enabled ? ephemeral.random_password.sandbox_bot[0].result : var.db_password
  value_wo_version = var.db_enabled ? 1 : var.db_password_version

  tags = var.tags
}

############################ Lambda IAM ############################

# Trust policies of the module's roles, one per AWS service. VPC flow logs
# document aws:SourceAccount for their role (confused-deputy guard); Lambda
# and EC2 go without it, as AWS's own examples for them do.
data "aws_iam_policy_document" "assume" {
  for_each = merge(
    { lambda = { service = "lambda.amazonaws.com", source_account = false } },
    var.db_enabled ? {
      sandbox-db = { service = "ec2.amazonaws.com", source_account = false }
      flow-logs  = { service = "vpc-flow-logs.amazonaws.com", source_account = true }
    } : {},
  )

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [each.value.service]
    }
    dynamic "condition" {
      for_each = each.value.source_account ? [local.account_id] : []
      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.name_prefix}-lambda"
  description        = "Execution role of the sym_access Lambda shim"
  assume_role_policy = data.aws_iam_policy_document.assume["lambda"].json
  tags               = var.tags
}

# No AWS managed policy: AWSLambdaVPCAccessExecutionRole grants logs:* writes
# and the ENI actions on every resource of the account. Everything the role
# may do is listed here.
data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:log-stream:*"]
  }

  statement {
    sid       = "ReadBotPassword"
    actions   = ["ssm:GetParameter"]
    resources = [local.password_param_arn]
  }

  # Only through SSM, only for the one parameter (SSM encrypts each value
  # with its ARN as encryption context).
  statement {
    sid       = "DecryptBotPassword"
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
      values   = [local.password_param_arn]
    }
  }

  # VPC attachment. Describe* takes no resource-level permission; the others
  # are limited to the function's subnets and security groups.
  statement {
    sid       = "DescribeForVpcAttachment"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    sid     = "CreateEniInOwnSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"],
      local.subnet_arns,
      local.security_group_arns,
    )
  }

  statement {
    sid = "ManageEniInOwnSubnets"
    actions = [
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]
    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = local.subnet_arns
    }
  }

  # The ENI permissions are for the Lambda service, not for the shim: calls
  # made with the role's credentials from inside the function carry
  # lambda:SourceFunctionArn and are refused (AWS's documented pattern).
  statement {
    sid       = "NoEniActionsFromFunctionCode"
    effect    = "Deny"
    actions   = local.eni_actions
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "lambda:SourceFunctionArn"
      values   = [local.function_arn]
    }
  }

  # Lambda's on-failure destination of asynchronous invocations (the sweep).
  dynamic "statement" {
    for_each = var.sweep_enabled ? [1] : []
    content {
      sid       = "SendFailedSweeps"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.sweep_failures[0].arn]
    }
  }

  # Temporary users (issue 12): the shim stores each run's credentials in a
  # secret <secret_prefix>/<e-mail>/<run id> (secrets.tf), replaces its value
  # on a replay, deletes it on deescalate and when the sweep finds it expired:
  # CreateSecret, PutSecretValue, TagResource, DeleteSecret, ListSecrets and
  # nothing else (no DescribeSecret: ListSecrets gives the sweep the tags).
  # Only when a temporary_user role exists, only below the prefix (Secrets
  # Manager appends -XXXXXX to a secret's ARN: the "/*" covers it), never the
  # secrets' values. CreateSecret with tags is also authorized as TagResource;
  # both accept the module's two tag keys only, and a new secret must carry
  # both (the owner's e-mail is what the requesters' policy matches).
  dynamic "statement" {
    for_each = local.temporary_users ? [1] : []
    content {
      sid       = "CreateOwnedSecretsUnderPrefix"
      actions   = ["secretsmanager:CreateSecret"]
      resources = [local.secret_arn_pattern]
      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = local.secret_tag_keys
      }
      condition {
        test     = "Null"
        variable = "aws:RequestTag/sym.user"
        values   = ["false"]
      }
      condition {
        test     = "Null"
        variable = "aws:RequestTag/sym-access:expires-at"
        values   = ["false"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.temporary_users ? [1] : []
    content {
      sid       = "TagSecretsUnderPrefix"
      actions   = ["secretsmanager:TagResource"]
      resources = [local.secret_arn_pattern]
      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = local.secret_tag_keys
      }
    }
  }

  dynamic "statement" {
    for_each = local.temporary_users ? [1] : []
    content {
      sid       = "UpdateAndDeleteSecretsUnderPrefix"
      actions   = ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"]
      resources = [local.secret_arn_pattern]
    }
  }

  # The sweep finds expired secrets with ListSecrets, which takes no
  # resource-level permission (names and tags only, never values).
  dynamic "statement" {
    for_each = local.temporary_users ? [1] : []
    content {
      sid       = "ListSecretsHasNoResourceLevel"
      actions   = ["secretsmanager:ListSecrets"]
      resources = ["*"]
    }
  }

  # The function hands credentials over, it never reads them back.
  statement {
    sid       = "NeverReadSecretValues"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"]
    resources = ["*"]
  }

  # X-Ray accepts no resource-level permission.
  dynamic "statement" {
    for_each = var.xray_tracing ? [1] : []
    content {
      sid       = "XRayTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "${var.name_prefix}-lambda"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

############################ Lambda ############################

resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

# The CA that signs the database's server certificate, as a layer: libpq reads
# it from PGSSLROOTCERT (/opt/sym-access/root.crt) and refuses a server it
# cannot verify. A certificate is public; only the server's key is secret.
data "archive_file" "db_ca" {
  type        = "zip"
  output_path = "${path.root}/.terraform/${var.name_prefix}-db-ca.zip"

  source {
    content  = local.db_ca_cert_pem
    filename = "sym-access/root.crt"
  }
}

resource "aws_lambda_layer_version" "db_ca" {
  layer_name               = "${var.name_prefix}-db-ca"
  description              = "CA certificate of the database sym_access's Lambda connects to (PGSSLROOTCERT)"
  filename                 = data.archive_file.db_ca.output_path
  source_code_hash         = data.archive_file.db_ca.output_base64sha256
  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = ["x86_64"]

  lifecycle {
    precondition {
      condition     = local.sandbox_ec2_count == 1 || can(regex("-----BEGIN CERTIFICATE-----", coalesce(var.db_ca_cert_pem, "none")))
      error_message = "Set db_ca_cert_pem to the PEM of the CA that signed the database's server certificate (for RDS and Aurora, including sandbox_engine = \"rds\": the region's RDS CA bundle): the Lambda verifies the server (sslmode verify-full or verify-ca)."
    }
  }
}

resource "aws_lambda_function" "shim" {
  function_name = local.function_name
  description   = "Sym AWS Lambda strategy for PostgreSQL: calls sym_access.grant/revoke/expire"
  role          = aws_iam_role.lambda.arn

  filename                       = local.lambda_zip_path
  source_code_hash               = filebase64sha256(local.lambda_zip_path)
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["x86_64"]
  timeout                        = var.lambda_timeout
  memory_size                    = var.lambda_memory_size
  reserved_concurrent_executions = var.lambda_reserved_concurrency
  layers                         = [local.secrets_extension_layer_arn, aws_lambda_layer_version.db_ca.arn]

  environment {
    variables = {
      PGHOST        = local.db.host
      PGPORT        = tostring(local.db.port)
      PGDATABASE    = local.db.name
      PGUSER        = local.db.user
      PGSSLMODE     = local.db.sslmode
      PGSSLROOTCERT = local.ca_file
      # SCRAM-SHA-256-PLUS only: refuses password, md5 and trust, and a man in
      # the middle cannot relay the login to the real server.
      PGCHANNELBINDING = "require"
      PGAPPNAME        = local.function_name
      PG_PASSWORD_KEY  = local.password_param_name
      # AWS Parameters and Secrets Lambda Extension: port the shim talks to, and
      # how long it caches the password (seconds): the longest a rotated
      # password can be served stale (the shim also drops it after a failed login).
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = "2773"
      SSM_PARAMETER_STORE_TTL                = tostring(var.password_cache_ttl)
      # Where temporary users' credentials go (secrets.tf); the role may
      # write there only when a temporary_user role exists.
      SYM_SHIM_SECRET_PREFIX = local.secret_prefix
    }
  }

  vpc_config {
    subnet_ids         = local.subnet_ids
    security_group_ids = local.security_group_ids
  }

  tracing_config {
    mode = var.xray_tracing ? "Active" : "PassThrough"
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.lambda,
    aws_iam_role_policy.lambda,
  ]

  lifecycle {
    precondition {
      condition     = var.db_enabled || var.db_config != null
      error_message = "Set db_config (an existing database with sym_access installed) or db_enabled = true (sandbox)."
    }
    precondition {
      condition     = length(local.subnet_ids) > 0 && length(local.security_group_ids) > 0
      error_message = "The Lambda must run in the database's VPC: set subnet_ids and security_group_ids (or db_enabled = true)."
    }
    precondition {
      condition     = !(local.temporary_users && local.sandbox_ec2_count == 1)
      error_message = "The EC2 sandbox runs PostgreSQL 15, where sym_access refuses temporary users (16+ only): use sandbox_engine = \"rds\" (PostgreSQL 16) or no postgres_roles entry with mode = \"temporary_user\"."
    }
    precondition {
      condition     = var.secrets_extension_layer_arn != null || contains(keys(local.secrets_extension_accounts), local.region)
      error_message = "No known Parameters and Secrets extension layer for this region: set secrets_extension_layer_arn."
    }
  }
}

############################ Expiry sweep ############################

resource "aws_cloudwatch_event_rule" "sweep" {
  count = var.sweep_enabled ? 1 : 0

  name                = "${var.name_prefix}-sweep"
  description         = "Runs sym_access.expire() through the Lambda shim"
  schedule_expression = var.sweep_schedule
  tags                = var.tags
}

# Sweeps that cannot be delivered (EventBridge) or that fail (Lambda) land in
# one queue; an alarm fires on its first message. A sweep is not retried by
# Lambda: the next one runs a few minutes later anyway.
resource "aws_sqs_queue" "sweep_failures" {
  count = var.sweep_enabled ? 1 : 0

  name                      = "${var.name_prefix}-sweep-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

data "aws_iam_policy_document" "sweep_failures" {
  count = var.sweep_enabled ? 1 : 0

  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.sweep_failures[0].arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.sweep[0].arn]
    }
  }

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.sweep_failures[0].arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "sweep_failures" {
  count = var.sweep_enabled ? 1 : 0

  queue_url = aws_sqs_queue.sweep_failures[0].id
  policy    = data.aws_iam_policy_document.sweep_failures[0].json
}

resource "aws_cloudwatch_event_target" "sweep" {
  count = var.sweep_enabled ? 1 : 0

  rule  = aws_cloudwatch_event_rule.sweep[0].name
  arn   = aws_lambda_function.shim.arn
  input = jsonencode({ type = "sweep" })

  retry_policy {
    maximum_event_age_in_seconds = 300
    maximum_retry_attempts       = 2
  }

  dead_letter_config {
    arn = aws_sqs_queue.sweep_failures[0].arn
  }
}

resource "aws_lambda_function_event_invoke_config" "shim" {
  count = var.sweep_enabled ? 1 : 0

  function_name                = aws_lambda_function.shim.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 300

  destination_config {
    on_failure {
      destination = aws_sqs_queue.sweep_failures[0].arn
    }
  }
}

resource "aws_lambda_permission" "sweep" {
  count = var.sweep_enabled ? 1 : 0

  statement_id   = "AllowSweepFromEventBridge"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.shim.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.sweep[0].arn
  source_account = local.account_id
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  function_name       = "${var.name_prefix}-lambda"
  password_param_name = "/${var.name_prefix}/sym-bot/PG_PASSWORD"
  password_param_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.password_param_name}"
  lambda_zip_path     = coalesce(var.lambda_zip_path, "${path.module}/../dist/sym-access-lambda.zip")

  # Connection settings handed to the Lambda. Only the password is secret; it
  # travels through SSM, never through the environment.
  db = var.db_enabled ? {
    host    = aws_instance.sandbox_db[0].private_dns
    port    = 5432
    name    = var.sandbox_db_name
    user    = "sym_bot"
    sslmode = "require"
    } : {
    host    = try(nonsensitive(var.db_config.host), "")
    port    = try(nonsensitive(var.db_config.port), 5432)
    name    = try(nonsensitive(var.db_config.name), "postgres")
    user    = try(nonsensitive(var.db_config.user), "sym_bot")
    sslmode = try(nonsensitive(var.db_config.sslmode), "require")
  }
  db_password = var.db_enabled ? random_password.sandbox_bot[0].result : try(var.db_config.pass, "")

  subnet_ids         = var.db_enabled ? aws_subnet.private[*].id : var.subnet_ids
  security_group_ids = var.db_enabled ? [aws_security_group.lambda[0].id] : var.security_group_ids

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

  ssm_parameter_arn = var.ignore_password_changes ? aws_ssm_parameter.bot_password_unmanaged[0].arn : aws_ssm_parameter.bot_password[0].arn
}

############################ Bot password (SSM) ############################

# The bot's database password, encrypted with aws/ssm or var.kms_key_arn. It is
# in Terraform state: keep the state encrypted, or set ignore_password_changes
# and rotate the value out of band.
resource "aws_ssm_parameter" "bot_password" {
  count = var.ignore_password_changes ? 0 : 1

  name        = local.password_param_name
  description = "Password of the sym_access bot login (${local.db.user}) used by ${local.function_name}"
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = local.db_password

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.db_password) > 0
      error_message = "The bot password is empty: set db_config.pass (or db_enabled = true)."
    }
  }
}

# Same parameter when the value is managed outside Terraform: written once, then
# `ignore_changes` keeps Terraform from reverting a rotation.
resource "aws_ssm_parameter" "bot_password_unmanaged" {
  count = var.ignore_password_changes ? 1 : 0

  name        = local.password_param_name
  description = "Password of the sym_access bot login (${local.db.user}) used by ${local.function_name}; rotated outside Terraform"
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = local.db_password

  tags = var.tags

  lifecycle {
    ignore_changes = [value, version]

    precondition {
      condition     = length(local.db_password) > 0
      error_message = "The bot password is empty: set db_config.pass for the first apply (or db_enabled = true)."
    }
  }
}

############################ Lambda IAM ############################

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.name_prefix}-lambda"
  description        = "Execution role of the sym_access Lambda shim"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

# ENI management for the VPC attachment (ec2:CreateNetworkInterface & co. only
# take Resource "*", so AWS's managed policy is as narrow as it gets).
resource "aws_iam_role_policy_attachment" "lambda_vpc" {
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }

  statement {
    sid       = "ReadBotPassword"
    actions   = ["ssm:GetParameter"]
    resources = [local.password_param_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptBotPassword"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
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
  tags              = var.tags
}

resource "aws_lambda_function" "shim" {
  function_name = local.function_name
  description   = "Sym AWS Lambda strategy for PostgreSQL: calls sym_access.grant/revoke/expire"
  role          = aws_iam_role.lambda.arn

  filename         = local.lambda_zip_path
  source_code_hash = filebase64sha256(local.lambda_zip_path)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["x86_64"]
  timeout          = var.lambda_timeout
  memory_size      = var.lambda_memory_size
  layers           = [local.secrets_extension_layer_arn]

  environment {
    variables = {
      PGHOST          = local.db.host
      PGPORT          = tostring(local.db.port)
      PGDATABASE      = local.db.name
      PGUSER          = local.db.user
      PGSSLMODE       = local.db.sslmode
      PGAPPNAME       = local.function_name
      PG_PASSWORD_KEY = local.password_param_name
      # AWS Parameters and Secrets Lambda Extension: port the shim talks to, and
      # how long it caches the password (seconds).
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = "2773"
      SSM_PARAMETER_STORE_TTL                = "300"
    }
  }

  vpc_config {
    subnet_ids         = local.subnet_ids
    security_group_ids = local.security_group_ids
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.lambda,
    aws_iam_role_policy.lambda,
    aws_iam_role_policy_attachment.lambda_vpc,
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

resource "aws_cloudwatch_event_target" "sweep" {
  count = var.sweep_enabled ? 1 : 0

  rule  = aws_cloudwatch_event_rule.sweep[0].name
  arn   = aws_lambda_function.shim.arn
  input = jsonencode({ type = "sweep" })
}

resource "aws_lambda_permission" "sweep" {
  count = var.sweep_enabled ? 1 : 0

  statement_id  = "AllowSweepFromEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.shim.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep[0].arn
}

# Customer-managed keys (rotation on). Key policies grant no kms:* to the
# account: the root statement can administer a key (so it is never orphaned)
# but cannot encrypt or decrypt with it, so no IAM policy in the account can
# hand out decryption; only the principals named below can use each key, and
# only for the resources named in its encryption context.

locals {
  create_password_key = var.kms_key_arn == null
  kms_key_arn         = local.create_password_key ? aws_kms_key.bot_password[0].arn : var.kms_key_arn

  # Parameters the password key may decrypt, and who may decrypt them.
  password_key_parameters = concat(
    [local.password_param_arn],
    local.sandbox_ec2_count == 1 ? [local.sandbox_key_param_arn] : [],
    local.sandbox_rds ? [local.sandbox_master_param_arn] : [],
  )
  password_key_readers = concat(
    [aws_iam_role.lambda.arn, local.deployer],
    local.sandbox_ec2_count == 1 ? [aws_iam_role.sandbox_db[0].arn] : [],
  )

  # Administration only: no Encrypt, Decrypt, ReEncrypt, GenerateDataKey or
  # CreateGrant (a grant could hand out Decrypt).
  kms_admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  log_group_arns = concat(
    ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.function_name}"],
    var.db_enabled ? [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/${var.name_prefix}/sandbox/sessions",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/${var.name_prefix}/sandbox/flow-logs",
    ] : [],
  )
}

############################ Bot password key ############################

# The account administers both keys, and uses neither.
data "aws_iam_policy_document" "kms_admin" {
  statement {
    sid       = "KeyAdministration"
    actions   = local.kms_admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

data "aws_iam_policy_document" "bot_password_key" {
  count                   = local.create_password_key ? 1 : 0
  source_policy_documents = [data.aws_iam_policy_document.kms_admin.json]

  # The deployer writes the parameter (SSM encrypts with the key).
  statement {
    sid       = "EncryptTheParameters"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.deployer]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = local.password_key_parameters
    }
  }

  # The Lambda and the sandbox instance read the password; the deployer's
  # provider reads the parameter back after writing it. Through SSM only, for
  # these parameters only; each role's own IAM policy narrows it further.
  statement {
    sid       = "DecryptTheParameters"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = local.password_key_readers
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = local.password_key_parameters
    }
  }
}

resource "aws_kms_key" "bot_password" {
  count = local.create_password_key ? 1 : 0

  description             = "sym_access ${var.name_prefix}: bot password in SSM (decrypt: the Lambda and the sandbox only)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.bot_password_key[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "bot_password" {
  count = local.create_password_key ? 1 : 0

  name          = "alias/${var.name_prefix}-bot-password"
  target_key_id = aws_kms_key.bot_password[0].key_id
}

############################ Log key ############################

data "aws_iam_policy_document" "logs_key" {
  source_policy_documents = [data.aws_iam_policy_document.kms_admin.json]

  # CloudWatch Logs encrypts and decrypts this module's log groups, and no
  # other (the log group ARN is the encryption context).
  statement {
    sid = "CloudWatchLogsForOwnGroups"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:DescribeKey",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = local.log_group_arns
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "sym_access ${var.name_prefix}: CloudWatch log groups of the Lambda and the sandbox"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.logs_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name_prefix}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

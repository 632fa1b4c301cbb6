# Service control policy for the account that runs sym_access: only Sym's
# invoke role and your deploy pipeline may invoke, change or re-permission the
# Lambda, or touch what it trusts (its role, its password parameter and key).
# The module cannot do this itself: an SCP is set by the organization's
# management account, on the account or an OU. Apply this from there.
#
# Why: the Lambda takes the approver, the run and the reason from the event it
# is given. Anyone in the account allowed lambda:InvokeFunction on it could
# hand it a forged "approved" event and grant themselves an allow-listed role
# (the database still refuses everything else, and the audit row records the
# forged approver). IAM in a member account can always be widened by its
# administrators; an SCP cannot be.

provider "aws" {
  region = var.aws_region
}

locals {
  function_arn = "arn:${var.partition}:lambda:${var.aws_region}:${var.account_id}:function:${var.name_prefix}-lambda"
  protected = {
    function = [local.function_arn, "${local.function_arn}:*"]
    role     = ["arn:${var.partition}:iam::${var.account_id}:role/${var.name_prefix}-lambda"]
    param    = ["arn:${var.partition}:ssm:${var.aws_region}:${var.account_id}:parameter/${var.name_prefix}/*"]
  }
  allowed = concat([var.sym_invoke_role_arn], var.deploy_role_arns)
}

data "aws_iam_policy_document" "scp" {
  statement {
    sid    = "OnlySymInvokesTheShim"
    effect = "Deny"
    actions = [
      "lambda:InvokeFunction",
      "lambda:InvokeAsync",
      "lambda:InvokeFunctionUrl",
    ]
    resources = local.protected.function
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.allowed
    }
  }

  statement {
    sid    = "OnlyThePipelineChangesTheShim"
    effect = "Deny"
    actions = [
      "lambda:AddPermission",
      "lambda:RemovePermission",
      "lambda:Update*",
      "lambda:Put*",
      "lambda:Delete*",
      "lambda:CreateAlias",
      "lambda:CreateFunctionUrlConfig",
      "lambda:PublishVersion",
    ]
    resources = local.protected.function
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = var.deploy_role_arns
    }
  }

  # Whoever can edit the execution role, or pass it to another function, gets
  # the password; whoever can write the parameter can point the bot anywhere.
  statement {
    sid    = "OnlyThePipelineChangesWhatTheShimTrusts"
    effect = "Deny"
    actions = [
      "iam:PassRole",
      "iam:PutRolePolicy",
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:DeleteRole",
      "ssm:PutParameter",
      "ssm:DeleteParameter",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
      "ssm:LabelParameterVersion",
    ]
    resources = concat(local.protected.role, local.protected.param)
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = concat(var.deploy_role_arns, ["arn:${var.partition}:iam::${var.account_id}:role/${var.name_prefix}-lambda", "arn:${var.partition}:iam::${var.account_id}:role/${var.name_prefix}-sandbox-db"])
    }
  }

  # The password key: nobody but the pipeline rewrites its policy or grants.
  statement {
    sid       = "OnlyThePipelineChangesThePasswordKey"
    effect    = "Deny"
    actions   = ["kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:DisableKey"]
    resources = ["arn:${var.partition}:kms:${var.aws_region}:${var.account_id}:key/*"]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = ["alias/${var.name_prefix}-bot-password"]
    }
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = var.deploy_role_arns
    }
  }

  # The trail that records the invocations stays on.
  statement {
    sid       = "KeepTheInvokeTrail"
    effect    = "Deny"
    actions   = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors", "cloudtrail:UpdateTrail"]
    resources = ["arn:${var.partition}:cloudtrail:${var.aws_region}:${var.account_id}:trail/${var.name_prefix}-lambda-invokes"]
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = var.deploy_role_arns
    }
  }
}

resource "aws_organizations_policy" "sym_access" {
  name        = "${var.name_prefix}-guard"
  description = "sym_access: only Sym invokes the Lambda; only the pipeline changes it and what it trusts"
  type        = "SERVICE_CONTROL_POLICY"
  content     = data.aws_iam_policy_document.scp.minified_json
}

resource "aws_organizations_policy_attachment" "sym_access" {
  policy_id = aws_organizations_policy.sym_access.id
  target_id = var.target_id
}

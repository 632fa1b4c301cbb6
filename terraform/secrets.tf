# Temporary users (issue 12; README.md, "Temporary users"). For a role allowed
# with mode = 'temporary_user' (PostgreSQL 16+), sym_access.grant() creates a
# login per approved request and returns its password once; the shim stores
# it in AWS Secrets Manager as <secret_prefix>/<requester e-mail>/<run id>,
# tagged sym.user = <requester e-mail> and sym-access:expires-at, and deletes
# it when the access ends. This file holds:
# - the prefix, and whether the feature is on (a temporary_user role, or
#   temporary_users_enabled): the Lambda's rights (main.tf) exist only then;
# - the requesters' managed policy: read a secret below the prefix only when
#   its sym.user tag equals the e-mail in the reader's own session
#   (aws:PrincipalTag, set by IAM Identity Center's attributes for access
#   control), attached by you to the requesters' SSO permission set;
# - in the sandbox VPC (no route out), a Secrets Manager interface endpoint.
#
# Encryption: the shim names no KMS key, so Secrets Manager encrypts with the
# AWS managed key aws/secretsmanager, whose key policy lets any principal of
# the account use it through Secrets Manager: who can read a secret is decided
# by the IAM policies on secretsmanager:GetSecretValue alone (the requesters'
# policy below, and whatever broad Secrets Manager rights others hold).

locals {
  temporary_users = var.temporary_users_enabled || anytrue([for r in var.postgres_roles : r.mode == "temporary_user"])

  secret_prefix      = coalesce(var.secret_prefix, "sym-access/${local.function_name}")
  secret_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_prefix}/*"

  # The only tags the Lambda may set (SPEC, "Temporary users").
  secret_tag_keys = ["sym.user", "sym-access:expires-at"]
}

############################ Requesters' read policy ############################

data "aws_iam_policy_document" "requester_secrets" {
  count = local.temporary_users ? 1 : 0

  # A secret's sym.user tag is the requester's e-mail as Sym sends it; the
  # session tag is the e-mail IAM Identity Center passes. Compared without
  # case (Sym and the identity source may capitalise differently). A session
  # without the tag matches nothing (the Null condition says so explicitly).
  statement {
    sid       = "ReadOwnTemporaryCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [local.secret_arn_pattern]
    condition {
      test     = "StringEqualsIgnoreCase"
      variable = "secretsmanager:ResourceTag/sym.user"
      values   = ["$${aws:PrincipalTag/${var.requester_identity_tag}}"]
    }
    condition {
      test     = "Null"
      variable = "aws:PrincipalTag/${var.requester_identity_tag}"
      values   = ["false"]
    }
  }

  # Optional: finding one's secret without knowing the run id. ListSecrets
  # takes no resource-level permission: it shows the names and tags (not the
  # values) of every secret in the account and region, colleagues' included.
  dynamic "statement" {
    for_each = var.requester_can_list_secrets ? [1] : []
    content {
      sid       = "ListSecretsHasNoResourceLevel"
      actions   = ["secretsmanager:ListSecrets"]
      resources = ["*"]
    }
  }

  # Whatever else the permission set allows, its holders cannot create,
  # change, re-tag or delete anything below the prefix: re-tagging a secret
  # with one's own e-mail would make it readable, and a secret created in
  # advance under a colleague's name would block their next request.
  statement {
    sid    = "NoWritesBelowThePrefix"
    effect = "Deny"
    not_actions = [
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:ListSecretVersionIds",
    ]
    resources = [local.secret_arn_pattern]
  }
}

resource "aws_iam_policy" "requester_secrets" {
  count = local.temporary_users ? 1 : 0

  name        = "${var.name_prefix}-read-own-db-credentials"
  description = "sym_access temporary users: read only the ${local.secret_prefix}/ secrets tagged sym.user = your aws:PrincipalTag/${var.requester_identity_tag}. Attach to the requesters' SSO permission set."
  policy      = data.aws_iam_policy_document.requester_secrets[0].json
  tags        = var.tags
}

############################ Sandbox endpoint ############################

# The sandbox VPC has no route out: the Lambda reaches Secrets Manager
# through an interface endpoint that answers the Lambda's role only, for the
# actions it has. Requesters read their secret from outside, through the
# public endpoint.
data "aws_iam_policy_document" "secretsmanager_endpoint" {
  count = var.db_enabled && local.temporary_users ? 1 : 0

  statement {
    sid = "LambdaSecretsBelowThePrefix"
    actions = [
      "secretsmanager:CreateSecret",
      "secretsmanager:TagResource",
      "secretsmanager:PutSecretValue",
      "secretsmanager:DeleteSecret",
    ]
    resources = [local.secret_arn_pattern]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid       = "LambdaListSecrets"
    actions   = ["secretsmanager:ListSecrets"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.lambda.arn]
    }
  }
}

resource "aws_vpc_endpoint" "secretsmanager" {
  count = var.db_enabled && local.temporary_users ? 1 : 0

  vpc_id              = aws_vpc.sandbox[0].id
  service_name        = "com.amazonaws.${local.region}.secretsmanager"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.lambda[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]
  policy              = data.aws_iam_policy_document.secretsmanager_endpoint[0].json
  tags                = merge(var.tags, { Name = "${var.name_prefix}-sandbox-secretsmanager" })
}

############################ Sym runtime ############################

# IAM role the Sym runtime assumes in this account, plus the sym_integration
# (permission_context) and sym_runtime that point at it.
module "runtime_connector" {
  source  = "symopsio/runtime-connector/aws"
  version = "~> 2.0"

  environment = var.sym_environment_name
  tags        = var.tags
}

# IAM role that lets the runtime invoke exactly this Lambda.
module "lambda_connector" {
  source  = "symopsio/lambda-connector/aws"
  version = "~> 1.0"

  environment       = var.sym_environment_name
  lambda_arns       = [aws_lambda_function.shim.arn]
  runtime_role_arns = [module.runtime_connector.sym_runtime_connector_role.arn]
  tags              = var.tags
}

# The permission context the aws_lambda strategy uses to invoke the Lambda.
resource "sym_integration" "lambda_context" {
  type        = "permission_context"
  name        = "${var.sym_environment_name}-${var.name_prefix}-lambda"
  external_id = module.lambda_connector.settings.account_id
  settings    = module.lambda_connector.settings
}

resource "sym_integration" "slack" {
  type        = "slack"
  name        = "${var.sym_environment_name}-slack"
  external_id = var.slack_workspace_id
}

resource "sym_error_logger" "slack" {
  integration_id = sym_integration.slack.id
  destination    = var.error_channel
}

resource "sym_environment" "this" {
  name            = var.sym_environment_name
  runtime_id      = module.runtime_connector.sym_runtime.id
  error_logger_id = sym_error_logger.slack.id

  integrations = {
    slack_id = sym_integration.slack.id
  }
}

############################ Targets, strategy, flow ############################

# One target per PostgreSQL role. The shim reads the role from
# fields.target.name, so the target name IS the database role name.
resource "sym_target" "role" {
  for_each = { for r in var.postgres_roles : r.name => r }

  type  = "aws_lambda_function"
  name  = each.value.name
  label = each.value.label

  settings = {
    arn = aws_lambda_function.shim.arn
  }
}

resource "sym_strategy" "lambda" {
  type           = "aws_lambda"
  name           = "${var.sym_environment_name}-${var.flow_name}-lambda"
  integration_id = sym_integration.lambda_context.id
  targets        = [for r in var.postgres_roles : sym_target.role[r.name].id]
}

resource "sym_flow" "this" {
  name  = var.flow_name
  label = var.flow_label

  implementation = file("${path.module}/impl.py")
  environment_id = sym_environment.this.id

  vars = {
    approval_channel    = var.approval_channel
    allow_self_approval = tostring(var.allow_self_approval)
    # Flow vars are strings: the e-mails, comma-separated (validated: no commas inside).
    approvers = join(",", [for a in var.approvers : lower(trimspace(a))])
  }

  params {
    strategy_id = sym_strategy.lambda.id

    # Revoke button in Slack; the Lambda turns it into sym_access.revoke().
    allow_revoke          = true
    schedule_deescalation = true

    prompt_field {
      name     = "reason"
      label    = "Why do you need access?"
      type     = "string"
      required = true
    }

    prompt_field {
      name           = "duration"
      label          = "For how long?"
      type           = "duration"
      allowed_values = var.duration_choices
      required       = true
    }
  }
}

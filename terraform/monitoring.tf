############################ Alarms ############################

locals {
  alarms = merge(
    {
      errors = {
        description = "The sym_access Lambda returned errors (a refused grant is not an error; a crash, a timeout or an unreachable database is)"
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = local.function_name }
      }
      throttles = {
        description = "The sym_access Lambda was throttled (reserved concurrency reached: a flood of invocations?)"
        namespace   = "AWS/Lambda"
        metric      = "Throttles"
        dimensions  = { FunctionName = local.function_name }
      }
    },
    var.sweep_enabled ? {
      sweep-failures = {
        description = "A sym_access expiry sweep failed or could not be delivered: expired grants may still be in place"
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = "${var.name_prefix}-sweep-failures" }
      }
    } : {},
  )
}

resource "aws_cloudwatch_metric_alarm" "shim" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.namespace == "AWS/SQS" ? "Maximum" : "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags

  depends_on = [aws_lambda_function.shim, aws_sqs_queue.sweep_failures]
}

############################ CloudTrail data events ############################

# Lambda invocations are CloudTrail data events, which no trail records unless
# asked to: this trail records every Invoke of the function (who, when, from
# where), and nothing else, into its own bucket with log file validation.
locals {
  trail_name = "${var.name_prefix}-lambda-invokes"
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  trail      = var.cloudtrail_data_events ? 1 : 0
}

module "trail_bucket" {
  source = "./modules/private-bucket"
  count  = local.trail

  bucket_prefix    = "${var.name_prefix}-trail-"
  policy_documents = [data.aws_iam_policy_document.trail_bucket[0].json]
  tags             = var.tags
}

data "aws_iam_policy_document" "trail_bucket" {
  count = local.trail

  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [module.trail_bucket[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${module.trail_bucket[0].arn}/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }
}

resource "aws_cloudtrail" "lambda_invokes" {
  count = local.trail

  name                          = local.trail_name
  s3_bucket_name                = module.trail_bucket[0].id
  enable_log_file_validation    = true
  include_global_service_events = false
  is_multi_region_trail         = false

  advanced_event_selector {
    name = "Invocations of the sym_access Lambda"
    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }
    field_selector {
      field  = "resources.type"
      equals = ["AWS::Lambda::Function"]
    }
    field_selector {
      field  = "resources.ARN"
      equals = [local.function_arn]
    }
  }

  tags = var.tags

  depends_on = [module.trail_bucket]
}

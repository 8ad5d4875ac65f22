# Log groups (created before the functions so Lambda never creates
# never-expiring ones itself), an SNS topic for alarms, and the alarms.

locals {
  # Functions whose error *rate* matters (request/message driven). The scheduled
  # sweep and report and the one-shot migrate function alarm on any error instead.
  rate_alarm_functions = toset([for fn in ["api", "worker"] : fn if contains(keys(var.functions), fn)])
  alarm_actions        = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = var.functions

  name              = "/aws/lambda/${each.value.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.sns_kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each = var.functions

  alarm_name          = "${each.value.function_name}-errors"
  alarm_description   = "${each.value.function_name} reported more than ${var.errors_threshold} errors in ${var.alarm_period_seconds}s. Runbook: docs/runbooks/alarm_errors.md"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each = local.rate_alarm_functions

  alarm_name          = "${var.functions[each.key].function_name}-error-rate"
  alarm_description   = "${var.functions[each.key].function_name} error rate above ${var.error_rate_threshold_percent}%. Runbook: docs/runbooks/alarm_error_rate.md"
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.error_rate_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "error_rate"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "Error rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = var.functions[each.key].function_name }
      stat        = "Sum"
      period      = var.alarm_period_seconds
    }
  }

  metric_query {
    id = "invocations"

    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = var.functions[each.key].function_name }
      stat        = "Sum"
      period      = var.alarm_period_seconds
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "duration" {
  for_each = var.functions

  alarm_name          = "${each.value.function_name}-duration-near-timeout"
  alarm_description   = "${each.value.function_name} ran longer than ${floor(var.duration_threshold_ratio * 100)}% of its ${each.value.timeout_seconds}s timeout. Runbook: docs/runbooks/alarm_duration.md"
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = each.value.function_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = floor(each.value.timeout_seconds * 1000 * var.duration_threshold_ratio)
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  for_each = local.rate_alarm_functions

  alarm_name          = "${var.functions[each.key].function_name}-throttles"
  alarm_description   = "${var.functions[each.key].function_name} was throttled (reserved concurrency or account limit reached). Runbook: docs/runbooks/alarm_throttles.md"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = var.functions[each.key].function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  alarm_name          = "${var.dlq_name}-messages-visible"
  alarm_description   = "Messages landed in the dead-letter queue ${var.dlq_name}: jobs failed ${var.max_receive_count_hint} times. Inspect, fix, then redrive. Runbook: docs/runbooks/alarm_dlq_messages.md"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.dlq_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_age" {
  alarm_name          = "${var.queue_name}-oldest-message-age"
  alarm_description   = "The oldest message in ${var.queue_name} is older than ${var.queue_age_threshold_seconds}s: the worker is not keeping up or is failing. Runbook: docs/runbooks/alarm_queue_age.md"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 2
  threshold           = var.queue_age_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

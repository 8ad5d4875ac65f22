output "log_group_names" {
  description = "Log group name per function."
  value       = { for fn, lg in aws_cloudwatch_log_group.function : fn => lg.name }
}

output "log_group_arns" {
  description = "Log group ARN per function (without the trailing :*)."
  value       = { for fn, lg in aws_cloudwatch_log_group.function : fn => lg.arn }
}

output "log_group_retention_in_days" {
  description = "Retention of each function log group."
  value       = { for fn, lg in aws_cloudwatch_log_group.function : fn => lg.retention_in_days }
}

output "alarm_topic_arn" {
  description = "SNS topic receiving every alarm."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of all alarms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.errors : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.error_rate : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.duration : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.throttles : a.alarm_name],
    [aws_cloudwatch_metric_alarm.dlq_messages.alarm_name, aws_cloudwatch_metric_alarm.queue_age.alarm_name],
  )
}

output "dlq_alarm" {
  description = "Key settings of the DLQ alarm."
  value = {
    metric_name         = aws_cloudwatch_metric_alarm.dlq_messages.metric_name
    threshold           = aws_cloudwatch_metric_alarm.dlq_messages.threshold
    comparison_operator = aws_cloudwatch_metric_alarm.dlq_messages.comparison_operator
    queue_name          = aws_cloudwatch_metric_alarm.dlq_messages.dimensions["QueueName"]
  }
}

output "duration_alarm_thresholds_ms" {
  description = "Duration alarm threshold per function, in milliseconds."
  value       = { for fn, a in aws_cloudwatch_metric_alarm.duration : fn => a.threshold }
}

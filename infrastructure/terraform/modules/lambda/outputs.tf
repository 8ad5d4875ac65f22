output "function_names" {
  description = "Function name per role (api, worker, sweep, report, migrate)."
  value       = { for fn, f in aws_lambda_function.this : fn => f.function_name }
}

output "function_arns" {
  description = "Function ARN per role."
  value       = { for fn, f in aws_lambda_function.this : fn => f.arn }
}

output "invoke_arns" {
  description = "Invoke ARN of each function's $LATEST (callers use alias_invoke_arns)."
  value       = { for fn, f in aws_lambda_function.this : fn => f.invoke_arn }
}

output "alias_name" {
  description = "Name of the alias every caller invokes."
  value       = var.alias_name
}

output "alias_arns" {
  description = "ARN of the alias per role: what the SQS event source and the schedules invoke."
  value       = { for fn, a in aws_lambda_alias.live : fn => a.arn }
}

output "alias_invoke_arns" {
  description = "Invoke ARN of the alias per role (for the API Gateway integration)."
  value       = { for fn, a in aws_lambda_alias.live : fn => a.invoke_arn }
}

output "alias_versions" {
  description = "Function version each alias points at, and the version each change publishes."
  value = {
    for fn, a in aws_lambda_alias.live : fn => {
      alias     = a.function_version
      published = aws_lambda_function.this[fn].version
    }
  }
}

output "published" {
  description = "Whether each function publishes a version on every change."
  value       = { for fn, f in aws_lambda_function.this : fn => f.publish }
}

output "snap_start" {
  description = "SnapStart setting per role (PublishedVersions, or None without SnapStart)."
  value       = { for fn, f in aws_lambda_function.this : fn => coalesce(one(f.snap_start[*].apply_on), "None") }
}

output "timeouts" {
  description = "Timeout per function, in seconds."
  value       = { for fn, f in aws_lambda_function.this : fn => f.timeout }
}

output "reserved_concurrency" {
  description = "Reserved concurrency per function (-1 = unreserved)."
  value       = { for fn, f in aws_lambda_function.this : fn => f.reserved_concurrent_executions }
}

output "image_commands" {
  description = "Image command (handler) per function."
  value       = { for fn, f in aws_lambda_function.this : fn => one(f.image_config[*].command) }
}

output "image_uri" {
  description = "Image URI deployed to every function."
  value       = local.image_uri
}

output "environment_variables" {
  description = "Environment variables of the functions (non-secret configuration only)."
  value       = { for fn, f in aws_lambda_function.this : fn => one(f.environment[*].variables) }
}

output "subnet_ids" {
  description = "Subnets of each function's VPC configuration."
  value       = { for fn, f in aws_lambda_function.this : fn => one(f.vpc_config[*].subnet_ids) }
}

output "log_groups" {
  description = "Log group each function writes to."
  value       = { for fn, f in aws_lambda_function.this : fn => one(f.logging_config[*].log_group) }
}

output "security_group_id" {
  description = "Security group attached to every function (the database allows 5432 from it)."
  value       = aws_security_group.lambda.id
}

output "worker_event_source_mapping" {
  description = "Key settings of the worker's SQS event source mapping."
  value = {
    uuid                               = aws_lambda_event_source_mapping.worker.uuid
    function_name                      = aws_lambda_event_source_mapping.worker.function_name
    batch_size                         = aws_lambda_event_source_mapping.worker.batch_size
    maximum_batching_window_in_seconds = aws_lambda_event_source_mapping.worker.maximum_batching_window_in_seconds
    function_response_types            = aws_lambda_event_source_mapping.worker.function_response_types
    maximum_concurrency                = one(aws_lambda_event_source_mapping.worker.scaling_config[*].maximum_concurrency)
  }
}

output "sweep_schedule" {
  description = "Schedule rule of the sweep function."
  value = {
    rule_name            = aws_cloudwatch_event_rule.sweep.name
    schedule_expression  = aws_cloudwatch_event_rule.sweep.schedule_expression
    target_arn           = aws_cloudwatch_event_target.sweep.arn
    permission_source    = aws_lambda_permission.sweep_schedule.source_arn
    permission_qualifier = aws_lambda_permission.sweep_schedule.qualifier
    permission_principal = aws_lambda_permission.sweep_schedule.principal
  }
}

output "report_schedule" {
  description = "Schedule rule of the weekly report function."
  value = {
    rule_name            = aws_cloudwatch_event_rule.report.name
    schedule_expression  = aws_cloudwatch_event_rule.report.schedule_expression
    state                = aws_cloudwatch_event_rule.report.state
    target_arn           = aws_cloudwatch_event_target.report.arn
    permission_source    = aws_lambda_permission.report_schedule.source_arn
    permission_qualifier = aws_lambda_permission.report_schedule.qualifier
    permission_principal = aws_lambda_permission.report_schedule.principal
  }
}

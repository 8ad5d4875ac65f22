# The five CodeHealer functions, all from one container image:
#   api      HTTP entry point (Mangum), behind API Gateway or a function URL
#   worker   consumes the SQS work queue (partial batch responses)
#   sweep    scheduled housekeeping (re-enqueues stalled jobs)
#   report   the weekly report posted to Slack (`codehealer report --post`)
#   migrate  database migrations, invoked once per deploy
# Only the image command differs between them.
#
# Every function is published as a new version on each change, and callers (API Gateway or
# the function URL, the SQS event source, the EventBridge schedules) invoke the alias that
# points at it, never $LATEST. Published versions are what Lambda SnapStart snapshots: for
# the functions in var.snap_start_functions, Lambda runs the init phase (import, settings,
# container, and for api the FastAPI app) once when the version is published, and new
# execution environments resume from that snapshot instead of initialising. The Python
# 3.12+ runtime runs the application's snapshot hooks (app/lambda_handler.py: database
# connections closed before the snapshot, `random` re-seeded after each restore).

locals {
  handlers = {
    api     = "app.lambda_handler.handler"
    worker  = "app.lambda_handler.worker_handler"
    sweep   = "app.lambda_handler.sweep_handler"
    report  = "app.lambda_handler.report_handler"
    migrate = "app.lambda_handler.migrate_handler"
  }

  function_names = { for fn in keys(local.handlers) : fn => "${var.name_prefix}-${fn}" }

  image_uri = "${var.image_repository_url}:${var.image_tag}"

  snap_start = toset(var.snap_start_functions)

  # A worker's claim on an incident may only be taken over once the worker
  # that holds it has certainly timed out.
  worker_claim_timeout_seconds = max(600, var.function_settings["worker"].timeout + 60)

  # Plain configuration only. Credentials, including DATABASE_URL (whose host is
  # the RDS Proxy endpoint when DB_PROXY is true), live in the Secrets Manager
  # secret named by SECRETS_ARN and are loaded at cold start.
  environment_variables = merge(
    var.extra_environment_variables,
    {
      ENVIRONMENT                  = var.environment
      SECRETS_ARN                  = var.secret_arn
      QUEUE_URL                    = var.queue_url
      DB_PROXY                     = tostring(var.db_proxy_enabled)
      LOG_LEVEL                    = var.log_level
      METRICS_BACKEND              = "emf"
      WORKER_CLAIM_TIMEOUT_SECONDS = tostring(local.worker_claim_timeout_seconds)
    },
  )
}

resource "aws_security_group" "lambda" {
  name        = "${var.name_prefix}-lambda"
  description = "CodeHealer Lambda functions"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda" })
}

# HTTPS to AWS APIs (Secrets Manager, SQS) and to GitHub, Slack and the LLM API,
# through the VPC's NAT gateway or interface endpoints. Database egress is added
# by the rds module.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to AWS APIs and third-party APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_lambda_function" "this" {
  for_each = local.handlers

  function_name = local.function_names[each.key]
  description   = "CodeHealer ${each.key} (${var.environment})"
  role          = var.role_arns[each.key]
  package_type  = "Image"
  image_uri     = local.image_uri
  architectures = [var.architecture]
  publish       = true

  dynamic "snap_start" {
    for_each = contains(local.snap_start, each.key) ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  memory_size                    = var.function_settings[each.key].memory_size
  timeout                        = var.function_settings[each.key].timeout
  reserved_concurrent_executions = var.function_settings[each.key].reserved_concurrency

  image_config {
    command = [each.value]
  }

  environment {
    variables = local.environment_variables
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.lambda.id]
  }

  logging_config {
    log_format = var.log_format
    log_group  = var.log_group_names[each.key]
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = merge(var.tags, { Function = each.key })
}

# What every caller invokes: the version published by the last change (its snapshot, for
# SnapStart functions).
resource "aws_lambda_alias" "live" {
  for_each = local.handlers

  name             = var.alias_name
  description      = "CodeHealer ${each.key}: the version callers invoke"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn                   = var.queue_arn
  function_name                      = aws_lambda_alias.live["worker"].arn
  enabled                            = var.worker_enabled
  batch_size                         = var.worker_batch_size
  maximum_batching_window_in_seconds = var.worker_maximum_batching_window_in_seconds

  # The worker returns {"batchItemFailures": [...]} so that only failed
  # messages are retried (and eventually dead-lettered).
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.worker_maximum_concurrency
  }

  lifecycle {
    precondition {
      condition     = var.worker_batch_size <= 10 || var.worker_maximum_batching_window_in_seconds >= 1
      error_message = "SQS batch sizes above 10 require worker_maximum_batching_window_in_seconds >= 1."
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "sweep" {
  name                = "${var.name_prefix}-sweep"
  description         = "Runs the CodeHealer sweep function on a schedule"
  schedule_expression = var.sweep_schedule_expression
  state               = var.sweep_enabled ? "ENABLED" : "DISABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule      = aws_cloudwatch_event_rule.sweep.name
  target_id = "sweep"
  arn       = aws_lambda_alias.live["sweep"].arn
}

resource "aws_lambda_permission" "sweep_schedule" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["sweep"].function_name
  qualifier     = aws_lambda_alias.live["sweep"].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep.arn
}

resource "aws_cloudwatch_event_rule" "report" {
  name                = "${var.name_prefix}-report"
  description         = "Runs the CodeHealer report function (the week's report posted to Slack)"
  schedule_expression = var.report_schedule_expression
  state               = var.report_enabled ? "ENABLED" : "DISABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "report" {
  rule      = aws_cloudwatch_event_rule.report.name
  target_id = "report"
  arn       = aws_lambda_alias.live["report"].arn
}

resource "aws_lambda_permission" "report_schedule" {
  statement_id  = "AllowEventBridgeReportSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["report"].function_name
  qualifier     = aws_lambda_alias.live["report"].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.report.arn
}

# Offline tests of the stack module: the invariants every environment shares.
# Every AWS call is mocked, so `terraform test` needs no credentials and
# creates nothing. What differs between environments (deletion protection,
# Multi-AZ, reserved concurrency, retention, ...) is asserted in
# environments/<env>/tests.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Distinct security group IDs, so that the ingress assertions can tell the
# Lambda, database and proxy groups apart.
override_resource {
  target = module.lambda.aws_security_group.lambda
  values = {
    id = "sg-0aaaaaaaaaaaaaaa1"
  }
}

override_resource {
  target = module.rds.aws_security_group.db
  values = {
    id = "sg-0bbbbbbbbbbbbbbb2"
  }
}

override_resource {
  target = module.rds.aws_security_group.proxy
  values = {
    id = "sg-0ccccccccccccccc3"
  }
}

# A small environment without RDS Proxy and with the AWS managed secret key;
# the runs below switch those on where they matter.
variables {
  environment        = "staging"
  project            = "codehealer"
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]

  ecr_image_tag_mutability = "IMMUTABLE"
  ecr_force_delete         = false
  ecr_max_image_count      = 20
  image_tag                = "0a1b2c3d"
  image_architecture       = "x86_64"
  default_function_settings = {
    api     = { memory_size = 512, timeout = 30, reserved_concurrency = -1 }
    worker  = { memory_size = 1024, timeout = 300, reserved_concurrency = -1 }
    sweep   = { memory_size = 256, timeout = 120, reserved_concurrency = -1 }
    report  = { memory_size = 256, timeout = 120, reserved_concurrency = -1 }
    migrate = { memory_size = 512, timeout = 300, reserved_concurrency = -1 }
  }
  log_level                      = "INFO"
  worker_batch_size              = 5
  worker_batching_window_seconds = 0
  worker_maximum_concurrency     = 2

  secret_create_kms_key          = false
  secret_recovery_window_in_days = 7

  use_function_url           = false
  api_throttling_burst_limit = 50
  api_throttling_rate_limit  = 20

  db_engine_version                = "16"
  db_instance_class                = "db.t4g.micro"
  db_allocated_storage             = 20
  db_max_allocated_storage         = 50
  db_multi_az                      = false
  db_deletion_protection           = true
  db_skip_final_snapshot           = false
  db_apply_immediately             = true
  db_performance_insights_enabled  = false
  enable_rds_proxy                 = false
  db_master_password_rotation_days = 14

  log_retention_days                 = 30
  alarm_emails                       = ["oncall@example.com"]
  alarm_error_rate_threshold_percent = 5
}

run "queue_and_worker" {
  assert {
    condition     = module.sqs.visibility_timeout_seconds >= 6 * module.lambda.timeouts["worker"]
    error_message = "The queue visibility timeout must be at least 6x the worker timeout."
  }

  assert {
    condition     = jsondecode(module.sqs.redrive_policy).maxReceiveCount == 5
    error_message = "Messages must move to the DLQ after exactly 5 receives."
  }

  assert {
    condition     = jsondecode(module.sqs.redrive_policy).deadLetterTargetArn == module.sqs.dlq_arn
    error_message = "The redrive policy must target the stack's DLQ."
  }

  assert {
    condition     = module.sqs.sse_enabled.queue && module.sqs.sse_enabled.dlq
    error_message = "Both queues must have server-side encryption enabled."
  }

  assert {
    condition     = contains(module.lambda.worker_event_source_mapping.function_response_types, "ReportBatchItemFailures")
    error_message = "The worker event source mapping must report partial batch failures."
  }

  assert {
    condition     = module.lambda.worker_event_source_mapping.batch_size == var.worker_batch_size
    error_message = "The worker batch size must come from worker_batch_size."
  }
}

run "functions" {
  assert {
    condition = alltrue([
      for fn, handler in {
        api     = "app.lambda_handler.handler"
        worker  = "app.lambda_handler.worker_handler"
        sweep   = "app.lambda_handler.sweep_handler"
        report  = "app.lambda_handler.report_handler"
        migrate = "app.lambda_handler.migrate_handler"
      } : module.lambda.image_commands[fn] == tolist([handler])
    ])
    error_message = "Each function must run its own handler from the shared image."
  }

  assert {
    condition = alltrue([
      for env in values(module.lambda.environment_variables) :
      alltrue([for k in ["ENVIRONMENT", "SECRETS_ARN", "QUEUE_URL", "DB_PROXY", "LOG_LEVEL"] : contains(keys(env), k)])
    ])
    error_message = "Every function needs ENVIRONMENT, SECRETS_ARN, QUEUE_URL, DB_PROXY and LOG_LEVEL."
  }

  assert {
    condition     = alltrue([for env in values(module.lambda.environment_variables) : !contains(keys(env), "DATABASE_URL")])
    error_message = "DATABASE_URL must come from Secrets Manager, never a plain environment variable."
  }

  assert {
    condition     = alltrue([for env in values(module.lambda.environment_variables) : env.ENVIRONMENT == var.environment && env.SECRETS_ARN == module.secrets.secret_arn])
    error_message = "ENVIRONMENT and SECRETS_ARN must be set from the stack."
  }

  assert {
    condition     = alltrue([for env in values(module.lambda.environment_variables) : tonumber(env.WORKER_CLAIM_TIMEOUT_SECONDS) > module.lambda.timeouts["worker"]])
    error_message = "A worker's claim must outlive the worker's timeout."
  }

  assert {
    condition     = alltrue([for ids in values(module.lambda.subnet_ids) : toset(ids) == toset(var.private_subnet_ids)])
    error_message = "Every function must run in the private subnets."
  }

  assert {
    condition     = module.lambda.sweep_schedule.schedule_expression == "rate(5 minutes)"
    error_message = "The sweep function must run every 5 minutes."
  }

  assert {
    condition     = module.lambda.sweep_schedule.permission_principal == "events.amazonaws.com"
    error_message = "EventBridge must be allowed to invoke the sweep function."
  }

  assert {
    condition     = module.lambda.log_groups == module.monitoring.log_group_names
    error_message = "Each function must log to its pre-created log group."
  }
}

run "snap_start_and_aliases" {
  assert {
    condition = module.lambda.snap_start == {
      api     = "PublishedVersions"
      worker  = "PublishedVersions"
      sweep   = "PublishedVersions"
      report  = "PublishedVersions"
      migrate = "None"
    }
    error_message = "SnapStart must be on for the published versions of api, worker, sweep and report (migrate runs once per deploy)."
  }

  assert {
    condition     = alltrue(values(module.lambda.published))
    error_message = "Every function must publish a version on each change (SnapStart snapshots published versions)."
  }

  assert {
    condition     = alltrue([for v in values(module.lambda.alias_versions) : v.alias == v.published])
    error_message = "Each alias must point at the version the last change published."
  }

  assert {
    condition     = module.lambda.worker_event_source_mapping.function_name == module.lambda.alias_arns["worker"]
    error_message = "The SQS event source must invoke the worker's alias, not $LATEST."
  }

  assert {
    condition = (
      module.lambda.sweep_schedule.target_arn == module.lambda.alias_arns["sweep"] &&
      module.lambda.sweep_schedule.permission_qualifier == module.lambda.alias_name &&
      module.lambda.report_schedule.permission_qualifier == module.lambda.alias_name
    )
    error_message = "The schedules must invoke the aliases, and their permissions must name them."
  }

  assert {
    condition     = module.api_gateway.integration_uri == module.lambda.alias_invoke_arns["api"]
    error_message = "The HTTP API must invoke the api function's alias, not $LATEST."
  }

  assert {
    condition     = module.api_gateway.invoke_permission_qualifiers == [module.lambda.alias_name]
    error_message = "API Gateway's permission must be for the api function's alias."
  }
}

run "weekly_report_schedule" {
  assert {
    condition     = module.lambda.report_schedule.schedule_expression == "cron(0 8 ? * MON *)" && module.lambda.report_schedule.state == "ENABLED"
    error_message = "The report function must run every Monday at 08:00 UTC."
  }

  assert {
    condition     = module.lambda.report_schedule.target_arn == module.lambda.alias_arns["report"]
    error_message = "The weekly schedule must invoke the report function's alias."
  }

  assert {
    condition     = module.lambda.report_schedule.permission_principal == "events.amazonaws.com"
    error_message = "EventBridge must be allowed to invoke the report function."
  }

  assert {
    condition     = contains(module.monitoring.alarm_names, "${module.lambda.function_names["report"]}-errors")
    error_message = "A failed weekly report (no Slack token, Slack refusing the post) must raise the errors alarm."
  }

  assert {
    condition     = length([for st in jsondecode(output.iam_policy_documents["inline_report"]).Statement : st if length(regexall("^sqs:", join(",", flatten([st.Action])))) > 0]) == 0
    error_message = "The report function needs no queue access."
  }
}

run "database" {
  assert {
    condition     = module.rds.settings.publicly_accessible == false
    error_message = "The database must not be publicly accessible."
  }

  assert {
    condition     = module.rds.settings.storage_encrypted == true
    error_message = "Database storage must be encrypted."
  }

  assert {
    condition     = module.rds.settings.backup_retention_period == 7
    error_message = "Automated backups must be kept for 7 days."
  }

  assert {
    condition     = module.rds.master_password_rotation_days == var.db_master_password_rotation_days
    error_message = "The master password rotation interval must come from the environment."
  }

  assert {
    condition     = module.rds.settings.manage_master_password == true
    error_message = "The master password must be managed by RDS in Secrets Manager."
  }

  assert {
    condition     = tonumber(split(".", module.rds.settings.engine_version)[0]) >= 16
    error_message = "PostgreSQL 16 or later is required."
  }

  assert {
    condition     = length(module.rds.db_ingress_sources.cidr_ipv4) == 0 && module.rds.db_ingress_sources.ports == tolist([5432])
    error_message = "The database must allow port 5432 only, from no CIDR range."
  }

  assert {
    condition = (
      module.rds.settings.deletion_protection == var.db_deletion_protection &&
      module.rds.settings.multi_az == var.db_multi_az &&
      module.rds.settings.skip_final_snapshot == var.db_skip_final_snapshot
    )
    error_message = "Deletion protection, Multi-AZ and the final snapshot must come from the environment."
  }
}

run "iam_policies" {
  assert {
    condition     = length(output.iam_policy_documents) >= 9
    error_message = "Expected the policies of five execution roles and the ECR repository."
  }

  assert {
    condition = alltrue(flatten([
      for doc in values(output.iam_policy_documents) : [
        for st in jsondecode(doc).Statement : [
          for action in flatten([st.Action]) : !strcontains(action, "*")
        ]
      ]
    ]))
    error_message = "No IAM policy may use a wildcard action."
  }

  assert {
    condition = alltrue(flatten([
      for doc in values(output.iam_policy_documents) : [
        for st in jsondecode(doc).Statement : !contains(keys(st), "NotAction") && st.Effect == "Allow"
      ]
    ]))
    error_message = "Policies must use explicit Allow statements with Action lists."
  }

  assert {
    condition = alltrue([
      for fn, arn in module.monitoring.log_group_arns :
      contains(flatten([for st in jsondecode(output.iam_policy_documents["inline_${fn}"]).Statement : st.Resource if st.Sid == "WriteOwnLogs"]), "${arn}:*")
    ])
    error_message = "Each role may write only to its own log group."
  }

  assert {
    condition = alltrue([
      for fn in ["api", "worker", "sweep", "report", "migrate"] :
      flatten([for st in jsondecode(output.iam_policy_documents["inline_${fn}"]).Statement : st.Resource if st.Sid == "ReadAppSecret"]) == [module.secrets.secret_arn]
    ])
    error_message = "Each role may read only the application secret."
  }

  assert {
    condition = toset(flatten([
      for st in jsondecode(output.iam_policy_documents["inline_worker"]).Statement : st.Action if st.Sid == "ConsumeJobs"
    ])) == toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"])
    error_message = "The worker may only receive, delete and inspect queue messages."
  }

  assert {
    condition = flatten([
      for st in jsondecode(output.iam_policy_documents["inline_api"]).Statement : st.Action if startswith(st.Sid, "Enqueue")
    ]) == ["sqs:SendMessage"]
    error_message = "The api function may only send to the queue."
  }

  assert {
    condition     = length([for st in jsondecode(output.iam_policy_documents["inline_migrate"]).Statement : st if length(regexall("^sqs:", join(",", flatten([st.Action])))) > 0]) == 0
    error_message = "The migrate function needs no queue access."
  }
}

run "logs_and_alarms" {
  assert {
    condition     = alltrue([for r in values(module.monitoring.log_group_retention_in_days) : r == var.log_retention_days && r > 0])
    error_message = "Every function log group must have a retention period."
  }

  assert {
    condition     = module.api_gateway.access_log_group.retention_in_days > 0
    error_message = "The API access log group must have a retention period."
  }

  assert {
    condition     = alltrue([for r in values(module.rds.log_group_retention_in_days) : r > 0])
    error_message = "The database log groups must have a retention period."
  }

  assert {
    condition     = module.monitoring.dlq_alarm.metric_name == "ApproximateNumberOfMessagesVisible" && module.monitoring.dlq_alarm.threshold == 0 && module.monitoring.dlq_alarm.comparison_operator == "GreaterThanThreshold" && module.monitoring.dlq_alarm.queue_name == module.sqs.dlq_name
    error_message = "An alarm must fire as soon as a message reaches the DLQ."
  }

  assert {
    condition     = alltrue([for fn, t in module.monitoring.duration_alarm_thresholds_ms : t < module.lambda.timeouts[fn] * 1000])
    error_message = "Duration alarms must fire before the function times out."
  }
}

run "http_api" {
  assert {
    condition     = module.api_gateway.route_keys == ["ANY /{proxy+}"]
    error_message = "The HTTP API must proxy every path to the api function."
  }

  assert {
    condition     = module.api_gateway.payload_format_version == "2.0"
    error_message = "The Lambda integration must use payload format 2.0."
  }

  assert {
    condition     = module.api_gateway.function_url_enabled == false
    error_message = "No function URL is created when the HTTP API is used."
  }

  assert {
    condition     = endswith(output.github_webhook_url, "/webhooks/github") && endswith(output.slack_interactions_url, "/slack/interactions")
    error_message = "Webhook and Slack URLs must be derived from the API URL."
  }
}

run "function_url_instead_of_http_api" {
  variables {
    use_function_url = true
  }

  assert {
    condition     = module.api_gateway.function_url_enabled && module.api_gateway.api_id == null && length(module.api_gateway.route_keys) == 0
    error_message = "use_function_url must replace the HTTP API by a function URL."
  }

  assert {
    condition     = module.api_gateway.invoke_permission_qualifiers == [module.lambda.alias_name, module.lambda.alias_name]
    error_message = "The function URL and its permission must be on the api function's alias."
  }
}

run "without_rds_proxy" {
  variables {
    enable_rds_proxy = false
  }

  assert {
    condition     = alltrue([for env in values(module.lambda.environment_variables) : env.DB_PROXY == "false"])
    error_message = "Without a proxy, DB_PROXY must be false."
  }

  assert {
    condition     = module.rds.db_ingress_sources.security_groups == tolist([module.lambda.security_group_id])
    error_message = "Without a proxy, only the Lambda security group may reach the database."
  }
}

run "with_rds_proxy" {
  variables {
    enable_rds_proxy          = true
    db_proxy_auth_secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:codehealer/staging/db-app-XyZ123"]
  }

  assert {
    condition     = alltrue([for env in values(module.lambda.environment_variables) : env.DB_PROXY == "true"])
    error_message = "With a proxy, DB_PROXY must be true."
  }

  assert {
    condition     = output.db_host == module.rds.proxy_endpoint && module.rds.proxy_endpoint != ""
    error_message = "With a proxy, DATABASE_URL must point at the proxy endpoint."
  }

  assert {
    condition     = module.rds.settings.proxy_require_tls == true
    error_message = "The proxy must require TLS."
  }

  assert {
    condition     = toset(module.rds.db_ingress_sources.security_groups) == toset([module.lambda.security_group_id, "sg-0ccccccccccccccc3"])
    error_message = "With a proxy, the database accepts the Lambda and proxy security groups only."
  }

  assert {
    condition     = length(output.iam_policy_documents) >= 11
    error_message = "Expected the policies of five execution roles, the RDS Proxy role and the ECR repository."
  }

  assert {
    condition = alltrue(flatten([
      for doc in values(output.iam_policy_documents) : [
        for st in jsondecode(doc).Statement : [for action in flatten([st.Action]) : !strcontains(action, "*")]
      ]
    ])) && contains(keys(output.iam_policy_documents), "rds_proxy_inline")
    error_message = "The RDS Proxy role policy must be part of the checked policies and must not use wildcard actions either."
  }

  assert {
    condition = toset(flatten([
      for st in jsondecode(output.iam_policy_documents["rds_proxy_inline"]).Statement : st.Resource if st.Sid == "ReadLoginSecrets"
    ])) == toset([module.rds.master_user_secret_arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:codehealer/staging/db-app-XyZ123"])
    error_message = "The proxy may read exactly the master secret and the extra login secrets."
  }
}

run "with_customer_managed_key" {
  variables {
    secret_create_kms_key = true
  }

  assert {
    condition = alltrue([
      for fn in ["api", "worker", "sweep", "report", "migrate"] :
      flatten([for st in jsondecode(output.iam_policy_documents["inline_${fn}"]).Statement : st.Resource if st.Sid == "DecryptAppSecret"]) == [module.secrets.kms_key_arn]
    ])
    error_message = "Each role may decrypt with the secret's key only."
  }
}

run "rejects_worker_timeout_above_lambda_maximum" {
  command = plan

  variables {
    function_overrides = { worker = { timeout = 901 } }
  }

  expect_failures = [var.function_overrides]
}

run "rejects_postgres_older_than_16" {
  command = plan

  variables {
    db_engine_version = "15.7"
  }

  expect_failures = [var.db_engine_version]
}

run "rejects_database_url_as_plain_variable" {
  command = plan

  variables {
    extra_environment_variables = { DATABASE_URL = "postgresql://user:pass@host/db" }
  }

  expect_failures = [var.extra_environment_variables]
}

run "rejects_github_app_private_key_as_plain_variable" {
  command = plan

  variables {
    extra_environment_variables = { GITHUB_APP_PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----" }
  }

  expect_failures = [var.extra_environment_variables]
}

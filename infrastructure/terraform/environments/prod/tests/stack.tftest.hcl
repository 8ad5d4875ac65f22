# Offline tests of the prod stack. Every AWS call is mocked, so `terraform test`
# needs no credentials and creates nothing.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  # Computed attributes that flow into arguments the provider validates (ARNs,
  # IDs, names) get well-formed values; by default the mock provider would
  # generate random 8-character strings. Defaults apply to every instance of
  # a resource type, so e.g. all log groups share one mock ARN.
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:codehealer-prod-alarms"
    }
  }

  mock_resource "aws_sqs_queue" {
    defaults = {
      id  = "https://sqs.us-east-1.amazonaws.com/123456789012/codehealer-prod-jobs"
      arn = "arn:aws:sqs:us-east-1:123456789012:codehealer-prod-jobs"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/codehealer-prod-jobs"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/codehealer-prod"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      id  = "codehealer-prod-role"
      arn = "arn:aws:iam::123456789012:role/codehealer-prod"
    }
  }

  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:codehealer/prod/app-AbCdEf"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      key_id = "11111111-1111-1111-1111-111111111111"
      arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    }
  }

  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:us-east-1:123456789012:repository/codehealer-prod"
      repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/codehealer-prod"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:codehealer-prod"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:codehealer-prod/invocations"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:us-east-1:123456789012:rule/codehealer-prod-sweep"
    }
  }

  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "abcdef1234"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
      api_endpoint  = "https://abcdef1234.execute-api.us-east-1.amazonaws.com"
    }
  }

  mock_resource "aws_apigatewayv2_integration" {
    defaults = {
      id = "a1b2c3d"
    }
  }

  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/"
    }
  }

  mock_resource "aws_lambda_function_url" {
    defaults = {
      function_url = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/"
    }
  }

  mock_resource "aws_db_parameter_group" {
    defaults = {
      name = "codehealer-prod-pg16-20250101000000000000000001"
    }
  }

  mock_resource "aws_db_proxy_default_target_group" {
    defaults = {
      name = "default"
    }
  }

  mock_resource "aws_db_instance" {
    defaults = {
      address = "codehealer-prod.abcdefghijkl.us-east-1.rds.amazonaws.com"
      master_user_secret = [
        {
          secret_arn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-abcdef"
          kms_key_id    = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
          secret_status = "active"
        },
      ]
    }
  }

  mock_resource "aws_db_proxy" {
    defaults = {
      endpoint = "codehealer-prod.proxy-abcdefghijkl.us-east-1.rds.amazonaws.com"
    }
  }
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

variables {
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  image_tag          = "0a1b2c3d"
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
    condition     = alltrue([for env in values(module.lambda.environment_variables) : env.ENVIRONMENT == "prod" && env.SECRETS_ARN == module.secrets.secret_arn])
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
    condition     = toset(module.rds.db_ingress_sources.security_groups) == toset([module.lambda.security_group_id, "sg-0ccccccccccccccc3"])
    error_message = "Only the Lambda and RDS Proxy security groups may reach the database."
  }

  assert {
    condition     = length(module.rds.db_ingress_sources.cidr_ipv4) == 0 && module.rds.db_ingress_sources.ports == tolist([5432])
    error_message = "The database must allow port 5432 only, from no CIDR range."
  }

  assert {
    condition     = module.rds.settings.deletion_protection == true
    error_message = "The prod database must have deletion protection."
  }

  assert {
    condition     = module.rds.settings.multi_az == true
    error_message = "The prod database must be Multi-AZ."
  }

  assert {
    condition     = module.rds.settings.skip_final_snapshot == false
    error_message = "Deleting the prod database must leave a final snapshot."
  }
}

run "iam_policies" {
  assert {
    condition     = length(output.iam_policy_documents) >= 11
    error_message = "Expected the policies of four execution roles, the RDS Proxy role and the ECR repository."
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
      for fn in ["api", "worker", "sweep", "migrate"] :
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
}

run "rds_proxy_by_default" {
  variables {
    db_proxy_auth_secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:codehealer/prod/db-app-XyZ123"]
  }

  assert {
    condition     = alltrue([for env in values(module.lambda.environment_variables) : env.DB_PROXY == "true"])
    error_message = "prod connects through the RDS Proxy: DB_PROXY must be true."
  }

  assert {
    condition     = output.db_host == module.rds.proxy_endpoint && module.rds.proxy_endpoint != ""
    error_message = "prod's DATABASE_URL must point at the proxy endpoint."
  }

  assert {
    condition     = module.rds.settings.proxy_require_tls == true
    error_message = "The proxy must require TLS."
  }

  assert {
    condition     = contains(keys(output.iam_policy_documents), "rds_proxy_inline")
    error_message = "The RDS Proxy role policy must be part of the checked policies."
  }

  assert {
    condition = toset(flatten([
      for st in jsondecode(output.iam_policy_documents["rds_proxy_inline"]).Statement : st.Resource if st.Sid == "ReadLoginSecrets"
    ])) == toset([module.rds.master_user_secret_arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:codehealer/prod/db-app-XyZ123"])
    error_message = "The proxy may read exactly the master secret and the extra login secrets."
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

run "prod_capacity_and_retention" {
  assert {
    condition     = module.lambda.reserved_concurrency["api"] >= 1 && module.lambda.reserved_concurrency["worker"] >= 1
    error_message = "prod reserves concurrency for the api and worker functions."
  }

  assert {
    condition     = module.lambda.reserved_concurrency["sweep"] == 1
    error_message = "Only one sweep may run at a time."
  }

  assert {
    condition     = module.lambda.worker_event_source_mapping.maximum_concurrency <= module.lambda.reserved_concurrency["worker"]
    error_message = "The SQS event source must not start more workers than are reserved (that only causes throttling)."
  }

  assert {
    condition     = alltrue([for r in values(module.monitoring.log_group_retention_in_days) : r >= 90])
    error_message = "prod keeps function logs for at least 90 days."
  }

  assert {
    condition     = module.secrets.kms_key_arn != null
    error_message = "The prod secret is encrypted with a customer managed key."
  }

  assert {
    condition = alltrue([
      for fn in ["api", "worker", "sweep", "migrate"] :
      flatten([for st in jsondecode(output.iam_policy_documents["inline_${fn}"]).Statement : st.Resource if st.Sid == "DecryptAppSecret"]) == [module.secrets.kms_key_arn]
    ])
    error_message = "Each role may decrypt with the secret's key only."
  }
}

run "rejects_short_log_retention" {
  command = plan

  variables {
    log_retention_days = 14
  }

  expect_failures = [var.log_retention_days]
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

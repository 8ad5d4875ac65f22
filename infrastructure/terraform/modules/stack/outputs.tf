output "api_url" {
  description = "Base URL of the service."
  value       = module.api_gateway.api_url
}

output "github_webhook_url" {
  description = "Payload URL for the GitHub webhook."
  value       = "${module.api_gateway.api_url}/webhooks/github"
}

output "slack_interactions_url" {
  description = "Interactivity request URL for the Slack app."
  value       = "${module.api_gateway.api_url}/slack/interactions"
}

output "ecr_repository_url" {
  description = "Push the Lambda image here."
  value       = module.ecr.repository_url
}

output "function_names" {
  description = "Lambda function names (api, worker, sweep, report, migrate)."
  value       = module.lambda.function_names
}

output "migrate_function_name" {
  description = "Invoke once per deploy: aws lambda invoke --function-name <this> out.json"
  value       = module.lambda.function_names["migrate"]
}

output "secret_arn" {
  description = "Application secret (JSON keyed by environment variable name)."
  value       = module.secrets.secret_arn
}

output "secret_name" {
  description = "Name of the application secret."
  value       = module.secrets.secret_name
}

output "queue_url" {
  description = "Work queue URL."
  value       = module.sqs.queue_url
}

output "dlq_url" {
  description = "Dead-letter queue URL."
  value       = module.sqs.dlq_url
}

output "db_host" {
  description = "Database host the application connects to (the proxy when enabled)."
  value       = module.rds.connect_host
}

output "db_port" {
  description = "Database port."
  value       = module.rds.port
}

output "db_name" {
  description = "Database name."
  value       = module.rds.db_name
}

output "db_username" {
  description = "Database master user name."
  value       = module.rds.master_username
}

output "db_master_user_secret_arn" {
  description = "RDS-managed secret holding the master password (used to build DATABASE_URL)."
  value       = module.rds.master_user_secret_arn
}

output "alarm_topic_arn" {
  description = "SNS topic receiving every alarm."
  value       = module.monitoring.alarm_topic_arn
}

output "iam_policy_documents" {
  description = "Every IAM policy JSON of the stack (execution roles, trust policies, RDS Proxy role, ECR repository policy)."
  value = merge(
    module.iam.policy_documents,
    module.rds.policy_documents,
    module.ecr.policy_documents,
  )
}

output "effective_settings" {
  description = "What the environment's values resolve to: function environment variables and concurrency, database settings, log retention, secret key. Read by the environment tests."
  value = {
    environment                = var.environment
    function_environment       = module.lambda.environment_variables
    reserved_concurrency       = module.lambda.reserved_concurrency
    worker_maximum_concurrency = module.lambda.worker_event_source_mapping.maximum_concurrency
    log_retention_days         = module.monitoring.log_group_retention_in_days
    database                   = module.rds.settings
    db_proxy_endpoint          = module.rds.proxy_endpoint
    secret_kms_key_arn         = module.secrets.kms_key_arn
  }
}

# CodeHealer - one complete stack (ecr, secrets, sqs, monitoring, iam, lambda,
# rds, api_gateway), wired once for every environment.
#
# environments/<env> is a thin root module: provider, backend and a
# `module "stack"` call with that environment's values. Everything that is the
# same in every environment (queue redrive after 5 receives, sweep every 5
# minutes, the weekly report on Mondays at 08:00 UTC, 7 days of automated
# backups, ...) is fixed here; everything that differs is an input.

locals {
  name_prefix = "${var.project}-${var.environment}"

  function_settings = {
    for fn, d in var.default_function_settings : fn => {
      memory_size          = coalesce(try(var.function_overrides[fn].memory_size, null), d.memory_size)
      timeout              = coalesce(try(var.function_overrides[fn].timeout, null), d.timeout)
      reserved_concurrency = coalesce(try(var.function_overrides[fn].reserved_concurrency, null), d.reserved_concurrency)
    }
  }

  function_names = { for fn in keys(local.function_settings) : fn => "${local.name_prefix}-${fn}" }
}

module "ecr" {
  source = "../ecr"

  repository_name      = local.name_prefix
  function_name_prefix = local.name_prefix
  image_tag_mutability = var.ecr_image_tag_mutability
  force_delete         = var.ecr_force_delete
  max_image_count      = var.ecr_max_image_count
}

module "secrets" {
  source = "../secrets"

  name                    = "${var.project}/${var.environment}/app"
  create_kms_key          = var.secret_create_kms_key
  recovery_window_in_days = var.secret_recovery_window_in_days
}

module "sqs" {
  source = "../sqs"

  name                               = "${local.name_prefix}-jobs"
  worker_timeout_seconds             = local.function_settings.worker.timeout
  maximum_batching_window_in_seconds = var.worker_batching_window_seconds
  max_receive_count                  = 5
}

module "monitoring" {
  source = "../monitoring"

  name_prefix = local.name_prefix
  functions = {
    for fn, s in local.function_settings : fn => {
      function_name   = local.function_names[fn]
      timeout_seconds = s.timeout
    }
  }
  log_retention_days           = var.log_retention_days
  alarm_emails                 = var.alarm_emails
  queue_name                   = module.sqs.queue_name
  dlq_name                     = module.sqs.dlq_name
  max_receive_count_hint       = 5
  error_rate_threshold_percent = var.alarm_error_rate_threshold_percent
}

module "iam" {
  source = "../iam"

  name_prefix        = local.name_prefix
  log_group_arns     = module.monitoring.log_group_arns
  secret_arn         = module.secrets.secret_arn
  secret_kms_key_arn = module.secrets.kms_key_arn
  queue_arn          = module.sqs.queue_arn
}

module "lambda" {
  source = "../lambda"

  name_prefix                 = local.name_prefix
  environment                 = var.environment
  image_repository_url        = module.ecr.repository_url
  image_tag                   = var.image_tag
  architecture                = var.image_architecture
  function_settings           = local.function_settings
  role_arns                   = module.iam.role_arns
  log_group_names             = module.monitoring.log_group_names
  vpc_id                      = var.vpc_id
  subnet_ids                  = var.private_subnet_ids
  secret_arn                  = module.secrets.secret_arn
  queue_url                   = module.sqs.queue_url
  queue_arn                   = module.sqs.queue_arn
  db_proxy_enabled            = var.enable_rds_proxy
  log_level                   = var.log_level
  extra_environment_variables = var.extra_environment_variables

  worker_batch_size                         = var.worker_batch_size
  worker_maximum_batching_window_in_seconds = var.worker_batching_window_seconds
  worker_maximum_concurrency                = var.worker_maximum_concurrency
  sweep_schedule_expression                 = "rate(5 minutes)"
  report_schedule_expression                = "cron(0 8 ? * MON *)" # Mondays 08:00 UTC
}

module "rds" {
  source = "../rds"

  identifier               = local.name_prefix
  vpc_id                   = var.vpc_id
  subnet_ids               = var.private_subnet_ids
  client_security_group_id = module.lambda.security_group_id

  engine_version        = var.db_engine_version
  instance_class        = var.db_instance_class
  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage

  multi_az                     = var.db_multi_az
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = var.db_skip_final_snapshot
  backup_retention_period      = 7
  apply_immediately            = var.db_apply_immediately
  performance_insights_enabled = var.db_performance_insights_enabled
  log_retention_days           = var.log_retention_days

  master_password_rotation_days = var.db_master_password_rotation_days

  enable_proxy           = var.enable_rds_proxy
  proxy_auth_secret_arns = var.db_proxy_auth_secret_arns
}

module "api_gateway" {
  source = "../api_gateway"

  name                 = local.name_prefix
  lambda_function_name = module.lambda.function_names["api"]
  lambda_alias_name    = module.lambda.alias_name
  lambda_invoke_arn    = module.lambda.alias_invoke_arns["api"]
  use_function_url     = var.use_function_url
  log_retention_days   = var.log_retention_days

  throttling_burst_limit = var.api_throttling_burst_limit
  throttling_rate_limit  = var.api_throttling_rate_limit
}

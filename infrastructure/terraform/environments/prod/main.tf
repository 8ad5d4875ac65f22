# CodeHealer - prod environment.
#
# Differences from dev: Multi-AZ database with deletion protection, final
# snapshot and Performance Insights; RDS Proxy in front of the database;
# reserved Lambda concurrency; a customer managed KMS key for the application
# secret (30-day recovery window); immutable image tags; 90-day log retention.
#
# The modules are wired once in modules/stack; this root only chooses the
# prod values. Outputs: outputs.tf; state moves from the former layout: moved.tf.

locals {
  environment = "prod"
}

module "stack" {
  source = "../../modules/stack"

  environment = local.environment
  project     = var.project

  vpc_id             = var.vpc_id
  private_subnet_ids = var.private_subnet_ids

  # Image and functions.
  ecr_image_tag_mutability = "IMMUTABLE"
  ecr_force_delete         = false
  ecr_max_image_count      = 50
  image_tag                = var.image_tag
  image_architecture       = var.image_architecture
  default_function_settings = {
    api     = { memory_size = 1024, timeout = 30, reserved_concurrency = 50 }
    worker  = { memory_size = 1769, timeout = 600, reserved_concurrency = 20 }
    sweep   = { memory_size = 512, timeout = 120, reserved_concurrency = 1 }
    report  = { memory_size = 512, timeout = 120, reserved_concurrency = 1 }
    migrate = { memory_size = 512, timeout = 600, reserved_concurrency = 1 }
  }
  function_overrides             = var.function_overrides
  log_level                      = var.log_level
  extra_environment_variables    = var.extra_environment_variables
  worker_batch_size              = var.worker_batch_size
  worker_batching_window_seconds = var.worker_batching_window_seconds
  worker_maximum_concurrency     = var.worker_maximum_concurrency

  # Application secret.
  secret_create_kms_key          = true
  secret_recovery_window_in_days = 30

  # HTTP entry point.
  use_function_url           = var.use_function_url
  api_throttling_burst_limit = 200
  api_throttling_rate_limit  = 100

  # Database.
  db_engine_version                = var.db_engine_version
  db_instance_class                = var.db_instance_class
  db_allocated_storage             = var.db_allocated_storage
  db_max_allocated_storage         = var.db_max_allocated_storage
  db_multi_az                      = var.db_multi_az
  db_deletion_protection           = var.db_deletion_protection
  db_skip_final_snapshot           = false
  db_apply_immediately             = false
  db_performance_insights_enabled  = true
  enable_rds_proxy                 = var.enable_rds_proxy
  db_master_password_rotation_days = var.db_master_password_rotation_days
  db_proxy_auth_secret_arns        = var.db_proxy_auth_secret_arns

  # Monitoring.
  log_retention_days                 = var.log_retention_days
  alarm_emails                       = var.alarm_emails
  alarm_error_rate_threshold_percent = 2
}

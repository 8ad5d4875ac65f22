# Inputs of the stack. The environments (environments/<env>/variables.tf)
# declare the user-facing settings with their own defaults and pass every one
# of them here; the validations shared by all environments live here only.

# --- identity --------------------------------------------------------------------

variable "environment" {
  description = "Environment name (dev, staging or prod): part of every resource name (<project>-<environment>-...) and ENVIRONMENT of the functions."
  type        = string
}

variable "project" {
  description = "Project name; prefixes every resource name (<project>-<environment>-...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

# --- network -----------------------------------------------------------------

variable "vpc_id" {
  description = "Existing VPC to deploy into."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two availability zones, with outbound HTTPS through a NAT gateway (GitHub, Slack, LLM API) or VPC endpoints."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids needs at least two subnet IDs (subnet-...) in different availability zones."
  }
}

# --- image and functions -------------------------------------------------------

variable "ecr_image_tag_mutability" {
  description = "MUTABLE or IMMUTABLE image tags in the ECR repository."
  type        = string
}

variable "ecr_force_delete" {
  description = "Delete the ECR repository on destroy even if it still holds images."
  type        = bool
}

variable "ecr_max_image_count" {
  description = "Images kept by the ECR lifecycle policy."
  type        = number
}

variable "image_tag" {
  description = "Tag of the image (built from Dockerfile.lambda and pushed to the ECR repository) to deploy, e.g. the git commit SHA."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag."
  }
}

variable "image_architecture" {
  description = "Architecture of the image: x86_64 (docker build --platform linux/amd64) or arm64 (linux/arm64)."
  type        = string
}

variable "default_function_settings" {
  description = "The environment's memory_size (MB), timeout (s) and reserved_concurrency (-1 = unreserved) of the api, worker, sweep, report and migrate functions, before function_overrides."
  type = map(object({
    memory_size          = number
    timeout              = number
    reserved_concurrency = number
  }))

  validation {
    condition     = toset(keys(var.default_function_settings)) == toset(["api", "worker", "sweep", "report", "migrate"])
    error_message = "default_function_settings must have exactly the keys api, worker, sweep, report and migrate."
  }
}

variable "function_overrides" {
  description = "Per-function overrides of memory_size (MB), timeout (s) and reserved_concurrency (-1 = unreserved), keyed api, worker, sweep, report, migrate."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}

  validation {
    condition     = length(setsubtract(toset(keys(var.function_overrides)), toset(["api", "worker", "sweep", "report", "migrate"]))) == 0
    error_message = "function_overrides keys must be among api, worker, sweep, report, migrate."
  }

  validation {
    condition     = alltrue([for o in values(var.function_overrides) : o.timeout == null ? true : (o.timeout >= 1 && o.timeout <= 900)])
    error_message = "Function timeouts must be between 1 and 900 seconds (the Lambda maximum)."
  }

  validation {
    condition     = try(var.function_overrides["api"].timeout, null) == null ? true : var.function_overrides["api"].timeout <= 30
    error_message = "The api function timeout must not exceed 30 seconds, the HTTP API integration limit."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the application."
  type        = string
}

variable "extra_environment_variables" {
  description = "Additional non-secret environment variables for every function."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(toset(keys(var.extra_environment_variables)), toset([
      "DATABASE_URL", "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "GITHUB_APP_PRIVATE_KEY", "SLACK_BOT_TOKEN",
      "SLACK_SIGNING_SECRET", "NVIDIA_API_KEY", "API_KEY", "ARGOCD_WEBHOOK_TOKEN", "K8S_WEBHOOK_TOKEN",
    ]))) == 0
    error_message = "Secrets (DATABASE_URL, tokens, keys) belong in the Secrets Manager secret, not in plain environment variables."
  }
}

variable "worker_batch_size" {
  description = "Messages per worker invocation."
  type        = number
}

variable "worker_batching_window_seconds" {
  description = "Batching window of the worker event source mapping."
  type        = number
}

variable "worker_maximum_concurrency" {
  description = "Maximum concurrent worker invocations started by the SQS event source (2-1000)."
  type        = number
}

# --- secret --------------------------------------------------------------------

variable "secret_create_kms_key" {
  description = "Encrypt the application secret with a customer managed KMS key instead of the AWS managed key."
  type        = bool
}

variable "secret_recovery_window_in_days" {
  description = "Recovery window of the application secret after deletion (0 = delete immediately)."
  type        = number
}

# --- HTTP entry point ------------------------------------------------------------

variable "use_function_url" {
  description = "Expose the api function through a Lambda function URL instead of an API Gateway HTTP API."
  type        = bool
}

variable "api_throttling_burst_limit" {
  description = "Burst limit of the HTTP API stage."
  type        = number
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second of the HTTP API stage."
  type        = number
}

# --- database ----------------------------------------------------------------

variable "db_engine_version" {
  description = "PostgreSQL version (16 or later)."
  type        = string

  validation {
    condition     = try(tonumber(split(".", var.db_engine_version)[0]) >= 16, false)
    error_message = "db_engine_version must be PostgreSQL 16 or later."
  }
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_allocated_storage" {
  description = "Initial database storage in GiB."
  type        = number
}

variable "db_max_allocated_storage" {
  description = "Database storage autoscaling ceiling in GiB."
  type        = number
}

variable "db_multi_az" {
  description = "Run a synchronous standby database in a second availability zone."
  type        = bool
}

variable "db_deletion_protection" {
  description = "Deletion protection of the database."
  type        = bool
}

variable "db_skip_final_snapshot" {
  description = "Delete the database without a final snapshot."
  type        = bool
}

variable "db_apply_immediately" {
  description = "Apply database modifications immediately instead of in the next maintenance window."
  type        = bool
}

variable "db_performance_insights_enabled" {
  description = "Enable Performance Insights on the database."
  type        = bool
}

variable "enable_rds_proxy" {
  description = "Put an RDS Proxy between the functions and the database."
  type        = bool
}

variable "db_master_password_rotation_days" {
  description = "Rotation interval of the RDS-managed master password."
  type        = number
}

variable "db_proxy_auth_secret_arns" {
  description = "Secrets ({\"username\", \"password\"}) of further database users, e.g. the dedicated application role, allowed through the RDS Proxy."
  type        = list(string)
  default     = []
}

# --- monitoring ----------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of every log group of the stack, in days."
  type        = number
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "alarm_error_rate_threshold_percent" {
  description = "Error-rate alarm threshold for the api and worker functions, in percent."
  type        = number
}

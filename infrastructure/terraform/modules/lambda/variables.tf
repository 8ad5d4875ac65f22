variable "name_prefix" {
  description = "Prefix of the function names (<prefix>-api, <prefix>-worker, <prefix>-sweep, <prefix>-report, <prefix>-migrate)."
  type        = string
}

variable "environment" {
  description = "Deployment environment name, exposed to the functions as ENVIRONMENT (dev, staging or prod)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod (the values the application accepts)."
  }
}

variable "image_repository_url" {
  description = "ECR repository URL of the image built from Dockerfile.lambda."
  type        = string
}

variable "image_tag" {
  description = "Image tag to deploy (for example the git commit SHA)."
  type        = string

  validation {
    condition     = length(trimspace(var.image_tag)) > 0
    error_message = "image_tag must not be empty."
  }
}

variable "architecture" {
  description = "Instruction set of the image: x86_64 or arm64 (must match the docker build --platform)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "snap_start_functions" {
  description = "Functions with Lambda SnapStart on their published versions. migrate runs once per deploy, so a snapshot would only add caching cost."
  type        = list(string)
  default     = ["api", "worker", "sweep", "report"]

  validation {
    condition     = length(setsubtract(toset(var.snap_start_functions), toset(["api", "worker", "sweep", "report", "migrate"]))) == 0
    error_message = "snap_start_functions may name only api, worker, sweep, report and migrate."
  }
}

variable "alias_name" {
  description = "Name of the alias every caller invokes; it points at the latest published version."
  type        = string
  default     = "live"
}

variable "function_settings" {
  description = "Memory (MB), timeout (s) and reserved concurrency (-1 = unreserved) of each function."
  type = map(object({
    memory_size          = number
    timeout              = number
    reserved_concurrency = number
  }))

  validation {
    condition     = length(setsubtract(toset(["api", "worker", "sweep", "report", "migrate"]), toset(keys(var.function_settings)))) == 0
    error_message = "function_settings must have the keys api, worker, sweep, report and migrate."
  }

  validation {
    condition     = alltrue([for s in values(var.function_settings) : s.timeout >= 1 && s.timeout <= 900])
    error_message = "Every function timeout must be between 1 and 900 seconds."
  }

  validation {
    condition     = alltrue([for s in values(var.function_settings) : s.memory_size >= 128 && s.memory_size <= 10240])
    error_message = "Every memory_size must be between 128 and 10240 MB."
  }

  validation {
    condition     = alltrue([for s in values(var.function_settings) : s.reserved_concurrency >= -1])
    error_message = "reserved_concurrency must be -1 (unreserved) or a non-negative number."
  }
}

variable "role_arns" {
  description = "Execution role ARN per function."
  type        = map(string)
}

variable "log_group_names" {
  description = "Pre-created CloudWatch log group name per function."
  type        = map(string)
}

variable "log_format" {
  description = "Lambda log format: Text (application output as is) or JSON."
  type        = string
  default     = "Text"

  validation {
    condition     = contains(["Text", "JSON"], var.log_format)
    error_message = "log_format must be Text or JSON."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode (PassThrough or Active; Active needs X-Ray permissions on the roles)."
  type        = string
  default     = "PassThrough"
}

variable "vpc_id" {
  description = "VPC the functions run in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (with a NAT gateway or VPC endpoints for outbound HTTPS) for the function ENIs."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "At least one subnet is required."
  }
}

variable "secret_arn" {
  description = "ARN of the application secret (SECRETS_ARN)."
  type        = string
}

variable "queue_url" {
  description = "URL of the work queue (QUEUE_URL)."
  type        = string
}

variable "queue_arn" {
  description = "ARN of the work queue, the worker's event source."
  type        = string
}

variable "db_proxy_enabled" {
  description = "Whether the functions connect through an RDS Proxy (DB_PROXY=true: no client-side pool, no prepared statements)."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "LOG_LEVEL of the application."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "extra_environment_variables" {
  description = "Additional non-secret environment variables. Credentials belong in the secret, never here."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(toset(keys(var.extra_environment_variables)), toset([
      "DATABASE_URL", "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "GITHUB_APP_PRIVATE_KEY", "SLACK_BOT_TOKEN",
      "SLACK_SIGNING_SECRET", "NVIDIA_API_KEY", "API_KEY", "ARGOCD_WEBHOOK_TOKEN", "K8S_WEBHOOK_TOKEN",
    ]))) == 0
    error_message = "Secrets (DATABASE_URL, tokens, keys) must be stored in Secrets Manager, not in extra_environment_variables."
  }
}

variable "worker_enabled" {
  description = "Whether the SQS event source mapping of the worker is enabled."
  type        = bool
  default     = true
}

variable "worker_batch_size" {
  description = "Maximum messages per worker invocation."
  type        = number
  default     = 5

  validation {
    condition     = var.worker_batch_size >= 1 && var.worker_batch_size <= 10000
    error_message = "worker_batch_size must be between 1 and 10000."
  }
}

variable "worker_maximum_batching_window_in_seconds" {
  description = "How long the event source mapping gathers messages before invoking the worker."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_maximum_batching_window_in_seconds >= 0 && var.worker_maximum_batching_window_in_seconds <= 300
    error_message = "worker_maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

variable "worker_maximum_concurrency" {
  description = "Maximum concurrent worker invocations the SQS event source may start (2-1000). Caps database load without reserving account concurrency."
  type        = number
  default     = 2

  validation {
    condition     = var.worker_maximum_concurrency >= 2 && var.worker_maximum_concurrency <= 1000
    error_message = "worker_maximum_concurrency must be between 2 and 1000."
  }
}

variable "sweep_schedule_expression" {
  description = "EventBridge schedule of the sweep function."
  type        = string
  default     = "rate(5 minutes)"
}

variable "sweep_enabled" {
  description = "Whether the sweep schedule is enabled."
  type        = bool
  default     = true
}

variable "report_schedule_expression" {
  description = "EventBridge schedule of the weekly report function (UTC)."
  type        = string
  default     = "cron(0 8 ? * MON *)"
}

variable "report_enabled" {
  description = "Whether the weekly report schedule is enabled."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

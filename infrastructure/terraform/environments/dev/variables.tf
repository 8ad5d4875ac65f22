# Settings of the dev environment, passed to modules/stack. The validations
# shared by every environment are on the stack module's variables.

variable "aws_region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Project name; prefixes every resource name (<project>-dev-...)."
  type        = string
  default     = "codehealer"
}

variable "tags" {
  description = "Extra tags applied to every resource."
  type        = map(string)
  default     = {}
}

# --- network -----------------------------------------------------------------

variable "vpc_id" {
  description = "Existing VPC to deploy into."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two availability zones, with outbound HTTPS through a NAT gateway (GitHub, Slack, LLM API) or VPC endpoints."
  type        = list(string)
}

# --- image and functions -------------------------------------------------------

variable "image_tag" {
  description = "Tag of the image (built from Dockerfile.lambda and pushed to the ECR repository) to deploy, e.g. the git commit SHA."
  type        = string
}

variable "image_architecture" {
  description = "Architecture of the image: x86_64 (docker build --platform linux/amd64) or arm64 (linux/arm64)."
  type        = string
  default     = "x86_64"
}

variable "function_overrides" {
  description = "Per-function overrides of memory_size (MB), timeout (s) and reserved_concurrency (-1 = unreserved), keyed api, worker, sweep, report, migrate."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}
}

variable "log_level" {
  description = "LOG_LEVEL of the application."
  type        = string
  default     = "DEBUG"
}

variable "extra_environment_variables" {
  description = "Additional non-secret environment variables for every function."
  type        = map(string)
  default     = {}
}

variable "worker_batch_size" {
  description = "Messages per worker invocation."
  type        = number
  default     = 5
}

variable "worker_batching_window_seconds" {
  description = "Batching window of the worker event source mapping."
  type        = number
  default     = 0
}

variable "worker_maximum_concurrency" {
  description = "Maximum concurrent worker invocations started by the SQS event source (2-1000)."
  type        = number
  default     = 2
}

variable "use_function_url" {
  description = "Expose the api function through a Lambda function URL instead of an API Gateway HTTP API."
  type        = bool
  default     = false
}

# --- database ----------------------------------------------------------------

variable "db_engine_version" {
  description = "PostgreSQL version (16 or later)."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_allocated_storage" {
  description = "Initial database storage in GiB."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage" {
  description = "Database storage autoscaling ceiling in GiB."
  type        = number
  default     = 50
}

variable "db_deletion_protection" {
  description = "Deletion protection of the database (off in dev so the stack can be destroyed)."
  type        = bool
  default     = false
}

variable "enable_rds_proxy" {
  description = "Put an RDS Proxy between the functions and the database."
  type        = bool
  default     = false
}

variable "db_master_password_rotation_days" {
  description = "Rotation interval of the RDS-managed master password. If DATABASE_URL uses the master user, refresh it after every rotation (docs/guides/deploy-aws.md)."
  type        = number
  default     = 30
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
  default     = 14
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

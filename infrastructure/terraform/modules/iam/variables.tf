variable "name_prefix" {
  description = "Prefix for role and policy names (roles are <prefix>-api, <prefix>-worker, <prefix>-sweep, <prefix>-report, <prefix>-migrate)."
  type        = string
}

variable "log_group_arns" {
  description = "CloudWatch log group ARN of each function, keyed api, worker, sweep, report, migrate. Each role may only write to its own group."
  type        = map(string)

  validation {
    condition     = length(setsubtract(toset(["api", "worker", "sweep", "report", "migrate"]), toset(keys(var.log_group_arns)))) == 0
    error_message = "log_group_arns must have the keys api, worker, sweep, report and migrate."
  }
}

variable "secret_arn" {
  description = "ARN of the application secret the functions may read."
  type        = string
}

variable "secret_kms_key_arn" {
  description = "Customer managed KMS key encrypting the secret, or null for the AWS managed key."
  type        = string
  default     = null
}

variable "queue_arn" {
  description = "ARN of the work queue."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary attached to every role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

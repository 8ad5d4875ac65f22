variable "identifier" {
  description = "RDS instance identifier; also names the subnet group, security groups and proxy."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,58}[a-z0-9]$", var.identifier))
    error_message = "identifier must be lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two, in different availability zones) for the DB subnet group and the proxy."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs at least two subnets in different availability zones."
  }
}

variable "client_security_group_id" {
  description = "Security group of the Lambda functions; the only source allowed to reach port 5432."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version: a major version (\"16\", \"17\") or a full one (\"16.8\"). 16 or later."
  type        = string
  default     = "16"

  validation {
    condition     = can(tonumber(split(".", var.engine_version)[0])) && try(tonumber(split(".", var.engine_version)[0]) >= 16, false)
    error_message = "engine_version must be PostgreSQL 16 or later."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "db_name" {
  description = "Name of the application database."
  type        = string
  default     = "codehealer"
}

variable "master_username" {
  description = "Master user name; its password is managed by RDS in Secrets Manager."
  type        = string
  default     = "codehealer"
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for storage encryption (default: the aws/rds key)."
  type        = string
  default     = null
}

variable "multi_az" {
  description = "Run a synchronous standby in a second availability zone."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (must be switched off before destroy)."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (dev only)."
  type        = bool
  default     = false
}

variable "backup_retention_period" {
  description = "Days of automated backups."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 7 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be between 7 and 35 days."
  }
}

variable "backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "03:00-04:00"
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:04:30-sun:05:30"
}

variable "apply_immediately" {
  description = "Apply modifications immediately instead of in the maintenance window."
  type        = bool
  default     = false
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (not available on every instance class)."
  type        = bool
  default     = false
}

variable "log_min_duration_statement_ms" {
  description = "Log statements slower than this many milliseconds (-1 disables)."
  type        = number
  default     = 1000
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL log groups."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days > 0
    error_message = "log_retention_days must be positive (never-expiring logs are not allowed)."
  }
}

variable "master_password_rotation_days" {
  description = "Rotation interval of the RDS-managed master password, in days."
  type        = number
  default     = 7

  validation {
    condition     = var.master_password_rotation_days >= 1 && var.master_password_rotation_days <= 1000
    error_message = "master_password_rotation_days must be between 1 and 1000."
  }
}

variable "enable_proxy" {
  description = "Put an RDS Proxy in front of the instance (recommended when many Lambda instances connect)."
  type        = bool
  default     = false
}

variable "proxy_auth_secret_arns" {
  description = "Secrets ({\"username\", \"password\"}) of further database users allowed to log in through the proxy, e.g. a dedicated application role."
  type        = list(string)
  default     = []
}

variable "proxy_idle_client_timeout" {
  description = "Seconds an idle client connection to the proxy is kept."
  type        = number
  default     = 1800
}

variable "proxy_max_connections_percent" {
  description = "Share of max_connections the proxy may use."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

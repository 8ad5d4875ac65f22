variable "name" {
  description = "Name of the HTTP API (and of its access log group)."
  type        = string
}

variable "lambda_function_name" {
  description = "Name of the api Lambda function."
  type        = string
}

variable "lambda_alias_name" {
  description = "Alias of the api function that requests invoke (its published version, SnapStart's snapshot)."
  type        = string
}

variable "lambda_invoke_arn" {
  description = "Invoke ARN of that alias."
  type        = string
}

variable "use_function_url" {
  description = "Expose the api function through a Lambda function URL instead of an API Gateway HTTP API."
  type        = bool
  default     = false
}

variable "integration_timeout_milliseconds" {
  description = "HTTP API integration timeout (max 30000)."
  type        = number
  default     = 30000

  validation {
    condition     = var.integration_timeout_milliseconds >= 50 && var.integration_timeout_milliseconds <= 30000
    error_message = "integration_timeout_milliseconds must be between 50 and 30000."
  }
}

variable "throttling_burst_limit" {
  description = "Default route burst limit."
  type        = number
  default     = 100
}

variable "throttling_rate_limit" {
  description = "Default route steady-state requests per second."
  type        = number
  default     = 50
}

variable "log_retention_days" {
  description = "Retention of the access log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days > 0
    error_message = "log_retention_days must be positive (never-expiring logs are not allowed)."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

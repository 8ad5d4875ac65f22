variable "name_prefix" {
  description = "Prefix for the SNS topic name (<prefix>-alarms)."
  type        = string
}

variable "functions" {
  description = "Functions to create log groups and alarms for, keyed by role (api, worker, sweep, report, migrate)."
  type = map(object({
    function_name   = string
    timeout_seconds = number
  }))
}

variable "log_retention_days" {
  description = "Retention of the function log groups, in days."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...); 0 (never expire) is not allowed."
  }
}

variable "log_kms_key_arn" {
  description = "Optional KMS key for log group encryption."
  type        = string
  default     = null
}

variable "sns_kms_key_arn" {
  description = "Optional customer managed KMS key for the alarm topic. Its key policy must allow cloudwatch.amazonaws.com to use it (the AWS managed aws/sns key does not)."
  type        = string
  default     = null
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}

variable "queue_name" {
  description = "Name of the work queue."
  type        = string
}

variable "dlq_name" {
  description = "Name of the dead-letter queue."
  type        = string
}

variable "max_receive_count_hint" {
  description = "Receive count after which messages reach the DLQ (only used in the alarm description)."
  type        = number
  default     = 5
}

variable "alarm_period_seconds" {
  description = "Period of every alarm."
  type        = number
  default     = 300
}

variable "errors_threshold" {
  description = "An errors alarm fires when a function reports more errors than this in one period."
  type        = number
  default     = 0
}

variable "error_rate_threshold_percent" {
  description = "Error-rate alarm threshold for the api and worker functions, in percent."
  type        = number
  default     = 5
}

variable "duration_threshold_ratio" {
  description = "Duration alarm fires when the maximum duration exceeds this fraction of the function timeout."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_threshold_ratio > 0 && var.duration_threshold_ratio < 1
    error_message = "duration_threshold_ratio must be between 0 and 1 (exclusive)."
  }
}

variable "queue_age_threshold_seconds" {
  description = "Alarm when the oldest message in the work queue is older than this."
  type        = number
  default     = 900
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

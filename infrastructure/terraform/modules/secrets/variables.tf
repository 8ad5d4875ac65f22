variable "name" {
  description = "Name of the Secrets Manager secret (also used for the KMS alias)."
  type        = string
}

variable "description" {
  description = "Description of the secret."
  type        = string
  default     = "CodeHealer runtime configuration: JSON object keyed by environment variable name."
}

variable "create_kms_key" {
  description = "Create a customer managed KMS key (with rotation) for the secret instead of the AWS managed aws/secretsmanager key."
  type        = bool
  default     = false
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a scheduled KMS key deletion completes."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "recovery_window_in_days" {
  description = "Days Secrets Manager keeps a deleted secret recoverable. 0 deletes immediately (handy in dev, so the name can be reused after destroy)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

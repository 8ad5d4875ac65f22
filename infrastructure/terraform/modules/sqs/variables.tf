variable "name" {
  description = "Name of the work queue; the dead-letter queue is named <name>-dlq."
  type        = string
}

variable "worker_timeout_seconds" {
  description = "Timeout of the worker Lambda function. The visibility timeout is derived from it (>= 6x)."
  type        = number

  validation {
    condition     = var.worker_timeout_seconds >= 1 && var.worker_timeout_seconds <= 900
    error_message = "worker_timeout_seconds must be between 1 and 900 (the Lambda maximum)."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Batching window of the worker event source mapping, added to the visibility timeout."
  type        = number
  default     = 0
}

variable "min_visibility_timeout_seconds" {
  description = "Lower bound for the visibility timeout; the effective value is max(this, 6 x worker timeout + batching window)."
  type        = number
  default     = 0
}

variable "max_receive_count" {
  description = "Receives before a message is moved to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "message_retention_seconds" {
  description = "Retention of messages in the work queue (default 4 days)."
  type        = number
  default     = 345600
}

variable "dlq_message_retention_seconds" {
  description = "Retention of messages in the dead-letter queue (default 14 days, the maximum)."
  type        = number
  default     = 1209600
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait time."
  type        = number
  default     = 20
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

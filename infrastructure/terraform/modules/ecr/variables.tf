variable "repository_name" {
  description = "Name of the ECR repository holding the Lambda image."
  type        = string
}

variable "function_name_prefix" {
  description = "Prefix shared by the Lambda function names allowed to pull from this repository (<prefix>-api, <prefix>-worker, ...)."
  type        = string
}

variable "image_tag_mutability" {
  description = "MUTABLE or IMMUTABLE. Immutable tags make every deploy reference a unique image."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["MUTABLE", "IMMUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be MUTABLE or IMMUTABLE."
  }
}

variable "force_delete" {
  description = "Allow terraform destroy to delete the repository while it still holds images."
  type        = bool
  default     = false
}

variable "max_image_count" {
  description = "Number of most recent images to keep; older ones are expired by the lifecycle policy."
  type        = number
  default     = 30

  validation {
    condition     = var.max_image_count >= 1
    error_message = "max_image_count must be at least 1."
  }
}

variable "untagged_image_expiry_days" {
  description = "Days after which untagged images are expired."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_image_expiry_days >= 1
    error_message = "untagged_image_expiry_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for image encryption. Null uses AES256."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

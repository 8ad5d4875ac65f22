output "secret_arn" {
  description = "ARN of the application secret (passed to the functions as SECRETS_ARN)."
  value       = aws_secretsmanager_secret.this.arn
}

output "secret_name" {
  description = "Name of the application secret."
  value       = aws_secretsmanager_secret.this.name
}

output "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the secret, or null when the AWS managed key is used."
  value       = var.create_kms_key ? aws_kms_key.this[0].arn : null
}

# Application secret. Its value is a JSON object whose keys are the service's
# environment variable names (DATABASE_URL, GITHUB_WEBHOOK_SECRET, GITHUB_TOKEN or
# GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY (the GitHub App's PEM key),
# SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, NVIDIA_API_KEY, API_KEY,
# ARGOCD_WEBHOOK_TOKEN, K8S_WEBHOOK_TOKEN, ...). Terraform creates only the
# container: the value is written out of band with
# `aws secretsmanager put-secret-value`, so no secret material is ever stored in
# Terraform state.

resource "aws_kms_key" "this" {
  count = var.create_kms_key ? 1 : 0

  description             = "Encrypts the ${var.name} application secret"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.create_kms_key ? 1 : 0

  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_secretsmanager_secret" "this" {
  name                    = var.name
  description             = var.description
  kms_key_id              = var.create_kms_key ? aws_kms_key.this[0].arn : null
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

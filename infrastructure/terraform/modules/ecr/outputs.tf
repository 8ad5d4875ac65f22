output "repository_url" {
  description = "Repository URL, used as <repository_url>:<tag> for the Lambda image_uri and for docker push."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.this.arn
}

output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.this.name
}

output "scan_on_push" {
  description = "Whether images are scanned on push."
  value       = one(aws_ecr_repository.this.image_scanning_configuration[*].scan_on_push)
}

output "policy_documents" {
  description = "IAM-style policy JSON documents managed by this module (for policy assertions in tests)."
  value = {
    ecr_repository_policy = aws_ecr_repository_policy.this.policy
  }
}

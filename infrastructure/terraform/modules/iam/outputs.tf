output "role_arns" {
  description = "Execution role ARN per function (api, worker, sweep, report, migrate)."
  value       = { for fn, role in aws_iam_role.this : fn => role.arn }

  # Lambda validates the role's permissions (e.g. for VPC networking) when the
  # function is created, so hand out the ARNs only once the policies exist.
  depends_on = [aws_iam_role_policy.this]
}

output "role_names" {
  description = "Execution role name per function."
  value       = { for fn, role in aws_iam_role.this : fn => role.name }
}

output "policy_documents" {
  description = "Every IAM policy JSON of the module (inline policies and trust policies), keyed by a descriptive name."
  value = merge(
    { for fn, p in aws_iam_role_policy.this : "inline_${fn}" => p.policy },
    { for fn, r in aws_iam_role.this : "trust_${fn}" => r.assume_role_policy },
  )
}

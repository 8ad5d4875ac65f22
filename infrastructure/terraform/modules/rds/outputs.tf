output "instance_identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "address" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Application database name."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) holding the master credentials."
  value       = try(local.master_secret.secret_arn, null)
}

output "master_password_rotation_days" {
  description = "Rotation interval of the master password."
  value       = one(aws_secretsmanager_secret_rotation.master.rotation_rules[*].automatically_after_days)
}

output "proxy_endpoint" {
  description = "RDS Proxy endpoint, or an empty string when no proxy is deployed."
  value       = var.enable_proxy ? aws_db_proxy.this[0].endpoint : ""
}

output "connect_host" {
  description = "Host the application should connect to: the proxy when enabled, the instance otherwise."
  value       = var.enable_proxy ? aws_db_proxy.this[0].endpoint : aws_db_instance.this.address
}

output "security_group_id" {
  description = "Security group of the database instance."
  value       = aws_security_group.db.id
}

output "db_ingress_sources" {
  description = "Security groups allowed into the database, and any CIDR sources (expected: none)."
  value = {
    security_groups = tolist(concat(
      [aws_vpc_security_group_ingress_rule.db_from_lambda.referenced_security_group_id],
      aws_vpc_security_group_ingress_rule.db_from_proxy[*].referenced_security_group_id,
    ))
    cidr_ipv4 = compact(concat(
      [aws_vpc_security_group_ingress_rule.db_from_lambda.cidr_ipv4],
      aws_vpc_security_group_ingress_rule.db_from_proxy[*].cidr_ipv4,
    ))
    ports = tolist(distinct(concat(
      [aws_vpc_security_group_ingress_rule.db_from_lambda.from_port, aws_vpc_security_group_ingress_rule.db_from_lambda.to_port],
      flatten([for r in aws_vpc_security_group_ingress_rule.db_from_proxy : [r.from_port, r.to_port]]),
    )))
  }
}

output "settings" {
  description = "Security-relevant settings of the instance (asserted by terraform test)."
  value = {
    engine                  = aws_db_instance.this.engine
    engine_version          = aws_db_instance.this.engine_version
    publicly_accessible     = aws_db_instance.this.publicly_accessible
    storage_encrypted       = aws_db_instance.this.storage_encrypted
    backup_retention_period = aws_db_instance.this.backup_retention_period
    deletion_protection     = aws_db_instance.this.deletion_protection
    multi_az                = aws_db_instance.this.multi_az
    skip_final_snapshot     = aws_db_instance.this.skip_final_snapshot
    manage_master_password  = aws_db_instance.this.manage_master_user_password
    proxy_enabled           = var.enable_proxy
    proxy_require_tls       = one(aws_db_proxy.this[*].require_tls)
  }
}

output "log_group_retention_in_days" {
  description = "Retention of the exported database log groups."
  value       = { for k, lg in aws_cloudwatch_log_group.db : lg.name => lg.retention_in_days }
}

output "policy_documents" {
  description = "IAM policy JSON documents of the module (RDS Proxy role), keyed by name."
  value = var.enable_proxy ? {
    rds_proxy_inline = aws_iam_role_policy.proxy[0].policy
    rds_proxy_trust  = aws_iam_role.proxy[0].assume_role_policy
  } : {}
}

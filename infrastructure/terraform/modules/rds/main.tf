# PostgreSQL (16+) for CodeHealer. pgvector ships with RDS for PostgreSQL as
# the "vector" extension; the migrate function runs CREATE EXTENSION vector.
#
# The master password is generated and rotated by RDS in Secrets Manager
# (manage_master_user_password), so it never appears in Terraform state. The
# application's DATABASE_URL is stored in the application secret (see
# docs/guides/deploy-aws.md), never in plain environment variables.

locals {
  engine_major  = split(".", var.engine_version)[0]
  log_exports   = ["postgresql", "upgrade"]
  master_secret = one(aws_db_instance.this.master_user_secret[*])

  proxy_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "RdsProxyAssumeRole"
        Effect    = "Allow"
        Principal = { Service = "rds.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })

  proxy_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadLoginSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = concat([try(local.master_secret.secret_arn, null)], var.proxy_auth_secret_arns)
      },
      {
        Sid      = "DecryptMasterSecret"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [try(local.master_secret.kms_key_id, null)]
        Condition = {
          StringEquals = {
            "kms:ViaService" = "secretsmanager.${data.aws_region.current.name}.amazonaws.com"
          }
        }
      },
    ]
  })
}

data "aws_region" "current" {}

resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Private subnets of the ${var.identifier} database"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "db" {
  name        = "${var.identifier}-db"
  description = "PostgreSQL of ${var.identifier}: 5432 from the Lambda functions only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.identifier}-db" })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_lambda" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.client_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_db" {
  security_group_id            = var.client_security_group_id
  description                  = "PostgreSQL to ${var.identifier}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.identifier}-pg${local.engine_major}-"
  family      = "postgres${local.engine_major}"
  description = "Parameters of ${var.identifier}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.log_min_duration_statement_ms)
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Created up front so that exported database logs expire.
resource "aws_cloudwatch_log_group" "db" {
  for_each = toset(local.log_exports)

  name              = "/aws/rds/instance/${var.identifier}/${each.value}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_db_instance" "this" {
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name                     = var.db_name
  username                    = var.master_username
  manage_master_user_password = true
  port                        = 5432

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.identifier}-final"
  delete_automated_backups  = var.skip_final_snapshot

  auto_minor_version_upgrade   = true
  allow_major_version_upgrade  = false
  apply_immediately            = var.apply_immediately
  performance_insights_enabled = var.performance_insights_enabled

  enabled_cloudwatch_logs_exports = local.log_exports

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.db]
}

# RDS rotates the managed master password (every 7 days unless changed here).
# Anything that copies the password elsewhere, such as DATABASE_URL in the
# application secret, must be refreshed after a rotation; see the deploy guide.
resource "aws_secretsmanager_secret_rotation" "master" {
  secret_id          = try(local.master_secret.secret_arn, null)
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = var.master_password_rotation_days
  }
}

# ---------------------------------------------------------------------------
# Optional RDS Proxy: pools connections from many concurrent Lambda instances.
# ---------------------------------------------------------------------------

resource "aws_security_group" "proxy" {
  count = var.enable_proxy ? 1 : 0

  name        = "${var.identifier}-proxy"
  description = "RDS Proxy of ${var.identifier}: 5432 from the Lambda functions only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.identifier}-proxy" })
}

resource "aws_vpc_security_group_ingress_rule" "proxy_from_lambda" {
  count = var.enable_proxy ? 1 : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "PostgreSQL from the Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.client_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_db" {
  count = var.enable_proxy ? 1 : 0

  security_group_id            = aws_security_group.proxy[0].id
  description                  = "PostgreSQL to the database"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_ingress_rule" "db_from_proxy" {
  count = var.enable_proxy ? 1 : 0

  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.proxy[0].id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_proxy" {
  count = var.enable_proxy ? 1 : 0

  security_group_id            = var.client_security_group_id
  description                  = "PostgreSQL to the RDS Proxy of ${var.identifier}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.proxy[0].id
}

resource "aws_iam_role" "proxy" {
  count = var.enable_proxy ? 1 : 0

  name               = "${var.identifier}-rds-proxy"
  assume_role_policy = local.proxy_assume_role_policy

  tags = var.tags
}

resource "aws_iam_role_policy" "proxy" {
  count = var.enable_proxy ? 1 : 0

  name   = "${var.identifier}-rds-proxy"
  role   = aws_iam_role.proxy[0].id
  policy = local.proxy_policy
}

resource "aws_db_proxy" "this" {
  count = var.enable_proxy ? 1 : 0

  name                   = var.identifier
  engine_family          = "POSTGRESQL"
  role_arn               = aws_iam_role.proxy[0].arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [aws_security_group.proxy[0].id]
  require_tls            = true
  idle_client_timeout    = var.proxy_idle_client_timeout

  auth {
    auth_scheme = "SECRETS"
    iam_auth    = "DISABLED"
    secret_arn  = try(local.master_secret.secret_arn, null)
    description = "RDS-managed master credentials"
  }

  # Further database users (e.g. a dedicated application role), each with a
  # secret of the form {"username": "...", "password": "..."}.
  dynamic "auth" {
    for_each = var.proxy_auth_secret_arns

    content {
      auth_scheme = "SECRETS"
      iam_auth    = "DISABLED"
      secret_arn  = auth.value
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.proxy]
}

resource "aws_db_proxy_default_target_group" "this" {
  count = var.enable_proxy ? 1 : 0

  db_proxy_name = aws_db_proxy.this[0].name

  connection_pool_config {
    max_connections_percent      = var.proxy_max_connections_percent
    max_idle_connections_percent = 50
    connection_borrow_timeout    = 120
  }
}

resource "aws_db_proxy_target" "this" {
  count = var.enable_proxy ? 1 : 0

  db_proxy_name          = aws_db_proxy.this[0].name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = aws_db_instance.this.identifier
}

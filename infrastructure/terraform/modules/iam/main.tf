# One execution role per Lambda function, each with a single least-privilege
# inline policy. Policies are built with jsonencode (not data sources) so that
# their content is reviewable in plans and assertable in terraform test.
#
# No statement uses a wildcard action. The only wildcard resource is the EC2
# network-interface statement, which AWS requires for VPC-attached functions
# (these EC2 actions do not support resource-level permissions).

locals {
  functions = toset(["api", "worker", "sweep", "report", "migrate"])

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "LambdaAssumeRole"
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })

  vpc_statement = {
    Sid    = "VpcNetworkInterfaces"
    Effect = "Allow"
    Action = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:UnassignPrivateIpAddresses",
    ]
    Resource = "*"
  }

  secret_statements = concat(
    [
      {
        Sid      = "ReadAppSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.secret_arn]
      },
    ],
    var.secret_kms_key_arn == null ? [] : [
      {
        Sid      = "DecryptAppSecret"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.secret_kms_key_arn]
        Condition = {
          StringEquals = {
            "kms:ViaService" = "secretsmanager.${data.aws_region.current.name}.amazonaws.com"
          }
        }
      },
    ],
  )

  sqs_send_statement = {
    Sid      = "EnqueueJobs"
    Effect   = "Allow"
    Action   = ["sqs:SendMessage"]
    Resource = [var.queue_arn]
  }

  sqs_consume_statement = {
    Sid    = "ConsumeJobs"
    Effect = "Allow"
    Action = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    Resource = [var.queue_arn]
  }

  # Function-specific statements on top of logs + secret + VPC.
  #   api     enqueues webhook deliveries
  #   worker  is fed by the SQS event source mapping
  #   sweep   re-enqueues stalled jobs on its schedule
  #   report  reads the database and posts to Slack (HTTPS), no queue
  #   migrate only talks to the database
  extra_statements = {
    api     = [local.sqs_send_statement]
    worker  = [local.sqs_consume_statement]
    sweep   = [local.sqs_send_statement]
    report  = []
    migrate = []
  }

  policies = {
    for fn in local.functions : fn => jsonencode({
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid    = "WriteOwnLogs"
            Effect = "Allow"
            Action = [
              "logs:CreateLogStream",
              "logs:PutLogEvents",
            ]
            Resource = ["${var.log_group_arns[fn]}:*"]
          },
          local.vpc_statement,
        ],
        local.secret_statements,
        local.extra_statements[fn],
      )
    })
  }
}

data "aws_region" "current" {}

resource "aws_iam_role" "this" {
  for_each = local.functions

  name                 = "${var.name_prefix}-${each.key}"
  description          = "Execution role of the ${var.name_prefix}-${each.key} Lambda function"
  assume_role_policy   = local.assume_role_policy
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = local.functions

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.this[each.key].id
  policy = local.policies[each.key]
}

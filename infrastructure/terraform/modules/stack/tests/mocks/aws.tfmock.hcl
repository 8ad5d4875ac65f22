# Mock values of the AWS provider for the offline `terraform test` suites of
# modules/stack and of every environment, loaded with
#
#   mock_provider "aws" {
#     source = "<path to this directory>"
#   }
#
# Every AWS call is mocked, so `terraform test` needs no credentials and
# creates nothing.
#
mock_data "aws_region" {
  defaults = {
    name = "us-east-1"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}

# Computed attributes that flow into arguments the provider validates (ARNs,
# IDs, names) get well-formed values; by default the mock provider would
# generate random 8-character strings. Defaults apply to every instance of
# a resource type, so e.g. all log groups share one mock ARN.
mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:us-east-1:123456789012:codehealer-stack-alarms"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    id  = "https://sqs.us-east-1.amazonaws.com/123456789012/codehealer-stack-jobs"
    arn = "arn:aws:sqs:us-east-1:123456789012:codehealer-stack-jobs"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/codehealer-stack-jobs"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/codehealer-stack"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    id  = "codehealer-stack-role"
    arn = "arn:aws:iam::123456789012:role/codehealer-stack"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:codehealer/stack/app-AbCdEf"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    key_id = "11111111-1111-1111-1111-111111111111"
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:us-east-1:123456789012:repository/codehealer-stack"
    repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/codehealer-stack"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:codehealer-stack"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:codehealer-stack/invocations"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:codehealer-stack:live"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:codehealer-stack:live/invocations"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:us-east-1:123456789012:rule/codehealer-stack-sweep"
  }
}

mock_resource "aws_apigatewayv2_api" {
  defaults = {
    id            = "abcdef1234"
    execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
    api_endpoint  = "https://abcdef1234.execute-api.us-east-1.amazonaws.com"
  }
}

mock_resource "aws_apigatewayv2_integration" {
  defaults = {
    id = "a1b2c3d"
  }
}

mock_resource "aws_apigatewayv2_stage" {
  defaults = {
    invoke_url = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/"
  }
}

mock_resource "aws_lambda_function_url" {
  defaults = {
    function_url = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/"
  }
}

mock_resource "aws_db_parameter_group" {
  defaults = {
    name = "codehealer-stack-pg16-20250101000000000000000001"
  }
}

mock_resource "aws_db_proxy_default_target_group" {
  defaults = {
    name = "default"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    address = "codehealer-stack.abcdefghijkl.us-east-1.rds.amazonaws.com"
    master_user_secret = [
      {
        secret_arn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0000-abcdef"
        kms_key_id    = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        secret_status = "active"
      },
    ]
  }
}

mock_resource "aws_db_proxy" {
  defaults = {
    endpoint = "codehealer-stack.proxy-abcdefghijkl.us-east-1.rds.amazonaws.com"
  }
}

# Public HTTPS entry point of the api function: an HTTP API (default) or, with
# use_function_url = true, a Lambda function URL. Either way requests reach the
# function as payload format 2.0 events, which Mangum understands. Callers are
# authenticated by the application (webhook signatures, Slack signing secret,
# API key), so the endpoint itself is public. Requests invoke the function's alias (the
# published version, restored from its SnapStart snapshot), never $LATEST.

locals {
  create_http_api = !var.use_function_url
}

resource "aws_cloudwatch_log_group" "access" {
  count = local.create_http_api ? 1 : 0

  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_apigatewayv2_api" "this" {
  count = local.create_http_api ? 1 : 0

  name          = var.name
  description   = "CodeHealer webhooks and API"
  protocol_type = "HTTP"

  tags = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  count = local.create_http_api ? 1 : 0

  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.lambda_invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = var.integration_timeout_milliseconds
}

resource "aws_apigatewayv2_route" "proxy" {
  count = local.create_http_api ? 1 : 0

  api_id    = aws_apigatewayv2_api.this[0].id
  route_key = "ANY /{proxy+}"
  target    = "integrations/${aws_apigatewayv2_integration.lambda[0].id}"
}

resource "aws_apigatewayv2_stage" "default" {
  count = local.create_http_api ? 1 : 0

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      path               = "$context.path"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      userAgent          = "$context.identity.userAgent"
    })
  }

  tags = var.tags
}

resource "aws_lambda_permission" "api_gateway" {
  count = local.create_http_api ? 1 : 0

  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  qualifier     = var.lambda_alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/*"
}

resource "aws_lambda_function_url" "this" {
  count = var.use_function_url ? 1 : 0

  function_name      = var.lambda_function_name
  qualifier          = var.lambda_alias_name
  authorization_type = "NONE"
}

resource "aws_lambda_permission" "function_url" {
  count = var.use_function_url ? 1 : 0

  statement_id           = "AllowPublicFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = var.lambda_function_name
  qualifier              = var.lambda_alias_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

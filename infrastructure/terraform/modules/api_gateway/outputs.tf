output "api_url" {
  description = "Base URL of the service, without a trailing slash (GitHub webhook: <api_url>/webhooks/github, Slack: <api_url>/slack/interactions)."
  value = trimsuffix(
    var.use_function_url ? aws_lambda_function_url.this[0].function_url : aws_apigatewayv2_stage.default[0].invoke_url,
    "/",
  )
}

output "api_id" {
  description = "ID of the HTTP API, or null when a function URL is used."
  value       = one(aws_apigatewayv2_api.this[*].id)
}

output "route_keys" {
  description = "Route keys of the HTTP API (empty with a function URL)."
  value       = aws_apigatewayv2_route.proxy[*].route_key
}

output "payload_format_version" {
  description = "Payload format version of the Lambda integration, or null with a function URL."
  value       = one(aws_apigatewayv2_integration.lambda[*].payload_format_version)
}

output "access_log_group" {
  description = "Access log group name and retention, or null with a function URL."
  value = one([for lg in aws_cloudwatch_log_group.access : {
    name              = lg.name
    retention_in_days = lg.retention_in_days
  }])
}

output "function_url_enabled" {
  description = "Whether a function URL was created."
  value       = length(aws_lambda_function_url.this) == 1
}

output "integration_uri" {
  description = "What the HTTP API's Lambda integration invokes, or null with a function URL."
  value       = one(aws_apigatewayv2_integration.lambda[*].integration_uri)
}

output "invoke_permission_qualifiers" {
  description = "Alias named by each permission to invoke the api function (HTTP API or function URL)."
  value = concat(
    aws_lambda_permission.api_gateway[*].qualifier,
    aws_lambda_permission.function_url[*].qualifier,
    aws_lambda_function_url.this[*].qualifier,
  )
}

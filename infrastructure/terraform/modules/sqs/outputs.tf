output "queue_url" {
  description = "URL of the work queue (QUEUE_URL)."
  value       = aws_sqs_queue.main.url
}

output "queue_arn" {
  description = "ARN of the work queue."
  value       = aws_sqs_queue.main.arn
}

output "queue_name" {
  description = "Name of the work queue."
  value       = aws_sqs_queue.main.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "visibility_timeout_seconds" {
  description = "Visibility timeout of the work queue."
  value       = aws_sqs_queue.main.visibility_timeout_seconds
}

output "redrive_policy" {
  description = "Redrive policy JSON of the work queue."
  value       = aws_sqs_queue.main.redrive_policy
}

output "sse_enabled" {
  description = "Server-side encryption state of the work queue and the DLQ."
  value = {
    queue = aws_sqs_queue.main.sqs_managed_sse_enabled
    dlq   = aws_sqs_queue.dlq.sqs_managed_sse_enabled
  }
}

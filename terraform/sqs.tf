# Mirrors QUEUE_DEFAULTS in src/local-aws/manifest.ts. Every queue uses SQS-managed SSE, as the
# local bootstrap does, so senders and receivers need no KMS permissions.

resource "aws_sqs_queue" "dlq" {
  name                      = local.names.dlq
  message_retention_seconds = 1209600 # 14 days
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "jobs" {
  name                       = local.names.queue
  visibility_timeout_seconds = 60
  receive_wait_time_seconds  = 20
  message_retention_seconds  = 345600 # 4 days
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}

# The bulk lane: a tenant's jobs beyond its burst budget (docs/WORKER.md "Lanes"). Same shape and
# DLQ as the jobs queue.
resource "aws_sqs_queue" "bulk" {
  name                       = local.names.bulk_queue
  visibility_timeout_seconds = 60
  receive_wait_time_seconds  = 20
  message_retention_seconds  = 345600 # 4 days
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}

# Only the two lanes' queues may dead-letter into the DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn, aws_sqs_queue.bulk.arn]
  })
}

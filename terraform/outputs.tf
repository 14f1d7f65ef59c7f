output "env" {
  description = "Environment variables for every scanq process (names as in src/config/schema.ts)."
  value = {
    AWS_REGION              = var.region
    SCANQ_PREFIX            = var.prefix
    SCANQ_TABLE             = aws_dynamodb_table.data.name
    SCANQ_QUEUE_URL         = aws_sqs_queue.jobs.url
    SCANQ_DLQ_URL           = aws_sqs_queue.dlq.url
    SCANQ_RESULTS_BUCKET    = aws_s3_bucket.this["results"].bucket
    SCANQ_UPLOADS_BUCKET    = aws_s3_bucket.this["uploads"].bucket
    SCANQ_QUARANTINE_BUCKET = aws_s3_bucket.this["quarantine"].bucket
    SCANQ_TOPIC_ARN         = aws_sns_topic.events.arn
    SCANQ_KMS_KEY_ID        = aws_kms_key.this.arn
    SCANQ_SECRETS_PREFIX    = local.names.secrets_prefix
  }
}

output "role_arns" {
  description = "Role of each process: give it to the task, pod or instance that runs the process."
  value = {
    api       = aws_iam_role.process["api"].arn
    worker    = aws_iam_role.process["worker"].arn
    scheduler = aws_iam_role.process["scheduler"].arn
    sweeper   = aws_iam_role.process["sweeper"].arn
  }
}

output "policy_arns" {
  description = "Managed policy of each process; attach `producer` to a service that embeds the producer library."
  value = {
    producer  = aws_iam_policy.process["producer"].arn
    api       = aws_iam_policy.process["api"].arn
    worker    = aws_iam_policy.process["worker"].arn
    scheduler = aws_iam_policy.process["scheduler"].arn
    sweeper   = aws_iam_policy.process["sweeper"].arn
  }
}

output "kms_key_alias" {
  description = "Alias of the customer managed key."
  value       = aws_kms_alias.this.name
}

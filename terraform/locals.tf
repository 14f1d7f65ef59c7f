locals {
  # Every name mirrors resourceNames() and TABLE in src/local-aws/manifest.ts;
  # test/unit/terraform.test.ts fails when the two disagree.
  names = {
    table          = "${var.prefix}-data"
    queue          = "${var.prefix}-jobs"
    dlq            = "${var.prefix}-jobs-dlq"
    bulk_queue     = "${var.prefix}-bulk"
    topic          = "${var.prefix}-events"
    kms_alias      = "alias/${var.prefix}"
    secrets_prefix = var.prefix
  }

  # Bucket names must be globally unique, hence the optional suffix.
  buckets = {
    results    = "${var.prefix}-results${var.bucket_suffix}"
    uploads    = "${var.prefix}-uploads${var.bucket_suffix}"
    quarantine = "${var.prefix}-quarantine${var.bucket_suffix}"
  }

  # Server access logs of those buckets and the API load balancer's access logs (access_logs.tf).
  # Not in the manifest: the local endpoint keeps no access logs.
  log_bucket = "${var.prefix}-logs${var.bucket_suffix}"

  # Global secondary indexes of the table (TABLE.indexes), referenced by the table and by IAM.
  index = {
    open = "by-open"
    due  = "by-due"
  }

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Secrets are named {prefix}/{tenant}/account/{accountId}; AWS appends a random suffix to the ARN.
  secrets_arn_pattern = "arn:${local.partition}:secretsmanager:${var.region}:${local.account_id}:secret:${local.names.secrets_prefix}/*"

  # Environment of every scanq process (names as in ENV_SCHEMA, src/config/schema.ts): the
  # `env` output, and the base of every ECS task definition's environment (modules/ecs).
  env = {
    AWS_REGION              = var.region
    SCANQ_PREFIX            = var.prefix
    SCANQ_TABLE             = aws_dynamodb_table.data.name
    SCANQ_QUEUE_URL         = aws_sqs_queue.jobs.url
    SCANQ_DLQ_URL           = aws_sqs_queue.dlq.url
    SCANQ_BULK_QUEUE_URL    = aws_sqs_queue.bulk.url
    SCANQ_RESULTS_BUCKET    = aws_s3_bucket.this["results"].bucket
    SCANQ_UPLOADS_BUCKET    = aws_s3_bucket.this["uploads"].bucket
    SCANQ_QUARANTINE_BUCKET = aws_s3_bucket.this["quarantine"].bucket
    SCANQ_TOPIC_ARN         = aws_sns_topic.events.arn
    SCANQ_KMS_KEY_ID        = aws_kms_key.this.arn
    SCANQ_SECRETS_PREFIX    = local.names.secrets_prefix
    SCANQ_TENANT_ROLE_ARN   = aws_iam_role.tenant_session.arn
  }
}

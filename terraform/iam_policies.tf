# Least-privilege policy documents. No Allow statement names "*" as an action or a resource
# (test/unit/terraform.test.ts checks). KMS use is always tied to the service that asks for it
# (kms:ViaService), and for secrets to the secret's ARN (encryption context).

# --- shared pieces -------------------------------------------------------------------------------

# Send jobs to either lane; look queues up by name when SCANQ_QUEUE_URL / SCANQ_DLQ_URL /
# SCANQ_BULK_QUEUE_URL are not set.
data "aws_iam_policy_document" "enqueue" {
  statement {
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.bulk.arn]
  }

  statement {
    sid       = "LookUpQueues"
    actions   = ["sqs:GetQueueUrl"]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.dlq.arn, aws_sqs_queue.bulk.arn]
  }
}

# Publish to the events topic, which is encrypted with the CMK.
data "aws_iam_policy_document" "publish_events" {
  statement {
    sid       = "PublishEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
  }

  statement {
    sid       = "EventKeyViaSns"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.sns]
    }
  }
}

# Read tenant account secrets: the worker (sessions off) and the tenant-session role (sessions on).
# IAM cannot see which tenant a job belongs to: it only requires that a secret carries a tenant
# tag; the worker compares that tag (DescribeSecret) with the job's tenant and refuses a mismatch.
data "aws_iam_policy_document" "read_tenant_secrets" {
  statement {
    sid       = "DescribeTenantSecrets"
    actions   = ["secretsmanager:DescribeSecret"]
    resources = [local.secrets_arn_pattern]
  }

  statement {
    sid       = "ReadTenantSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.secrets_arn_pattern]

    condition {
      test     = "Null"
      variable = "secretsmanager:ResourceTag/${var.tenant_tag_key}"
      values   = ["false"]
    }
  }

  statement {
    sid       = "SecretKeyViaSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.secretsmanager]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:SecretARN"
      values   = [local.secrets_arn_pattern]
    }
  }
}

# --- producer: the conditional insert and the send; for services embedding the library --------

data "aws_iam_policy_document" "producer" {
  source_policy_documents = [data.aws_iam_policy_document.enqueue.json]

  # Job items of a tenant (listing them is a Query on the table). The cross-tenant indexes are not granted.
  statement {
    sid       = "TenantItems"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    resources = [local.table_arn]
  }
}

# --- api: producer, uploads/results, onboarding of tenant credentials -------------------------

data "aws_iam_policy_document" "api" {
  source_policy_documents = [data.aws_iam_policy_document.producer.json]

  # Presigned downloads of results and uploaded files, and quarantine reasons.
  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = [local.objects_in.results, local.objects_in.uploads, local.objects_in.quarantine]
  }

  # Listing a tenant's files; without it S3 answers 403 instead of 404 for a missing key.
  statement {
    sid     = "ListObjects"
    actions = ["s3:ListBucket"]
    resources = [
      aws_s3_bucket.this["results"].arn,
      aws_s3_bucket.this["uploads"].arn,
      aws_s3_bucket.this["quarantine"].arn,
    ]
  }

  # Presigned uploads of tenant import files.
  statement {
    sid       = "WriteUploads"
    actions   = ["s3:PutObject"]
    resources = [local.objects_in.uploads]
  }

  statement {
    sid       = "ObjectKeyViaS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.s3]
    }
  }

  # A credential secret is only created with its tenant tag (CreateSecret with Tags also
  # authorizes secretsmanager:TagResource).
  statement {
    sid       = "CreateTenantSecrets"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
    resources = [local.secrets_arn_pattern]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/${var.tenant_tag_key}"
      values   = ["false"]
    }
  }

  # Metadata only. Unconditioned, so that a missing secret reads as ResourceNotFoundException:
  # on a secret that does not exist a tag condition would turn that into AccessDenied.
  statement {
    sid       = "DescribeTenantSecrets"
    actions   = ["secretsmanager:DescribeSecret"]
    resources = [local.secrets_arn_pattern]
  }

  statement {
    sid       = "UpdateTenantSecrets"
    actions   = ["secretsmanager:PutSecretValue"]
    resources = [local.secrets_arn_pattern]

    condition {
      test     = "Null"
      variable = "secretsmanager:ResourceTag/${var.tenant_tag_key}"
      values   = ["false"]
    }
  }

  # Secrets Manager encrypts with the CMK on the caller's behalf: GenerateDataKey to store,
  # Decrypt to validate; only for secrets under the prefix.
  statement {
    sid       = "SecretKeyViaSecretsManager"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.secretsmanager]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:SecretARN"
      values   = [local.secrets_arn_pattern]
    }
  }

  # Validating role credentials (role + external id) of a tenant account.
  dynamic "statement" {
    for_each = length(var.tenant_role_arns) > 0 ? [var.tenant_role_arns] : []

    content {
      sid       = "AssumeTenantRoles"
      actions   = ["sts:AssumeRole"]
      resources = statement.value
    }
  }
}

# --- worker: claim, run, record, notify -----------------------------------------------------

data "aws_iam_policy_document" "worker" {
  source_policy_documents = [
    data.aws_iam_policy_document.enqueue.json,
    data.aws_iam_policy_document.publish_events.json,
    data.aws_iam_policy_document.assume_tenant_sessions.json,
    data.aws_iam_policy_document.read_tenant_secrets.json,
  ]

  # Claims, leases, outcomes, executions, assets and risks (batched), and the cascade's inserts.
  statement {
    sid = "TenantItems"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Query",
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [local.table_arn]
  }

  # Receive, heartbeat (visibility), acknowledge (batches included), from both lanes. Re-enqueue is EnqueueJobs.
  statement {
    sid       = "ConsumeJobs"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.bulk.arn]
  }

  # A message that cannot be parsed is parked in the DLQ at once, with the reason.
  statement {
    sid       = "ParkRejectedMessages"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  # Queue and DLQ depth for the metrics.
  statement {
    sid       = "QueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.dlq.arn, aws_sqs_queue.bulk.arn]
  }

  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject"]
    resources = [local.objects_in.results]
  }

  # import: read the tenant's file; moving it to quarantine deletes the original.
  statement {
    sid       = "TakeUploads"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = [local.objects_in.uploads]
  }

  # Without it S3 answers 403 instead of 404 for a missing upload.
  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["uploads"].arn]
  }

  statement {
    sid       = "Quarantine"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.objects_in.quarantine]
  }

  statement {
    sid       = "ObjectKeyViaS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.s3]
    }
  }


  # aws-posture with role + external id credentials.
  dynamic "statement" {
    for_each = length(var.tenant_role_arns) > 0 ? [var.tenant_role_arns] : []

    content {
      sid       = "AssumeTenantRoles"
      actions   = ["sts:AssumeRole"]
      resources = statement.value
    }
  }
}

# --- scheduler: due schedules, claimed by a conditional update, enqueued through the producer ---

data "aws_iam_policy_document" "scheduler" {
  source_policy_documents = [data.aws_iam_policy_document.enqueue.json]

  statement {
    sid       = "ScheduleItems"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    resources = [local.table_arn]
  }

  statement {
    sid       = "DueSchedules"
    actions   = ["dynamodb:Query"]
    resources = [local.index_arn.due]
  }
}

# --- sweeper: lost enqueues, expired leases, overdue async jobs --------------------------------

data "aws_iam_policy_document" "sweeper" {
  source_policy_documents = [
    data.aws_iam_policy_document.enqueue.json,
    data.aws_iam_policy_document.publish_events.json,
  ]

  statement {
    sid       = "JobItems"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [local.table_arn]
  }

  statement {
    sid       = "StaleJobs"
    actions   = ["dynamodb:Query"]
    resources = [local.index_arn.open]
  }

  # Queue and DLQ depth by state: the sweeper alone samples them for the metrics
  # (scanq_queue_messages), one GetQueueAttributes per queue and sweep.
  statement {
    sid       = "QueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.jobs.arn, aws_sqs_queue.dlq.arn, aws_sqs_queue.bulk.arn]
  }
}

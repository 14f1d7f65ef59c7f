# The log bucket: S3 server access logs of the data buckets and the API load balancer's access
# logs. Versioned, private, TLS only, expired after `retention_days`. Encrypted with SSE-S3, the
# one bucket without the CMK: S3 server access logging cannot deliver to a bucket whose default
# encryption is SSE-KMS, and load balancer access logs require SSE-S3 too.
#
# A module of its own (rather than a fourth bucket in the root module) because the root module
# declares exactly the buckets of src/local-aws/manifest.ts, and its bucket policy grants AWS
# service principals, which no policy of the root module does (test/unit/terraform.test.ts).

data "aws_caller_identity" "current" {}

# Regions launched before August 2022 deliver load balancer logs as a regional ELB account; the
# provider knows those accounts and fails for a region it does not (where the service principal
# below is the only one needed).
data "aws_elb_service_account" "current" {
  count = var.allow_load_balancer_logs ? 1 : 0
}

locals {
  account_id = data.aws_caller_identity.current.account_id

  prefix = {
    s3  = "s3/"
    alb = "alb"
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:This is the access log target; logging it into itself would log its own log writes without end.
  #checkov:skip=CKV_AWS_145:S3 server access logging and ALB access logs can only write to a bucket with SSE-S3 default encryption.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # S3 server access logging delivers as the logging service, on behalf of this account's buckets.
  statement {
    sid       = "S3ServerAccessLogs"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/${local.prefix.s3}*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = var.source_bucket_arns
    }
  }

  dynamic "statement" {
    for_each = var.allow_load_balancer_logs ? [1] : []

    content {
      sid       = "LoadBalancerAccessLogs"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this.arn}/${local.prefix.alb}/AWSLogs/${local.account_id}/*"]

      principals {
        type        = "Service"
        identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
      }

      principals {
        type        = "AWS"
        identifiers = [data.aws_elb_service_account.current[0].arn]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # S3 rejects a bucket policy while it evaluates a changing public access block.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

locals {
  # Every name mirrors resourceNames() and TABLE in src/local-aws/manifest.ts;
  # test/unit/terraform.test.ts fails when the two disagree.
  names = {
    table          = "${var.prefix}-data"
    queue          = "${var.prefix}-jobs"
    dlq            = "${var.prefix}-jobs-dlq"
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

  # Global secondary indexes of the table (TABLE.indexes), referenced by the table and by IAM.
  index = {
    status = "by-status"
    sweep  = "by-sweep"
    due    = "by-due"
  }

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Secrets are named {prefix}/{tenant}/account/{accountId}; AWS appends a random suffix to the ARN.
  secrets_arn_pattern = "arn:${local.partition}:secretsmanager:${var.region}:${local.account_id}:secret:${local.names.secrets_prefix}/*"
}

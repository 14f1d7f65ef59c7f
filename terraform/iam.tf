# One role per process (api, worker, scheduler, sweeper), each with its own customer managed
# policy, plus a `producer` policy for services that embed the producer library in their own role.
# The policy documents are in iam_policies.tf.

locals {
  table_arn = aws_dynamodb_table.data.arn

  index_arn = {
    open = "${aws_dynamodb_table.data.arn}/index/${local.index.open}"
    due  = "${aws_dynamodb_table.data.arn}/index/${local.index.due}"
  }

  objects_in = {
    results    = "${aws_s3_bucket.this["results"].arn}/*"
    uploads    = "${aws_s3_bucket.this["uploads"].arn}/*"
    quarantine = "${aws_s3_bucket.this["quarantine"].arn}/*"
  }

  via_service = {
    s3             = "s3.${var.region}.amazonaws.com"
    secretsmanager = "secretsmanager.${var.region}.amazonaws.com"
    sns            = "sns.${var.region}.amazonaws.com"
  }

  policies = {
    producer  = data.aws_iam_policy_document.producer.json
    api       = data.aws_iam_policy_document.api.json
    worker    = data.aws_iam_policy_document.worker.json
    scheduler = data.aws_iam_policy_document.scheduler.json
    sweeper   = data.aws_iam_policy_document.sweeper.json
  }

  processes = toset(["api", "worker", "scheduler", "sweeper"])
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "ProcessRuntime"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.assume_role_services
    }
  }

  dynamic "statement" {
    for_each = length(var.assume_role_arns) > 0 ? [var.assume_role_arns] : []

    content {
      sid     = "TrustedPrincipals"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }
}

resource "aws_iam_policy" "process" {
  for_each = local.policies

  name        = "${var.prefix}-${each.key}"
  description = "scanq ${each.key}: least-privilege access to the ${var.prefix} resources"
  policy      = each.value
}

resource "aws_iam_role" "process" {
  for_each = local.processes

  name               = "${var.prefix}-${each.key}"
  description        = "scanq ${each.key} process"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

resource "aws_iam_role_policy_attachment" "process" {
  for_each = local.processes

  role       = aws_iam_role.process[each.key].name
  policy_arn = aws_iam_policy.process[each.key].arn
}

# One log group per process, /ecs/{prefix}/{process}, encrypted with a key of their own: the
# CMK of the root module stays reserved to the roles of the processes (its key policy grants no
# service principal), while CloudWatch Logs must be granted in the key policy itself.

resource "aws_kms_key" "logs" {
  description             = "scanq ${var.prefix}: CloudWatch Logs of the ECS tasks"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.logs_key.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.prefix}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_109:A key policy's resource "*" is this key; the statement delegates to IAM in this account, AWS's default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's resource "*" is this key; the statement delegates to IAM in this account, AWS's default key policy.
  #checkov:skip=CKV_AWS_356:A key policy's resource "*" is this key; a key policy cannot name the key's ARN before the key exists.
  statement {
    sid       = "DelegateKeyAccessToIam"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts and decrypts the events of this module's log groups only.
  statement {
    sid = "CloudWatchLogsOfTheseGroups"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:DescribeKey",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/ecs/${var.prefix}/*"]
    }
  }
}

resource "aws_cloudwatch_log_group" "process" {
  for_each = local.processes

  name              = "/ecs/${var.prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

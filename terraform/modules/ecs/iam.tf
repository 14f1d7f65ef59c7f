# Task execution roles, one per process: ECS pulls the image, writes the process's log stream,
# and (api only) reads the JWT secret with it. The processes themselves run with the task roles
# of the root module (iam.tf), one per process as well.

locals {
  # ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPOSITORY[:TAG|@DIGEST] → [[ACCOUNT, REGION, REPOSITORY]];
  # no match for an image of another registry, which then needs no permission (a public one).
  ecr = regexall("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)", var.image)

  ecr_repository_arn = length(local.ecr) == 0 ? null : "arn:${local.partition}:ecr:${local.ecr[0][1]}:${local.ecr[0][0]}:repository/${local.ecr[0][2]}"
}

data "aws_iam_policy_document" "execution_assume_role" {
  statement {
    sid     = "EcsTasksOfThisAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  for_each = local.processes

  name               = "${var.prefix}-${each.key}-execution"
  description        = "ECS task execution of scanq ${each.key}: image pull and logs"
  assume_role_policy = data.aws_iam_policy_document.execution_assume_role.json
}

data "aws_iam_policy_document" "execution" {
  for_each = local.processes

  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : [local.ecr_repository_arn]

    content {
      sid       = "PullImage"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = [statement.value]
    }
  }

  # GetAuthorizationToken has no resource-level permissions: AWS only accepts "*".
  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : ["*"]

    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.process[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = each.key == "api" && var.api.jwt_secret_arn != null ? [var.api.jwt_secret_arn] : []

    content {
      sid       = "ReadJwtSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = each.key == "api" && var.api.jwt_secret_kms_key_arn != null ? [var.api.jwt_secret_kms_key_arn] : []

    content {
      sid       = "DecryptJwtSecret"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = local.processes

  name   = "execution"
  role   = aws_iam_role.execution[each.key].id
  policy = data.aws_iam_policy_document.execution[each.key].json
}

# Tenant sessions (docs/SECURITY.md): the worker assumes this role once per tenant with a session
# policy (src/tenancy/session-policy.ts) that keeps the capability's DynamoDB, S3 and Secrets
# Manager calls inside that tenant: dynamodb:LeadingKeys of its partitions, {tenant}/ objects,
# {prefix}/{tenant}/ secrets. STS intersects the session policy with this role's policy and its
# permission boundary, so a session never reaches more than what is granted here, which is already
# only scanq's table, buckets and secrets. No session tags are used, so the trust grants only
# sts:AssumeRole.

data "aws_iam_policy_document" "tenant_session_trust" {
  statement {
    sid     = "WorkerAssumesTenantSessions"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = concat([aws_iam_role.process["worker"].arn], var.tenant_session_trusted_arns)
    }
  }
}

# What a capability may do for some tenant; the session policy narrows it to one tenant.
data "aws_iam_policy_document" "tenant_session" {
  # The tenant's account secrets (iam_policies.tf), read through the session's Secrets Manager client.
  source_policy_documents = [data.aws_iam_policy_document.read_tenant_secrets.json]

  # The item actions of the tenant-scoped table object (src/tenancy/table.ts); no index: the
  # indexes are cross-tenant (sweeper, scheduler).
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

  # Tenant files (src/tenancy/files.ts): evidence and results, uploads to import, quarantine.
  statement {
    sid       = "TenantObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [local.objects_in.results, local.objects_in.uploads, local.objects_in.quarantine]
  }

  statement {
    sid     = "TenantListings"
    actions = ["s3:ListBucket"]
    resources = [
      aws_s3_bucket.this["results"].arn,
      aws_s3_bucket.this["uploads"].arn,
      aws_s3_bucket.this["quarantine"].arn,
    ]
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
}

resource "aws_iam_policy" "tenant_session" {
  name        = "${var.prefix}-tenant-session"
  description = "scanq tenant sessions: what a capability may do for some tenant (narrowed per tenant by the session policy)"
  policy      = data.aws_iam_policy_document.tenant_session.json
}

# The boundary is the same document: whatever else is ever attached to the role, a tenant session
# stays within scanq's table, buckets and secrets.
resource "aws_iam_policy" "tenant_session_boundary" {
  name        = "${var.prefix}-tenant-session-boundary"
  description = "scanq tenant sessions: permission boundary (the most the role may ever grant)"
  policy      = data.aws_iam_policy_document.tenant_session.json
}

resource "aws_iam_role" "tenant_session" {
  name                 = "${var.prefix}-tenant-session"
  description          = "scanq tenant sessions: assumed by the worker per tenant with a tenant-scoped session policy"
  assume_role_policy   = data.aws_iam_policy_document.tenant_session_trust.json
  permissions_boundary = aws_iam_policy.tenant_session_boundary.arn
  max_session_duration = var.tenant_session_max_duration
}

resource "aws_iam_role_policy_attachment" "tenant_session" {
  role       = aws_iam_role.tenant_session.name
  policy_arn = aws_iam_policy.tenant_session.arn
}

# Part of the worker's policy (iam_policies.tf): it may assume the tenant-session role, and nothing else of it.
data "aws_iam_policy_document" "assume_tenant_sessions" {
  statement {
    sid       = "AssumeTenantSessions"
    actions   = ["sts:AssumeRole"]
    resources = [aws_iam_role.tenant_session.arn]
  }
}

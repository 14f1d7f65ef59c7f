# The customer managed key: tenant credentials in Secrets Manager, objects in S3, events in SNS.
resource "aws_kms_key" "this" {
  description             = "scanq: tenant credentials and object encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_key.json
}

resource "aws_kms_alias" "this" {
  name          = local.names.kms_alias
  target_key_id = aws_kms_key.this.key_id
}

# The key policy only delegates to IAM in this account (in a key policy "*" means this key);
# which principal may use the key, and through which service, is decided by the role policies.
data "aws_iam_policy_document" "kms_key" {
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
}

# The single table: partition = tenant. Mirrors TABLE in src/local-aws/manifest.ts.
resource "aws_dynamodb_table" "data" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key on purpose (as the local bootstrap and src/local-aws/manifest.ts do): no process role needs a KMS grant for the table.
  name                        = local.names.table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "tenant"
  range_key                   = "key"
  deletion_protection_enabled = var.table_deletion_protection

  # Key attributes of the table and of every index; all strings.
  attribute {
    name = "tenant"
    type = "S"
  }
  attribute {
    name = "key"
    type = "S"
  }
  attribute {
    name = "openKey"
    type = "S"
  }
  attribute {
    name = "sweepAt"
    type = "S"
  }
  attribute {
    name = "dueKey"
    type = "S"
  }
  attribute {
    name = "nextRun"
    type = "S"
  }

  # Open (non-terminal) jobs across tenants by sharded openKey and sweepAt, for the sweeper.
  # Sparse: the finish removes both. Keys only: the sweeper reads the few jobs it acts on.
  global_secondary_index {
    name            = local.index.open
    hash_key        = "openKey"
    range_key       = "sweepAt"
    projection_type = "KEYS_ONLY"
  }

  # Enabled schedules by sharded dueKey and nextRun (scheduler).
  global_secondary_index {
    name            = local.index.due
    hash_key        = "dueKey"
    range_key       = "nextRun"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # Encrypted with the AWS managed key for DynamoDB, as the local bootstrap does
  # (SSESpecification Enabled): application roles need no KMS grant for the table.
  server_side_encryption {
    enabled = true
  }
}

# Job terminal transitions and import quarantines; subscribers filter on the tenant attribute.
resource "aws_sns_topic" "events" {
  name              = local.names.topic
  kms_master_key_id = aws_kms_key.this.arn
}

output "bucket" {
  description = "Name of the log bucket."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the log bucket."
  value       = aws_s3_bucket.this.arn
}

output "s3_prefix" {
  description = "Key prefix of S3 server access logs (one folder per source bucket below it)."
  value       = local.prefix.s3
}

output "alb_prefix" {
  description = "Key prefix of load balancer access logs."
  value       = local.prefix.alb
}

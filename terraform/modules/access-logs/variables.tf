variable "bucket_name" {
  description = "Name of the log bucket (globally unique)."
  type        = string
  nullable    = false
}

variable "source_bucket_arns" {
  description = "Buckets whose S3 server access logs are delivered here (aws:SourceArn of the delivery)."
  type        = list(string)
  nullable    = false
}

variable "retention_days" {
  description = "Days after which a log object is expired (and its noncurrent version this many days later)."
  type        = number
  nullable    = false
}

variable "allow_load_balancer_logs" {
  description = "Let Elastic Load Balancing deliver access logs under alb/ (the API load balancer)."
  type        = bool
  nullable    = false
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket while it holds logs."
  type        = bool
  nullable    = false
}

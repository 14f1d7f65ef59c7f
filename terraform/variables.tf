variable "prefix" {
  description = "Prefix of every resource name; the same value as SCANQ_PREFIX."
  type        = string
  default     = "scanq"

  validation {
    # Same rule as SCANQ_PREFIX in src/config/schema.ts: S3 bucket names are the strictest.
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy into; the same value as AWS_REGION."
  type        = string
  default     = "us-east-1"
}

variable "bucket_suffix" {
  description = "Appended to every bucket name, which must be globally unique (e.g. \"-123456789012\" or \"-acme-prod\"). Empty keeps the names of the manifest."
  type        = string
  default     = ""

  validation {
    condition     = length(var.bucket_suffix) <= 20 && can(regex("^(-[a-z0-9]+)*$", var.bucket_suffix))
    error_message = "bucket_suffix must be empty or hyphen-separated lowercase words such as \"-acme-prod\", at most 20 characters."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which a noncurrent (overwritten or deleted) object version is expired in every bucket."
  type        = number
  default     = 30
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` delete non-empty buckets. Keep false outside throwaway environments."
  type        = bool
  default     = false
}

variable "table_deletion_protection" {
  description = "Protect the DynamoDB table from deletion. Set false only for throwaway environments."
  type        = bool
  default     = true
}

variable "assume_role_services" {
  description = "AWS service principals the process roles trust (where the processes run)."
  type        = list(string)
  default     = ["ecs-tasks.amazonaws.com"]
}

variable "assume_role_arns" {
  description = "IAM principals (role or user ARNs) that may also assume the process roles, e.g. a CI role or an EKS pod-identity bridge."
  type        = list(string)
  default     = []
}

variable "tenant_role_arns" {
  description = "Tenant AWS roles the api (credential validation) and the worker (aws-posture) may assume, e.g. [\"arn:aws:iam::*:role/ScanqReadOnly\"]. Empty grants no sts:AssumeRole."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.tenant_role_arns, "*")
    error_message = "tenant_role_arns must name roles, not \"*\"."
  }
}

variable "tenant_tag_key" {
  description = "Tag key that names the tenant on every Secrets Manager secret; IAM conditions require it."
  type        = string
  default     = "tenant"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

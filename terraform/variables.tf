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

# --- access logs (modules/access-logs) ----------------------------------------------------------

variable "access_log_retention_days" {
  description = "Days the log bucket ({prefix}-logs{bucket_suffix}) keeps S3 server access logs and load balancer access logs."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, at least 1."
  }
}

# --- ECS on Fargate (modules/ecs) ---------------------------------------------------------------

variable "ecs_enabled" {
  description = "Run api, worker, scheduler and sweeper as ECS services on Fargate (modules/ecs). Off: only the resources the processes use are created, for processes that run elsewhere (e.g. Kubernetes)."
  type        = bool
  default     = false
}

variable "image" {
  description = "scanq container image for every process, by tag or digest, e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com/scanq:1.2.3\". Required with ecs_enabled. An ECR image is pulled with the execution roles (the repository must allow this account); any other registry must be public."
  type        = string
  default     = null

  validation {
    condition     = var.image == null ? true : can(regex("^\\S+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must name a tag other than latest, or a digest: REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the Fargate tasks; the image must be built for it."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "vpc_id" {
  description = "VPC of the ECS services (and of the API load balancer). Required with ecs_enabled."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null ? true : can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the tasks (no public IP is assigned): they reach AWS through a NAT gateway or VPC endpoints, and the workers reach scan targets through NAT. Required with ecs_enabled; two or more availability zones recommended."
  type        = list(string)
  default     = []

  validation {
    # Every element is a subnet id (formatlist instead of a for expression, which the test reader refuses).
    condition     = can(regex("^(subnet-[0-9a-f]{8,17},)*$", join("", formatlist("%s,", var.subnet_ids))))
    error_message = "subnet_ids must be subnet ids such as subnet-0123456789abcdef0."
  }
}

variable "security_group_ids" {
  description = "Extra security groups attached to every task, besides the one per service that this module creates (e.g. one that VPC interface endpoints admit)."
  type        = list(string)
  default     = []

  validation {
    condition     = can(regex("^(sg-[0-9a-f]{8,17},)*$", join("", formatlist("%s,", var.security_group_ids))))
    error_message = "security_group_ids must be security group ids such as sg-0123456789abcdef0."
  }
}

variable "https_egress_cidr_blocks" {
  description = "Where every task may open HTTPS (443) connections: the AWS service endpoints (SQS, DynamoDB, S3, SNS, KMS, Secrets Manager, STS, ECR, CloudWatch Logs) and the JWKS URL. 0.0.0.0/0 for public endpoints through NAT; the VPC CIDR when interface endpoints serve them all."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.https_egress_cidr_blocks) + length(var.https_egress_prefix_list_ids) > 0
    error_message = "https_egress_cidr_blocks or https_egress_prefix_list_ids must allow something: the tasks cannot start without reaching ECR, CloudWatch Logs, SQS and DynamoDB."
  }
}

variable "https_egress_prefix_list_ids" {
  description = "Managed prefix lists every task may reach on 443 as well, e.g. those of S3 and DynamoDB gateway endpoints."
  type        = list(string)
  default     = []
}

variable "worker_scan_cidr_blocks" {
  description = "IPv4 ranges the worker tasks may connect to on any TCP port: the scan targets (portscan, tcp-probe, http-probe, nuclei-style checks) and the external scanner. Narrow it to the tenants' ranges where they are known."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "worker_scan_ipv6_cidr_blocks" {
  description = "IPv6 ranges the worker tasks may connect to on any TCP port (as worker_scan_cidr_blocks)."
  type        = list(string)
  default     = ["::/0"]
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps each process's logs (/ecs/{prefix}/{process})."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs offers: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every process."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "task_sizes" {
  description = "Fargate CPU units and memory (MiB) of each process's task; the pair must be a Fargate combination (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; ...). docs/PERFORMANCE.md has the measured worker RSS and CPU per job."
  type = map(object({
    cpu    = number
    memory = number
  }))
  default = {
    api       = { cpu = 512, memory = 1024 }
    worker    = { cpu = 512, memory = 1024 }
    scheduler = { cpu = 256, memory = 512 }
    sweeper   = { cpu = 256, memory = 512 }
  }

  validation {
    condition     = length(setsymmetricdifference(keys(var.task_sizes), ["api", "worker", "scheduler", "sweeper"])) == 0
    error_message = "task_sizes must have exactly the keys api, worker, scheduler and sweeper."
  }
}

variable "api_desired_count" {
  description = "Tasks of the api service."
  type        = number
  default     = 2

  validation {
    condition     = var.api_desired_count >= 0 && floor(var.api_desired_count) == var.api_desired_count
    error_message = "api_desired_count must be a whole number, 0 or more."
  }
}

variable "api_ingress_cidr_blocks" {
  description = "Ranges that may reach the api tasks directly on port 8080 (besides the load balancer, if any), e.g. a network load balancer's subnets or a peered VPC."
  type        = list(string)
  default     = []
}

variable "api_load_balancer" {
  description = "Put the api behind an application load balancer: HTTPS on 443 with certificate_arn (ACM), TLS 1.2/1.3 only, invalid headers dropped, access logs to the log bucket, health check on /readyz. subnet_ids default to subnet_ids (set public subnets when internal = false). null: no load balancer."
  type = object({
    certificate_arn     = string
    ingress_cidr_blocks = list(string)
    internal            = optional(bool, true)
    subnet_ids          = optional(list(string), [])
    deletion_protection = optional(bool, true)
    idle_timeout        = optional(number, 60)
    web_acl_arn         = optional(string)
  })
  default = null

  validation {
    condition     = var.api_load_balancer == null ? true : can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/", var.api_load_balancer.certificate_arn)) && length(var.api_load_balancer.ingress_cidr_blocks) > 0
    error_message = "api_load_balancer needs an ACM certificate_arn and at least one range in ingress_cidr_blocks."
  }
}

variable "api_jwt_secret_arn" {
  description = "Secrets Manager secret whose value is SCANQ_JWT_SECRET (HS256, at least 32 bytes). ECS injects it into the api container; only the api's execution role may read it. Set exactly one of this and api_jwt_jwks_url."
  type        = string
  default     = null

  validation {
    condition     = var.api_jwt_secret_arn == null ? true : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:", var.api_jwt_secret_arn))
    error_message = "api_jwt_secret_arn must be the ARN of a Secrets Manager secret."
  }
}

variable "api_jwt_secret_kms_key_arn" {
  description = "KMS key of the api_jwt_secret_arn secret when it is not the AWS managed key aws/secretsmanager; the api's execution role may then decrypt with it through Secrets Manager only."
  type        = string
  default     = null

  validation {
    condition     = var.api_jwt_secret_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.api_jwt_secret_kms_key_arn))
    error_message = "api_jwt_secret_kms_key_arn must be the ARN of a KMS key."
  }
}

variable "api_jwt_jwks_url" {
  description = "SCANQ_JWT_JWKS_URL: the api verifies tokens with these keys. Set exactly one of this and api_jwt_secret_arn."
  type        = string
  default     = null

  validation {
    condition     = var.api_jwt_jwks_url == null ? true : startswith(var.api_jwt_jwks_url, "https://")
    error_message = "api_jwt_jwks_url must be an https:// URL."
  }
}

variable "api_jwt_issuer" {
  description = "SCANQ_JWT_ISSUER: the iss claim tokens must carry (not checked when null)."
  type        = string
  default     = null
}

variable "api_jwt_audience" {
  description = "SCANQ_JWT_AUDIENCE: the aud claim tokens must carry (not checked when null)."
  type        = string
  default     = null
}

variable "worker_concurrency" {
  description = "SCANQ_WORKER_CONCURRENCY: jobs one worker task runs at once."
  type        = number
  default     = 8

  validation {
    condition     = var.worker_concurrency >= 1 && var.worker_concurrency <= 1000 && floor(var.worker_concurrency) == var.worker_concurrency
    error_message = "worker_concurrency must be a whole number from 1 to 1000."
  }
}

variable "worker_drain_timeout" {
  description = "Seconds a stopping worker lets its running jobs finish (SCANQ_DRAIN_TIMEOUT) before it releases them to the queue. The worker task's stopTimeout is this plus a 10 s margin, so ECS sends SIGKILL only after the drain and the release: at most 110, since ECS allows a stopTimeout of 120 s at most."
  type        = number
  default     = 25

  validation {
    condition     = var.worker_drain_timeout >= 1 && var.worker_drain_timeout <= 110 && floor(var.worker_drain_timeout) == var.worker_drain_timeout
    error_message = "worker_drain_timeout must be a whole number of seconds from 1 to 110 (stopTimeout = drain + 10 s, at most 120 s)."
  }
}

variable "worker_min_count" {
  description = "Fewest worker tasks. 0 lets an idle service stop entirely, but target tracking cannot scale out from 0 tasks (no running-task data), so only use 0 for environments you start by hand."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_min_count >= 0 && floor(var.worker_min_count) == var.worker_min_count
    error_message = "worker_min_count must be a whole number, 0 or more."
  }
}

variable "worker_max_count" {
  description = "Most worker tasks."
  type        = number
  default     = 10

  validation {
    condition     = var.worker_max_count >= var.worker_min_count && var.worker_max_count >= 1 && floor(var.worker_max_count) == var.worker_max_count
    error_message = "worker_max_count must be a whole number, at least 1 and at least worker_min_count."
  }
}

variable "worker_target_backlog_per_task" {
  description = "Visible messages in the jobs queue per running worker task that target tracking keeps: the jobs one task finishes per second times the seconds of queueing you accept."
  type        = number
  default     = 100

  validation {
    condition     = var.worker_target_backlog_per_task > 0
    error_message = "worker_target_backlog_per_task must be greater than 0."
  }
}

variable "worker_scale_in_cooldown" {
  description = "Seconds after a scale-in before the worker service scales in again."
  type        = number
  default     = 300

  validation {
    condition     = var.worker_scale_in_cooldown >= 0 && var.worker_scale_in_cooldown <= 3600 && floor(var.worker_scale_in_cooldown) == var.worker_scale_in_cooldown
    error_message = "worker_scale_in_cooldown must be a whole number of seconds from 0 to 3600."
  }
}

variable "worker_scale_out_cooldown" {
  description = "Seconds after a scale-out before the worker service scales out again (a larger scale-out is not held back)."
  type        = number
  default     = 60

  validation {
    condition     = var.worker_scale_out_cooldown >= 0 && var.worker_scale_out_cooldown <= 3600 && floor(var.worker_scale_out_cooldown) == var.worker_scale_out_cooldown
    error_message = "worker_scale_out_cooldown must be a whole number of seconds from 0 to 3600."
  }
}

variable "tenant_session_trusted_arns" {
  description = "Principals besides the worker role that may assume the tenant-session role, e.g. the worker's EKS IRSA role when the Helm chart runs it."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.tenant_session_trusted_arns, "*")
    error_message = "tenant_session_trusted_arns must name roles, not \"*\"."
  }
}

variable "tenant_session_max_duration" {
  description = "Maximum session duration of the tenant-session role, seconds (3600-43200); SCANQ_TENANT_SESSION_DURATION must not exceed it."
  type        = number
  default     = 3600

  validation {
    condition     = var.tenant_session_max_duration >= 3600 && var.tenant_session_max_duration <= 43200
    error_message = "tenant_session_max_duration must be between 3600 and 43200 seconds."
  }
}

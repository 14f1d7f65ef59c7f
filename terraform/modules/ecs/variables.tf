# Inputs of the ECS module. The root module validates what an operator sets (terraform/variables.tf);
# these only carry the values, already checked, into the module.

variable "prefix" {
  description = "Prefix of every resource name (SCANQ_PREFIX)."
  type        = string
  nullable    = false
}

variable "image" {
  description = "Container image of every process, by tag or digest."
  type        = string
  nullable    = false
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64."
  type        = string
  nullable    = false
}

variable "env" {
  description = "The root module's `env` output (region and resource names, as in ENV_SCHEMA): every task gets all of it."
  type        = map(string)
  nullable    = false
}

variable "task_role_arns" {
  description = "Role of each process (api, worker, scheduler, sweeper): the task role of its task definition."
  type        = map(string)
  nullable    = false
}

variable "jobs_queue_name" {
  description = "Name of the jobs queue, whose backlog scales the worker service."
  type        = string
  nullable    = false
}

variable "bulk_queue_name" {
  description = "Name of the bulk queue (the second lane), whose backlog scales the worker service too."
  type        = string
  nullable    = false
}

variable "log_bucket" {
  description = "Bucket (and key prefix) of the load balancer's access logs."
  type = object({
    bucket     = string
    alb_prefix = string
  })
  nullable = false
}

variable "network" {
  description = "VPC, private subnets, extra security groups, and the egress every task (HTTPS) and the worker (scan targets) may use."
  type = object({
    vpc_id                       = string
    subnet_ids                   = list(string)
    security_group_ids           = list(string)
    https_egress_cidr_blocks     = list(string)
    https_egress_prefix_list_ids = list(string)
    scan_egress_cidr_blocks      = list(string)
    scan_egress_ipv6_cidr_blocks = list(string)
  })
  nullable = false

  validation {
    condition     = var.network.vpc_id != null && length(var.network.subnet_ids) > 0
    error_message = "ECS needs vpc_id and subnet_ids (private subnets) when ecs_enabled is true."
  }
}

variable "log_retention_days" {
  description = "Retention of the log groups, in days."
  type        = number
  nullable    = false
}

variable "log_level" {
  description = "LOG_LEVEL of every process."
  type        = string
  nullable    = false
}

variable "task_sizes" {
  description = "Fargate cpu and memory of each process's task."
  type = map(object({
    cpu    = number
    memory = number
  }))
  nullable = false
}

variable "api" {
  description = "The api service: task count, direct ingress, and token verification (exactly one of jwt_secret_arn and jwt_jwks_url)."
  type = object({
    desired_count          = number
    ingress_cidr_blocks    = list(string)
    jwt_secret_arn         = string
    jwt_secret_kms_key_arn = string
    jwt_jwks_url           = string
    jwt_issuer             = string
    jwt_audience           = string
  })
  nullable = false
}

variable "load_balancer" {
  description = "The api's application load balancer (the root module's api_load_balancer), or null for none."
  type = object({
    certificate_arn     = string
    ingress_cidr_blocks = list(string)
    internal            = bool
    subnet_ids          = list(string)
    deletion_protection = bool
    idle_timeout        = number
    web_acl_arn         = string
  })
  default = null
}

variable "worker" {
  description = "The worker service: concurrency, drain (seconds) and target tracking on the backlog per task."
  type = object({
    concurrency             = number
    drain_timeout           = number
    min_count               = number
    max_count               = number
    target_backlog_per_task = number
    scale_in_cooldown       = number
    scale_out_cooldown      = number
  })
  nullable = false

  validation {
    # stopTimeout = drain_timeout + local.drain_margin must stay within ECS's 120 s.
    condition     = var.worker.drain_timeout >= 1 && var.worker.drain_timeout <= 110
    error_message = "worker.drain_timeout must be from 1 to 110 seconds."
  }
}

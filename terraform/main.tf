# The resources the processes use are in the other files of this directory and mirror
# src/local-aws/manifest.ts. The two modules add what only a deployment on AWS needs.

# The log bucket: server access logs of the three buckets (s3.tf) and the api load balancer's logs.
module "access_logs" {
  source = "./modules/access-logs"

  bucket_name = local.log_bucket
  source_bucket_arns = [
    aws_s3_bucket.this["results"].arn,
    aws_s3_bucket.this["uploads"].arn,
    aws_s3_bucket.this["quarantine"].arn,
  ]
  retention_days           = var.access_log_retention_days
  allow_load_balancer_logs = var.ecs_enabled && var.api_load_balancer != null
  force_destroy            = var.force_destroy_buckets
}

# api, worker, scheduler and sweeper as ECS services on Fargate, with the roles of iam.tf as
# task roles and the `env` output as their environment.
module "ecs" {
  source = "./modules/ecs"
  count  = var.ecs_enabled ? 1 : 0

  prefix           = var.prefix
  image            = var.image
  cpu_architecture = var.cpu_architecture
  env              = local.env
  task_role_arns = {
    api       = aws_iam_role.process["api"].arn
    worker    = aws_iam_role.process["worker"].arn
    scheduler = aws_iam_role.process["scheduler"].arn
    sweeper   = aws_iam_role.process["sweeper"].arn
  }
  jobs_queue_name = aws_sqs_queue.jobs.name
  bulk_queue_name = aws_sqs_queue.bulk.name
  log_bucket = {
    bucket     = module.access_logs.bucket
    alb_prefix = module.access_logs.alb_prefix
  }

  network = {
    vpc_id                       = var.vpc_id
    subnet_ids                   = var.subnet_ids
    security_group_ids           = var.security_group_ids
    https_egress_cidr_blocks     = var.https_egress_cidr_blocks
    https_egress_prefix_list_ids = var.https_egress_prefix_list_ids
    scan_egress_cidr_blocks      = var.worker_scan_cidr_blocks
    scan_egress_ipv6_cidr_blocks = var.worker_scan_ipv6_cidr_blocks
  }

  log_retention_days = var.log_retention_days
  log_level          = var.log_level
  task_sizes         = var.task_sizes

  api = {
    desired_count          = var.api_desired_count
    ingress_cidr_blocks    = var.api_ingress_cidr_blocks
    jwt_secret_arn         = var.api_jwt_secret_arn
    jwt_secret_kms_key_arn = var.api_jwt_secret_kms_key_arn
    jwt_jwks_url           = var.api_jwt_jwks_url
    jwt_issuer             = var.api_jwt_issuer
    jwt_audience           = var.api_jwt_audience
  }
  load_balancer = var.api_load_balancer

  worker = {
    concurrency             = var.worker_concurrency
    drain_timeout           = var.worker_drain_timeout
    min_count               = var.worker_min_count
    max_count               = var.worker_max_count
    target_backlog_per_task = var.worker_target_backlog_per_task
    scale_in_cooldown       = var.worker_scale_in_cooldown
    scale_out_cooldown      = var.worker_scale_out_cooldown
  }
}

output "env" {
  description = "Environment variables for every scanq process (names as in src/config/schema.ts)."
  value       = local.env
}

output "role_arns" {
  description = "Role of each process: give it to the task, pod or instance that runs the process."
  value = {
    api       = aws_iam_role.process["api"].arn
    worker    = aws_iam_role.process["worker"].arn
    scheduler = aws_iam_role.process["scheduler"].arn
    sweeper   = aws_iam_role.process["sweeper"].arn
  }
}

output "policy_arns" {
  description = "Managed policy of each process; attach `producer` to a service that embeds the producer library."
  value = {
    producer  = aws_iam_policy.process["producer"].arn
    api       = aws_iam_policy.process["api"].arn
    worker    = aws_iam_policy.process["worker"].arn
    scheduler = aws_iam_policy.process["scheduler"].arn
    sweeper   = aws_iam_policy.process["sweeper"].arn
  }
}

output "kms_key_alias" {
  description = "Alias of the customer managed key."
  value       = aws_kms_alias.this.name
}

output "log_bucket" {
  description = "Bucket of the S3 server access logs (s3/{bucket}/) and the api load balancer's access logs (alb/)."
  value       = module.access_logs.bucket
}

output "ecs_cluster_name" {
  description = "ECS cluster of the services (null unless ecs_enabled)."
  value       = var.ecs_enabled ? module.ecs[0].cluster_name : null
}

output "ecs_service_names" {
  description = "ECS service of each process (null unless ecs_enabled)."
  value       = var.ecs_enabled ? module.ecs[0].service_names : null
}

output "ecs_log_groups" {
  description = "CloudWatch log group of each process (null unless ecs_enabled)."
  value       = var.ecs_enabled ? module.ecs[0].log_groups : null
}

output "ecs_security_group_ids" {
  description = "Security group of each ECS service, e.g. for VPC endpoint policies (null unless ecs_enabled)."
  value       = var.ecs_enabled ? module.ecs[0].security_group_ids : null
}

output "api_load_balancer_dns_name" {
  description = "DNS name of the api load balancer: point the api's DNS record at it (null without api_load_balancer)."
  value       = var.ecs_enabled ? module.ecs[0].load_balancer_dns_name : null
}

output "tenant_session_role_arn" {
  description = "The tenant-session role workers assume per tenant (SCANQ_TENANT_ROLE_ARN; also in `env`)."
  value       = aws_iam_role.tenant_session.arn
}

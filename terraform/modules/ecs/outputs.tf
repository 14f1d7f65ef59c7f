output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "ECS service of each process."
  value = {
    api       = aws_ecs_service.api.name
    worker    = aws_ecs_service.worker.name
    scheduler = aws_ecs_service.scheduler.name
    sweeper   = aws_ecs_service.sweeper.name
  }
}

output "log_groups" {
  description = "CloudWatch log group of each process."
  value = {
    api       = aws_cloudwatch_log_group.process["api"].name
    worker    = aws_cloudwatch_log_group.process["worker"].name
    scheduler = aws_cloudwatch_log_group.process["scheduler"].name
    sweeper   = aws_cloudwatch_log_group.process["sweeper"].name
  }
}

output "security_group_ids" {
  description = "Security group of each service."
  value = {
    api       = aws_security_group.service["api"].id
    worker    = aws_security_group.service["worker"].id
    scheduler = aws_security_group.service["scheduler"].id
    sweeper   = aws_security_group.service["sweeper"].id
  }
}

output "load_balancer_dns_name" {
  description = "DNS name of the api load balancer (null without one)."
  value       = local.load_balanced ? aws_lb.api[0].dns_name : null
}

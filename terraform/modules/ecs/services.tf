# The services, in the private subnets without public IPs. A deployment starts the new tasks
# before it stops the old ones (100 % / 200 %) and rolls back when they do not become healthy.
# One resource per service (no for_each): checkov only connects a security group to a service
# declared this way.
#
# scheduler and sweeper run one task each: one is enough for their load (a query per index
# shard every interval), and more would be safe. Each run of a schedule is claimed by a
# conditional update of its `nextRun` (src/scheduler/runs.ts claimPlan: only the replica whose
# update succeeds fires it), and each stale job by a conditional update of its `updated`
# (src/producer/sweeper.ts claim: only that replica re-sends it). So the old and new task that
# overlap during a deployment do no double work.

resource "aws_ecs_service" "api" {
  name                               = "${var.prefix}-api"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["api"].arn
  desired_count                      = var.api.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = local.load_balanced ? 60 : null

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.network.subnet_ids
    security_groups  = concat([aws_security_group.service["api"].id], var.network.security_group_ids)
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = local.load_balanced ? [local.api_port] : []

    content {
      target_group_arn = aws_lb_target_group.api[0].arn
      container_name   = "api"
      container_port   = load_balancer.value
    }
  }

  # The target group must belong to the load balancer before a service can register in it.
  depends_on = [aws_lb_listener.https]
}

resource "aws_ecs_service" "worker" {
  name                               = "${var.prefix}-worker"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["worker"].arn
  desired_count                      = var.worker.min_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.network.subnet_ids
    security_groups  = concat([aws_security_group.service["worker"].id], var.network.security_group_ids)
    assign_public_ip = false
  }

  lifecycle {
    # Application Auto Scaling owns the number of workers once the service exists (autoscaling.tf).
    ignore_changes = [desired_count]
  }
}

# The scheduler and the sweeper: one task each (docs/DEPLOY.md: more are safe, one is enough).
# Two resources rather than one with for_each: checkov's graph does not follow a security group
# attached through for_each (CKV2_AWS_5 failed for the sweeper's group when they were one).
resource "aws_ecs_service" "scheduler" {
  name                               = "${var.prefix}-scheduler"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["scheduler"].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.network.subnet_ids
    security_groups  = concat([aws_security_group.service["scheduler"].id], var.network.security_group_ids)
    assign_public_ip = false
  }
}

resource "aws_ecs_service" "sweeper" {
  name                               = "${var.prefix}-sweeper"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["sweeper"].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.network.subnet_ids
    security_groups  = concat([aws_security_group.service["sweeper"].id], var.network.security_group_ids)
    assign_public_ip = false
  }
}

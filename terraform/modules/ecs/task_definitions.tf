# One task definition per process. Every container: the scanq image with the process name as
# its command, the image's unprivileged user, a read-only root file system, every Linux
# capability dropped, an init process that forwards SIGTERM and reaps children, logs to its own
# group, and a health check against /healthz.
#
# Nothing in scanq writes to local disk, so no volume is mounted. A plugin that needs scratch
# space would need a task volume at /tmp *and* `VOLUME ["/tmp"]` in the Dockerfile: Fargate
# creates a bind mount root-owned with mode 0755 unless the image declares the path a volume.

resource "aws_ecs_task_definition" "process" {
  for_each = local.processes

  family                   = "${var.prefix}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_sizes[each.key].cpu
  memory                   = var.task_sizes[each.key].memory
  execution_role_arn       = aws_iam_role.execution[each.key].arn
  task_role_arn            = var.task_role_arns[each.key]

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name                   = each.key
      image                  = var.image
      command                = [each.key]
      essential              = true
      user                   = local.container_user
      readonlyRootFilesystem = true
      environment            = local.environment[each.key]
      secrets                = local.secrets[each.key]
      portMappings           = local.port_mappings[each.key]
      # Seconds between SIGTERM and SIGKILL: the worker's covers its drain (locals in main.tf).
      stopTimeout = local.stop_timeout[each.key]

      linuxParameters = {
        initProcessEnabled = true
        capabilities       = { drop = ["ALL"] }
      }

      # Liveness only (/healthz): /readyz also asks DynamoDB and SQS, and a short AWS outage
      # must not make ECS replace every task. The load balancer checks /readyz.
      healthCheck = {
        command     = ["CMD", "node", "-e", "fetch('http://127.0.0.1:${local.health_port[each.key]}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }

      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.process[each.key].name
          "awslogs-region"        = local.region
          "awslogs-stream-prefix" = each.key
          # A slow log service must not stall the process (events beyond the buffer are dropped).
          "mode"            = "non-blocking"
          "max-buffer-size" = "25m"
        }
      }
    }
  ])

  # A task must not start before its execution role may pull the image and write its logs.
  depends_on = [aws_iam_role_policy.execution]

  lifecycle {
    precondition {
      condition     = each.key != "api" || ((var.api.jwt_secret_arn == null) != (var.api.jwt_jwks_url == null))
      error_message = "The api verifies tokens with exactly one of api_jwt_secret_arn and api_jwt_jwks_url: set one of them."
    }
  }
}

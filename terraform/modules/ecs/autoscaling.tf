# Workers scale on the backlog per task: target tracking keeps
#
#   (ApproximateNumberOfMessagesVisible(jobs queue) + …(bulk queue)) / RunningTaskCount(worker service)
#
# at worker.target_backlog_per_task (desired tasks ≈ visible messages ÷ target), between
# worker.min_count and worker.max_count. RunningTaskCount comes from Container Insights
# (enabled on the cluster). Scale-in stops a task with SIGTERM, and it drains (task_definitions.tf).

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  min_capacity       = var.worker.min_count
  max_capacity       = var.worker.max_count
}

resource "aws_appautoscaling_policy" "worker_backlog" {
  name               = "${var.prefix}-worker-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  resource_id        = aws_appautoscaling_target.worker.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.target_backlog_per_task
    scale_in_cooldown  = var.worker.scale_in_cooldown
    scale_out_cooldown = var.worker.scale_out_cooldown

    customized_metric_specification {
      metrics {
        id          = "visible"
        label       = "Messages visible in the jobs queue"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"

            dimensions {
              name  = "QueueName"
              value = var.jobs_queue_name
            }
          }
        }
      }

      metrics {
        id          = "bulk"
        label       = "Messages visible in the bulk queue"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"

            dimensions {
              name  = "QueueName"
              value = var.bulk_queue_name
            }
          }
        }
      }

      metrics {
        id          = "backlog"
        label       = "Messages visible in both lanes' queues"
        expression  = "visible + bulk"
        return_data = false
      }

      metrics {
        id          = "running"
        label       = "Running worker tasks"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"

            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }

            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker.name
            }
          }
        }
      }

      metrics {
        id          = "backlog_per_task"
        label       = "Visible messages per running worker task"
        expression  = "backlog / running"
        return_data = true
      }
    }
  }
}

# scanq on ECS Fargate: one cluster, one task definition and one service per process (api,
# worker, scheduler, sweeper), all from one image whose ENTRYPOINT is `node /app/dist/cli/main.js`
# and whose command is the process name.
#
# A module of its own because its IAM roles (task execution), key policy (CloudWatch Logs) and
# security groups are not part of what the root module mirrors from src/local-aws/manifest.ts;
# test/unit/terraform-ecs.test.ts reads it.
#
# The expressions avoid `for` and splat expressions, which the tests' HCL reader
# (test/helpers/hcl.ts) refuses.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  processes = toset(["api", "worker", "scheduler", "sweeper"])

  # uid:gid of the image's unprivileged `node` user (Dockerfile: USER node).
  container_user = "1000:1000"

  # The api listens on all interfaces (tasks have their own ENI); the status servers of the
  # other processes (/healthz, /readyz) only on loopback, for the container health check.
  api_port    = 8080
  status_port = 9090
  health_port = {
    api       = local.api_port
    worker    = local.status_port
    scheduler = local.status_port
    sweeper   = local.status_port
  }

  # A stopping worker drains for worker.drain_timeout seconds, then releases the jobs still
  # running (a visibility change and a conditional update each) and closes its clients: the
  # margin covers that, so that ECS sends SIGKILL only afterwards. ECS allows at most 120 s.
  drain_margin = 10
  stop_timeout = {
    api       = 30
    worker    = var.worker.drain_timeout + local.drain_margin
    scheduler = 30
    sweeper   = 30
  }

  # The root module's `env` output, as ECS wants it. Every name is a key of ENV_SCHEMA
  # (src/config/schema.ts); test/unit/terraform-ecs.test.ts checks that, and that no name of
  # `env` is missing here.
  resource_environment = [
    { name = "AWS_REGION", value = var.env["AWS_REGION"] },
    { name = "SCANQ_PREFIX", value = var.env["SCANQ_PREFIX"] },
    { name = "SCANQ_TABLE", value = var.env["SCANQ_TABLE"] },
    { name = "SCANQ_QUEUE_URL", value = var.env["SCANQ_QUEUE_URL"] },
    { name = "SCANQ_DLQ_URL", value = var.env["SCANQ_DLQ_URL"] },
    { name = "SCANQ_BULK_QUEUE_URL", value = var.env["SCANQ_BULK_QUEUE_URL"] },
    { name = "SCANQ_RESULTS_BUCKET", value = var.env["SCANQ_RESULTS_BUCKET"] },
    { name = "SCANQ_UPLOADS_BUCKET", value = var.env["SCANQ_UPLOADS_BUCKET"] },
    { name = "SCANQ_QUARANTINE_BUCKET", value = var.env["SCANQ_QUARANTINE_BUCKET"] },
    { name = "SCANQ_TOPIC_ARN", value = var.env["SCANQ_TOPIC_ARN"] },
    { name = "SCANQ_KMS_KEY_ID", value = var.env["SCANQ_KMS_KEY_ID"] },
    { name = "SCANQ_SECRETS_PREFIX", value = var.env["SCANQ_SECRETS_PREFIX"] },
    { name = "SCANQ_TENANT_ROLE_ARN", value = var.env["SCANQ_TENANT_ROLE_ARN"] },
    { name = "LOG_LEVEL", value = var.log_level },
  ]

  status_environment = [
    { name = "SCANQ_STATUS_HOST", value = "127.0.0.1" },
    { name = "SCANQ_STATUS_PORT", value = tostring(local.status_port) },
  ]

  api_environment = concat(
    [
      { name = "SCANQ_API_HOST", value = "0.0.0.0" },
      { name = "SCANQ_API_PORT", value = tostring(local.api_port) },
    ],
    var.api.jwt_jwks_url == null ? [] : [{ name = "SCANQ_JWT_JWKS_URL", value = var.api.jwt_jwks_url }],
    var.api.jwt_issuer == null ? [] : [{ name = "SCANQ_JWT_ISSUER", value = var.api.jwt_issuer }],
    var.api.jwt_audience == null ? [] : [{ name = "SCANQ_JWT_AUDIENCE", value = var.api.jwt_audience }],
  )

  worker_environment = [
    # The same number as the stopTimeout above is computed from: they cannot disagree.
    { name = "SCANQ_DRAIN_TIMEOUT", value = "${var.worker.drain_timeout}s" },
    { name = "SCANQ_WORKER_CONCURRENCY", value = tostring(var.worker.concurrency) },
  ]

  environment = {
    api       = concat(local.resource_environment, local.api_environment)
    worker    = concat(local.resource_environment, local.status_environment, local.worker_environment)
    scheduler = concat(local.resource_environment, local.status_environment)
    sweeper   = concat(local.resource_environment, local.status_environment)
  }

  # Secrets ECS reads with the task's execution role and injects as environment variables.
  secrets = {
    api       = var.api.jwt_secret_arn == null ? [] : [{ name = "SCANQ_JWT_SECRET", valueFrom = var.api.jwt_secret_arn }]
    worker    = []
    scheduler = []
    sweeper   = []
  }

  port_mappings = {
    api       = [{ name = "http", containerPort = local.api_port, protocol = "tcp" }]
    worker    = []
    scheduler = []
    sweeper   = []
  }
}

resource "aws_ecs_cluster" "this" {
  #checkov:skip=CKV_AWS_224:ECS Exec is off on every service (enable_execute_command = false), so there are no exec sessions to log or encrypt.
  name = var.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

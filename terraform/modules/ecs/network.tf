# One security group per service; egress is only what each process needs:
# - every task: HTTPS (443) to the AWS endpoints it uses (SQS, DynamoDB, S3, SNS, KMS, Secrets
#   Manager, STS; ECR and CloudWatch Logs for the image and the logs). DNS goes to the VPC's
#   resolver, which security groups do not filter.
# - the worker: any TCP port to the scan targets (portscan, tcp-probe and http-probe connect
#   to the ports a job names; the external scanner too). Narrow network.scan_egress_* to the
#   tenants' ranges where they are known.
# - the api: ingress on its port from the load balancer, and from api.ingress_cidr_blocks.
# The worker, scheduler and sweeper accept no connection: their status servers listen on
# loopback for the container health check only.

resource "aws_security_group" "service" {
  for_each = local.processes

  name        = "${var.prefix}-${each.key}"
  description = "scanq ${each.key} tasks"
  vpc_id      = var.network.vpc_id
}

resource "aws_security_group_rule" "https_out" {
  for_each = local.processes

  description       = "HTTPS to the AWS service endpoints"
  type              = "egress"
  security_group_id = aws_security_group.service[each.key].id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = var.network.https_egress_cidr_blocks
  prefix_list_ids   = var.network.https_egress_prefix_list_ids
}

resource "aws_security_group_rule" "worker_scan_out" {
  count = length(var.network.scan_egress_cidr_blocks) + length(var.network.scan_egress_ipv6_cidr_blocks) > 0 ? 1 : 0

  description       = "Scan targets on any TCP port"
  type              = "egress"
  security_group_id = aws_security_group.service["worker"].id
  protocol          = "tcp"
  from_port         = 1
  to_port           = 65535
  cidr_blocks       = var.network.scan_egress_cidr_blocks
  ipv6_cidr_blocks  = var.network.scan_egress_ipv6_cidr_blocks
}

resource "aws_security_group_rule" "api_from_load_balancer" {
  count = local.load_balanced ? 1 : 0

  description              = "The api load balancer"
  type                     = "ingress"
  security_group_id        = aws_security_group.service["api"].id
  protocol                 = "tcp"
  from_port                = local.api_port
  to_port                  = local.api_port
  source_security_group_id = aws_security_group.load_balancer[0].id
}

resource "aws_security_group_rule" "api_from_cidrs" {
  count = length(var.api.ingress_cidr_blocks) > 0 ? 1 : 0

  description       = "Direct clients of the api"
  type              = "ingress"
  security_group_id = aws_security_group.service["api"].id
  protocol          = "tcp"
  from_port         = local.api_port
  to_port           = local.api_port
  cidr_blocks       = var.api.ingress_cidr_blocks
}

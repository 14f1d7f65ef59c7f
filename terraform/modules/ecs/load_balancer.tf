# The api behind an application load balancer (when var.load_balancer is set): HTTPS only on
# 443 (no plain-HTTP listener), TLS 1.3/1.2 policy, invalid header fields dropped, access logs
# to the log bucket, targets checked on /readyz (DynamoDB and SQS answer). TLS ends at the load
# balancer; it forwards plain HTTP to the tasks inside the VPC.

locals {
  load_balanced = var.load_balancer != null

  # Load balancer and target group names: at most 32 characters, no hyphen at the end.
  load_balancer_name = trimsuffix(substr("${var.prefix}-api", 0, 32), "-")
}

resource "aws_security_group" "load_balancer" {
  count = local.load_balanced ? 1 : 0

  name        = "${var.prefix}-api-lb"
  description = "scanq api load balancer"
  vpc_id      = var.network.vpc_id
}

resource "aws_security_group_rule" "load_balancer_https_in" {
  count = local.load_balanced ? 1 : 0

  description       = "HTTPS clients of the api"
  type              = "ingress"
  security_group_id = aws_security_group.load_balancer[0].id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = var.load_balancer.ingress_cidr_blocks
}

resource "aws_security_group_rule" "load_balancer_to_api" {
  count = local.load_balanced ? 1 : 0

  description              = "The api tasks"
  type                     = "egress"
  security_group_id        = aws_security_group.load_balancer[0].id
  protocol                 = "tcp"
  from_port                = local.api_port
  to_port                  = local.api_port
  source_security_group_id = aws_security_group.service["api"].id
}

resource "aws_lb" "api" {
  count = local.load_balanced ? 1 : 0

  name                       = local.load_balancer_name
  load_balancer_type         = "application"
  internal                   = var.load_balancer.internal
  subnets                    = length(var.load_balancer.subnet_ids) > 0 ? var.load_balancer.subnet_ids : var.network.subnet_ids
  security_groups            = [aws_security_group.load_balancer[0].id]
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.load_balancer.deletion_protection
  idle_timeout               = var.load_balancer.idle_timeout

  access_logs {
    bucket  = var.log_bucket.bucket
    prefix  = var.log_bucket.alb_prefix
    enabled = true
  }
}

resource "aws_lb_target_group" "api" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the api serves plain HTTP to it inside the VPC, from the load balancer's security group only.
  count = local.load_balanced ? 1 : 0

  name                 = local.load_balancer_name
  port                 = local.api_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.network.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  count = local.load_balanced ? 1 : 0

  load_balancer_arn = aws_lb.api[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.load_balancer.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api[0].arn
  }
}

# An optional AWS WAF web ACL in front of the api.
resource "aws_wafv2_web_acl_association" "api" {
  count = local.load_balanced && try(var.load_balancer.web_acl_arn, null) != null ? 1 : 0

  resource_arn = aws_lb.api[0].arn
  web_acl_arn  = var.load_balancer.web_acl_arn
}

terraform {
  # 1.9: a variable's validation may refer to other variables (worker_max_count, https_egress_*).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  # State in S3: `terraform init -backend-config=backend.conf` (see backend.conf.example).
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ app = "scanq", "scanq:prefix" = var.prefix }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

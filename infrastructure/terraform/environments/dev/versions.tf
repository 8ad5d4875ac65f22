terraform {
  # mock_provider in terraform test needs 1.7+.
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Remote state: copy backend.tf.example to backend.tf and fill it in.
  # CI runs `terraform init -backend=false`, so no backend is needed there.
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(
      {
        Project     = var.project
        Environment = local.environment
        ManagedBy   = "terraform"
      },
      var.tags,
    )
  }
}

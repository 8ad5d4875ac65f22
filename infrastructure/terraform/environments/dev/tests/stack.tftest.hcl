# Offline tests of the dev environment: only what is specific to dev. The
# invariants every environment shares (queue redrive, IAM least privilege,
# private database, log retention, ...) are tested once in
# modules/stack/tests. Every AWS call is mocked, so `terraform test` needs no
# credentials and creates nothing.

mock_provider "aws" {
  source = "../../modules/stack/tests/mocks"
}

variables {
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  image_tag          = "0a1b2c3d"
}

run "dev_defaults" {
  assert {
    condition     = alltrue([for env in values(module.stack.effective_settings.function_environment) : env.ENVIRONMENT == "dev"])
    error_message = "Every function must run with ENVIRONMENT=dev."
  }

  assert {
    condition     = alltrue([for env in values(module.stack.effective_settings.function_environment) : env.DB_PROXY == "false"])
    error_message = "dev has no RDS Proxy by default: DB_PROXY must be false."
  }

  assert {
    condition     = module.stack.effective_settings.database.deletion_protection == false && module.stack.effective_settings.database.multi_az == false
    error_message = "dev runs a single-AZ database that can be destroyed."
  }

  assert {
    condition     = alltrue([for c in values(module.stack.effective_settings.reserved_concurrency) : c == -1])
    error_message = "dev reserves no Lambda concurrency (new accounts often have nothing to reserve)."
  }

  assert {
    condition     = module.stack.effective_settings.secret_kms_key_arn == null
    error_message = "The dev secret uses the AWS managed key."
  }
}

run "rds_proxy_option" {
  variables {
    enable_rds_proxy = true
  }

  assert {
    condition     = alltrue([for env in values(module.stack.effective_settings.function_environment) : env.DB_PROXY == "true"])
    error_message = "With a proxy, DB_PROXY must be true."
  }

  assert {
    condition     = output.db_host == module.stack.effective_settings.db_proxy_endpoint && module.stack.effective_settings.db_proxy_endpoint != ""
    error_message = "With a proxy, DATABASE_URL must point at the proxy endpoint."
  }
}

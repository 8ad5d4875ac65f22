# Offline tests of the prod environment: only what is specific to prod. The
# invariants every environment shares (queue redrive, IAM least privilege,
# private database, proxy TLS, ...) are tested once in modules/stack/tests.
# Every AWS call is mocked, so `terraform test` needs no credentials and
# creates nothing.

mock_provider "aws" {
  source = "../../modules/stack/tests/mocks"
}

variables {
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  image_tag          = "0a1b2c3d"
}

run "prod_defaults" {
  assert {
    condition     = alltrue([for env in values(module.stack.effective_settings.function_environment) : env.ENVIRONMENT == "prod"])
    error_message = "Every function must run with ENVIRONMENT=prod."
  }

  assert {
    condition     = module.stack.effective_settings.database.deletion_protection == true
    error_message = "The prod database must have deletion protection."
  }

  assert {
    condition     = module.stack.effective_settings.database.multi_az == true
    error_message = "The prod database must be Multi-AZ."
  }

  assert {
    condition     = module.stack.effective_settings.database.skip_final_snapshot == false
    error_message = "Deleting the prod database must leave a final snapshot."
  }

  assert {
    condition     = alltrue([for env in values(module.stack.effective_settings.function_environment) : env.DB_PROXY == "true"])
    error_message = "prod connects through the RDS Proxy: DB_PROXY must be true."
  }

  assert {
    condition     = output.db_host == module.stack.effective_settings.db_proxy_endpoint && module.stack.effective_settings.db_proxy_endpoint != ""
    error_message = "prod's DATABASE_URL must point at the proxy endpoint."
  }

  assert {
    condition     = module.stack.effective_settings.reserved_concurrency["api"] >= 1 && module.stack.effective_settings.reserved_concurrency["worker"] >= 1
    error_message = "prod reserves concurrency for the api and worker functions."
  }

  assert {
    condition     = module.stack.effective_settings.reserved_concurrency["sweep"] == 1
    error_message = "Only one sweep may run at a time."
  }

  assert {
    condition     = module.stack.effective_settings.reserved_concurrency["report"] == 1
    error_message = "Only one weekly report may run at a time (no double post)."
  }

  assert {
    condition     = module.stack.effective_settings.worker_maximum_concurrency <= module.stack.effective_settings.reserved_concurrency["worker"]
    error_message = "The SQS event source must not start more workers than are reserved (that only causes throttling)."
  }

  assert {
    condition     = alltrue([for r in values(module.stack.effective_settings.log_retention_days) : r >= 90])
    error_message = "prod keeps function logs for at least 90 days."
  }

  assert {
    condition     = module.stack.effective_settings.secret_kms_key_arn != null
    error_message = "The prod secret is encrypted with a customer managed key."
  }
}

run "without_rds_proxy" {
  variables {
    enable_rds_proxy = false
  }

  assert {
    condition     = alltrue([for env in values(module.stack.effective_settings.function_environment) : env.DB_PROXY == "false"])
    error_message = "Without a proxy, DB_PROXY must be false."
  }
}

run "rejects_short_log_retention" {
  command = plan

  variables {
    log_retention_days = 14
  }

  expect_failures = [var.log_retention_days]
}

# Existing states keep every resource: the modules that this root used to call
# directly are now called by modules/stack. Terraform applies these moves on
# the next plan/apply; nothing is destroyed or re-created.

moved {
  from = module.ecr
  to   = module.stack.module.ecr
}

moved {
  from = module.secrets
  to   = module.stack.module.secrets
}

moved {
  from = module.sqs
  to   = module.stack.module.sqs
}

moved {
  from = module.monitoring
  to   = module.stack.module.monitoring
}

moved {
  from = module.iam
  to   = module.stack.module.iam
}

moved {
  from = module.lambda
  to   = module.stack.module.lambda
}

moved {
  from = module.rds
  to   = module.stack.module.rds
}

moved {
  from = module.api_gateway
  to   = module.stack.module.api_gateway
}

output "tunnel_command" {
  description = "Run this to reach the sandbox database on localhost:5432."
  value       = module.sym_access.sandbox_tunnel_command
}

output "sandbox_instance_id" {
  description = "The sandbox database instance (for `aws ssm start-session --target`)."
  value       = module.sym_access.sandbox_instance_id
}

output "lambda_function_name" {
  description = "The Lambda shim; its logs are in /aws/lambda/NAME."
  value       = module.sym_access.lambda_function_name
}

output "tunnel_policy_arn" {
  description = "Attach this IAM policy to the people who use the sandbox (port forwarding only)."
  value       = module.sym_access.sandbox_tunnel_policy_arn
}

output "rds_address" {
  description = "With sandbox_engine = \"rds\": the instance's DNS name (host= over the tunnel, with hostaddr=127.0.0.1)."
  value       = module.sym_access.sandbox_rds_address
}

output "rds_master_password_parameter" {
  description = "With sandbox_engine = \"rds\": SSM parameter holding the master password."
  value       = module.sym_access.sandbox_rds_master_password_parameter
}

output "setup_sql" {
  description = "With sandbox_engine = \"rds\": run it over the tunnel after dist/sym_access.pgtle.sql."
  value       = module.sym_access.sandbox_setup_sql
}

output "password_parameter_name" {
  description = "SSM parameter holding the sym_bot password (SYM_BOT_PASSWORD for setup_sql)."
  value       = module.sym_access.password_parameter_name
}

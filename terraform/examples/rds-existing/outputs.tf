output "lambda_function_name" {
  description = "The Lambda shim; its logs are in /aws/lambda/NAME."
  value       = module.sym_access.lambda_function_name
}

output "password_parameter_name" {
  description = "SSM parameter holding the bot password (read it when you create the sym_bot login)."
  value       = module.sym_access.password_parameter_name
}

output "rds_parameter_group_name" {
  description = "Attach it to the instance (aws rds modify-db-instance --db-parameter-group-name ...) and reboot it."
  value       = module.sym_access.rds_parameter_group_name
}

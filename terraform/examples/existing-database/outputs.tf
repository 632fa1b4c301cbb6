output "lambda_function_name" {
  description = "The Lambda shim; its logs are in /aws/lambda/NAME."
  value       = module.sym_access.lambda_function_name
}

output "password_parameter_name" {
  description = "SSM parameter to rotate the bot password in."
  value       = module.sym_access.password_parameter_name
}

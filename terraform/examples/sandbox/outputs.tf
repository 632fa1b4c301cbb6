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

output "lambda_function_name" {
  description = "The Lambda shim; its logs are in /aws/lambda/NAME."
  value       = module.sym_access.lambda_function_name
}

output "secret_prefix" {
  description = "Requesters read aws secretsmanager get-secret-value --secret-id PREFIX/<their e-mail>/<run id>."
  value       = module.sym_access.secret_prefix
}

output "requester_secrets_policy_arn" {
  description = "The requesters' read policy, attached to their permission set."
  value       = module.sym_access.requester_secrets_policy.arn
}

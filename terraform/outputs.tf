output "lambda_function_arn" {
  description = "ARN of the sym_access Lambda shim (the sym_target setting Sym invokes)."
  value       = aws_lambda_function.shim.arn
}

output "lambda_function_name" {
  description = "Name of the Lambda, for `aws lambda invoke` and its log group /aws/lambda/NAME."
  value       = aws_lambda_function.shim.function_name
}

output "lambda_role_arn" {
  description = "Execution role of the Lambda."
  value       = aws_iam_role.lambda.arn
}

output "password_parameter_name" {
  description = "SSM SecureString holding the bot's password (PG_PASSWORD_KEY)."
  value       = local.password_param_name
}

output "db_connection" {
  description = "What the Lambda connects to (host, port, database, bot user, sslmode); no password."
  value       = local.db
}

output "sym_flow_id" {
  description = "ID of the sym_flow."
  value       = sym_flow.this.id
}

output "sym_environment_id" {
  description = "ID of the sym_environment."
  value       = sym_environment.this.id
}

output "sym_target_ids" {
  description = "sym_target IDs by PostgreSQL role name."
  value       = { for name, t in sym_target.role : name => t.id }
}

output "sym_runtime_role_arn" {
  description = "IAM role the Sym runtime assumes in this account."
  value       = module.runtime_connector.sym_runtime_connector_role.arn
}

output "sweep_rule_arn" {
  description = "EventBridge rule that sends the sweep event (null when sweep_enabled is false)."
  value       = try(aws_cloudwatch_event_rule.sweep[0].arn, null)
}

output "sandbox_instance_id" {
  description = "EC2 instance of the sandbox database (null unless db_enabled)."
  value       = try(aws_instance.sandbox_db[0].id, null)
}

output "sandbox_vpc_id" {
  description = "VPC of the sandbox (null unless db_enabled)."
  value       = try(aws_vpc.sandbox[0].id, null)
}

output "sandbox_tunnel_command" {
  description = "Command that forwards localhost:5432 to the sandbox database through SSM Session Manager (null unless db_enabled)."
  value       = var.db_enabled ? "${path.module}/tunnel.sh -i ${aws_instance.sandbox_db[0].id} -r ${local.region}" : null
}

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

output "password_kms_key_arn" {
  description = "KMS key of the password parameter (created by the module unless kms_key_arn was given)."
  value       = local.kms_key_arn
}

output "db_connection" {
  description = "What the Lambda connects to (host, port, database, bot user, sslmode); no password."
  value       = local.db
}

output "db_ca_layer_arn" {
  description = "Lambda layer holding the CA certificate the Lambda verifies the database with."
  value       = aws_lambda_layer_version.db_ca.arn
}

output "cloudtrail_arn" {
  description = "Trail recording the Lambda's invocations (null when cloudtrail_data_events is false)."
  value       = try(aws_cloudtrail.lambda_invokes[0].arn, null)
}

output "sweep_failure_queue_url" {
  description = "SQS queue receiving failed or undeliverable sweeps (null when sweep_enabled is false)."
  value       = try(aws_sqs_queue.sweep_failures[0].url, null)
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
  description = "EC2 instance of the sandbox: the database (sandbox_engine ec2) or the tunnel bastion (rds); null unless db_enabled."
  value       = try(local.sandbox_host_instance.id, null)
}

output "sandbox_vpc_id" {
  description = "VPC of the sandbox (null unless db_enabled)."
  value       = try(aws_vpc.sandbox[0].id, null)
}

output "sandbox_tunnel_command" {
  description = "Command that forwards localhost:5432 to the sandbox database through SSM Session Manager (null unless db_enabled)."
  value       = var.db_enabled ? "${path.module}/tunnel.sh -i ${local.sandbox_host_instance.id} -H ${local.db.host} -r ${local.region}" : null
}

output "sandbox_tunnel_policy_arn" {
  description = "IAM policy to attach to the people who use the sandbox: port forwarding to its PostgreSQL only (null unless db_enabled)."
  value       = try(aws_iam_policy.sandbox_session["tunnel"].arn, null)
}

output "sandbox_admin_policy_arn" {
  description = "IAM policy for sandbox administrators: a shell on the instance through the logged session document (null unless db_enabled)."
  value       = try(aws_iam_policy.sandbox_session["admin"].arn, null)
}

output "sandbox_ca_cert_pem" {
  description = "Certificate of the sandbox PostgreSQL, to verify it from psql (sslrootcert) over the tunnel (null unless db_enabled)."
  value       = local.sandbox_rds ? var.db_ca_cert_pem : try(tls_self_signed_cert.sandbox_db[0].cert_pem, null)
}

output "sym_invoke_role_arn" {
  description = "Role Sym assumes to invoke the Lambda (from symopsio/lambda-connector): name it, with your deploy pipeline, in the SCP of examples/scp."
  value       = try(module.lambda_connector.settings["role_arn"], null)
}

output "rds_parameter_group_name" {
  description = "DB parameter group preloading pg_tle and pg_cron (null unless rds_parameter_group_enabled or the RDS sandbox): attach it to your RDS instance and reboot it."
  value       = try(aws_db_parameter_group.pg_tle[0].name, null)
}

output "sandbox_rds_address" {
  description = "DNS name of the RDS sandbox (null unless sandbox_engine = \"rds\"): the host name its certificate carries, to use as host= with hostaddr=127.0.0.1 over the tunnel."
  value       = try(aws_db_instance.sandbox[0].address, null)
}

output "sandbox_rds_master_password_parameter" {
  description = "SSM SecureString holding the RDS sandbox's master password (null unless sandbox_engine = \"rds\"), read by the administrator who installs the pg_tle edition."
  value       = try(aws_ssm_parameter.sandbox_rds_master[0].name, null)
}

output "sandbox_setup_sql" {
  description = "psql script creating the extension, the postgres_roles (allowed), the sandbox_db_users and the sym_bot login (its password from the SYM_BOT_PASSWORD environment variable, never in the script): the EC2 sandbox runs it at boot; on the RDS sandbox run it over the tunnel after dist/sym_access.pgtle.sql (null unless db_enabled)."
  value       = var.db_enabled ? local.sandbox_setup_sql : null
}

# Temporary users (issue 12; secrets.tf).

output "temporary_users_enabled" {
  description = "Whether the Lambda holds its Secrets Manager rights for temporary users (a postgres_roles entry with mode = \"temporary_user\", or temporary_users_enabled)."
  value       = local.temporary_users
}

output "secret_prefix" {
  description = "Name prefix of the temporary users' secrets (SYM_SHIM_SECRET_PREFIX): a requester reads <prefix>/<their e-mail>/<run id>."
  value       = local.secret_prefix
}

output "requester_secrets_policy" {
  description = "Managed policy letting a requester read only the secrets tagged sym.user = their aws:PrincipalTag/<requester_identity_tag> (their e-mail) and write nothing below the prefix: attach it to the requesters' IAM Identity Center permission set as a customer managed policy (name and path), with the attribute for access control enabled. null unless temporary users are enabled."
  value = local.temporary_users ? {
    arn  = aws_iam_policy.requester_secrets[0].arn
    name = aws_iam_policy.requester_secrets[0].name
    path = aws_iam_policy.requester_secrets[0].path
    json = data.aws_iam_policy_document.requester_secrets[0].json
  } : null
}

variable "aws_region" {
  description = "AWS region of the database's VPC (and of the secrets)."
  type        = string
  default     = "us-east-1"
}

variable "identity_center_region" {
  description = "Region of the IAM Identity Center instance."
  type        = string
  default     = "us-east-1"
}

variable "identity_center_instance_arn" {
  description = "ARN of the IAM Identity Center instance (arn:aws:sso:::instance/ssoins-...)."
  type        = string
}

variable "requester_permission_set_arn" {
  description = "Permission set the requesters sign in with to this account; it receives the module's read policy."
  type        = string
}

variable "manage_access_control_attributes" {
  description = "Manage the Identity Center instance's attributes for access control here (key email = the user's primary e-mail). false if they are managed elsewhere: then make sure the email key is there."
  type        = bool
  default     = true
}

variable "sym_org" {
  description = "Sym organization slug."
  type        = string
}

variable "slack_workspace_id" {
  description = "Slack workspace ID (T...)."
  type        = string
}

variable "db_host" {
  description = "Host name of the PostgreSQL 16+ server, as its TLS certificate names it (sslmode verify-full)."
  type        = string
}

variable "bot_password" {
  description = "Password of the sym_bot login. Ephemeral: pass it as TF_VAR_bot_password; it is in neither the plan nor the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "db_ca_cert_file" {
  description = "PEM file of the CA that signed the PostgreSQL server's certificate."
  type        = string
}

variable "approvers" {
  description = "E-mails of the people who may approve access requests."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Private subnets that route to the database and to the SSM and Secrets Manager APIs."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the Lambda: egress to the database's port and tcp/443 to the ssm and secretsmanager endpoints."
  type        = list(string)
}

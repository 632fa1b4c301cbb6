variable "aws_region" {
  description = "AWS region of the database's VPC."
  type        = string
  default     = "us-east-1"
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
  description = "Host name of the PostgreSQL server, as its TLS certificate names it (sslmode verify-full)."
  type        = string
}

variable "bot_password" {
  description = "Password of the sym_bot login (CREATE ROLE sym_bot LOGIN PASSWORD ...; GRANT sym_access_operator TO sym_bot). Ephemeral: pass it as TF_VAR_bot_password; it is in neither the plan nor the state."
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
  description = "Private subnets that route to the database and to the SSM API."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups the database accepts on its port."
  type        = list(string)
}

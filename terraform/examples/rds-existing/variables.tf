variable "aws_region" {
  description = "AWS region of the RDS instance."
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

variable "db_instance_identifier" {
  description = "Identifier of the existing RDS for PostgreSQL instance (15 to 18: the versions the pg_tle edition is tested on)."
  type        = string
}

variable "db_name" {
  description = "Database sym_access is installed in (and pg_cron runs its jobs in)."
  type        = string
  default     = "postgres"
}

variable "parameter_group_family" {
  description = "Engine family of the instance: postgres15 ... postgres18 (the instance's major version)."
  type        = string
  default     = "postgres16"
}

variable "rds_ca_bundle_file" {
  description = "PEM file of the RDS CA bundle of the region (https://truststore.pki.rds.amazonaws.com/REGION/REGION-bundle.pem)."
  type        = string
}

variable "bot_password" {
  description = "Password of the sym_bot login. Ephemeral: pass it as TF_VAR_bot_password; it is in neither the plan nor the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "approvers" {
  description = "E-mails of the people who may approve access requests."
  type        = list(string)
}

variable "vpc_id" {
  description = "VPC of the RDS instance."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of that VPC for the Lambda (they reach the instance and the SSM interface endpoint)."
  type        = list(string)
}

variable "db_security_group_id" {
  description = "Security group of the RDS instance: this example adds to it tcp/5432 from the Lambda's group (and nothing else)."
  type        = string
}

variable "ssm_endpoint_security_group_id" {
  description = "Security group of the VPC's SSM interface endpoint: this example adds tcp/443 from the Lambda's group."
  type        = string
}

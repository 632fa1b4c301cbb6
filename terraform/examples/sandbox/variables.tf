variable "aws_region" {
  description = "AWS region for the sandbox."
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

variable "requesters" {
  description = "Database logins to create for the people who will request access: the local part of their Sym e-mail with '-' replaced by '_' (jane-doe@example.com -> jane_doe)."
  type        = list(string)
  default     = []
}

variable "approvers" {
  description = "E-mails of the people who may approve access requests."
  type        = list(string)
}

variable "sandbox_engine" {
  description = "\"ec2\" (PostgreSQL 15 with the C edition, default) or \"rds\" (RDS for PostgreSQL 16 with the pg_tle edition)."
  type        = string
  default     = "ec2"
}

variable "rds_ca_bundle_file" {
  description = "With sandbox_engine = \"rds\": PEM file of the region's RDS CA bundle (https://truststore.pki.rds.amazonaws.com/REGION/REGION-bundle.pem)."
  type        = string
  default     = null
}

variable "aws_region" {
  description = "Region of the sym_access deployment."
  type        = string
  default     = "us-east-1"
}

variable "partition" {
  description = "AWS partition (aws, aws-us-gov, aws-cn)."
  type        = string
  default     = "aws"
}

variable "account_id" {
  description = "Account that runs sym_access."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "target_id" {
  description = "Where to attach the SCP: that account's ID or its OU (ou-...)."
  type        = string
}

variable "name_prefix" {
  description = "name_prefix given to the sym_access module."
  type        = string
  default     = "sym-access"
}

variable "sym_invoke_role_arn" {
  description = "The module's sym_invoke_role_arn output: the role Sym's runtime uses to invoke the Lambda."
  type        = string
}

variable "deploy_role_arns" {
  description = "Roles of the deploy pipeline that applies the module (ARN patterns allowed, e.g. arn:aws:iam::111122223333:role/terraform-*)."
  type        = list(string)

  validation {
    condition     = length(var.deploy_role_arns) > 0
    error_message = "Name at least the pipeline's role, or nobody can update the Lambda."
  }
}

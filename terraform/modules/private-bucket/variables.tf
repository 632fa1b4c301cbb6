variable "bucket_prefix" {
  description = "Prefix of the bucket's name (S3 appends a unique suffix)."
  type        = string
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "policy_documents" {
  description = "JSON policy documents whose statements join the bucket policy (next to the TLS-only Deny)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  default     = {}
}

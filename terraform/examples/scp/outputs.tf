output "scp_json" {
  description = "The policy as attached, for review."
  value       = data.aws_iam_policy_document.scp.minified_json
}

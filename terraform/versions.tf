terraform {
  # 1.11: write-only arguments (aws_ssm_parameter.value_wo) and ephemeral
  # resources (ephemeral "random_password"), so no password reaches the state.
  required_version = ">= 1.11.0"

  # Exact pins: the lint checks every aws_* argument against the schema of
  # exactly this AWS provider version (scripts/lint/aws-schema.mjs), and
  # value_wo needs aws >= 5.87, ephemeral random_password random >= 3.7.
  # Commit the .terraform.lock.hcl that `terraform init` writes next to your
  # root module (see README.md, "Provider pins").
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
    sym = {
      source  = "symopsio/sym"
      version = "3.0.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "4.1.0"
    }
  }
}

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.31, < 7.0"
    }
    sym = {
      source  = "symopsio/sym"
      version = "~> 3.0"
    }
  }
}

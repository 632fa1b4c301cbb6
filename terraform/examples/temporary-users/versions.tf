terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
    sym = {
      source  = "symopsio/sym"
      version = "3.0.0"
    }
  }
}

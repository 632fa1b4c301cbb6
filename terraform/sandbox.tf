# Sandbox (db_enabled = true): a VPC and one EC2 instance running PostgreSQL 15
# with sym_access built from this repository by cloud-init. Amazon RDS and Aurora
# cannot load a C extension that AWS does not ship, so the sandbox is self-managed
# PostgreSQL; see README.md.

locals {
  sandbox_count = var.db_enabled ? 1 : 0
  source_dir    = coalesce(var.extension_source_dir, "${path.module}/..")

  # SQL run by the instance after the extension is installed. Names were
  # validated as plain identifiers; labels are quoted as SQL literals.
  sandbox_setup_sql = join("\n", concat(
    ["CREATE EXTENSION IF NOT EXISTS sym_access;"],
    flatten([for r in var.postgres_roles : [
      "SELECT 'CREATE ROLE ${r.name} NOLOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${r.name}') \\gexec",
      r.name == "readonly" ? "GRANT pg_read_all_data TO readonly;" : "-- ${r.name}: grant it the privileges it stands for",
      "SELECT sym_access.allow_role('${r.name}', '${replace(r.label, "'", "''")}') WHERE NOT EXISTS (SELECT FROM sym_access.allowed_role WHERE role = '${r.name}'::regrole);",
    ]]),
    [for u in var.sandbox_db_users :
      "SELECT 'CREATE ROLE ${u} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${u}') \\gexec"
    ],
    [
      "\\getenv bot_password SYM_BOT_PASSWORD",
      "SELECT 'CREATE ROLE sym_bot LOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sym_bot') \\gexec",
      "SELECT format('ALTER ROLE sym_bot PASSWORD %L', :'bot_password') \\gexec",
      "GRANT sym_access_operator TO sym_bot;",
      "",
    ],
  ))

  sandbox_env = join("\n", [
    "SYM_DB_NAME=${var.sandbox_db_name}",
    "SYM_VPC_CIDR=${var.sandbox_vpc_cidr}",
    "SYM_PASSWORD_PARAM=${local.password_param_name}",
    "SYM_SOURCE_S3_URI=s3://${try(aws_s3_bucket.sandbox_source[0].id, "")}/${try(aws_s3_object.sandbox_source[0].key, "")}",
    "AWS_DEFAULT_REGION=${local.region}",
    "",
  ])
}

data "aws_availability_zones" "available" {
  count = local.sandbox_count
  state = "available"
}

############################ Network ############################

resource "aws_vpc" "sandbox" {
  count = local.sandbox_count

  cidr_block           = var.sandbox_vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-sandbox" })
}

resource "aws_subnet" "public" {
  count = local.sandbox_count

  vpc_id            = aws_vpc.sandbox[0].id
  cidr_block        = cidrsubnet(var.sandbox_vpc_cidr, 4, 0)
  availability_zone = data.aws_availability_zones.available[0].names[0]
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-public" })
}

resource "aws_subnet" "private" {
  count = var.db_enabled ? 2 : 0

  vpc_id            = aws_vpc.sandbox[0].id
  cidr_block        = cidrsubnet(var.sandbox_vpc_cidr, 4, count.index + 1)
  availability_zone = data.aws_availability_zones.available[0].names[count.index]
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-private-${count.index}" })
}

resource "aws_internet_gateway" "sandbox" {
  count = local.sandbox_count

  vpc_id = aws_vpc.sandbox[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox" })
}

resource "aws_eip" "nat" {
  count = local.sandbox_count

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox-nat" })
}

# One NAT gateway: the instance needs dnf repositories and the SSM endpoints, the
# Lambda needs the SSM API (through the Parameters and Secrets extension).
resource "aws_nat_gateway" "sandbox" {
  count = local.sandbox_count

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = merge(var.tags, { Name = "${var.name_prefix}-sandbox" })

  depends_on = [aws_internet_gateway.sandbox]
}

resource "aws_route_table" "public" {
  count = local.sandbox_count

  vpc_id = aws_vpc.sandbox[0].id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.sandbox[0].id
  }
  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-public" })
}

resource "aws_route_table_association" "public" {
  count = local.sandbox_count

  subnet_id      = aws_subnet.public[0].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_route_table" "private" {
  count = local.sandbox_count

  vpc_id = aws_vpc.sandbox[0].id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.sandbox[0].id
  }
  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-private" })
}

resource "aws_route_table_association" "private" {
  count = var.db_enabled ? 2 : 0

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

# S3 traffic (extension sources, dnf mirrors) stays off the NAT gateway.
resource "aws_vpc_endpoint" "s3" {
  count = local.sandbox_count

  vpc_id            = aws_vpc.sandbox[0].id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private[0].id]
  tags              = merge(var.tags, { Name = "${var.name_prefix}-sandbox-s3" })
}

resource "aws_security_group" "lambda" {
  count = local.sandbox_count

  name        = "${var.name_prefix}-lambda"
  description = "sym_access Lambda: outbound only"
  vpc_id      = aws_vpc.sandbox[0].id

  egress {
    description = "PostgreSQL and the SSM API"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda" })
}

resource "aws_security_group" "sandbox_db" {
  count = local.sandbox_count

  name        = "${var.name_prefix}-sandbox-db"
  description = "sym_access sandbox PostgreSQL: 5432 from the Lambda only; no SSH (use SSM)"
  vpc_id      = aws_vpc.sandbox[0].id

  ingress {
    description     = "PostgreSQL from the Lambda"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.lambda[0].id]
  }

  egress {
    description = "dnf repositories, S3, SSM"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-db" })
}

############################ Extension sources ############################

resource "aws_s3_bucket" "sandbox_source" {
  count = local.sandbox_count

  bucket_prefix = "${var.name_prefix}-src-"
  force_destroy = true
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "sandbox_source" {
  count = local.sandbox_count

  bucket                  = aws_s3_bucket.sandbox_source[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "sandbox_source" {
  count = local.sandbox_count

  bucket = aws_s3_bucket.sandbox_source[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

data "archive_file" "sandbox_source" {
  count = local.sandbox_count

  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.root}/.terraform/sym-access-src.zip"
  excludes = [
    ".git/**", ".cache/**", "dist/**", "terraform/**", "docker/**",
    "**/*.o", "**/*.so", "**/*.bc", "**/.terraform/**", "**/*.tfstate*",
  ]
}

resource "aws_s3_object" "sandbox_source" {
  count = local.sandbox_count

  bucket = aws_s3_bucket.sandbox_source[0].id
  key    = "sym-access-src-${data.archive_file.sandbox_source[0].output_md5}.zip"
  source = data.archive_file.sandbox_source[0].output_path
  etag   = data.archive_file.sandbox_source[0].output_md5
  tags   = var.tags
}

############################ Instance ############################

resource "random_password" "sandbox_bot" {
  count = local.sandbox_count

  length  = 32
  special = false
}

data "aws_ssm_parameter" "al2023_ami" {
  count = local.sandbox_count
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

data "aws_iam_policy_document" "ec2_assume" {
  count = local.sandbox_count

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sandbox_db" {
  count = local.sandbox_count

  name               = "${var.name_prefix}-sandbox-db"
  description        = "sym_access sandbox database instance: SSM Session Manager, its sources, the bot password"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "sandbox_db_ssm" {
  count = local.sandbox_count

  role       = aws_iam_role.sandbox_db[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "sandbox_db" {
  count = local.sandbox_count

  statement {
    sid       = "ReadExtensionSources"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.sandbox_source[0].arn}/${aws_s3_object.sandbox_source[0].key}"]
  }

  statement {
    sid       = "ReadBotPassword"
    actions   = ["ssm:GetParameter"]
    resources = [local.password_param_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptBotPassword"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "sandbox_db" {
  count = local.sandbox_count

  name   = "${var.name_prefix}-sandbox-db"
  role   = aws_iam_role.sandbox_db[0].id
  policy = data.aws_iam_policy_document.sandbox_db[0].json
}

resource "aws_iam_instance_profile" "sandbox_db" {
  count = local.sandbox_count

  name = "${var.name_prefix}-sandbox-db"
  role = aws_iam_role.sandbox_db[0].name
  tags = var.tags
}

resource "aws_instance" "sandbox_db" {
  count = local.sandbox_count

  ami                    = data.aws_ssm_parameter.al2023_ami[0].value
  instance_type          = var.sandbox_instance_type
  subnet_id              = aws_subnet.private[0].id
  vpc_security_group_ids = [aws_security_group.sandbox_db[0].id]
  iam_instance_profile   = aws_iam_instance_profile.sandbox_db[0].name

  user_data = templatefile("${path.module}/sandbox/cloud-init.yaml.tftpl", {
    bootstrap_b64 = base64encode(file("${path.module}/sandbox/bootstrap.sh"))
    env_b64       = base64encode(local.sandbox_env)
    setup_sql_b64 = base64encode(local.sandbox_setup_sql)
  })
  user_data_replace_on_change = true

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 20
    encrypted   = true
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-sandbox-db" })

  # The instance reads the password at boot and needs the NAT route for dnf.
  depends_on = [
    aws_ssm_parameter.bot_password,
    aws_ssm_parameter.bot_password_unmanaged,
    aws_iam_role_policy.sandbox_db,
    aws_route_table_association.private,
    aws_vpc_endpoint.s3,
  ]
}

############################ Naming and tagging ############################

variable "name_prefix" {
  description = "Prefix for every AWS resource name (Lambda function, IAM roles, SSM parameter path, sandbox VPC and instance)."
  type        = string
  default     = "sym-access"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 characters: lower-case letters, digits and '-', starting with a letter."
  }
}

variable "tags" {
  description = "Tags applied to every AWS resource the module creates."
  type        = map(string)
  default     = {}
}

############################ Roles offered in Slack ############################

variable "postgres_roles" {
  description = "PostgreSQL roles that users can request through Sym, one sym_target each. `name` is the role as it exists in the database (a plain lower-case identifier, at most 63 bytes); `label` is what Slack shows; `mode` is how sym_access grants it: \"membership\" (default: the requester's own login becomes a member) or \"temporary_user\" (PostgreSQL 16+: a new login per approved request, its password handed over through Secrets Manager; this gives the Lambda its Secrets Manager rights, see temporary_users_enabled). Each role must also be on the extension's allow-list with the same mode: SELECT sym_access.allow_role(name, label, mode => 'temporary_user')."
  type = list(object({
    name  = string
    label = string
    mode  = optional(string, "membership")
  }))
  default = [{ name = "readonly", label = "Read Only" }]

  validation {
    condition     = length(var.postgres_roles) > 0
    error_message = "postgres_roles needs at least one role."
  }

  validation {
    condition = alltrue([
      for r in var.postgres_roles :
      can(regex("^[a-z_][a-z0-9_$]{0,62}$", r.name)) && !startswith(r.name, "pg_") && !startswith(r.name, "sym_access_")
    ])
    error_message = "Each postgres_roles name must be a plain PostgreSQL identifier: lower-case letter or '_' first, then lower-case letters, digits, '_' or '$', at most 63 bytes, not starting with pg_ or sym_access_."
  }

  validation {
    condition     = length(distinct([for r in var.postgres_roles : r.name])) == length(var.postgres_roles)
    error_message = "postgres_roles names must be unique."
  }

  validation {
    condition     = alltrue([for r in var.postgres_roles : length(trimspace(r.label)) > 0 && length(r.label) <= 100])
    error_message = "Each postgres_roles label must be non-empty and at most 100 characters."
  }

  validation {
    condition     = alltrue([for r in var.postgres_roles : contains(["membership", "temporary_user"], r.mode)])
    error_message = "Each postgres_roles mode must be \"membership\" or \"temporary_user\"."
  }
}

############################ Temporary users (issue 12) ############################

variable "temporary_users_enabled" {
  description = "Give the Lambda its Secrets Manager rights (create, update, tag and delete secrets under secret_prefix) and create the requesters' read policy even when no postgres_roles entry has mode = \"temporary_user\" (for roles allowed in that mode by hand). false (default): they exist only when some postgres_roles entry is a temporary_user role."
  type        = bool
  default     = false
  nullable    = false
}

variable "secret_prefix" {
  description = "Name prefix of the Secrets Manager secrets holding temporary users' credentials (<prefix>/<requester e-mail>/<run id>), passed to the Lambda as SYM_SHIM_SECRET_PREFIX. The Lambda may write, and requesters may read, only below it. null: sym-access/<function name> (the shim's own default)."
  type        = string
  default     = null

  # Secret names take letters, digits and /_+=.@-; the prefix becomes part of
  # IAM resource patterns, so no wildcard can slip in (the character set has
  # none) and it must not end in '/' (the policies add "/*").
  validation {
    condition     = var.secret_prefix == null || can(regex("^[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*$", var.secret_prefix))
    error_message = "secret_prefix must be one or more '/'-separated segments of letters, digits and _+=.@- (no leading or trailing '/', no wildcards)."
  }

  validation {
    condition     = var.secret_prefix == null || try(length(var.secret_prefix) <= 256, false)
    error_message = "secret_prefix must be at most 256 characters (secret names are at most 512)."
  }
}

variable "requester_can_list_secrets" {
  description = "Let requesters call secretsmanager:ListSecrets (the requesters' policy), to find their secret without the run id (aws secretsmanager list-secrets --filters Key=name,Values=<prefix>/<e-mail>/). ListSecrets has no resource-level permission: it shows the names and tags, never the values, of every secret in the account and region. false: they name the secret themselves."
  type        = bool
  default     = false
  nullable    = false
}

variable "requester_identity_tag" {
  description = "Principal tag that carries a requester's e-mail in their AWS session (IAM Identity Center: an attribute for access control, e.g. key \"email\" = $${path:emails[primary].value}). The requesters' policy lets a principal read a secret only when the secret's sym.user tag (the requester's e-mail as Sym knows it) equals this tag."
  type        = string
  default     = "email"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:/=+@-]{1,128}$", var.requester_identity_tag)) && !startswith(lower(var.requester_identity_tag), "aws:")
    error_message = "requester_identity_tag must be a tag key (1-128 of letters, digits and _.:/=+@-, not aws:...)."
  }
}

############################ Existing database ############################

variable "db_enabled" {
  description = "true: create a sandbox (a VPC without internet route, VPC endpoints, and an EC2 instance running PostgreSQL 15 with sym_access built from source by cloud-init, reachable through SSM Session Manager port forwarding; RDS for PostgreSQL with the pg_tle edition instead when sandbox_engine = \"rds\") and point the Lambda at it. false: use db_config, db_password, db_ca_cert_pem, subnet_ids and security_group_ids."
  type        = bool
  default     = false
}

variable "db_config" {
  description = "Connection to an existing PostgreSQL (15-18) with sym_access installed: the C extension (self-managed) or the pg_tle edition (RDS, Aurora: see examples/rds-existing and the README section The RDS path). No password here (see db_password). sslmode is verify-full (default) or verify-ca: the Lambda always verifies the server against db_ca_cert_pem. Required when db_enabled is false."
  type = object({
    host    = string
    port    = optional(number, 5432)
    name    = optional(string, "postgres")
    user    = optional(string, "sym_bot")
    sslmode = optional(string, "verify-full")
  })
  default = null

  validation {
    condition     = var.db_config == null || try(length(var.db_config.host) > 0 && var.db_config.port > 0 && var.db_config.port < 65536, false)
    error_message = "db_config.host must be set and db_config.port must be a TCP port."
  }

  # disable/allow/prefer send the password in clear text to whoever answers;
  # require encrypts but does not check who answers.
  validation {
    condition     = var.db_config == null || try(contains(["verify-ca", "verify-full"], var.db_config.sslmode), false)
    error_message = "db_config.sslmode must be verify-full or verify-ca: the Lambda authenticates the server (disable, allow, prefer and require do not)."
  }

  validation {
    condition     = var.db_config == null || try(can(regex("^[a-z_][a-z0-9_$]{0,62}$", var.db_config.user)), false)
    error_message = "db_config.user (the bot login) must be a plain lower-case PostgreSQL identifier of at most 63 bytes."
  }
}

variable "db_password" {
  description = "The bot login's password (existing database). Ephemeral: it is written to the SSM parameter through the write-only value_wo and never stored in the state or the plan. Pass it from an ephemeral source (TF_VAR_db_password, an ephemeral resource). Terraform writes it when the parameter is created and whenever db_password_version changes; between those, rotate it out of band (`aws ssm put-parameter --overwrite`). Ignored when db_enabled is true (the sandbox generates one)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.db_enabled || try(length(var.db_password) >= 16, false)
    error_message = "Set db_password (at least 16 characters) when db_enabled is false."
  }
}

variable "db_password_version" {
  description = "Bump to make Terraform write db_password to SSM again (value_wo_version)."
  type        = number
  default     = 1

  validation {
    condition     = var.db_password_version >= 1 && floor(var.db_password_version) == var.db_password_version
    error_message = "db_password_version must be a positive integer."
  }
}

variable "db_ca_cert_pem" {
  description = "PEM of the CA (or self-signed certificate) that signed the database server's certificate. Shipped to the Lambda as a layer (PGSSLROOTCERT=/opt/sym-access/root.crt). Required when db_enabled is false; for RDS and Aurora (and sandbox_engine = \"rds\") the RDS CA bundle of the region (https://truststore.pki.rds.amazonaws.com/REGION/REGION-bundle.pem); the EC2 sandbox makes its own."
  type        = string
  default     = null

  validation {
    condition     = var.db_ca_cert_pem == null || can(regex("-----BEGIN CERTIFICATE-----", var.db_ca_cert_pem))
    error_message = "db_ca_cert_pem must be a PEM certificate (-----BEGIN CERTIFICATE-----)."
  }
}

variable "subnet_ids" {
  description = "Subnets for the Lambda's VPC attachment: they must reach the database and an ssm interface VPC endpoint (no NAT needed). The execution role may create and delete network interfaces in these subnets only. Ignored when db_enabled is true."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for the Lambda. Give them egress to the database's port and tcp/443 to the ssm endpoint only (no 0.0.0.0/0); the database must accept their traffic on its port. Ignored when db_enabled is true."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Your own customer-managed KMS key for the SSM SecureString. null (default): the module creates one (rotation on) whose key policy lets only the Lambda's role, the sandbox's role and the deploying principal decrypt, through SSM, for the module's parameters. When set, its key policy is yours: give it the same conditions (kms:ViaService ssm, kms:EncryptionContext:PARAMETER_ARN)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

############################ Lambda ############################

variable "lambda_zip_path" {
  description = "Path of the Lambda package built by `make lambda-zip`. null means dist/sym-access-lambda.zip at the repository root (one level above this module)."
  type        = string
  default     = null
}

variable "lambda_timeout" {
  description = "Lambda timeout in seconds. The shim keeps statement_timeout below the remaining invocation time."
  type        = number
  default     = 30

  validation {
    condition     = var.lambda_timeout >= 5 && var.lambda_timeout <= 900
    error_message = "lambda_timeout must be between 5 and 900 seconds."
  }
}

variable "lambda_memory_size" {
  description = "Lambda memory in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be between 128 and 10240 MB."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (Lambda, sandbox sessions, flow logs), in days: at least a year, they are part of the audit trail."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts of at least 365 (365, 400, 545, 731, 1096, 1827, ...)."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of the Lambda: at most this many run at once (each holds one database connection), and the rest of the account cannot starve it."
  type        = number
  default     = 5

  validation {
    condition     = var.lambda_reserved_concurrency >= 1 && var.lambda_reserved_concurrency <= 100 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency
    error_message = "lambda_reserved_concurrency must be an integer between 1 and 100."
  }
}

variable "password_cache_ttl" {
  description = "Seconds the Parameters and Secrets extension caches the password (SSM_PARAMETER_STORE_TTL, 0-300). After an out-of-band rotation the Lambda may use the old password this long; a failed login also drops the cached value. 0 disables the cache."
  type        = number
  default     = 300

  validation {
    condition     = var.password_cache_ttl >= 0 && var.password_cache_ttl <= 300 && floor(var.password_cache_ttl) == var.password_cache_ttl
    error_message = "password_cache_ttl must be an integer between 0 and 300."
  }
}

variable "xray_tracing" {
  description = "Active AWS X-Ray tracing of the Lambda (adds xray:PutTraceSegments/PutTelemetryRecords to its role)."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when the Errors, Throttles or sweep-failure alarms change state."
  type        = list(string)
  default     = []
}

variable "cloudtrail_data_events" {
  description = "Create a CloudTrail trail (and its bucket) recording every invocation of the Lambda: Lambda invokes are data events, which CloudTrail does not record by default. Turn off only if an organization trail already records them."
  type        = bool
  default     = true
}

variable "secrets_extension_layer_version" {
  description = "Version of AWS's x86_64 'AWS-Parameters-and-Secrets-Lambda-Extension' layer, used with the publisher account of the current region. Check the current number in the AWS Systems Manager user guide ('AWS Parameters and Secrets Lambda Extension ARNs')."
  type        = number
  default     = 12

  validation {
    condition     = var.secrets_extension_layer_version >= 1 && floor(var.secrets_extension_layer_version) == var.secrets_extension_layer_version
    error_message = "secrets_extension_layer_version must be a positive integer."
  }
}

variable "secrets_extension_layer_arn" {
  description = "Full ARN of the Parameters and Secrets extension layer (x86_64). Overrides the region table and secrets_extension_layer_version; needed in regions the table does not list."
  type        = string
  default     = null

  validation {
    condition     = var.secrets_extension_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension:[0-9]+$", var.secrets_extension_layer_arn))
    error_message = "secrets_extension_layer_arn must be the x86_64 AWS-Parameters-and-Secrets-Lambda-Extension layer ARN with a version (not the -Arm64 layer)."
  }
}

variable "sweep_enabled" {
  description = "Create the EventBridge schedule that sends {\"type\":\"sweep\"} to the Lambda, which runs sym_access.expire(). Keep it on unless the database preloads sym_access (background worker) or runs the sweep from pg_cron; it is harmless alongside them."
  type        = bool
  default     = true
}

variable "sweep_schedule" {
  description = "EventBridge schedule expression for the sweep."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.sweep_schedule))
    error_message = "sweep_schedule must be an EventBridge expression such as rate(5 minutes) or cron(0/5 * * * ? *)."
  }
}

############################ Sym ############################

variable "sym_environment_name" {
  description = "Name of the sym_environment (and of the runtime and lambda connectors), e.g. main, staging, prod."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,31}$", var.sym_environment_name))
    error_message = "sym_environment_name must be lower-case letters, digits, '-' or '_', starting with a letter, at most 32 characters."
  }
}

variable "slack_workspace_id" {
  description = "Slack workspace ID (starts with T) that Sym is installed in."
  type        = string

  validation {
    condition     = can(regex("^T[A-Z0-9]{6,}$", var.slack_workspace_id))
    error_message = "slack_workspace_id must be a Slack workspace ID such as T01ABCDEFGH."
  }
}

variable "error_channel" {
  description = "Slack channel where Sym reports flow errors (e.g. a denied grant or an unreachable database)."
  type        = string
  default     = "#sym-errors"

  validation {
    condition     = can(regex("^#[a-z0-9_-]{1,80}$", var.error_channel))
    error_message = "error_channel must be a Slack channel name starting with #."
  }
}

variable "approval_channel" {
  description = "Slack channel where access requests are posted for approval. Make it a private channel: only approvers act there, and impl.py ignores approvals from anyone not in approvers."
  type        = string
  default     = "#sym-requests"

  validation {
    condition     = can(regex("^#[a-z0-9_-]{1,80}$", var.approval_channel))
    error_message = "approval_channel must be a Slack channel name starting with #."
  }
}

variable "approvers" {
  description = "E-mail addresses (as Sym knows them) of the people who may approve requests. impl.py's on_approve hook ignores an approval from anyone else in the approval channel. Use a private approval channel too."
  type        = list(string)

  validation {
    condition     = length(var.approvers) > 0 && alltrue([for a in var.approvers : can(regex("^[^@,\\s]+@[^@,\\s]+$", a))])
    error_message = "approvers must list at least one e-mail address (no commas or spaces)."
  }
}

variable "allow_self_approval" {
  description = "Whether requesters may approve their own requests (handy in a sandbox, not in production)."
  type        = bool
  default     = false
}

variable "flow_name" {
  description = "Name (slug) of the sym_flow."
  type        = string
  default     = "postgres"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,63}$", var.flow_name))
    error_message = "flow_name must be lower-case letters, digits, '-' or '_', starting with a letter."
  }
}

variable "flow_label" {
  description = "Label of the sym_flow shown in Slack."
  type        = string
  default     = "PostgreSQL Access"
}

variable "duration_choices" {
  description = "Durations a requester can pick. Sym sends them to the Lambda, which passes them to sym_access.grant(); the extension clamps them to each role's max_duration."
  type        = list(string)
  default     = ["30m", "1h", "4h"]

  validation {
    condition     = length(var.duration_choices) > 0 && alltrue([for d in var.duration_choices : can(regex("^[1-9][0-9]*(s|m|h|d|mo)$", d))])
    error_message = "duration_choices must be non-empty, each a positive number followed by s, m, h, d or mo (e.g. 30m, 1h)."
  }
}

############################ Sandbox (db_enabled = true) ############################

variable "sandbox_vpc_cidr" {
  description = "CIDR of the sandbox VPC (a /16 to /24); subnets are carved out of it."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.sandbox_vpc_cidr)) && tonumber(split("/", var.sandbox_vpc_cidr)[1]) >= 16 && tonumber(split("/", var.sandbox_vpc_cidr)[1]) <= 24
    error_message = "sandbox_vpc_cidr must be an IPv4 CIDR between /16 and /24."
  }
}

variable "sandbox_engine" {
  description = "What the db_enabled sandbox runs PostgreSQL on. \"ec2\" (default): an EC2 instance with the C edition built by cloud-init. \"rds\": an RDS for PostgreSQL 16 instance (encrypted with a key of this module, private, deletion protection on) with the pg_tle parameter group, plus a small bastion instance for Session Manager port forwarding, through which an administrator installs the pg_tle edition (dist/sym_access.pgtle.sql); see README.md, \"The RDS path\". Requires db_ca_cert_pem (the RDS CA bundle of the region)."
  type        = string
  default     = "ec2"
  nullable    = false

  validation {
    condition     = contains(["ec2", "rds"], var.sandbox_engine)
    error_message = "sandbox_engine must be \"ec2\" or \"rds\"."
  }
}

variable "sandbox_rds_instance_class" {
  description = "Instance class of the RDS sandbox (sandbox_engine = \"rds\")."
  type        = string
  default     = "db.t4g.micro"
}

variable "sandbox_rds_iam_auth" {
  description = "Turn on IAM database authentication on the RDS sandbox (for your own logins; the bot uses its password from SSM)."
  type        = bool
  default     = false
}

variable "sandbox_rds_backup_retention_days" {
  description = "Automated backup retention of the RDS sandbox, in days (7 to 35): the audit table lives there."
  type        = number
  default     = 7

  validation {
    condition     = var.sandbox_rds_backup_retention_days >= 7 && var.sandbox_rds_backup_retention_days <= 35
    error_message = "sandbox_rds_backup_retention_days must be between 7 and 35."
  }
}

variable "rds_parameter_group_enabled" {
  description = "Create a DB parameter group that preloads pg_tle and pg_cron (and forces TLS), to attach to your existing RDS instance (output rds_parameter_group_name; then reboot it). The RDS sandbox always creates one."
  type        = bool
  default     = false
}

variable "rds_parameter_group_family" {
  description = "Family of that parameter group: your instance's engine and major version, e.g. \"postgres16\" (RDS for PostgreSQL; Aurora takes a cluster parameter group with the same parameters, see README.md). The RDS sandbox uses postgres16."
  type        = string
  default     = "postgres16"

  validation {
    condition     = can(regex("^postgres1[5-8]$", var.rds_parameter_group_family))
    error_message = "rds_parameter_group_family must be postgres15 to postgres18 (the versions the pg_tle edition is tested on)."
  }
}

variable "rds_cron_database" {
  description = "Database pg_cron runs its jobs in (cron.database_name of the parameter group): the one sym_access is installed in. null: sandbox_db_name."
  type        = string
  default     = null

  validation {
    condition     = var.rds_cron_database == null || can(regex("^[a-z_][a-z0-9_]{0,62}$", var.rds_cron_database))
    error_message = "rds_cron_database must be a plain lower-case PostgreSQL identifier."
  }
}

variable "sandbox_instance_type" {
  description = "EC2 instance type of the sandbox database (x86_64)."
  type        = string
  default     = "t3.small"
}

variable "sandbox_db_name" {
  description = "Database the sandbox creates, installs sym_access in and points the Lambda and the background worker at."
  type        = string
  default     = "symdb"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.sandbox_db_name))
    error_message = "sandbox_db_name must be a plain lower-case PostgreSQL identifier."
  }
}

variable "sandbox_db_users" {
  description = "Login roles the sandbox creates for requesters (the Lambda maps a Sym e-mail to a database user: local part, '-' replaced by '_'; e.g. jane-doe@example.com -> jane_doe). They get no password; set one over the tunnel."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for u in var.sandbox_db_users :
      can(regex("^[a-z_][a-z0-9_$]{0,62}$", u)) && !startswith(u, "pg_") && !startswith(u, "sym_access_")
    ])
    error_message = "Each sandbox_db_users entry must be a plain lower-case PostgreSQL identifier (at most 63 bytes, not pg_* or sym_access_*)."
  }
}

variable "extension_source_dir" {
  description = "Directory holding the sym_access sources (top-level Makefile, extension/). null means the repository root one level above this module. The sandbox zips it (without .git, .cache, dist, terraform, docker), uploads it to a private S3 bucket, and cloud-init builds it with PGXS."
  type        = string
  default     = null
}

// Security rules of the deployment (issue 15), checked offline on the HCL of
// terraform/ (parsed by HashiCorp's parser, @cdktf/hcl2json), plus a check of
// every aws_* argument against the AWS provider schema (scripts/lint/aws-schema.mjs).
// Each rule guards one finding of the review; each comes with mutations that
// re-introduce the finding in a copy of the tree, and `selftest` proves the
// rule catches every one of them.
//
//   node scripts/lint/tf-policy.mjs NPM_DIR SCHEMA_JSON TF_DIR list
//   node scripts/lint/tf-policy.mjs NPM_DIR SCHEMA_JSON TF_DIR check RULE
//   node scripts/lint/tf-policy.mjs NPM_DIR SCHEMA_JSON TF_DIR selftest RULE
//   node scripts/lint/tf-policy.mjs NPM_DIR SCHEMA_JSON TF_DIR all OUT_DIR
//
// check prints one line per problem and exits 1 if there is any. selftest
// applies each mutation of RULE to its own copy of the tree (in memory: the
// real files are never written) and exits 1 unless RULE reports a problem on
// every mutated copy; a mutation that no longer applies fails too, so the
// self-test cannot silently go stale. all runs check and selftest of every
// rule in one process (files are parsed once) and writes OUT_DIR/RULE.check
// and OUT_DIR/RULE.selftest: the output, then "exit N" on the last line.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { walk } from './tree.mjs';

const [npmDir, schemaFile, tfDirArg, mode, ruleId] = process.argv.slice(2);
if (!npmDir || !schemaFile || !tfDirArg || !['list', 'check', 'selftest', 'all'].includes(mode)) {
  console.error('usage: tf-policy.mjs NPM_DIR SCHEMA_JSON TF_DIR list|check RULE|selftest RULE|all OUT_DIR');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const hcl = require('@cdktf/hcl2json');

// ------------------------------------------------------------------ model --

// The tree as a map of relative path -> text: the unit a mutation copies.
function readTree(tfDir) {
  const tree = new Map();
  for (const f of walk(tfDir)) tree.set(path.relative(tfDir, f), fs.readFileSync(f, 'utf8'));
  return tree;
}

const parsed = new Map(); // text -> parsed JSON (or null): each text is parsed once
async function parse(name, text) {
  if (!parsed.has(text)) {
    try {
      parsed.set(text, await hcl.parse(name, text));
    } catch {
      parsed.set(text, null);
    }
  }
  return parsed.get(text);
}

// Everything a rule looks at: parsed .tf files, their text, and the other
// files of the tree (impl.py, bootstrap.sh, .gitignore).
async function load(tree) {
  const tf = [];
  for (const [file, text] of tree) {
    if (!file.endsWith('.tf')) continue;
    tf.push({ file, dir: path.dirname(file), text, json: await parse(path.basename(file), text) });
  }
  tf.sort((a, b) => a.file.localeCompare(b.file));
  const read = (rel) => (tree.has(rel) ? tree.get(rel) : null);
  return { tf, read };
}

// Blocks of one kind ('resource', 'data', 'ephemeral') in the module
// directory `dir` (default: the root module '.'), as {file, type, name, body}.
function blocks(m, kind, type, dir = '.') {
  const out = [];
  for (const t of m.tf) {
    if (!t.json || (dir !== '*' && t.dir !== dir)) continue;
    for (const [ty, byName] of Object.entries(t.json[kind] || {})) {
      if (type && ty !== type) continue;
      for (const [name, bodies] of Object.entries(byName)) out.push({ file: t.file, type: ty, name, body: bodies[0] });
    }
  }
  return out;
}

function locals(m, dir = '.') {
  const l = {};
  for (const t of m.tf) if (t.json && t.dir === dir) for (const b of t.json.locals || []) Object.assign(l, b);
  return l;
}

const asList = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

// `${local.x}` -> the local's literal value, when it has one.
function resolve(v, loc) {
  if (typeof v === 'string') {
    const m = v.match(/^\$\{local\.([a-z0-9_]+)\}$/);
    if (m && loc[m[1]] !== undefined) return loc[m[1]];
  }
  return v;
}

// Statements of every aws_iam_policy_document in any module directory,
// dynamic ones included: {where, effect, actions, resources, conditions}.
function statements(m) {
  const out = [];
  for (const dir of new Set(m.tf.map((t) => t.dir))) {
    const loc = locals(m, dir);
    for (const d of blocks(m, 'data', 'aws_iam_policy_document', dir)) {
      const raw = [...asList(d.body.statement)];
      for (const dyn of asList((d.body.dynamic || {}).statement)) raw.push(...asList(dyn.content));
      for (const s of raw) {
        out.push({
          where: `${d.file}: data.aws_iam_policy_document.${d.name} statement ${s.sid || '(no sid)'}`,
          doc: d.name,
          dir,
          effect: s.effect || 'Allow',
          actions: asList(resolve(s.actions, loc)).flatMap((a) => asList(resolve(a, loc))),
          resources: asList(resolve(s.resources, loc)),
          conditions: asList(s.condition).map((c) => ({ test: c.test, variable: c.variable, values: asList(resolve(c.values, loc)) })),
        });
      }
    }
  }
  return out;
}

const matches = (action, re) => typeof action === 'string' && re.test(action);

// ------------------------------------------------------------------ rules --

const rules = [];
const rule = (id, title, check, mutations) => rules.push({ id, title, check, mutations });

rule('no-aws-managed-policy', 'no AWS managed policy on any role (finding 1, 7)', (m, bad) => {
  for (const t of m.tf) {
    for (const x of t.text.matchAll(/:iam::aws:policy\/[A-Za-z0-9/_-]+/g)) bad(`${t.file}: AWS managed policy ${x[0].replace(/^:iam::aws:policy\//, '')}: list the actions inline, scoped`);
  }
  for (const b of blocks(m, 'resource', 'aws_iam_role', '*')) if (b.body.managed_policy_arns) bad(`${b.file}: aws_iam_role.${b.name} sets managed_policy_arns`);
}, [
  { file: 'main.tf', append: 'resource "aws_iam_role_policy_attachment" "lambda_vpc" {\n  role       = aws_iam_role.lambda.name\n  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"\n}\n' },
  { file: 'sandbox.tf', append: 'resource "aws_iam_role_policy_attachment" "sandbox_db_ssm" {\n  count      = local.sandbox_count\n  role       = aws_iam_role.sandbox_db[0].name\n  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"\n}\n' },
]);

const LOG_WRITE = /^logs:(\*|Create|Put|Delete|Associate|Disassociate|Tag|Untag|Update)/;
const ENI_WRITE = /^ec2:(\*|\w*NetworkInterface\w*|AssignPrivateIpAddresses|UnassignPrivateIpAddresses|\w*Ipv6Addresses)$/;
rule('no-star-logs-eni', 'no log-writing or ENI-changing action on Resource "*" (finding 1)', (m, bad) => {
  for (const s of statements(m)) {
    if (s.effect !== 'Allow' || !s.resources.includes('*')) continue;
    for (const a of s.actions) {
      if (matches(a, LOG_WRITE)) bad(`${s.where}: ${a} on "*": name the log group`);
      if (matches(a, ENI_WRITE) && !/^ec2:Describe/.test(a)) bad(`${s.where}: ${a} on "*": limit it to the function's subnets`);
    }
  }
}, [
  { file: 'main.tf', from: 'resources = ["${aws_cloudwatch_log_group.lambda.arn}:log-stream:*"]', to: 'resources = ["*"]' },
  { file: 'main.tf', from: 'resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]\n    condition', to: 'resources = ["*"]\n    condition' },
]);

rule('eni-denied-to-function-code', 'the ENI actions are denied to the function\'s own code (finding 1)', (m, bad) => {
  const deny = statements(m).filter((s) => s.doc === 'lambda' && s.dir === '.' && s.effect === 'Deny' &&
    s.conditions.some((c) => c.variable === 'lambda:SourceFunctionArn' && /^Arn(Equals|Like)$/.test(c.test)));
  const covered = new Set(deny.flatMap((s) => s.actions));
  if (deny.length === 0) bad('main.tf: data.aws_iam_policy_document.lambda has no Deny statement conditioned on lambda:SourceFunctionArn');
  for (const a of ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses']) {
    if (deny.length && !covered.has(a)) bad(`main.tf: the lambda:SourceFunctionArn Deny does not cover ${a}`);
  }
}, [
  { file: 'main.tf', from: 'variable = "lambda:SourceFunctionArn"', to: 'variable = "aws:SourceArn"' },
  { file: 'main.tf', from: '    "ec2:DeleteNetworkInterface",\n    "ec2:DescribeNetworkInterfaces",', to: '    "ec2:DescribeNetworkInterfaces",' },
]);

rule('invoke-guarded', 'invocations are recorded (CloudTrail data events) and an SCP example limits who invokes (finding 2)', (m, bad) => {
  const trails = blocks(m, 'resource', 'aws_cloudtrail');
  const lambdaTrail = trails.some((t) => asList(t.body.advanced_event_selector).some((sel) => {
    const f = asList(sel.field_selector);
    return f.some((x) => x.field === 'resources.type' && asList(x.equals).includes('AWS::Lambda::Function')) &&
      f.some((x) => x.field === 'eventCategory' && asList(x.equals).includes('Data'));
  }));
  if (!lambdaTrail) bad('no aws_cloudtrail records the Lambda\'s data events (advanced_event_selector eventCategory Data, resources.type AWS::Lambda::Function)');
  const scp = statements(m).filter((s) => s.dir === path.join('examples', 'scp') && s.effect === 'Deny' &&
    s.actions.includes('lambda:InvokeFunction') && s.conditions.some((c) => c.variable === 'aws:PrincipalArn'));
  if (scp.length === 0) bad('examples/scp: no Deny of lambda:InvokeFunction to principals other than Sym\'s (aws:PrincipalArn)');
  const scpActions = new Set(statements(m).filter((s) => s.dir === path.join('examples', 'scp') && s.effect === 'Deny').flatMap((s) => s.actions));
  for (const a of ['lambda:AddPermission', 'lambda:Update*']) if (!scpActions.has(a)) bad(`examples/scp: ${a} is not denied`);
}, [
  { file: 'monitoring.tf', from: 'equals = ["AWS::Lambda::Function"]', to: 'equals = ["AWS::S3::Object"]' },
  { file: 'examples/scp/main.tf', from: '      "lambda:InvokeFunction",\n', to: '' },
  { file: 'examples/scp/main.tf', from: '      "lambda:AddPermission",\n', to: '' },
]);

rule('tls-verified', 'the Lambda verifies the server: verify-full/verify-ca, a CA, channel binding (finding 3)', (m, bad) => {
  for (const t of m.tf) {
    for (const x of t.text.matchAll(/"(disable|allow|prefer)"/g)) bad(`${t.file}: plaintext-capable sslmode "${x[1]}" offered`);
    for (const x of t.text.matchAll(/\b(sslmode|PGSSLMODE)\s*=\s*"(require|disable|allow|prefer)"/g)) bad(`${t.file}: ${x[1]} = "${x[2]}" does not authenticate the server`);
    for (const x of t.text.matchAll(/sslmode[^\n]*"require"/g)) {
      if (!/\b(sslmode|PGSSLMODE)\s*=\s*"require"/.test(x[0])) bad(`${t.file}: sslmode "require" does not authenticate the server: ${x[0].trim()}`);
    }
  }
  const fns = blocks(m, 'resource', 'aws_lambda_function');
  if (fns.length === 0) bad('no aws_lambda_function in the root module');
  for (const f of fns) {
    const env = (asList(f.body.environment)[0] || {}).variables || {};
    if (!env.PGSSLMODE) bad(`${f.file}: aws_lambda_function.${f.name}: no PGSSLMODE`);
    if (!env.PGSSLROOTCERT) bad(`${f.file}: aws_lambda_function.${f.name}: no PGSSLROOTCERT (no CA: the server cannot be verified)`);
    if (env.PGCHANNELBINDING !== 'require') bad(`${f.file}: aws_lambda_function.${f.name}: PGCHANNELBINDING is not "require"`);
    if (!asList(f.body.layers).some((l) => /aws_lambda_layer_version\./.test(String(l)))) bad(`${f.file}: aws_lambda_function.${f.name}: the CA layer is not among its layers`);
  }
  const loc = locals(m);
  if (loc.ca_file && !m.tf.some((t) => t.text.includes(`filename = "${loc.ca_file.replace(/^\/opt\//, '')}"`))) bad(`the CA layer does not place its certificate at ${loc.ca_file}`);
}, [
  { file: 'main.tf', from: 'sslmode = "verify-full"\n    } : {', to: 'sslmode = "require"\n    } : {' },
  { file: 'variables.tf', from: 'contains(["verify-ca", "verify-full"]', to: 'contains(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]' },
  { file: 'main.tf', from: '      PGSSLROOTCERT = local.ca_file\n', to: '' },
  { file: 'main.tf', from: 'PGCHANNELBINDING = "require"', to: 'PGCHANNELBINDING = "prefer"' },
]);

rule('kms-encryption-context', 'every kms:Decrypt is tied to an encryption context (the parameter ARN for SSM); CMKs rotate (finding 4)', (m, bad) => {
  for (const s of statements(m)) {
    if (s.effect !== 'Allow') continue;
    if (s.actions.includes('kms:*')) bad(`${s.where}: kms:* (the key policy must not hand decryption to every IAM policy)`);
    if (!s.actions.some((a) => matches(a, /^kms:(\*|Decrypt|ReEncrypt\*|ReEncryptFrom)$/))) continue;
    const ctx = s.conditions.filter((c) => /^kms:EncryptionContext:/.test(c.variable || ''));
    const viaSsm = s.conditions.some((c) => c.variable === 'kms:ViaService' && c.values.some((v) => /^ssm\./.test(v)));
    if (ctx.length === 0) bad(`${s.where}: kms:Decrypt without a kms:EncryptionContext condition`);
    else if (viaSsm && !ctx.some((c) => c.variable === 'kms:EncryptionContext:PARAMETER_ARN')) bad(`${s.where}: decrypts via SSM without kms:EncryptionContext:PARAMETER_ARN`);
  }
  const keys = blocks(m, 'resource', 'aws_kms_key', '*');
  for (const k of keys) if (k.body.enable_key_rotation !== true) bad(`${k.file}: aws_kms_key.${k.name} without enable_key_rotation = true`);
  for (const p of blocks(m, 'resource', 'aws_ssm_parameter', '*')) {
    if (p.body.type === 'SecureString' && !p.body.key_id) bad(`${p.file}: aws_ssm_parameter.${p.name}: no key_id (aws/ssm can be used by any principal the account's IAM allows)`);
  }
}, [
  { file: 'main.tf', from: '      variable = "kms:EncryptionContext:PARAMETER_ARN"', to: '      variable = "kms:CallerAccount"' },
  { file: 'sandbox.tf', from: '      variable = "kms:EncryptionContext:PARAMETER_ARN"', to: '      variable = "kms:EncryptionContext:aws:logs:arn"' },
  { file: 'kms.tf', from: '    sid       = "KeyAdministration"\n    actions   = local.kms_admin_actions', to: '    sid       = "KeyAdministration"\n    actions   = ["kms:*"]' },
  { file: 'kms.tf', from: 'enable_key_rotation     = true\n  deletion_window_in_days = 30\n  policy                  = data.aws_iam_policy_document.bot_password_key', to: 'enable_key_rotation     = false\n  deletion_window_in_days = 30\n  policy                  = data.aws_iam_policy_document.bot_password_key' },
]);

rule('no-secret-in-state', 'passwords go through write-only arguments; state, .terraform and tfvars are ignored by git (finding 5)', (m, bad) => {
  for (const p of blocks(m, 'resource', 'aws_ssm_parameter', '*')) {
    if (p.body.type !== 'SecureString') continue;
    if ('value' in p.body || 'insecure_value' in p.body) bad(`${p.file}: aws_ssm_parameter.${p.name}: value is stored in the state: use value_wo`);
    if (!('value_wo' in p.body) || !('value_wo_version' in p.body)) bad(`${p.file}: aws_ssm_parameter.${p.name}: no value_wo / value_wo_version`);
  }
  for (const r of blocks(m, 'resource', 'random_password', '*')) bad(`${r.file}: resource random_password.${r.name} keeps the password in the state: use ephemeral "random_password"`);
  for (const t of m.tf) {
    for (const [name, bodies] of Object.entries((t.json && t.json.variable) || {})) {
      if (/pass(word)?$/.test(name) && !bodies[0].ephemeral) bad(`${t.file}: variable "${name}" is not ephemeral`);
    }
  }
  const gi = m.read('.gitignore') || '';
  for (const p of ['*.tfstate', '.terraform/', '*.tfvars']) if (!gi.split('\n').includes(p)) bad(`.gitignore does not ignore ${p}`);
}, [
  { file: 'main.tf', from: '  value_wo         = var.db_enabled', to: '  value            = var.db_enabled' },
  { file: 'sandbox.tf', from: 'ephemeral "random_password" "sandbox_bot" {', to: 'resource "random_password" "sandbox_bot" {' },
  { file: 'variables.tf', from: '  sensitive   = true\n  ephemeral   = true\n', to: '  sensitive   = true\n' },
  { file: '.gitignore', from: '*.tfstate\n', to: '' },
]);

rule('no-open-egress', 'no 0.0.0.0/0 or all-protocol egress, no NAT or internet route; endpoints have policies (finding 6)', (m, bad) => {
  const open = (x) => asList(x.cidr_blocks).concat(asList(x.cidr_ipv4), asList(x.ipv6_cidr_blocks), asList(x.cidr_ipv6))
    .some((c) => c === '0.0.0.0/0' || c === '::/0');
  const allProto = (x) => ['-1', 'all', -1].includes(x.protocol) || ['-1', 'all', -1].includes(x.ip_protocol);
  for (const sg of blocks(m, 'resource', 'aws_security_group', '*')) {
    for (const e of asList(sg.body.egress)) {
      if (open(e) || allProto(e)) bad(`${sg.file}: aws_security_group.${sg.name}: egress ${e.protocol} to ${asList(e.cidr_blocks).join(',') || 'a group'}`);
    }
  }
  for (const r of blocks(m, 'resource', 'aws_vpc_security_group_egress_rule', '*')) if (open(r.body) || allProto(r.body)) bad(`${r.file}: aws_vpc_security_group_egress_rule.${r.name} is open`);
  for (const r of blocks(m, 'resource', 'aws_security_group_rule', '*')) if (r.body.type === 'egress' && (open(r.body) || allProto(r.body))) bad(`${r.file}: aws_security_group_rule.${r.name} is open`);
  for (const ty of ['aws_nat_gateway', 'aws_internet_gateway', 'aws_egress_only_internet_gateway']) {
    for (const r of blocks(m, 'resource', ty, '*')) bad(`${r.file}: ${ty}.${r.name}: the sandbox has no route out of the VPC`);
  }
  for (const r of blocks(m, 'resource', 'aws_route', '*')) if (open({ cidr_blocks: r.body.destination_cidr_block })) bad(`${r.file}: aws_route.${r.name} to 0.0.0.0/0`);
  for (const rt of blocks(m, 'resource', 'aws_route_table', '*')) for (const r of asList(rt.body.route)) if (open({ cidr_blocks: r.cidr_block })) bad(`${rt.file}: aws_route_table.${rt.name}: route to 0.0.0.0/0`);
  const eps = blocks(m, 'resource', 'aws_vpc_endpoint', '*');
  if (eps.length === 0) bad('no VPC endpoint: the sandbox needs ssm, ssmmessages, logs and s3 endpoints');
  for (const e of eps) if (!e.body.policy) bad(`${e.file}: aws_vpc_endpoint.${e.name} has no policy`);
  const loc = locals(m);
  for (const svc of ['ssm', 'logs']) if (!loc.sandbox_endpoints || loc.sandbox_endpoints[svc] !== true) bad(`sandbox.tf: the ${svc} interface endpoint has no policy`);
}, [
  { file: 'sandbox.tf', from: '  description = "sym_access Lambda: PostgreSQL and the SSM endpoint, nothing else"\n', to: '  description = "sym_access Lambda: PostgreSQL and the SSM endpoint, nothing else"\n  egress {\n    from_port   = 0\n    to_port     = 0\n    protocol    = "-1"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n' },
  { file: 'sandbox.tf', from: '  description                  = each.value.description\n  ip_protocol                  = "tcp"', to: '  description                  = each.value.description\n  ip_protocol                  = "-1"\n  cidr_ipv4                    = "0.0.0.0/0"' },
  { file: 'sandbox.tf', append: 'resource "aws_nat_gateway" "sandbox" {\n  count         = local.sandbox_count\n  allocation_id = "eipalloc-0123456789abcdef0"\n  subnet_id     = aws_subnet.db[0].id\n}\n' },
  { file: 'sandbox.tf', from: '    ssm         = true', to: '    ssm         = false' },
]);

rule('sandbox-instance-kept', 'the sandbox instance survives a new AMI or user data; PostgreSQL on the private IP, the bot from the Lambda subnets only (finding 7)', (m, bad) => {
  const inst = blocks(m, 'resource', 'aws_instance');
  if (inst.length === 0) bad('no aws_instance in the root module');
  for (const i of inst) {
    const ign = asList((asList(i.body.lifecycle)[0] || {}).ignore_changes).map((x) => String(x).replace(/^\$\{|\}$/g, ''));
    const dataVolume = blocks(m, 'resource', 'aws_volume_attachment').length > 0;
    if (!dataVolume && !(ign.includes('ami') && ign.includes('user_data'))) bad(`${i.file}: aws_instance.${i.name}: a new AMI or user data replaces it (and wipes the database): lifecycle ignore_changes = [ami, user_data]`);
    if (i.body.user_data_replace_on_change === true) bad(`${i.file}: aws_instance.${i.name}: user_data_replace_on_change = true`);
    const md = asList(i.body.metadata_options)[0] || {};
    if (md.http_tokens !== 'required') bad(`${i.file}: aws_instance.${i.name}: IMDSv2 not required`);
  }
  const boot = m.read('sandbox/bootstrap.sh') || '';
  if (/listen_addresses\s*=\s*'\*'/.test(boot) || !/listen_addresses = '\$SYM_DB_IP'/.test(boot)) bad('sandbox/bootstrap.sh: PostgreSQL must listen on the private address only');
  if (!/hostssl all sym_bot %s scram-sha-256/.test(boot) || !/host all sym_bot all reject/.test(boot)) bad('sandbox/bootstrap.sh: pg_hba.conf must admit sym_bot from the Lambda subnets only (and reject it elsewhere)');
  const admitsVpc = /SYM_VPC_CIDR/.test(boot);
  if (admitsVpc) bad('sandbox/bootstrap.sh: pg_hba.conf admits the whole VPC');
}, [
  { file: 'sandbox.tf', from: 'ignore_changes = [ami, user_data]', to: 'ignore_changes = [tags]' },
  { file: 'sandbox/bootstrap.sh', from: "listen_addresses = '$SYM_DB_IP'", to: "listen_addresses = '*'" },
  { file: 'sandbox/bootstrap.sh', from: "\t\techo 'host all sym_bot all reject'\n", to: '' },
]);

rule('sandbox-least-privilege', 'the sandbox role reads its own parameters only; sessions are port forwarding or logged (finding 7)', (m, bad) => {
  const st = statements(m).filter((s) => s.doc === 'sandbox_db' && s.dir === '.');
  if (st.length === 0) bad('sandbox.tf: no data.aws_iam_policy_document.sandbox_db');
  for (const s of st) {
    if (s.effect !== 'Allow') continue;
    for (const a of s.actions) {
      if (matches(a, /^ssm:(GetParameter|GetParameters|GetParametersByPath|\*)$/) && s.resources.some((r) => /\*/.test(r))) bad(`${s.where}: ${a} on a wildcard`);
      if (matches(a, /^(ssm|s3|kms):\*$/)) bad(`${s.where}: ${a}`);
    }
  }
  const docs = statements(m).filter((s) => s.doc === 'sandbox_session' && s.actions.includes('ssm:StartSession'));
  if (docs.length === 0) bad('sandbox.tf: no session policy for the people using the sandbox');
  for (const s of docs) if (!s.conditions.some((c) => c.variable === 'ssm:SessionDocumentAccessCheck')) bad(`${s.where}: StartSession without ssm:SessionDocumentAccessCheck (any document, a shell included)`);
  const tf = m.tf.find((t) => t.file === 'sandbox.tf');
  if (!tf || !/AWS-StartPortForwardingSessionToRemoteHost/.test(tf.text)) bad('sandbox.tf: the tunnel policy does not name the port forwarding document');
  const shell = blocks(m, 'resource', 'aws_ssm_document');
  if (!shell.some((d) => /cloudWatchLogGroupName\s*=/.test(JSON.stringify(d.body)) || /cloudWatchLogGroupName/.test(String(d.body.content)))) bad('sandbox.tf: no logged Session document for shells');
}, [
  { file: 'sandbox.tf', from: 'resources = [local.password_param_arn, local.sandbox_key_param_arn]', to: 'resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/*"]' },
  { file: 'sandbox.tf', from: '      variable = "ssm:SessionDocumentAccessCheck"', to: '      variable = "aws:MultiFactorAuthPresent"' },
]);

rule('approvers-checked', 'impl.py ignores approvals from outside the approvers group (finding 8)', (m, bad) => {
  const py = m.read('impl.py') || '';
  if (!/@hook\s*\ndef on_approve\(/.test(py)) bad('impl.py: no @hook on_approve');
  if (!/ApprovalTemplate\.ignore\(/.test(py)) bad('impl.py: on_approve never ignores an approval');
  if (!/flow\.vars\.get\("approvers"/.test(py)) bad('impl.py: on_approve does not read the approvers flow var');
  const sym = m.tf.find((t) => t.file === 'sym.tf');
  if (!sym || !/\bapprovers\s*=\s*join\(/.test(sym.text)) bad('sym.tf: the flow does not receive var.approvers');
}, [
  { file: 'impl.py', from: '@hook\ndef on_approve(', to: 'def on_approve(' },
  { file: 'impl.py', from: '        return ApprovalTemplate.ignore(', to: '        return None and ApprovalTemplate(' },
]);

rule('providers-pinned', 'exact provider versions with the floors write-only arguments need', (m, bad) => {
  const ver = (v) => (String(v || '').match(/^=?\s*(\d+)\.(\d+)\.(\d+)$/) || []).slice(1).map(Number);
  const ge = (a, b) => a[0] > b[0] || (a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] >= b[2])));
  const floors = { aws: [5, 87, 0], random: [3, 7, 0] };
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  const dirs = new Set(m.tf.filter((t) => t.json && t.json.terraform).map((t) => t.dir));
  for (const dir of new Set(m.tf.map((t) => t.dir))) if (!dirs.has(dir)) bad(`${dir}: no terraform block (required_version, required_providers)`);
  for (const t of m.tf) {
    for (const tb of (t.json && t.json.terraform) || []) {
      const rv = String(tb.required_version || '').match(/>=\s*(\d+)\.(\d+)/);
      if (!rv || Number(rv[1]) < 1 || (Number(rv[1]) === 1 && Number(rv[2]) < 11)) bad(`${t.file}: required_version must be >= 1.11 (write-only arguments, ephemeral resources)`);
      for (const rp of tb.required_providers || []) {
        for (const [name, p] of Object.entries(rp)) {
          const v = ver(p.version);
          if (v.length !== 3) { bad(`${t.file}: provider ${name} version "${p.version}" is not an exact pin`); continue; }
          if (floors[name] && !ge(v, floors[name])) bad(`${t.file}: provider ${name} ${p.version} is below ${floors[name].join('.')}`);
          if (name === 'aws' && schema.provider && v.join('.') !== schema.provider.version) bad(`${t.file}: aws ${p.version} is not the version whose schema the lint checks (${schema.provider.version})`);
        }
      }
    }
  }
}, [
  { file: 'versions.tf', from: 'version = "6.25.0"', to: 'version = ">= 5.31, < 7.0"' },
  { file: 'examples/sandbox/versions.tf', from: 'version = "3.0.0"', to: 'version = "~> 3.0"' },
  { file: 'versions.tf', from: 'required_version = ">= 1.11.0"', to: 'required_version = ">= 1.5.0"' },
]);

rule('logs-kept-encrypted', 'log groups keep >= 365 days and use the module\'s CMK (low)', (m, bad) => {
  const groups = blocks(m, 'resource', 'aws_cloudwatch_log_group');
  if (groups.length === 0) bad('no aws_cloudwatch_log_group');
  for (const g of groups) {
    if (!g.body.kms_key_id) bad(`${g.file}: aws_cloudwatch_log_group.${g.name}: no kms_key_id`);
    const r = g.body.retention_in_days;
    if (!(r === '${var.log_retention_days}' || (typeof r === 'number' && r >= 365))) bad(`${g.file}: aws_cloudwatch_log_group.${g.name}: retention ${r}`);
  }
  const v = m.tf.find((t) => t.file === 'variables.tf');
  const body = v && v.json && v.json.variable && v.json.variable.log_retention_days && v.json.variable.log_retention_days[0];
  if (!body || body.default < 365) bad('variables.tf: log_retention_days defaults below 365');
  const list = body && JSON.stringify(body.validation || '').match(/contains\(\[([0-9, ]+)\]/);
  if (!list || list[1].split(',').map(Number).some((n) => n < 365)) bad('variables.tf: log_retention_days accepts less than 365 days');
}, [
  { file: 'main.tf', from: '  kms_key_id        = aws_kms_key.logs.arn\n', to: '' },
  { file: 'variables.tf', from: 'contains([365, 400,', to: 'contains([90, 365, 400,' },
]);

rule('lambda-resilient', 'reserved concurrency, sweep retry policy and failure destination, Errors/Throttles alarms (low)', (m, bad) => {
  for (const f of blocks(m, 'resource', 'aws_lambda_function')) if (f.body.reserved_concurrent_executions === undefined) bad(`${f.file}: aws_lambda_function.${f.name}: no reserved_concurrent_executions`);
  for (const t of blocks(m, 'resource', 'aws_cloudwatch_event_target')) {
    if (!t.body.retry_policy) bad(`${t.file}: aws_cloudwatch_event_target.${t.name}: no retry_policy`);
    if (!t.body.dead_letter_config) bad(`${t.file}: aws_cloudwatch_event_target.${t.name}: no dead_letter_config`);
  }
  const eic = blocks(m, 'resource', 'aws_lambda_function_event_invoke_config');
  if (!eic.some((e) => asList(e.body.destination_config).some((d) => d.on_failure))) bad('no on-failure destination for asynchronous invocations (the sweep)');
  const loc = locals(m);
  const metrics = Object.values(loc.alarms || {}).map((a) => a.metric);
  const text = m.tf.map((t) => t.text).join('\n');
  for (const metric of ['Errors', 'Throttles']) if (!metrics.includes(metric) && !new RegExp(`metric\\s*=\\s*"${metric}"`).test(text)) bad(`no alarm on the Lambda's ${metric}`);
}, [
  { file: 'main.tf', from: '  reserved_concurrent_executions = var.lambda_reserved_concurrency\n', to: '' },
  { file: 'main.tf', from: '  dead_letter_config {\n    arn = aws_sqs_queue.sweep_failures[0].arn\n  }\n', to: '' },
  { file: 'monitoring.tf', from: 'metric      = "Throttles"', to: 'metric      = "Duration"' },
]);

rule('sandbox-network-hygiene', 'VPC flow logs and a closed default security group in the sandbox (low)', (m, bad) => {
  const vpcs = blocks(m, 'resource', 'aws_vpc');
  if (vpcs.length && blocks(m, 'resource', 'aws_flow_log').length === 0) bad('the sandbox VPC has no aws_flow_log');
  const dsg = blocks(m, 'resource', 'aws_default_security_group');
  if (vpcs.length && dsg.length === 0) bad('the sandbox VPC\'s default security group is not closed (aws_default_security_group without rules)');
  for (const d of dsg) if (d.body.ingress || d.body.egress) bad(`${d.file}: aws_default_security_group.${d.name} has rules`);
}, [
  { file: 'sandbox.tf', from: 'resource "aws_flow_log" "sandbox" {', to: 'resource "aws_ec2_tag" "sandbox_flow_removed" {' },
  { file: 'sandbox.tf', from: '  vpc_id = aws_vpc.sandbox[0].id\n  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox-default-closed" })', to: '  vpc_id = aws_vpc.sandbox[0].id\n  ingress {\n    protocol  = "-1"\n    self      = true\n    from_port = 0\n    to_port   = 0\n  }\n  tags   = merge(var.tags, { Name = "${var.name_prefix}-sandbox-default-closed" })' },
]);

rule('buckets-hardened', 'buckets: public access blocked, versioned, TLS-only; the sandbox checks its sources\' SHA-256 (low)', (m, bad) => {
  const has = (ty, bucket) => blocks(m, 'resource', ty, '*').some((b) => String(b.body.bucket).includes(`aws_s3_bucket.${bucket}[`) || String(b.body.bucket).includes(`aws_s3_bucket.${bucket}.`));
  const st = statements(m);
  for (const b of blocks(m, 'resource', 'aws_s3_bucket', '*')) {
    for (const ty of ['aws_s3_bucket_public_access_block', 'aws_s3_bucket_versioning', 'aws_s3_bucket_server_side_encryption_configuration', 'aws_s3_bucket_policy']) {
      if (!has(ty, b.name)) bad(`${b.file}: aws_s3_bucket.${b.name} has no ${ty}`);
    }
    const tlsOnly = st.some((s) => s.effect === 'Deny' && s.resources.some((r) => new RegExp(`aws_s3_bucket\\.${b.name}[.[]`).test(r)) &&
      s.conditions.some((c) => c.variable === 'aws:SecureTransport' && c.values.includes('false')));
    if (!tlsOnly) bad(`${b.file}: aws_s3_bucket.${b.name}: no Deny when aws:SecureTransport is false`);
  }
  const boot = m.read('sandbox/bootstrap.sh') || '';
  if (!/sha256sum --check/.test(boot) || !/SYM_SOURCE_SHA256/.test(boot)) bad('sandbox/bootstrap.sh does not check the sources\' SHA-256');
  if (!m.tf.some((t) => /SYM_SOURCE_SHA256=\$\{try\(data\.archive_file\.sandbox_source\[0\]\.output_sha256/.test(t.text))) bad('sandbox.tf does not pass the archive\'s SHA-256 to the instance');
}, [
  { file: 'modules/private-bucket/main.tf', from: '      variable = "aws:SecureTransport"', to: '      variable = "aws:ViaAWSService"' },
  { file: 'modules/private-bucket/main.tf', from: '  bucket = aws_s3_bucket.this.id\n  versioning_configuration', to: '  bucket = "another-bucket"\n  versioning_configuration' },
  { file: 'sandbox.tf', append: 'resource "aws_s3_bucket" "unhardened" {\n  bucket_prefix = "x-"\n}\n' },
  { file: 'sandbox/bootstrap.sh', from: '| sha256sum --check --strict --quiet', to: '| cat' },
]);

// ------------------------------------------------------------ RDS path --
// The RDS sandbox (terraform/rds.tf, issue 11) and the parameter group of the
// pg_tle edition.

// `${aws_x.name[0].id}` / `aws_x.name[0].arn` -> 'name' when it names a resource of type ty.
const refName = (v, ty) => {
  const x = String(v || '').match(new RegExp(`\\b${ty}\\.([a-z0-9_]+)\\b`));
  return x ? x[1] : null;
};

rule('rds-instance-hardened', 'RDS: storage encrypted with the module\'s key, private, deletion protection, final snapshot, backups >= 7 days, no password in the state (issue 11)', (m, bad) => {
  const dbs = blocks(m, 'resource', 'aws_db_instance');
  if (dbs.length === 0) bad('no aws_db_instance in the root module: the RDS sandbox (sandbox_engine = "rds") is missing');
  const keys = new Set(blocks(m, 'resource', 'aws_kms_key').map((k) => k.name));
  const vars = Object.assign({}, ...m.tf.filter((t) => t.dir === '.' && t.json && t.json.variable).map((t) => t.json.variable));
  for (const d of dbs) {
    const w = `${d.file}: aws_db_instance.${d.name}`;
    if (d.body.storage_encrypted !== true) bad(`${w}: storage_encrypted is not true`);
    const key = refName(d.body.kms_key_id, 'aws_kms_key');
    if (!key || !keys.has(key)) bad(`${w}: kms_key_id is not a key of this module (aws_kms_key.*): the AWS managed aws/rds key can be used by anyone the account's IAM allows`);
    if (d.body.publicly_accessible !== false) bad(`${w}: publicly_accessible is not false`);
    if (d.body.deletion_protection !== true) bad(`${w}: deletion_protection is not true (the audit trail lives there)`);
    if (d.body.skip_final_snapshot !== false || !d.body.final_snapshot_identifier) bad(`${w}: no final snapshot (skip_final_snapshot = false, final_snapshot_identifier)`);
    const br = d.body.backup_retention_period;
    const bv = typeof br === 'string' && br.match(/^\$\{var\.([a-z0-9_]+)\}$/);
    const vbody = bv && vars[bv[1]] && vars[bv[1]][0];
    const floor = vbody && JSON.stringify(vbody.validation || '').match(/>= ?(\d+)/);
    if (!((typeof br === 'number' && br >= 7) || (vbody && vbody.default >= 7 && floor && Number(floor[1]) >= 7))) bad(`${w}: backup_retention_period ${br} is not at least 7 days`);
    if ('password' in d.body) bad(`${w}: password is stored in the state: use password_wo or manage_master_user_password`);
    if (!('password_wo' in d.body) && d.body.manage_master_user_password !== true) bad(`${w}: neither password_wo nor manage_master_user_password = true`);
    if (!d.body.db_subnet_group_name) bad(`${w}: no db_subnet_group_name (the default VPC's subnets)`);
  }
}, [
  { file: 'rds.tf', from: '  storage_encrypted     = true\n', to: '  storage_encrypted     = false\n' },
  { file: 'rds.tf', from: '  kms_key_id            = aws_kms_key.sandbox_rds[0].arn\n', to: '' },
  { file: 'rds.tf', from: '  publicly_accessible    = false\n', to: '  publicly_accessible    = true\n' },
  { file: 'rds.tf', from: '  deletion_protection                 = true\n', to: '  deletion_protection                 = false\n' },
  { file: 'rds.tf', from: '  skip_final_snapshot                 = false\n', to: '  skip_final_snapshot                 = true\n' },
  { file: 'variables.tf', from: 'condition     = var.sandbox_rds_backup_retention_days >= 7 &&', to: 'condition     = var.sandbox_rds_backup_retention_days >= 1 &&' },
  { file: 'rds.tf', from: '  password_wo         = ephemeral.random_password.sandbox_rds_master[0].result\n  password_wo_version = 1\n', to: '  password = "change-me-please"\n' },
]);

// The rules of the sandbox's security groups, as written in
// local.sandbox_sg_rules (sandbox.tf): {name, egress, group, port, peer, prefix}.
function sgRules(m) {
  const t = m.tf.find((x) => x.file === 'sandbox.tf');
  const out = [];
  if (!t) return out;
  const re = /([a-z0-9-]+) = \{\s*egress\s*=\s*(true|false),\s*group\s*=\s*aws_security_group\.([a-z0-9_]+)\[0\]\.id,\s*port\s*=\s*(\d+),[^\n]*\n\s*peer\s*=\s*([^,\n]+),\s*prefix_list\s*=\s*([^\n]+)\n/g;
  for (const x of t.text.matchAll(re)) {
    out.push({ name: x[1], egress: x[2] === 'true', group: x[3], port: Number(x[4]), peer: refName(x[5], 'aws_security_group'), peerText: x[5].trim(), prefix: x[6].trim() });
  }
  return out;
}

rule('rds-ingress-lambda-only', 'RDS: its security group takes tcp/5432 from the Lambda\'s group (and the tunnel bastion\'s) only, sends nothing (issue 11)', (m, bad) => {
  const dbs = blocks(m, 'resource', 'aws_db_instance');
  if (dbs.length === 0) bad('no aws_db_instance in the root module');
  const allowedPeers = new Set(['lambda', 'sandbox_bastion']);
  const rules = sgRules(m);
  for (const d of dbs) {
    const sgs = asList(d.body.vpc_security_group_ids).flatMap((v) => [...String(v).matchAll(/aws_security_group\.([a-z0-9_]+)/g)].map((x) => x[1]));
    if (sgs.length === 0) bad(`${d.file}: aws_db_instance.${d.name}: no security group of this module (vpc_security_group_ids)`);
    for (const sg of sgs) {
      const mine = rules.filter((r) => r.group === sg);
      const ingress = mine.filter((r) => !r.egress);
      if (!ingress.some((r) => r.peer === 'lambda' && r.port === 5432)) bad(`aws_security_group.${sg}: no tcp/5432 ingress from the Lambda's group`);
      for (const r of ingress) {
        if (r.port !== 5432) bad(`sandbox.tf: ${r.name}: aws_security_group.${sg} takes port ${r.port}`);
        if (!allowedPeers.has(r.peer) || r.prefix !== 'null') bad(`sandbox.tf: ${r.name}: aws_security_group.${sg} takes traffic from ${r.peerText}, not the Lambda's group`);
      }
      for (const r of mine.filter((x) => x.egress)) bad(`sandbox.tf: ${r.name}: the database's group sends traffic (${r.port} to ${r.peerText})`);
      for (const b of blocks(m, 'resource', 'aws_security_group').filter((x) => x.name === sg)) {
        if (b.body.ingress || b.body.egress) bad(`${b.file}: aws_security_group.${sg} has inline rules`);
      }
      for (const ty of ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule', 'aws_security_group_rule']) {
        for (const r of blocks(m, 'resource', ty, '*')) {
          if (refName(r.body.security_group_id, 'aws_security_group') === sg) bad(`${r.file}: ${ty}.${r.name} adds a rule to the database's group outside local.sandbox_sg_rules`);
        }
      }
    }
  }
  // The generic rule resources must keep reading peers from the table: a
  // CIDR there would apply to every rule, the database's included.
  for (const r of blocks(m, 'resource', 'aws_vpc_security_group_ingress_rule')) {
    if (r.body.cidr_ipv4 || r.body.cidr_ipv6 || r.body.prefix_list_id) bad(`${r.file}: aws_vpc_security_group_ingress_rule.${r.name} admits an address range`);
  }
}, [
  { file: 'sandbox.tf', from: 'description = "PostgreSQL from the Lambda"\n      peer   = aws_security_group.lambda[0].id, prefix_list = null\n    }\n    rds-from-bastion', to: 'description = "PostgreSQL from the Lambda"\n      peer   = aws_security_group.endpoints[0].id, prefix_list = null\n    }\n    rds-from-bastion' },
  { file: 'sandbox.tf', from: 'group = aws_security_group.sandbox_rds[0].id, port = 5432, description = "PostgreSQL from the tunnel bastion"', to: 'group = aws_security_group.sandbox_rds[0].id, port = 22, description = "PostgreSQL from the tunnel bastion"' },
  { file: 'rds.tf', append: 'resource "aws_vpc_security_group_ingress_rule" "rds_vpc" {\n  count             = local.sandbox_rds_count\n  security_group_id = aws_security_group.sandbox_rds[0].id\n  ip_protocol       = "tcp"\n  from_port         = 5432\n  to_port           = 5432\n  cidr_ipv4         = "10.0.0.0/8"\n}\n' },
  { file: 'sandbox.tf', from: '  referenced_security_group_id = each.value.peer\n}', to: '  referenced_security_group_id = each.value.peer\n  cidr_ipv4                    = "0.0.0.0/0"\n}' },
  { file: 'rds.tf', from: '  vpc_security_group_ids = [aws_security_group.sandbox_rds[0].id]\n', to: '  vpc_security_group_ids = [aws_security_group.sandbox_rds[0].id, aws_security_group.endpoints[0].id]\n' },
]);

rule('rds-parameter-group-pg-tle', 'RDS: the parameter group preloads pg_tle (and pg_cron), and the RDS sandbox uses it (issue 11)', (m, bad) => {
  const groups = blocks(m, 'resource', 'aws_db_parameter_group');
  if (groups.length === 0) bad('no aws_db_parameter_group in the root module');
  for (const g of groups) {
    const w = `${g.file}: aws_db_parameter_group.${g.name}`;
    const spl = asList(g.body.parameter).find((p) => p.name === 'shared_preload_libraries');
    const libs = spl ? String(spl.value).split(',').map((x) => x.trim()) : [];
    if (!libs.includes('pg_tle')) bad(`${w}: shared_preload_libraries does not preload pg_tle`);
    if (!libs.includes('pg_cron')) bad(`${w}: shared_preload_libraries does not preload pg_cron (the sweep without a worker)`);
    if (spl && spl.apply_method !== 'pending-reboot') bad(`${w}: shared_preload_libraries needs apply_method = "pending-reboot"`);
    const ssl = asList(g.body.parameter).find((p) => p.name === 'rds.force_ssl');
    if (!ssl || String(ssl.value) !== '1') bad(`${w}: rds.force_ssl is not 1`);
  }
  for (const d of blocks(m, 'resource', 'aws_db_instance')) {
    if (!refName(d.body.parameter_group_name, 'aws_db_parameter_group')) bad(`${d.file}: aws_db_instance.${d.name}: parameter_group_name is not the module's pg_tle group`);
  }
}, [
  { file: 'rds.tf', from: '    value        = "pg_tle,pg_cron"', to: '    value        = "pg_cron"' },
  { file: 'rds.tf', from: '    name         = "shared_preload_libraries"', to: '    name         = "session_preload_libraries"' },
  { file: 'rds.tf', from: '  parameter_group_name   = aws_db_parameter_group.pg_tle[0].name\n', to: '' },
  { file: 'rds.tf', from: '    name         = "rds.force_ssl"\n    value        = "1"', to: '    name         = "rds.force_ssl"\n    value        = "0"' },
]);

// ------------------------------------------------------ temporary users --
// Issue 12: the Lambda writes temporary users' credentials to Secrets Manager
// below its prefix (terraform/secrets.tf, main.tf); requesters read only
// the secrets tagged with their own e-mail.

// Statements of one aws_iam_policy_document, with where each comes from:
// {sid, effect, actions, notActions, resources, conditions, forEach} where
// forEach is the dynamic block's for_each expression (null: static).
function docStatements(m, name, dir = '.') {
  const loc = locals(m, dir);
  const out = [];
  const norm = (s, forEach) => ({
    sid: s.sid || '(no sid)',
    effect: s.effect || 'Allow',
    actions: asList(resolve(s.actions, loc)).flatMap((a) => asList(resolve(a, loc))),
    notActions: asList(resolve(s.not_actions, loc)).flatMap((a) => asList(resolve(a, loc))),
    resources: asList(resolve(s.resources, loc)),
    conditions: asList(s.condition).map((c) => ({ test: c.test, variable: c.variable, values: asList(resolve(c.values, loc)).flatMap((v) => asList(resolve(v, loc))) })),
    forEach,
  });
  for (const d of blocks(m, 'data', 'aws_iam_policy_document', dir).filter((x) => x.name === name)) {
    for (const s of asList(d.body.statement)) out.push({ file: d.file, count: d.body.count, ...norm(s, null) });
    for (const dyn of asList((d.body.dynamic || {}).statement)) for (const c of asList(dyn.content)) out.push({ file: d.file, count: d.body.count, ...norm(c, String(dyn.for_each)) });
  }
  return out;
}

const SM = /^secretsmanager:/;
const PATTERN = '${local.secret_arn_pattern}';
// What the shim calls (shim/src/creds.c), and nothing more.
const LAMBDA_SM_ACTIONS = new Set(['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:PutSecretValue',
  'secretsmanager:DeleteSecret', 'secretsmanager:ListSecrets']);
const TAG_KEYS = ['sym-access:expires-at', 'sym.user'];
const gated = (expr) => /^\$\{(var\.db_enabled && )?local\.temporary_users \? (\[1\]|1) : (\[\]|0)\}$/.test(String(expr));
const hasCond = (s, test, variable, values) => s.conditions.some((c) => c.test === test && c.variable === variable &&
  (values === undefined || JSON.stringify([...c.values].sort()) === JSON.stringify([...values].sort())));

rule('secrets-lambda-least-privilege', 'temporary users: the Lambda writes secrets below its prefix only, with its two tag keys, only when a temporary_user role exists; ListSecrets alone on "*"; never a secret value (issue 12)', (m, bad) => {
  const loc = locals(m);
  const where = (s) => `${s.file}: data.aws_iam_policy_document.lambda statement ${s.sid}`;
  if (!/:secretsmanager:\$\{local\.region\}:\$\{local\.account_id\}:secret:\$\{local\.secret_prefix\}\/\*$/.test(String(loc.secret_arn_pattern || '')) ||
    !String(loc.secret_arn_pattern).startsWith('arn:${local.partition}:')) {
    bad(`secrets.tf: local.secret_arn_pattern is not arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>/*: ${loc.secret_arn_pattern}`);
  }
  if (!/var\.temporary_users_enabled/.test(String(loc.temporary_users)) || !/r\.mode == "temporary_user"/.test(String(loc.temporary_users))) {
    bad(`secrets.tf: local.temporary_users is not "temporary_users_enabled or some postgres_roles entry has mode temporary_user": ${loc.temporary_users}`);
  }
  if (JSON.stringify([...asList(loc.secret_tag_keys)].sort()) !== JSON.stringify(TAG_KEYS)) bad(`secrets.tf: local.secret_tag_keys is ${JSON.stringify(loc.secret_tag_keys)}, not exactly ${JSON.stringify(TAG_KEYS)}`);
  const st = docStatements(m, 'lambda');
  if (st.length === 0) bad('main.tf: no data.aws_iam_policy_document.lambda');
  const granted = new Set();
  for (const s of st.filter((x) => x.effect === 'Allow')) {
    const sm = s.actions.filter((a) => SM.test(a) || a === '*');
    if (s.notActions.length) bad(`${where(s)}: not_actions in an Allow`);
    if (sm.length === 0) continue;
    sm.forEach((a) => granted.add(a));
    if (!gated(s.forEach)) bad(`${where(s)}: Secrets Manager rights not gated on local.temporary_users (for_each ${s.forEach})`);
    for (const a of sm) if (!LAMBDA_SM_ACTIONS.has(a)) bad(`${where(s)}: ${a} is more than the shim needs`);
    if (sm.includes('secretsmanager:ListSecrets')) {
      if (s.actions.length !== 1) bad(`${where(s)}: ListSecrets must stand alone (it is the only action on "*")`);
      if (JSON.stringify(s.resources) !== '["*"]') bad(`${where(s)}: ListSecrets takes no resource-level permission: Resource "*" and nothing else`);
    } else {
      for (const r of s.resources) if (r !== PATTERN) bad(`${where(s)}: resource ${r} is not local.secret_arn_pattern (the prefix)`);
      if (s.resources.length === 0) bad(`${where(s)}: no resources`);
    }
    if (sm.includes('secretsmanager:CreateSecret') || sm.includes('secretsmanager:TagResource')) {
      if (!hasCond(s, 'ForAllValues:StringEquals', 'aws:TagKeys', TAG_KEYS)) bad(`${where(s)}: CreateSecret/TagResource without ForAllValues:StringEquals aws:TagKeys = ${TAG_KEYS.join(', ')}`);
    }
    if (sm.includes('secretsmanager:CreateSecret')) {
      for (const k of TAG_KEYS) if (!hasCond(s, 'Null', `aws:RequestTag/${k}`, ['false'])) bad(`${where(s)}: CreateSecret does not require the ${k} tag (Null aws:RequestTag/${k} = false)`);
    }
  }
  for (const a of LAMBDA_SM_ACTIONS) if (!granted.has(a)) bad(`main.tf: the Lambda lacks ${a} (the shim needs it)`);
  const deny = st.filter((s) => s.effect === 'Deny' && s.forEach === null && s.actions.includes('secretsmanager:GetSecretValue') && s.actions.includes('secretsmanager:BatchGetSecretValue') && s.resources.includes('*'));
  if (deny.length === 0) bad('main.tf: no unconditional Deny of secretsmanager:GetSecretValue/BatchGetSecretValue on "*" for the Lambda');
  const fn = blocks(m, 'resource', 'aws_lambda_function')[0];
  const env = fn ? (asList(fn.body.environment)[0] || {}).variables || {} : {};
  if (env.SYM_SHIM_SECRET_PREFIX !== '${local.secret_prefix}') bad('main.tf: the Lambda does not get SYM_SHIM_SECRET_PREFIX = local.secret_prefix');
  // The sandbox's endpoint: the Lambda's role only, the prefix except ListSecrets.
  for (const s of docStatements(m, 'secretsmanager_endpoint')) {
    const w = `${s.file}: data.aws_iam_policy_document.secretsmanager_endpoint statement ${s.sid}`;
    if (!gated(s.count)) bad(`${w}: not gated on local.temporary_users`);
    if (!hasCond(s, 'ArnEquals', 'aws:PrincipalArn', ['${aws_iam_role.lambda.arn}'])) bad(`${w}: not limited to the Lambda's role`);
    for (const a of s.actions) if (!LAMBDA_SM_ACTIONS.has(a)) bad(`${w}: ${a}`);
    const list = JSON.stringify(s.actions) === '["secretsmanager:ListSecrets"]';
    for (const r of s.resources) if (r !== PATTERN && !(list && r === '*')) bad(`${w}: resource ${r}`);
  }
  return `the Lambda's Secrets Manager statements: ${[...granted].length} actions, below ${loc.secret_arn_pattern}`;
}, [
  { file: 'main.tf', from: '      sid       = "CreateOwnedSecretsUnderPrefix"\n      actions   = ["secretsmanager:CreateSecret"]\n      resources = [local.secret_arn_pattern]', to: '      sid       = "CreateOwnedSecretsUnderPrefix"\n      actions   = ["secretsmanager:CreateSecret"]\n      resources = ["*"]' },
  { file: 'main.tf', from: 'actions   = ["secretsmanager:ListSecrets"]', to: 'actions   = ["secretsmanager:ListSecrets", "secretsmanager:DeleteSecret"]' },
  { file: 'main.tf', from: 'actions   = ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"]', to: 'actions   = ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue"]' },
  { file: 'main.tf', from: 'actions   = ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"]', to: 'actions   = ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret"]' },
  { file: 'main.tf', from: '      sid       = "TagSecretsUnderPrefix"\n      actions   = ["secretsmanager:TagResource"]\n      resources = [local.secret_arn_pattern]\n      condition {\n        test     = "ForAllValues:StringEquals"', to: '      sid       = "TagSecretsUnderPrefix"\n      actions   = ["secretsmanager:TagResource"]\n      resources = [local.secret_arn_pattern]\n      condition {\n        test     = "ForAnyValue:StringEquals"' },
  { file: 'main.tf', from: '        variable = "aws:RequestTag/sym.user"', to: '        variable = "aws:RequestTag/team"' },
  { file: 'main.tf', from: '    for_each = local.temporary_users ? [1] : []\n    content {\n      sid       = "UpdateAndDeleteSecretsUnderPrefix"', to: '    for_each = [1]\n    content {\n      sid       = "UpdateAndDeleteSecretsUnderPrefix"' },
  { file: 'main.tf', from: '    sid       = "NeverReadSecretValues"\n    effect    = "Deny"', to: '    sid       = "NeverReadSecretValues"\n    effect    = "Allow"' },
  { file: 'main.tf', from: '      SYM_SHIM_SECRET_PREFIX = local.secret_prefix\n', to: '' },
  { file: 'secrets.tf', from: ':secret:${local.secret_prefix}/*"', to: ':secret:*"' },
  { file: 'secrets.tf', from: 'secret_tag_keys = ["sym.user", "sym-access:expires-at"]', to: 'secret_tag_keys = ["sym.user", "sym-access:expires-at", "owner"]' },
  { file: 'secrets.tf', from: 'temporary_users = var.temporary_users_enabled || anytrue([for r in var.postgres_roles : r.mode == "temporary_user"])', to: 'temporary_users = true' },
  { file: 'secrets.tf', from: '      values   = [aws_iam_role.lambda.arn]\n    }\n  }\n\n  statement {\n    sid       = "LambdaListSecrets"', to: '      values   = ["*"]\n    }\n  }\n\n  statement {\n    sid       = "LambdaListSecrets"' },
]);

rule('secrets-requester-own-tag', 'temporary users: the requesters\' policy reads only secrets below the prefix whose sym.user tag is the reader\'s own e-mail, and denies every write there (issue 12)', (m, bad) => {
  const st = docStatements(m, 'requester_secrets');
  const where = (s) => `${s.file}: data.aws_iam_policy_document.requester_secrets statement ${s.sid}`;
  if (st.length === 0) bad('secrets.tf: no data.aws_iam_policy_document.requester_secrets');
  const vars = Object.assign({}, ...m.tf.filter((t) => t.dir === '.' && t.json && t.json.variable).map((t) => t.json.variable));
  const tagVar = vars.requester_identity_tag && vars.requester_identity_tag[0];
  if (!tagVar || tagVar.default !== 'email') bad('variables.tf: requester_identity_tag does not default to "email"');
  const principalTag = '$${aws:PrincipalTag/${var.requester_identity_tag}}';
  let reads = 0;
  for (const s of st) {
    if (!gated(s.count)) bad(`${where(s)}: the policy is not gated on local.temporary_users`);
    if (s.effect !== 'Allow') continue;
    if (s.notActions.length) bad(`${where(s)}: not_actions in an Allow`);
    if (s.actions.includes('secretsmanager:ListSecrets')) {
      // Optional, and alone: the one action that takes no resource.
      if (s.actions.length !== 1 || JSON.stringify(s.resources) !== '["*"]') bad(`${where(s)}: ListSecrets must stand alone on "*"`);
      if (s.forEach !== '${var.requester_can_list_secrets ? [1] : []}') bad(`${where(s)}: ListSecrets is not gated on var.requester_can_list_secrets`);
      continue;
    }
    for (const a of s.actions) if (!['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'].includes(a)) bad(`${where(s)}: ${a}: requesters only read`);
    for (const r of s.resources) if (r !== PATTERN) bad(`${where(s)}: resource ${r} is not local.secret_arn_pattern`);
    const tag = s.conditions.filter((c) => c.variable === 'secretsmanager:ResourceTag/sym.user');
    if (!tag.some((c) => ['StringEquals', 'StringEqualsIgnoreCase'].includes(c.test) && c.values.length === 1 && c.values[0] === principalTag)) {
      bad(`${where(s)}: no StringEquals(IgnoreCase) secretsmanager:ResourceTag/sym.user = ${principalTag}`);
    }
    for (const c of tag) if (!['StringEquals', 'StringEqualsIgnoreCase'].includes(c.test)) bad(`${where(s)}: ${c.test} on the owner tag`);
    if (!hasCond(s, 'Null', 'aws:PrincipalTag/${var.requester_identity_tag}', ['false'])) bad(`${where(s)}: a session without the identity tag is not refused explicitly (Null aws:PrincipalTag/... = false)`);
    if (s.actions.includes('secretsmanager:GetSecretValue')) reads++;
  }
  if (reads === 0) bad('secrets.tf: the requesters\' policy grants no GetSecretValue');
  const deny = st.filter((s) => s.effect === 'Deny' && s.resources.includes(PATTERN) && s.notActions.length > 0);
  if (deny.length === 0) bad('secrets.tf: no Deny (not_actions) of everything but reading below the prefix');
  for (const s of deny) for (const a of s.notActions) if (!['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'].includes(a)) bad(`${where(s)}: ${a} is exempt from the Deny`);
  const pol = blocks(m, 'resource', 'aws_iam_policy').find((p) => p.name === 'requester_secrets');
  if (!pol || pol.body.policy !== '${data.aws_iam_policy_document.requester_secrets[0].json}') bad('secrets.tf: no aws_iam_policy.requester_secrets carrying the document');
  const outs = Object.assign({}, ...m.tf.filter((t) => t.dir === '.' && t.json && t.json.output).map((t) => t.json.output));
  if (!outs.requester_secrets_policy || !/aws_iam_policy\.requester_secrets\[0\]\.arn/.test(JSON.stringify(outs.requester_secrets_policy))) bad('outputs.tf: no requester_secrets_policy output with the policy\'s ARN');
  return `requesters read below the prefix only where sym.user = ${principalTag}; everything else there is denied`;
}, [
  { file: 'secrets.tf', from: '      test     = "StringEqualsIgnoreCase"', to: '      test     = "StringLike"' },
  { file: 'secrets.tf', from: '      values   = ["$${aws:PrincipalTag/${var.requester_identity_tag}}"]', to: '      values   = ["*"]' },
  { file: 'secrets.tf', from: '      variable = "secretsmanager:ResourceTag/sym.user"', to: '      variable = "secretsmanager:ResourceTag/team"' },
  { file: 'secrets.tf', from: '    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]\n    resources = [local.secret_arn_pattern]', to: '    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]\n    resources = ["*"]' },
  { file: 'secrets.tf', from: '      variable = "aws:PrincipalTag/${var.requester_identity_tag}"\n      values   = ["false"]', to: '      variable = "aws:PrincipalTag/${var.requester_identity_tag}"\n      values   = ["true"]' },
  { file: 'secrets.tf', from: '      "secretsmanager:ListSecretVersionIds",\n    ]', to: '      "secretsmanager:ListSecretVersionIds",\n      "secretsmanager:TagResource",\n    ]' },
  { file: 'secrets.tf', from: '    sid    = "NoWritesBelowThePrefix"\n    effect = "Deny"', to: '    sid    = "NoWritesBelowThePrefix"\n    effect = "Allow"' },
  { file: 'secrets.tf', from: '  policy      = data.aws_iam_policy_document.requester_secrets[0].json', to: '  policy      = data.aws_iam_policy_document.lambda.json' },
  { file: 'secrets.tf', from: '    for_each = var.requester_can_list_secrets ? [1] : []', to: '    for_each = [1]' },
  { file: 'secrets.tf', from: '      actions   = ["secretsmanager:ListSecrets"]\n      resources = ["*"]', to: '      actions   = ["secretsmanager:ListSecrets", "secretsmanager:GetSecretValue"]\n      resources = ["*"]' },
]);

rule('temporary-user-mode', 'temporary users: postgres_roles takes a validated mode, the sandbox passes it to allow_role, and the PostgreSQL 15 sandbox refuses it (issue 12)', (m, bad) => {
  const v = m.tf.find((t) => t.file === 'variables.tf');
  const pr = v && v.json && v.json.variable && v.json.variable.postgres_roles && v.json.variable.postgres_roles[0];
  if (!pr) { bad('variables.tf: no postgres_roles'); return; }
  if (!/mode\s*=\s*optional\(string,\s*"membership"\)/.test(String(pr.type))) bad(`variables.tf: postgres_roles has no mode = optional(string, "membership") attribute: ${pr.type}`);
  const val = asList(pr.validation).map((x) => String(x.condition));
  if (!val.some((c) => /contains\(\["membership", "temporary_user"\], r\.mode\)/.test(c))) bad('variables.tf: postgres_roles mode is not validated as exactly membership or temporary_user');
  const sb = m.tf.find((t) => t.file === 'sandbox.tf');
  if (!sb || !/sym_access\.allow_role\('\$\{r\.name\}', '[^\n]*', mode => '\$\{r\.mode\}'\)/.test(sb.text)) bad('sandbox.tf: the setup SQL does not pass mode to allow_role');
  if (!sb || !/r\.mode == "membership"\s*\n\s*\? "SELECT sym_access\.allow_role\('\$\{r\.name\}', '[^\n]*'\) WHERE/.test(sb.text)) bad('sandbox.tf: a temporary_user role may reach the plain allow_role call (the mode must decide which call is rendered)');
  if (!sb || !/allowed_role WHERE role = '\$\{r\.name\}'::regrole AND mode = '\$\{r\.mode\}'/.test(sb.text)) bad('sandbox.tf: a role whose mode changed is not allowed again (the NOT EXISTS guard ignores mode)');
  const fn = blocks(m, 'resource', 'aws_lambda_function')[0];
  const pre = fn ? asList((asList(fn.body.lifecycle)[0] || {}).precondition).map((p) => String(p.condition)) : [];
  if (!pre.some((c) => /local\.temporary_users && local\.sandbox_ec2_count == 1/.test(c))) bad('main.tf: no precondition refusing temporary users on the PostgreSQL 15 (EC2) sandbox');
}, [
  { file: 'variables.tf', from: 'contains(["membership", "temporary_user"], r.mode)', to: 'contains(["membership", "temporary_user", "superuser"], r.mode)' },
  { file: 'sandbox.tf', from: ", mode => '${r.mode}')", to: ')' },
  { file: 'sandbox.tf', from: '      r.mode == "membership"\n', to: '      r.mode != "temporary_user" || true\n' },
  { file: 'sandbox.tf', from: "::regrole AND mode = '${r.mode}');", to: '::regrole);' },
  { file: 'main.tf', from: 'condition     = !(local.temporary_users && local.sandbox_ec2_count == 1)', to: 'condition     = true' },
]);

// Every aws_* resource and data source argument and block exists in the AWS
// provider's schema (pinned version), and no read-only attribute is set.
rule('aws-schema', 'every aws_* argument and block exists in the pinned AWS provider\'s schema', (m, bad) => {
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  const META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection', 'dynamic']);
  const isBlock = (v) => Array.isArray(v) && v.length > 0 && v.every((x) => x && typeof x === 'object' && !Array.isArray(x));
  function check(where, node, body, top) {
    for (const [k, v] of Object.entries(body)) {
      if (top && META.has(k) && k !== 'dynamic') continue;
      if (k === 'dynamic') {
        for (const [bn, dyns] of Object.entries(v)) {
          const sub = node.attrs[bn];
          if (!sub || typeof sub !== 'object') { bad(`${where}: no block "${bn}"`); continue; }
          for (const d of asList(dyns)) for (const c of asList(d.content)) check(`${where}.${bn}`, sub, c, false);
        }
        continue;
      }
      const a = node.attrs[k];
      if (a === undefined) bad(`${where}: no argument or block "${k}"`);
      else if (a === 'ro') bad(`${where}: "${k}" is read-only`);
      else if (typeof a === 'object') {
        if (!isBlock(v)) bad(`${where}: "${k}" is a block, written as an argument`);
        else for (const b of v) check(`${where}.${k}`, a, b, false);
      }
    }
    if (top) {
      for (const lc of asList(body.lifecycle)) {
        for (const ic of asList(lc.ignore_changes)) {
          const n = String(ic).replace(/^\$\{|\}$/g, '').split(/[.[]/)[0];
          if (n !== 'all' && !(n in node.attrs)) bad(`${where}: lifecycle ignore_changes names "${n}", which does not exist`);
        }
      }
    }
  }
  let n = 0;
  for (const [kind, table] of [['resource', schema.resources], ['data', schema.data]]) {
    for (const b of blocks(m, kind, null, '*')) {
      if (!b.type.startsWith('aws_')) continue;
      n++;
      const where = `${b.file}: ${kind === 'data' ? 'data.' : ''}${b.type}.${b.name}`;
      if (!table[b.type]) { bad(`${where}: the AWS provider ${schema.provider && schema.provider.version} has no ${kind} ${b.type}`); continue; }
      check(where, table[b.type], b.body, true);
    }
  }
  return `${n} aws_* blocks match the schema of hashicorp/aws ${schema.provider && schema.provider.version}`;
}, [
  { file: 'main.tf', from: '  handler                        = "bootstrap"\n', to: '  handler                        = "bootstrap"\n  source_code_sha256             = "x"\n' },
  { file: 'sandbox.tf', from: '    http_put_response_hop_limit = 1\n', to: '    http_put_response_hop_limit = 1\n    http_tokens_required        = true\n' },
  { file: 'main.tf', from: '  tracing_config {\n    mode =', to: '  tracing {\n    mode =' },
  { file: 'kms.tf', from: '  enable_key_rotation     = true\n  deletion_window_in_days = 30\n  policy                  = data.aws_iam_policy_document.logs_key.json', to: '  enable_key_rotation     = true\n  deletion_window_in_days = 30\n  arn                     = "x"\n  policy                  = data.aws_iam_policy_document.logs_key.json' },
  { file: 'rds.tf', from: '  storage_encrypted     = true\n', to: '  encrypted             = true\n' },
]);

// ------------------------------------------------------------------- main --

async function run(r, tree) {
  const m = await load(tree);
  const problems = [];
  for (const t of m.tf) if (!t.json) problems.push(`${t.file}: does not parse`);
  const summary = r.check(m, (p) => problems.push(p));
  return { problems, summary };
}

// A copy of the tree with one mutation applied, or an error string.
function mutate(tree, mu) {
  if (!tree.has(mu.file)) return `mutation no longer applies: no ${mu.file}`;
  let text = tree.get(mu.file);
  if (mu.append) text += '\n' + mu.append;
  else {
    if (!text.includes(mu.from)) return `mutation no longer applies: ${mu.file} has no ${JSON.stringify(mu.from.slice(0, 70))}`;
    text = text.split(mu.from).join(mu.to);
  }
  const copy = new Map(tree);
  copy.set(mu.file, text);
  return copy;
}

async function check(r, tree, log) {
  const { problems, summary } = await run(r, tree);
  for (const p of problems) log(p);
  if (problems.length) {
    log(`${r.id}: ${problems.length} problem(s)`);
    return 1;
  }
  log(summary || `${r.id}: ok`);
  return 0;
}

async function selftest(r, tree, log) {
  let failed = 0;
  for (const [i, mu] of r.mutations.entries()) {
    const copy = mutate(tree, mu);
    if (typeof copy === 'string') { log(`mutation ${i + 1}: ${copy}`); failed++; continue; }
    const { problems } = await run(r, copy);
    if (problems.length === 0) { log(`mutation ${i + 1} (${mu.file}) was NOT caught`); failed++; }
    else log(`mutation ${i + 1} (${mu.file}) caught: ${problems[0]}`);
  }
  if (failed) return 1;
  log(`all ${r.mutations.length} broken copies fail ${r.id}`);
  return 0;
}

const tree = readTree(path.resolve(tfDirArg));
if (mode === 'list') {
  for (const r of rules) console.log(`${r.id}\t${r.mutations.length}\t${r.title}`);
  process.exit(0);
}
if (mode === 'all') {
  const outDir = ruleId;
  if (!outDir) { console.error('all needs OUT_DIR'); process.exit(2); }
  fs.mkdirSync(outDir, { recursive: true });
  let rc = 0;
  for (const r of rules) {
    for (const [kind, fn] of [['check', check], ['selftest', selftest]]) {
      const lines = [];
      const status = await fn(r, tree, (l) => lines.push(l));
      rc |= status;
      fs.writeFileSync(path.join(outDir, `${r.id}.${kind}`), `${lines.join('\n')}\nexit ${status}\n`);
    }
  }
  console.log(`${rules.length} rules checked and self-tested`);
  process.exit(rc);
}
const r = rules.find((x) => x.id === ruleId);
if (!r) {
  console.error(`unknown rule ${ruleId}; rules: ${rules.map((x) => x.id).join(' ')}`);
  process.exit(2);
}
process.exit(await (mode === 'check' ? check : selftest)(r, tree, (l) => console.log(l)));

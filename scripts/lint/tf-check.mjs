// Static checks of the Terraform tree that need no provider and no AWS account.
//
//   node scripts/lint/tf-check.mjs NPM_DIR MODE TERRAFORM_DIR
//
//   MODE parse : parse every *.tf (and *.tfvars*) file with HashiCorp's HCL
//                parser (@cdktf/hcl2json, the Go parser compiled to WASM); any
//                syntax error fails.
//   MODE refs  : per module directory, every var.X, local.X, module.X,
//                data.T.N, ephemeral.T.N and T.N reference resolves to a declaration; every
//                variable has a type and a description, every output a
//                description; no variable is declared and never used; local
//                module calls pass only declared inputs and all required ones,
//                and only read declared outputs; templatefile() calls name an
//                existing file and pass exactly the variables the template uses;
//                file() arguments exist; every role given in postgres_roles or
//                sandbox_db_users by an example is a valid PostgreSQL identifier.
//
// Prints one line per problem (FILE: message) and exits 1 if there is any.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { walk } from './tree.mjs';

const [npmDir, mode, tfDir] = process.argv.slice(2);
if (!npmDir || !['parse', 'refs'].includes(mode) || !tfDir) {
  console.error('usage: tf-check.mjs NPM_DIR parse|refs TERRAFORM_DIR');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const hcl = require('@cdktf/hcl2json');

const problems = [];
const problem = (file, msg) => problems.push(`${path.relative(process.cwd(), file)}: ${msg}`);

const files = walk(tfDir);
const tfFiles = files.filter((f) => f.endsWith('.tf'));
const varFiles = files.filter((f) => /\.tfvars(\.example)?$/.test(f));

async function parseFile(f) {
  try {
    return await hcl.parse(path.basename(f), fs.readFileSync(f, 'utf8'));
  } catch (e) {
    problem(f, `HCL syntax error: ${String(e.message || e).replace(/\s+/g, ' ')}`);
    return null;
  }
}

if (mode === 'parse') {
  for (const f of [...tfFiles, ...varFiles]) await parseFile(f);
  if (tfFiles.length === 0) problem(tfDir, 'no .tf files found');
  finish(`${tfFiles.length + varFiles.length} files parsed`);
}

// ---------------------------------------------------------------- refs mode --
const IDENT = /^[a-z_][a-z0-9_$]{0,62}$/;
const BUILTIN_ROOTS = new Set(['path', 'count', 'each', 'self', 'terraform']);

// module dir -> { files: [{file, json}] }
const modules = new Map();
for (const f of tfFiles) {
  const json = await parseFile(f);
  if (!json) continue;
  const dir = path.resolve(path.dirname(f));
  if (!modules.has(dir)) modules.set(dir, []);
  modules.get(dir).push({ file: f, json });
}

function declarations(entries) {
  const d = { vars: new Map(), locals: new Set(), modules: new Map(), resources: new Set(), data: new Set(), ephemeral: new Set(), outputs: new Set(), providers: new Set(['terraform']) };
  for (const { file, json } of entries) {
    for (const [name, blocks] of Object.entries(json.variable || {})) d.vars.set(name, { file, body: blocks[0] });
    for (const block of json.locals || []) for (const k of Object.keys(block)) d.locals.add(k);
    for (const [name, blocks] of Object.entries(json.module || {})) d.modules.set(name, { file, body: blocks[0] });
    for (const [type, byName] of Object.entries(json.resource || {})) for (const n of Object.keys(byName)) d.resources.add(`${type}.${n}`);
    for (const [type, byName] of Object.entries(json.data || {})) for (const n of Object.keys(byName)) d.data.add(`${type}.${n}`);
    for (const [type, byName] of Object.entries(json.ephemeral || {})) for (const n of Object.keys(byName)) d.ephemeral.add(`${type}.${n}`);
    for (const name of Object.keys(json.output || {})) d.outputs.add(name);
    for (const t of json.terraform || []) for (const rp of t.required_providers || []) for (const p of Object.keys(rp)) d.providers.add(p);
  }
  return d;
}

// Every string value in a parsed file, with the top-level block it sits in.
function* strings(node, where) {
  if (typeof node === 'string') yield { s: node, where };
  else if (Array.isArray(node)) for (const x of node) yield* strings(x, where);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* strings(v, where);
}

const decls = new Map([...modules].map(([dir, entries]) => [dir, declarations(entries)]));

function templateVars(text) {
  // ${name} interpolations ($${ is an escape); a template that uses directives
  // (%{ ... }) or expressions beyond plain names is reported, so the checker
  // never silently under-approximates.
  const names = new Set();
  const re = /(\$?)\$\{([^}]*)\}/g;
  let m;
  while ((m = re.exec(text))) {
    if (m[1] === '$') continue;
    const expr = m[2].trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(expr)) names.add(expr);
    else names.add(`<expression ${expr}>`);
  }
  if (/(^|[^%])%\{/.test(text)) names.add('<template directive>');
  return names;
}

for (const [dir, entries] of modules) {
  const d = decls.get(dir);
  const usedVars = new Set();

  for (const [name, { file, body }] of d.vars) {
    if (!body.type) problem(file, `variable "${name}" has no type`);
    if (!body.description || !String(body.description).trim()) problem(file, `variable "${name}" has no description`);
  }
  for (const { file, json } of entries) {
    for (const [name, blocks] of Object.entries(json.output || {})) {
      if (!blocks[0].description) problem(file, `output "${name}" has no description`);
    }
  }

  for (const { file, json } of entries) {
    for (const { s } of strings(json)) {
      if (!s.includes('${')) continue;
      let refs;
      try {
        refs = await hcl.getReferencesInExpression(path.basename(file), s);
      } catch (e) {
        problem(file, `cannot analyse expression ${JSON.stringify(s.slice(0, 80))}: ${e.message || e}`);
        continue;
      }
      for (const { value } of refs) {
        const parts = value.split('.');
        const [root, a, b] = parts;
        if (root === 'var') {
          usedVars.add(a);
          if (!d.vars.has(a)) problem(file, `var.${a} is not declared in ${path.relative(process.cwd(), dir)}`);
        } else if (root === 'local') {
          if (!d.locals.has(a)) problem(file, `local.${a} is not defined`);
        } else if (root === 'module') {
          const m = d.modules.get(a);
          if (!m) problem(file, `module.${a} is not declared`);
          // module.x[0] (count/for_each) comes back as module.x.0 with the
          // attribute cut off: only a plain module.x.output can be checked.
          else if (b !== undefined && !/^\d+$/.test(b) && isLocalSource(m.body.source)) {
            const target = decls.get(path.resolve(dir, m.body.source));
            if (target && !target.outputs.has(b)) problem(file, `module.${a}.${b}: module ${m.body.source} has no output "${b}"`);
          }
        } else if (root === 'data') {
          if (!d.data.has(`${a}.${b}`)) problem(file, `data.${a}.${b} is not declared`);
        } else if (root === 'ephemeral') {
          if (!d.ephemeral.has(`${a}.${b}`)) problem(file, `ephemeral.${a}.${b} is not declared`);
        } else if (BUILTIN_ROOTS.has(root)) {
          // path.module, count.index, each.value, self.x, terraform.workspace
        } else if (root.includes('_') && d.providers.has(root.split('_')[0])) {
          // aws_x.name, sym_x.name, terraform_data.name, ...
          if (!d.resources.has(`${root}.${a}`)) problem(file, `resource ${root}.${a} is not declared`);
        }
        // Anything else is a block-local name (dynamic block iterators such as
        // statement.value); HCL itself reports unknown ones at plan time.
      }

      // templatefile("${path.module}/X", { k = ... }) and file("${path.module}/X")
      for (const m of s.matchAll(/\b(templatefile|file|filebase64sha256|filebase64)\(\s*"\$\{path\.module\}\/([^"]+)"/g)) {
        const target = path.join(dir, m[2]);
        if (!fs.existsSync(target)) {
          if (m[1] !== 'filebase64sha256') problem(file, `${m[1]}(): ${path.relative(process.cwd(), target)} does not exist`);
          continue;
        }
        if (m[1] !== 'templatefile') continue;
        const args = extractObjectKeys(s, m.index + m[0].length);
        const used = templateVars(fs.readFileSync(target, 'utf8'));
        for (const u of used) if (!args.has(u)) problem(file, `templatefile ${m[2]}: template uses ${u} but the call does not pass it`);
        for (const a of args) if (!used.has(a)) problem(file, `templatefile ${m[2]}: passes ${a} but the template does not use it`);
      }
    }
  }

  for (const [name, { file }] of d.vars) {
    if (!usedVars.has(name)) problem(file, `variable "${name}" is declared but never used`);
  }

  // Calls of local modules: inputs exist, required inputs given.
  for (const [name, { file, body }] of d.modules) {
    if (!isLocalSource(body.source)) {
      if (!body.version) problem(file, `module "${name}" from the registry has no version constraint`);
      continue;
    }
    const targetDir = path.resolve(dir, body.source);
    const target = decls.get(targetDir);
    if (!target) {
      problem(file, `module "${name}": source ${body.source} is not a module directory with .tf files`);
      continue;
    }
    const meta = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);
    for (const k of Object.keys(body)) {
      if (!meta.has(k) && !target.vars.has(k)) problem(file, `module "${name}": ${body.source} has no variable "${k}"`);
    }
    for (const [v, { body: vb }] of target.vars) {
      if (!('default' in vb) && !(v in body)) problem(file, `module "${name}": required variable "${v}" of ${body.source} is not set`);
    }
    for (const key of ['postgres_roles', 'sandbox_db_users']) if (key in body) checkRoleNames(file, `module "${name}" ${key}`, body[key]);
  }
}

// Example variable files: role names there must be identifiers too.
for (const f of varFiles) {
  const json = await parseFile(f);
  if (!json) continue;
  for (const key of ['postgres_roles', 'sandbox_db_users', 'requesters']) if (key in json) checkRoleNames(f, key, json[key]);
}

function isLocalSource(src) {
  return typeof src === 'string' && (src.startsWith('./') || src.startsWith('../'));
}

// Role names from either a literal (JSON list of objects or strings) or an HCL
// expression string such as ${[{ name = "readonly", label = "..." }]}.
function checkRoleNames(file, what, value) {
  let names = [];
  if (Array.isArray(value)) {
    names = value.map((x) => (typeof x === 'string' ? x : x && x.name)).filter((x) => x !== undefined);
  } else if (typeof value === 'string') {
    if (/^\$\{\s*\[/.test(value)) {
      for (const m of value.matchAll(/\bname\s*=\s*"([^"]*)"/g)) names.push(m[1]);
      if (!/\bname\s*=/.test(value)) for (const m of value.matchAll(/"([^"]*)"/g)) names.push(m[1]);
    } else return; // a variable reference: checked where it is declared
  }
  for (const n of names) {
    if (!IDENT.test(n) || n.startsWith('pg_') || n.startsWith('sym_access_')) {
      problem(file, `${what}: "${n}" is not a valid plain PostgreSQL role identifier (lower-case, [a-z_][a-z0-9_$]*, at most 63 bytes, not pg_*/sym_access_*)`);
    }
  }
}

// Keys of the object literal that follows position `from` in an expression
// string: templatefile("...", { a = x, b = y }) -> {a, b}. Nested braces are
// skipped; quoted strings are skipped.
function extractObjectKeys(s, from) {
  const keys = new Set();
  let i = s.indexOf('{', from);
  if (i < 0) return keys;
  let depth = 0;
  let token = '';
  let expectKey = true;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') {
      depth++;
      if (depth === 1) { expectKey = true; token = ''; }
      continue;
    }
    if (c === '}' || c === ')' || c === ']') {
      depth--;
      if (depth === 0) break;
      continue;
    }
    if (depth !== 1) continue;
    if (c === ',' || c === '\n') { expectKey = true; token = ''; continue; }
    if (expectKey) {
      if (/[A-Za-z0-9_]/.test(c)) token += c;
      else if ((c === '=' || c === ':') && token) { keys.add(token); expectKey = false; token = ''; }
      else if (!/\s/.test(c)) { expectKey = false; token = ''; }
    }
  }
  return keys;
}

function finish(summary) {
  for (const p of problems) console.log(p);
  if (problems.length) {
    console.log(`${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(summary);
  process.exit(0);
}

finish(`${modules.size} module directories, ${tfFiles.length} files: all references resolve`);

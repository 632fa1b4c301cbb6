// Extracts the AWS provider's resource schema (argument and block names, per
// resource and data source, nested blocks included) from the generated
// bindings in @cdktf/provider-aws, so the lint can check every aws_* argument
// offline: no `terraform init`, no provider download.
//
//   node scripts/lint/aws-schema.mjs LIB_DIR OUT.json
//
// LIB_DIR is the package's lib/ directory (unpacked by scripts/lint/tools.sh).
// Each lib/<name>/index.js holds one resource (or, for data-aws-*, one data
// source): its class sets `X.tfResourceType = "aws_..."`, synthesizeAttributes()
// returns { snake_name: mapper(...) } for every argument, and each nested block
// has a function fooToTerraform(struct) returning the same shape. Comments of
// the form `// name - computed: true, optional: false, required: false` mark
// attributes that can only be read, never set.
//
// Output: { provider, resources: {type: node}, data: {type: node} } where a
// node is { attrs: {name: 1 | 'ro' | nodeOfBlock} } (1: an argument; 'ro': an
// attribute that can only be read; an object: a nested block).
import fs from 'node:fs';
import path from 'node:path';

const [libDir, outFile] = process.argv.slice(2);
if (!libDir || !outFile) {
  console.error('usage: aws-schema.mjs LIB_DIR OUT.json');
  process.exit(2);
}

// The key/value lines of the object literal a function returns.
function returnedKeys(body) {
  const keys = new Map();
  const start = body.lastIndexOf('return {');
  if (start < 0) return keys;
  for (const line of body.slice(start).split('\n').slice(1)) {
    if (/^\s*\};?\s*$/.test(line)) break;
    const m = line.match(/^\s+([a-z0-9_]+): (.*),\s*$/);
    if (!m) continue;
    const fn = [...m[2].matchAll(/(?:index_structs_1\.)?([A-Za-z0-9]+ToTerraform)\b/g)]
      .map((x) => x[1])
      .find((n) => !/^(string|number|boolean|any|hashMapper|listMapper|numberToTerraform)ToTerraform$/.test(n) && !n.startsWith('stringTo'));
    keys.set(m[1], fn || null);
  }
  return keys;
}

const fns = new Map(); // fnName -> Map(key -> fnName|null)
const tops = []; // { kind, type, keys, readOnly }

function scan(file) {
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^function ([A-Za-z0-9]+ToTerraform)\(struct\) \{\n([\s\S]*?)\n\}/gm)) {
    fns.set(m[1], returnedKeys(m[2]));
  }
  const t = text.match(/^\w+\.tfResourceType = "([a-z0-9_]+)";/m);
  if (!t) return;
  const cls = text.search(/extends cdktf\.Terraform(Resource|DataSource) \{/);
  const main = cls < 0 ? text : text.slice(cls);
  const synth = main.match(/synthesizeAttributes\(\) \{\n([\s\S]*?)\n    \}/);
  const readOnly = new Set();
  for (const c of main.matchAll(/\/\/ ([a-z0-9_]+) - computed: true, optional: false, required: false/g)) readOnly.add(c[1]);
  const kind = path.basename(path.dirname(file)).startsWith('data-aws-') ? 'data' : 'resources';
  tops.push({ kind, type: t[1], keys: synth ? returnedKeys(synth[1]) : new Map(), readOnly, main });
}

for (const e of fs.readdirSync(libDir, { withFileTypes: true })) {
  if (!e.isDirectory()) continue;
  const dir = path.join(libDir, e.name);
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.js')) scan(path.join(dir, f));
  const structs = path.join(dir, 'index-structs');
  if (fs.existsSync(structs)) for (const f of fs.readdirSync(structs)) if (f.endsWith('.js')) scan(path.join(structs, f));
}

function node(keys, readOnly, depth) {
  const attrs = {};
  for (const [k, fn] of keys) {
    if (fn && fns.has(fn) && depth < 12) attrs[k] = node(fns.get(fn), new Set(), depth + 1);
    else attrs[k] = 1;
  }
  for (const k of readOnly) if (!(k in attrs)) attrs[k] = 'ro';
  return { attrs };
}

const out = { provider: null, resources: {}, data: {} };
try {
  const pkg = JSON.parse(fs.readFileSync(path.join(libDir, '..', 'package.json'), 'utf8'));
  out.provider = pkg.cdktf && pkg.cdktf.provider ? pkg.cdktf.provider : null;
} catch { /* version unknown: the lint says so */ }
for (const t of tops) out[t.kind][t.type] = node(t.keys, t.readOnly, 0);
const n = Object.keys(out.resources).length;
if (n < 1000) {
  console.error(`aws-schema: only ${n} resources found in ${libDir}: layout of @cdktf/provider-aws changed?`);
  process.exit(1);
}
fs.writeFileSync(outFile, JSON.stringify(out));
console.log(`aws-schema: ${n} resources, ${Object.keys(out.data).length} data sources (provider ${out.provider && out.provider.version})`);

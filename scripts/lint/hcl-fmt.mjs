// `terraform fmt -check -recursive` for machines without terraform: formats every
// .tf / .tfvars file with hclwrite (the formatter terraform fmt uses, compiled to
// WASM in @cdktf/hcl-tools) and fails on any file whose text would change.
//
//   node scripts/lint/hcl-fmt.mjs NPM_DIR DIR
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [npmDir, dir] = process.argv.slice(2);
if (!npmDir || !dir) {
  console.error('usage: hcl-fmt.mjs NPM_DIR DIR');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const { format } = require('@cdktf/hcl-tools');

function* walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    if (e.name === '.terraform') continue;
    const p = path.join(d, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.(tf|tfvars)$/.test(e.name)) yield p;
  }
}

let bad = 0;
let n = 0;
for (const f of walk(dir)) {
  n++;
  const src = fs.readFileSync(f, 'utf8');
  let formatted;
  try {
    formatted = await format(src);
  } catch (e) {
    console.log(`${f}: cannot format: ${e.message || e}`);
    bad++;
    continue;
  }
  if (formatted !== src) {
    console.log(`${f}: not formatted (terraform fmt would change it)`);
    bad++;
  }
}
if (bad) process.exit(1);
console.log(`hclwrite format: ${n} files clean (terraform not installed)`);

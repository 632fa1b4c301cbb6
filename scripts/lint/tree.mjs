// Files of a Terraform tree, without what `terraform init` leaves behind
// (.terraform/, .terraform.lock.hcl is kept out too: it is not source).
import fs from 'node:fs';
import path from 'node:path';

export function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.terraform' || e.name.startsWith('.terraform.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

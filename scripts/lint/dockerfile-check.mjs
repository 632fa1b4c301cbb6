// Dockerfile lint without a Docker engine and without hadolint (which neither
// Debian nor npm ships). Two layers:
//
//  1. dockerfile-utils' validator (the parser behind VS Code's Docker language
//     server): unknown instructions, bad flags, malformed JSON forms, missing
//     arguments, ... — every diagnostic of severity error or warning fails.
//  2. The hadolint rules this project cares about, implemented here:
//     DL3006  FROM image has an explicit tag (or a tag from an ARG with a default)
//     DL3007  FROM image is not :latest
//     DL3002  the last USER is not root
//     DL3020  COPY instead of ADD for local files
//     DL3025  CMD/ENTRYPOINT/HEALTHCHECK CMD in JSON (exec) form
//     DL3022  COPY --from names an earlier stage (or an image with a tag)
//     DL3009  apt-get lists removed in the RUN that updates them
//     DL3014  apt-get install -y;        DL3015  --no-install-recommends
//     DL3038  dnf install -y;            DL3040  dnf clean all in the same RUN
//     DL4006  a RUN with a pipe runs under SHELL [..., "-o", "pipefail", ...]
//     SC*     every shell-form RUN is checked with shellcheck, like hadolint
//             does (`# shellcheck disable=...` on the line before applies)
//
//   node scripts/lint/dockerfile-check.mjs NPM_DIR Dockerfile [Dockerfile ...]
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const [npmDir, ...files] = process.argv.slice(2);
if (!npmDir || files.length === 0) {
  console.error('usage: dockerfile-check.mjs NPM_DIR Dockerfile...');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const { validate } = require('dockerfile-utils');

const problems = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerfile-check-'));

for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const report = (line, rule, msg) => problems.push(`${file}:${line}: ${rule} ${msg}`);

  for (const d of validate(text)) {
    if (d.severity <= 2) report(d.range.start.line + 1, 'parse', d.message);
  }

  // Logical instructions: join continuation lines, keep the first line number
  // and the comment line right before each instruction.
  const lines = text.split('\n');
  const instrs = [];
  let prevComment = '';
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (/^\s*#/.test(raw)) { prevComment = raw.trim(); continue; }
    if (!raw.trim()) { prevComment = ''; continue; }
    const start = i;
    let body = raw;
    while (/\\\s*$/.test(body) && i + 1 < lines.length) {
      body = body.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i])) { body += ''; continue; }
      body += lines[i];
    }
    const m = body.match(/^\s*([A-Za-z]+)\s*([\s\S]*)$/);
    if (m) instrs.push({ line: start + 1, op: m[1].toUpperCase(), args: m[2].trim(), comment: prevComment });
    prevComment = '';
  }

  const globalArgs = new Map();
  const stages = [];
  let shell = ['/bin/sh', '-c'];
  let lastUser = null;
  let seenFrom = false;
  for (const ins of instrs) {
    const { op, args, line } = ins;
    if (op === 'ARG' && !seenFrom) {
      const [k, v] = args.split('=');
      globalArgs.set(k.trim(), v === undefined ? undefined : v.trim().replace(/^"|"$/g, ''));
    }
    if (op === 'FROM') {
      seenFrom = true;
      shell = ['/bin/sh', '-c'];
      lastUser = null;
      const parts = args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      const image = parts[0];
      const alias = /^as$/i.test(parts[1] || '') ? parts[2] : undefined;
      const resolved = image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n) => {
        if (!globalArgs.has(n)) report(line, 'DL3006', `FROM uses \${${n}} but no ARG ${n} is declared before the first FROM`);
        else if (globalArgs.get(n) === undefined) report(line, 'DL3006', `ARG ${n} used in FROM has no default`);
        return globalArgs.get(n) ?? 'x';
      });
      const isStage = stages.includes(image);
      if (resolved !== 'scratch' && !isStage) {
        const name = resolved.split('@')[0];
        const tag = name.includes(':') && !name.endsWith(':') ? name.slice(name.lastIndexOf(':') + 1) : '';
        if (!resolved.includes('@') && (!tag || tag.includes('/'))) report(line, 'DL3006', `always tag the image explicitly: ${image}`);
        if (tag === 'latest') report(line, 'DL3007', `do not use :latest: ${image}`);
      }
      stages.push(alias || String(stages.length));
      continue;
    }
    if (op === 'SHELL') {
      try { shell = JSON.parse(args); } catch { report(line, 'DL4005', 'SHELL must be a JSON array'); }
      continue;
    }
    if (op === 'USER') lastUser = args;
    if (op === 'ADD' && !/https?:\/\//.test(args) && !/\.(tar|tar\.gz|tgz|tar\.xz|tar\.bz2)(\s|$)/.test(args)) {
      report(line, 'DL3020', 'use COPY instead of ADD for files and folders');
    }
    if (op === 'CMD' || op === 'ENTRYPOINT') {
      if (!args.startsWith('[')) report(line, 'DL3025', `use the JSON form for ${op}`);
    }
    if (op === 'HEALTHCHECK' && !/^NONE$/i.test(args)) {
      const cmd = args.replace(/^(--\S+\s+)*/, '');
      if (/^CMD\s+[^[]/.test(cmd)) report(line, 'DL3025', 'use the JSON form for HEALTHCHECK CMD');
    }
    if (op === 'COPY') {
      const from = args.match(/--from=(\S+)/);
      if (from && !stages.includes(from[1]) && !from[1].includes(':')) {
        report(line, 'DL3022', `COPY --from=${from[1]} does not name an earlier stage`);
      }
    }
    if (op === 'RUN' && !args.startsWith('[')) {
      const cmd = args.replace(/^(--\S+\s+)*/, '');
      const flat = cmd.replace(/\s+/g, ' ');
      if (/\bapt-get\b[^;&|]*\binstall\b/.test(flat)) {
        const inst = flat.match(/apt-get\b[^;&|]*\binstall\b[^;&|]*/g) || [];
        for (const s of inst) {
          if (!/(\s-y\b|\s-[a-z]*y|--yes|--assume-yes)/.test(s)) report(line, 'DL3014', 'use apt-get install -y');
          if (!/--no-install-recommends/.test(s)) report(line, 'DL3015', 'use apt-get install --no-install-recommends');
        }
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(flat)) report(line, 'DL3009', 'remove /var/lib/apt/lists/* in the same RUN as apt-get install');
      }
      if (/\b(dnf|microdnf|yum)\b[^;&|]*\binstall\b/.test(flat)) {
        const inst = flat.match(/\b(dnf|microdnf|yum)\b[^;&|]*\binstall\b[^;&|]*/g) || [];
        for (const s of inst) if (!/(\s-y\b|--assumeyes)/.test(s)) report(line, 'DL3038', 'use dnf install -y');
        if (!/\b(dnf|microdnf|yum) clean all\b/.test(flat)) report(line, 'DL3040', 'run dnf clean all in the same RUN as dnf install');
      }
      if (/[^|]\|[^|]/.test(cmd.replace(/'[^']*'|"[^"]*"/g, '')) && !(shell.includes('-o') && shell.includes('pipefail'))) {
        report(line, 'DL4006', 'set SHELL ["/bin/bash", "-o", "pipefail", "-c"] before a RUN with a pipe');
      }
      shellcheckRun(file, line, cmd, shell, ins.comment, report);
    }
  }
  if (lastUser && /^(root|0)(:.*)?$/.test(lastUser)) report(0, 'DL3002', 'last USER should not be root');
}

function shellcheckRun(file, line, cmd, shellArr, comment, report) {
  const sh = path.basename(shellArr[0] || '/bin/sh');
  const dialect = ['bash', 'sh', 'dash', 'ksh'].includes(sh) ? sh : 'sh';
  const disable = (comment.match(/(?:shellcheck disable=|hadolint ignore=)([A-Z0-9,]+)/) || [])[1] || '';
  const codes = disable.split(',').filter((c) => c.startsWith('SC'));
  // ARG/ENV values are not known here; hadolint excludes the same.
  codes.push('SC2154');
  const f = path.join(tmp, `run-${path.basename(file)}-${line}.sh`);
  fs.writeFileSync(f, `#!/bin/${dialect}\n${cmd}\n`);
  const r = spawnSync('shellcheck', ['-s', dialect, '-f', 'gcc', `--exclude=${codes.join(',')}`, f], { encoding: 'utf8' });
  if (r.error) { report(line, 'SC', `cannot run shellcheck: ${r.error.message}`); return; }
  for (const l of (r.stdout || '').split('\n').filter(Boolean)) {
    const m = l.match(/^[^:]+:(\d+):\d+: (\w+): (.*)$/);
    if (m) report(line, 'SC', `(${m[2]}) ${m[3]}`);
  }
}

fs.rmSync(tmp, { recursive: true, force: true });
for (const p of problems) console.log(p);
if (problems.length) {
  console.log(`${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`${files.length} Dockerfile(s) clean`);

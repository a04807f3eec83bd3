#!/usr/bin/env node
// Makes a fresh clone runnable: checks Node, and installs npm dependencies wherever
// node_modules is missing or older than package-lock.json. `npm start` and `npm test` run
// this first, so each works on its own. The Kubernetes binaries are built by the `toolchain`
// turbo task, which the tests depend on.
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Porthole needs Node.js 20.19 or newer (this is ${process.version}).`);
  process.exit(1);
}

// The workspace, then the isolated package of Microsoft's Azure Relay clients that the relay's
// interop tests run (kept out of the workspace: old `ws` versions and npm placeholder packages).
for (const dir of [root, `${root}/packages/relay/test/interop/peers`]) {
  const lock = createHash('sha256')
    .update(readFileSync(`${dir}/package-lock.json`))
    .digest('hex');
  const marker = `${dir}/node_modules/.porthole-lock-sha256`;
  let installed = '';
  try {
    installed = readFileSync(marker, 'utf8').trim();
  } catch {
    // Never installed.
  }
  if (installed === lock) continue;
  console.error(`Installing npm dependencies in ${dir} (npm ci)…`);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {cwd: dir, stdio: 'inherit'});
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(marker, `${lock}\n`);
}

#!/usr/bin/env node
// `npm run toolchain`: builds the pinned Kubernetes binaries into the cache unless they are there.
import {buildToolchain} from '../toolchain.js';

try {
  const toolchain = await buildToolchain((line) => {
    process.stderr.write(`toolchain: ${line}\n`);
  });
  if (!toolchain.built) process.stderr.write(`toolchain: up to date in ${toolchain.dir}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}

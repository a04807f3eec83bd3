#!/usr/bin/env node
import {Cli} from '../dist/index.js';

process.exitCode = await new Cli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).run();

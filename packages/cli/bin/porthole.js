#!/usr/bin/env node
import {Cli} from '../dist/index.js';

// A reader that went away (`porthole … | head`) ends the output, not the command with a trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await new Cli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).run();

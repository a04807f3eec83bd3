import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

import {LineProcess} from '@porthole/testing';

const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@porthole/cli/package.json')),
  'bin',
  'porthole.js',
);

/** Starts `porthole ARGS…` (the CLI of this checkout); the caller stops it by PID. */
export function porthole(args: readonly string[], env: NodeJS.ProcessEnv): LineProcess {
  return LineProcess.start(process.execPath, [BIN, ...args], env);
}

/** Runs `porthole ARGS…` to its end. */
export async function runPorthole(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{code: number | null; stdout: string; stderr: string}> {
  const child = porthole(args, env);
  const code = await child.exit();
  return {code, stdout: child.lines.join('\n'), stderr: child.stderr};
}

import {fileURLToPath} from 'node:url';

import {LineProcess} from '@porthole/testing';

const BIN = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));

/** Starts this package's `porthole` command; the caller stops it by PID. */
export function porthole(args: readonly string[], env: NodeJS.ProcessEnv): LineProcess {
  return LineProcess.start(process.execPath, [BIN, ...args], env);
}

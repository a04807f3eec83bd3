import {Writable} from 'node:stream';

import {Cli} from '../src/index.js';

/** A writable stream that keeps what was written, for assertions. */
class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs the `porthole` command line in this process, with its output captured. */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{code: number; stdout: string; stderr: string}> {
  const stdout = new Captured();
  const stderr = new Captured();
  const code = await new Cli(args, {cwd: process.cwd(), stdout, stderr, env}).run();
  return {code, stdout: stdout.text, stderr: stderr.text};
}

import type {CliContext} from '../command.js';
import {ExitCode} from '../errors.js';
import {completions} from './completion.js';

/** `porthole __complete <words…>`: completion candidates, one per line, for the shell script. */
export function run(args: readonly string[], context: CliContext): Promise<number> {
  for (const candidate of completions(args)) context.stdout.write(`${candidate}\n`);
  return Promise.resolve(ExitCode.OK);
}

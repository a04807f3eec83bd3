import type {CliContext} from '../command.js';
import {CliUsageError, ExitCode} from '../errors.js';
import {PORTHOLE_VERSION} from '../version.js';

/** `porthole version`: the CLI's package version, Node's version and the platform. */
export function run(args: readonly string[], context: CliContext): Promise<number> {
  if (args.length > 0) {
    throw new CliUsageError(
      `"version" takes no arguments (got ${JSON.stringify(args[0])})`,
      'Run: porthole version',
    );
  }
  context.stdout.write(
    `porthole ${PORTHOLE_VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`,
  );
  return Promise.resolve(ExitCode.OK);
}

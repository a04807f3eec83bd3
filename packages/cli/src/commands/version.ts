import {readFile} from 'node:fs/promises';

import type {CliContext} from '../command.js';
import {CliUsageError, ExitCode} from '../errors.js';

/** `porthole version`: the CLI's package version, Node's version and the platform. */
export async function run(args: readonly string[], context: CliContext): Promise<number> {
  if (args.length > 0) {
    throw new CliUsageError(
      `"version" takes no arguments (got ${JSON.stringify(args[0])})`,
      'Run: porthole version',
    );
  }
  const manifest = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {version: string};
  context.stdout.write(
    `porthole ${manifest.version} (node ${process.version}, ${process.platform}/${process.arch})\n`,
  );
  return ExitCode.OK;
}

import {parseArgs} from 'node:util';
import type {ParseArgsConfig} from 'node:util';

import {CliUsageError} from './errors.js';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseFlags} parses with: strict, flags only. */
type StrictConfig<Options extends FlagOptions> = {
  args: string[];
  options: Options;
  strict: true;
  allowPositionals: false;
};

/**
 * A command's flags, parsed strictly (no positionals, no unknown flags); a command line that
 * does not parse is a usage error with `hint`.
 *
 * @throws CliUsageError with parseArgs's message and the hint
 */
export function parseFlags<const Options extends FlagOptions>(
  args: readonly string[],
  options: Options,
  hint: string,
): ReturnType<typeof parseArgs<StrictConfig<Options>>>['values'] {
  try {
    const config: StrictConfig<Options> = {
      args: [...args],
      options,
      strict: true,
      allowPositionals: false,
    };
    return parseArgs(config).values;
  } catch (err) {
    throw new CliUsageError((err as Error).message, hint);
  }
}

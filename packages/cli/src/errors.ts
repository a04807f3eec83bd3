import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/cli`, listed in `docs/errors.md`. */
export type CliErrorCode = 'ERR_CLI_USAGE';

/** A command line that cannot be run as written; `hint` says what would work. */
export class CliUsageError extends PortholeError<CliErrorCode> {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super('ERR_CLI_USAGE', message);
    this.hint = hint;
  }
}

/**
 * Exit codes, documented in the README: 0 success, 1 any failure with a stable error code,
 * 2 a command line that cannot be run.
 */
export const ExitCode = {OK: 0, FAILURE: 1, USAGE: 2} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

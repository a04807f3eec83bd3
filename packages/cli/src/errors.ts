import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/cli`, listed in `docs/errors.md`. */
export type CliErrorCode = 'ERR_CLI_USAGE' | 'ERR_CLI_INPUT';

/** A command line that cannot be run as written; `hint` says what would work. */
export class CliUsageError extends PortholeError<CliErrorCode> {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super('ERR_CLI_USAGE', message);
    this.hint = hint;
  }
}

/** An input the command line names cannot be used: a file that cannot be read, say. */
export class CliInputError extends PortholeError<CliErrorCode> {
  constructor(message: string, options?: {cause?: unknown}) {
    super('ERR_CLI_INPUT', message, options);
  }
}

/**
 * Exit codes, documented in the README: 0 success, 1 any failure with a stable error code,
 * 2 a command line that cannot be run.
 */
export const ExitCode = {OK: 0, FAILURE: 1, USAGE: 2} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

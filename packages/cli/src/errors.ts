import {PortholeError} from '@porthole/core';

/** Stable error codes raised by `@porthole/cli`, listed in `docs/errors.md`. */
export type CliErrorCode =
  | 'ERR_CLI_USAGE'
  | 'ERR_CLI_INPUT'
  | 'ERR_CLI_SIGN_IN_REQUIRED'
  | 'ERR_CLI_SIGN_IN_FAILED'
  | 'ERR_CLI_RELAY_UNREACHABLE'
  | 'ERR_CLI_TIMEOUT'
  | 'ERR_CLI_KUBECTL_FAILED'
  | 'ERR_CLI_TRUST_TOOL_MISSING'
  | 'ERR_CLI_TRUST_FAILED';

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
 * No usable sign-in (`ERR_CLI_SIGN_IN_REQUIRED`: none, or one that needs the user again), or
 * a sign-in the identity provider refused (`ERR_CLI_SIGN_IN_FAILED`). The message never holds
 * a token or a secret.
 */
export class CliSignInError extends PortholeError<CliErrorCode> {
  readonly hint: string;

  constructor(
    code: 'ERR_CLI_SIGN_IN_REQUIRED' | 'ERR_CLI_SIGN_IN_FAILED',
    message: string,
    hint: string,
    options?: {cause?: unknown},
  ) {
    super(code, message, options);
    this.hint = hint;
  }
}

/** The relay does not answer, or answers something that is not its control plane. */
export class CliRelayError extends PortholeError<CliErrorCode> {
  readonly hint: string;

  constructor(message: string, hint: string, options?: {cause?: unknown}) {
    super('ERR_CLI_RELAY_UNREACHABLE', message, options);
    this.hint = hint;
  }
}

/** Something the command waited for did not happen in time (`ERR_CLI_TIMEOUT`), or kubectl failed (`ERR_CLI_KUBECTL_FAILED`). */
export class CliWaitError extends PortholeError<CliErrorCode> {
  readonly hint: string;

  constructor(code: 'ERR_CLI_TIMEOUT' | 'ERR_CLI_KUBECTL_FAILED', message: string, hint: string) {
    super(code, message);
    this.hint = hint;
  }
}

/**
 * `porthole trust` cannot change the trust store: the tool it drives is not installed
 * (`ERR_CLI_TRUST_TOOL_MISSING`, the hint says how to install it), or it failed
 * (`ERR_CLI_TRUST_FAILED`, with the tool's own message).
 */
export class CliTrustError extends PortholeError<CliErrorCode> {
  readonly hint: string;

  constructor(
    code: 'ERR_CLI_TRUST_TOOL_MISSING' | 'ERR_CLI_TRUST_FAILED',
    message: string,
    hint: string,
    options?: {cause?: unknown},
  ) {
    super(code, message, options);
    this.hint = hint;
  }
}

/**
 * Exit codes, documented in the README: 0 success, 1 any failure with a stable error code,
 * 2 a command line that cannot be run.
 */
export const ExitCode = {OK: 0, FAILURE: 1, USAGE: 2} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

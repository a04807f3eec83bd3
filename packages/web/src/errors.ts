import {PortholeError} from '@porthole/core';

/**
 * Stable error codes raised by `@porthole/web`, listed in `docs/errors.md`. Codes are API:
 * changing one is a breaking change.
 */
export type WebErrorCode =
  // Settings: config.json and the elements' attributes.
  | 'ERR_WEB_CONFIG_UNAVAILABLE'
  | 'ERR_WEB_CONFIG_INVALID'
  // Sign-in (MSAL).
  | 'ERR_WEB_SIGN_IN_UNAVAILABLE'
  | 'ERR_WEB_SIGN_IN_REQUIRED'
  | 'ERR_WEB_SIGN_IN_FAILED'
  // The control plane and the tunnel to a cluster.
  | 'ERR_WEB_RELAY_UNREACHABLE'
  | 'ERR_WEB_RESPONSE_INVALID'
  | 'ERR_WEB_CLUSTER_UNREACHABLE';

/**
 * A failure of the console or a component that is not the control plane's or the cluster's
 * own answer. The message is short, names the value at fault and never quotes a token.
 *
 * @example
 *   throw new WebError('ERR_WEB_CONFIG_INVALID', 'Invalid settings: "relay" is not an http(s) URL');
 */
export class WebError extends PortholeError<WebErrorCode> {}

/** The control plane's own codes (`ERR_CONTROL_FORBIDDEN`, …), passed on as they came. */
export type ControlErrorCode = `ERR_CONTROL_${string}`;

/**
 * An error answer of the control plane (`{error: {code, message, hint, correlationId}}`),
 * with its code kept: callers match `ERR_CONTROL_FORBIDDEN` as the CLI does.
 */
export class ControlPlaneError extends PortholeError<ControlErrorCode> {
  /** The HTTP status, e.g. 403. */
  readonly status: number;
  /** What to do about it, when the relay says. */
  readonly hint: string | undefined;
  /** The relay's correlation id of the request, for its log. */
  readonly correlationId: string | undefined;

  /**
   * @param code the relay's `ERR_CONTROL_*` code
   * @param message the relay's message
   * @param options the status, hint and correlation id of the answer
   */
  constructor(
    code: ControlErrorCode,
    message: string,
    options: {status: number; hint?: string | undefined; correlationId?: string | undefined},
  ) {
    super(code, message);
    this.status = options.status;
    this.hint = options.hint;
    this.correlationId = options.correlationId;
  }
}

/** Every error `@porthole/web` raises, discriminated by `code`. */
export type AnyWebError = WebError | ControlPlaneError;

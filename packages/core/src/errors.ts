/**
 * Stable error codes raised by `@porthole/core`. Codes are API: they are listed in
 * `docs/errors.md`, and changing one is a breaking change.
 */
export type CoreErrorCode = 'ERR_KUBECONFIG_INVALID';

/**
 * The base of every error Porthole raises, in every package. Callers match on `code`
 * (`switch (err.code)`), never on the class, because two copies of a package may be loaded.
 *
 * @example
 *   throw new PortholeError('ERR_KUBECONFIG_INVALID', 'Invalid kubeconfig: "server" is empty');
 */
export class PortholeError<Code extends string = string> extends Error {
  /** The stable `ERR_<AREA>_<WHAT>` code. */
  readonly code: Code;

  /**
   * @param code the stable error code
   * @param message short, specific and free of secrets
   * @param options `cause`: the error this one wraps
   */
  constructor(code: Code, message: string, options?: {cause?: unknown}) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A kubeconfig could not be built from the values given. */
export class KubeconfigError extends PortholeError<'ERR_KUBECONFIG_INVALID'> {
  constructor(message: string) {
    super('ERR_KUBECONFIG_INVALID', `Invalid kubeconfig: ${message}`);
  }
}

/** Every error `@porthole/core` raises, discriminated by `code`. */
export type AnyCoreError = KubeconfigError;

import {RelayError} from '../errors.js';

/**
 * Every limit of the development identity provider, each with a safe default. A request over
 * one gets the status named here and leaves everyone else served.
 */
export interface DevIdentityLimits {
  /** The largest request body: token requests, the sign-in form and Graph calls (413 beyond). */
  maxRequestBodyBytes: number;
  /** Request headers (431 beyond). */
  maxHeaderBytes: number;
  /** How long a client may take to send a complete request head (408). */
  headersTimeoutMs: number;
  /**
   * Sessions, interactions, grants, codes and refresh tokens held in memory; past it the oldest
   * go first (their holders must sign in again).
   */
  maxStoredArtifacts: number;
  /**
   * The most ids Graph's `getMemberObjects`/`getMemberGroups` return; past it they answer
   * `400 Directory_ResultSizeLimitExceeded` as Microsoft Graph does past 11,000, and callers
   * page through `transitiveMemberOf`.
   */
  graphMaxMemberObjects: number;
}

/** The defaults of {@link DevIdentityLimits}. */
export const DEFAULT_DEV_IDENTITY_LIMITS: Readonly<DevIdentityLimits> = {
  maxRequestBodyBytes: 32 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  maxStoredArtifacts: 20_000,
  graphMaxMemberObjects: 11_000,
};

/** The numeric options of {@link DevIdentityProvider.start}, checked together. */
export interface NumericIdentityOptions {
  overageThreshold: number;
  accessTokenTtlSeconds: number;
  deviceCodeIntervalSeconds: number;
  limits: DevIdentityLimits;
}

/**
 * Checks numeric options up front: oidc-provider would otherwise fail at the first token.
 *
 * @throws RelayError `ERR_IDENTITY_OPTIONS_INVALID` naming the option
 */
export function checkNumericOptions(options: NumericIdentityOptions): void {
  const entries: [string, number, number][] = [
    ['overageThreshold', options.overageThreshold, 0],
    ['accessTokenTtlSeconds', options.accessTokenTtlSeconds, 1],
    ['deviceCodeIntervalSeconds', options.deviceCodeIntervalSeconds, 1],
    ...(Object.entries(options.limits) as [string, number][]).map(
      ([name, value]): [string, number, number] => [`limits.${name}`, value, 1],
    ),
  ];
  for (const [name, value, min] of entries) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RelayError(
        'ERR_IDENTITY_OPTIONS_INVALID',
        `Invalid identity provider option: ${name} must be an integer of at least ${min}, not ${String(value)}`,
      );
    }
  }
}

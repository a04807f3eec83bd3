import {createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify} from 'jose';
import type {JWTPayload} from 'jose';

import {AuthError} from '../errors.js';
import type {AuthErrorCode} from '../errors.js';
import {isObjectId} from './object-id.js';

/** An issuer whose tokens are accepted, and where its OpenID metadata is. */
export interface EntraIssuer {
  /**
   * The exact `iss` of its tokens: `https://login.microsoftonline.com/<tenant>/v2.0` (v2),
   * `https://sts.windows.net/<tenant>/` (v1), or another OpenID provider's issuer.
   */
  issuer: string;
  /**
   * Its OpenID configuration. Default: for a v1 Entra issuer,
   * `https://login.microsoftonline.com/<tenant>/.well-known/openid-configuration`; otherwise
   * `<issuer>/.well-known/openid-configuration`.
   */
  metadataUrl?: string;
}

/** What an {@link EntraTokenValidator} accepts. */
export interface EntraTokenValidatorOptions {
  /** The issuers whose tokens are accepted: an allow-list, matched exactly. */
  issuers: readonly (string | EntraIssuer)[];
  /** Accepted `aud` values: the API's client id, and its App ID URI for v1 tokens. */
  audiences: readonly string[];
  /** Accepted tenant ids (`tid`). */
  tenants: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 120. */
  clockToleranceSeconds?: number;
  /** How long OpenID metadata is kept before it is read again. Default 24 h. */
  metadataMaxAgeMs?: number;
  /** How long a key set is kept; an unknown `kid` fetches it again sooner. Default 1 h. */
  jwksMaxAgeMs?: number;
  /** The least time between two key-set fetches, so that junk `kid`s cannot flood the issuer. Default 30 s. */
  jwksCooldownMs?: number;
  /** How long a metadata or key-set request may take. Default 5 s. */
  timeoutMs?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Default the platform's `fetch`. */
  fetch?: typeof fetch;
}

/** The claims of an accepted token (Entra access-token reference, v1 and v2). */
export interface EntraClaims extends JWTPayload {
  iss: string;
  exp: number;
  oid: string;
  tid: string;
  ver?: string;
  idtyp?: string;
  upn?: string;
  preferred_username?: string;
  name?: string;
  scp?: string;
  roles?: string[];
  groups?: string[];
  hasgroups?: boolean;
  _claim_names?: Record<string, string>;
  _claim_sources?: Record<string, {endpoint?: string}>;
  azp?: string;
  appid?: string;
}

interface IssuerKeys {
  jwks: ReturnType<typeof createRemoteJWKSet>;
  readAt: number;
}

const V1_ENTRA_ISSUER = /^https:\/\/sts\.windows\.net\/([^/]+)\/$/;

/**
 * Validates Microsoft Entra ID access tokens (v1 and v2), or tokens of an Entra-shaped
 * OpenID provider: RS256 signatures by keys from the issuer's discovered key set (re-read on
 * an unknown `kid`), the issuer, audience and tenant allow-lists, `exp`/`nbf` with a small
 * tolerance, and the `oid` and `tid` every identity needs.
 *
 * @example
 *   const validator = new EntraTokenValidator({
 *     issuers: [`https://login.microsoftonline.com/${tenant}/v2.0`],
 *     audiences: [apiClientId],
 *     tenants: [tenant],
 *   });
 *   const claims = await validator.validate(bearerToken);
 */
export class EntraTokenValidator {
  readonly #issuers: Map<string, string>;
  readonly #audiences: string[];
  readonly #tenants: Set<string>;
  readonly #options: EntraTokenValidatorOptions;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #keys = new Map<string, Promise<IssuerKeys>>();

  constructor(options: EntraTokenValidatorOptions) {
    this.#options = options;
    this.#issuers = new Map(
      options.issuers.map((entry) => {
        const {issuer, metadataUrl} = typeof entry === 'string' ? {issuer: entry} : entry;
        return [issuer, metadataUrl ?? defaultMetadataUrl(issuer)];
      }),
    );
    this.#audiences = [...options.audiences];
    this.#tenants = new Set(options.tenants.map((tenant) => tenant.toLowerCase()));
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * Verifies a token and returns its claims.
   *
   * @throws AuthError with the reason as its code: `ERR_AUTH_TOKEN_MALFORMED`,
   *   `ERR_AUTH_ALGORITHM_REJECTED`, `ERR_AUTH_ISSUER_REJECTED`, `ERR_AUTH_SIGNATURE_INVALID`,
   *   `ERR_AUTH_KEY_UNKNOWN`, `ERR_AUTH_TOKEN_EXPIRED`, `ERR_AUTH_TOKEN_NOT_YET_VALID`,
   *   `ERR_AUTH_AUDIENCE_REJECTED`, `ERR_AUTH_TENANT_REJECTED`, `ERR_AUTH_CLAIM_INVALID`, or
   *   `ERR_AUTH_METADATA_UNAVAILABLE` when the issuer's keys cannot be read
   */
  async validate(token: string): Promise<EntraClaims> {
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch (err) {
      throw new AuthError('ERR_AUTH_TOKEN_MALFORMED', 'The token is not a JWT', {cause: err});
    }
    if (alg !== 'RS256') {
      throw new AuthError(
        'ERR_AUTH_ALGORITHM_REJECTED',
        `The token is signed with ${JSON.stringify(alg)}; only RS256 is accepted`,
      );
    }
    if (typeof iss !== 'string' || !this.#issuers.has(iss)) {
      throw new AuthError(
        'ERR_AUTH_ISSUER_REJECTED',
        `The token's issuer ${JSON.stringify(iss)} is not accepted`,
      );
    }
    const {jwks} = await this.#keysOf(iss);
    let payload: JWTPayload;
    try {
      ({payload} = await jwtVerify(token, jwks, {
        issuer: iss,
        audience: this.#audiences,
        algorithms: ['RS256'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 120,
        currentDate: new Date(this.#now()),
        requiredClaims: ['exp', 'oid', 'tid'],
      }));
    } catch (err) {
      throw fromJose(err);
    }
    return this.#checkClaims(payload, iss);
  }

  #checkClaims(payload: JWTPayload, iss: string): EntraClaims {
    const {oid, tid, ver} = payload;
    if (!isObjectId(oid))
      throw new AuthError('ERR_AUTH_CLAIM_INVALID', 'The token\'s "oid" is not an object id');
    if (!isObjectId(tid))
      throw new AuthError('ERR_AUTH_CLAIM_INVALID', 'The token\'s "tid" is not a tenant id');
    if (!this.#tenants.has(tid.toLowerCase()))
      throw new AuthError('ERR_AUTH_TENANT_REJECTED', `Tenant ${tid} is not accepted`);
    const path = new URL(iss).pathname.toLowerCase().split('/');
    if (!path.includes(tid.toLowerCase())) {
      throw new AuthError(
        'ERR_AUTH_ISSUER_REJECTED',
        `The token's issuer ${iss} is not the issuer of its tenant ${tid}`,
      );
    }
    const expected = iss.endsWith('/v2.0') ? '2.0' : '1.0';
    if (ver !== expected) {
      throw new AuthError(
        'ERR_AUTH_ISSUER_REJECTED',
        `The token says version ${JSON.stringify(ver)}, but ${iss} issues version ${expected} tokens`,
      );
    }
    return payload as EntraClaims;
  }

  /** The issuer's key set, from its metadata: read once, shared, and read again when stale. */
  async #keysOf(issuer: string): Promise<IssuerKeys> {
    const cached = this.#keys.get(issuer);
    const maxAge = this.#options.metadataMaxAgeMs ?? 24 * 3_600_000;
    if (cached) {
      const keys = await cached.catch(() => undefined);
      if (keys && this.#now() - keys.readAt < maxAge) return keys;
      if (this.#keys.get(issuer) === cached) this.#keys.delete(issuer);
    }
    let reading = this.#keys.get(issuer);
    if (!reading) {
      reading = this.#readKeys(issuer);
      this.#keys.set(issuer, reading);
      // A failure is not cached: the next request reads again.
      reading.catch(() => {
        if (this.#keys.get(issuer) === reading) this.#keys.delete(issuer);
      });
    }
    return reading;
  }

  async #readKeys(issuer: string): Promise<IssuerKeys> {
    const metadataUrl = this.#issuers.get(issuer) ?? '';
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    let metadata: {issuer?: unknown; jwks_uri?: unknown};
    try {
      const response = await this.#fetch(metadataUrl, {
        headers: {accept: 'application/json'},
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      metadata = (await response.json()) as typeof metadata;
    } catch (err) {
      throw new AuthError(
        'ERR_AUTH_METADATA_UNAVAILABLE',
        `Cannot read the OpenID metadata of ${issuer} at ${metadataUrl}`,
        {cause: err},
      );
    }
    if (metadata.issuer !== issuer) {
      throw new AuthError(
        'ERR_AUTH_METADATA_UNAVAILABLE',
        `The metadata at ${metadataUrl} is for issuer ${JSON.stringify(metadata.issuer)}, not ${issuer}`,
      );
    }
    if (typeof metadata.jwks_uri !== 'string' || !metadata.jwks_uri.startsWith('https://')) {
      throw new AuthError(
        'ERR_AUTH_METADATA_UNAVAILABLE',
        `The metadata at ${metadataUrl} has no https jwks_uri`,
      );
    }
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cacheMaxAge: this.#options.jwksMaxAgeMs ?? 3_600_000,
      cooldownDuration: this.#options.jwksCooldownMs ?? 30_000,
      timeoutDuration: timeoutMs,
      [customFetch]: this.#fetch,
    });
    return {jwks, readAt: this.#now()};
  }
}

function defaultMetadataUrl(issuer: string): string {
  const v1 = V1_ENTRA_ISSUER.exec(issuer);
  if (v1)
    return `https://login.microsoftonline.com/${v1[1] ?? ''}/.well-known/openid-configuration`;
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/** jose's verdict in our terms (matched on jose's stable codes). */
function fromJose(err: unknown): AuthError {
  const {code, claim} = err as {code?: string; claim?: string};
  const reasons: Record<string, [AuthErrorCode, string]> = {
    ERR_JWT_EXPIRED: ['ERR_AUTH_TOKEN_EXPIRED', 'The token has expired'],
    ERR_JOSE_ALG_NOT_ALLOWED: ['ERR_AUTH_ALGORITHM_REJECTED', 'Only RS256 is accepted'],
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED: [
      'ERR_AUTH_SIGNATURE_INVALID',
      "The token's signature does not verify",
    ],
    ERR_JWKS_NO_MATCHING_KEY: [
      'ERR_AUTH_KEY_UNKNOWN',
      "The token's signing key is not in its issuer's key set",
    ],
    ERR_JWKS_MULTIPLE_MATCHING_KEYS: [
      'ERR_AUTH_KEY_UNKNOWN',
      "The token's key id matches more than one key",
    ],
    ERR_JWKS_TIMEOUT: ['ERR_AUTH_METADATA_UNAVAILABLE', "The issuer's key set did not arrive"],
    ERR_JWKS_INVALID: ['ERR_AUTH_METADATA_UNAVAILABLE', "The issuer's key set is not valid"],
    ERR_JWS_INVALID: ['ERR_AUTH_TOKEN_MALFORMED', 'The token is not a valid JWS'],
    ERR_JWT_INVALID: ['ERR_AUTH_TOKEN_MALFORMED', 'The token is not a valid JWT'],
  };
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'nbf' || claim === 'iat')
      return new AuthError('ERR_AUTH_TOKEN_NOT_YET_VALID', 'The token is not valid yet', {
        cause: err,
      });
    if (claim === 'aud')
      return new AuthError(
        'ERR_AUTH_AUDIENCE_REJECTED',
        'The token is meant for another audience',
        {
          cause: err,
        },
      );
    if (claim === 'iss')
      return new AuthError('ERR_AUTH_ISSUER_REJECTED', "The token's issuer is not accepted", {
        cause: err,
      });
    return new AuthError(
      'ERR_AUTH_CLAIM_INVALID',
      `The token's "${claim ?? '?'}" claim is missing or invalid`,
      {
        cause: err,
      },
    );
  }
  const [reason, message] = reasons[code ?? ''] ?? [
    'ERR_AUTH_METADATA_UNAVAILABLE',
    "The issuer's key set cannot be read",
  ];
  return new AuthError(reason, message, {cause: err});
}

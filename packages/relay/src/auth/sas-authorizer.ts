import {parseSasToken, sasTokenCovers, verifySasToken} from '@porthole/core/protocol';

import type {AccessRight, AuthorizationRule} from '../store/entity-store.js';
import type {RelayStore} from '../store/relay-store.js';

/** Why a request may not go on: the HTTP status and a description that never quotes the token. */
export interface Denial {
  status: 401 | 403;
  description: string;
}

/** What {@link SasAuthorizer.authorize} checks. */
export interface AuthorizationRequest {
  /** The token as presented, or `undefined` when there was none. */
  token: string | undefined;
  /** The relay host the request named (Host header, without port). */
  host: string;
  /** The hybrid connection's name. */
  entity: string;
  right: AccessRight;
}

const UNAUTHORIZED: Record<string, string> = {
  ERR_SAS_TOKEN_MALFORMED: 'MalformedToken: the SAS token cannot be parsed',
  ERR_SAS_TOKEN_EXPIRED: 'ExpiredToken: the SAS token has expired',
  ERR_SAS_SIGNATURE_INVALID: 'InvalidSignature: the SAS token signature is invalid',
};

const EXPIRED_KEY = 'ExpiredKey: the key this token was signed with has expired';

/**
 * Checks SAS tokens against the store's rules (hybrid-connections.md §1.6–1.7): 401 for a
 * missing, malformed, forged or expired token, or one signed with a key past its expiry; 403
 * for a valid token that does not cover the entity or whose rule lacks the right.
 */
export class SasAuthorizer {
  readonly #store: Pick<RelayStore, 'findAuthorizationRules'>;
  readonly #now: () => number;

  /**
   * @param store where the rules are
   * @param now the current time in milliseconds; injected so that tests control expiry
   */
  constructor(store: Pick<RelayStore, 'findAuthorizationRules'>, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * @returns when what the token opens lapses (Unix seconds: the token's expiry, or its key's
   *   if that comes first) when it is accepted, or the denial
   */
  async authorize(request: AuthorizationRequest): Promise<{expiresAt: number} | Denial> {
    if (request.token === undefined || request.token === '') {
      return {status: 401, description: 'MissingToken: the request has no SAS token'};
    }
    let keyName: string;
    try {
      keyName = parseSasToken(request.token).keyName;
    } catch (err) {
      return unauthorized(err);
    }
    // Entity rules first, then namespace rules; each rule has two keys so that one can be
    // rotated while the other keeps working, until its own expiry.
    const rules = await this.#store.findAuthorizationRules(keyName, request.entity);
    const nowMs = this.#now();
    const keys = rules.flatMap(keysOf);
    const live = keys.filter((candidate) => !hasExpired(candidate.expiresAt, nowMs));
    let failure: unknown;
    for (const {key, rule, expiresAt} of live) {
      try {
        const token = await verifySasToken(request.token, {
          keyFor: () => key,
          now: Math.floor(nowMs / 1000),
        });
        if (!sasTokenCovers(token.resource, request.host, request.entity)) {
          return {
            status: 403,
            description: `InvalidAudience: the token is not valid for ${request.entity}`,
          };
        }
        if (!rule.rights.some((right) => right === request.right || right === 'Manage')) {
          return {
            status: 403,
            description: `InsufficientRights: the token's rule lacks the ${request.right} right`,
          };
        }
        // What the token opens lapses with its key, even if the token would outlive it.
        const keyExpiresAt =
          expiresAt === undefined ? Infinity : Math.floor(Date.parse(expiresAt) / 1000);
        return {expiresAt: Math.min(token.expiresAt, keyExpiresAt)};
      } catch (err) {
        failure = err;
        if ((err as {code?: unknown}).code !== 'ERR_SAS_SIGNATURE_INVALID') break;
      }
    }
    if (failure === undefined || isSignatureInvalid(failure)) {
      // No live key signed it. Was it an expired one? Say so: a clearer 401 than a forgery.
      for (const {key} of keys.filter((candidate) => !live.includes(candidate))) {
        if (await signedWith(request.token, key)) return {status: 401, description: EXPIRED_KEY};
      }
    }
    return unauthorized(failure);
  }
}

interface RuleKey {
  key: string;
  expiresAt: string | undefined;
  rule: AuthorizationRule;
}

function keysOf(rule: AuthorizationRule): RuleKey[] {
  const primary = {key: rule.primaryKey, expiresAt: rule.primaryKeyExpiresAt, rule};
  return rule.secondaryKey === undefined
    ? [primary]
    : [primary, {key: rule.secondaryKey, expiresAt: rule.secondaryKeyExpiresAt, rule}];
}

/** A key expires at its time; one whose time cannot be read counts as expired (fail closed). */
function hasExpired(expiresAt: string | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && !(Date.parse(expiresAt) > nowMs);
}

function isSignatureInvalid(err: unknown): boolean {
  return (err as {code?: unknown}).code === 'ERR_SAS_SIGNATURE_INVALID';
}

/** Whether `key` made the token's signature, whatever the token's own expiry. */
async function signedWith(token: string, key: string): Promise<boolean> {
  try {
    await verifySasToken(token, {keyFor: () => key, now: 0});
    return true;
  } catch {
    return false;
  }
}

function unauthorized(err: unknown): Denial {
  const code = (err as {code?: unknown} | undefined)?.code;
  return {
    status: 401,
    description:
      (typeof code === 'string' ? UNAUTHORIZED[code] : undefined) ??
      UNAUTHORIZED.ERR_SAS_SIGNATURE_INVALID ??
      '',
  };
}

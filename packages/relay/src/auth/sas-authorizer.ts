import {parseSasToken, sasTokenCovers, verifySasToken} from '@porthole/core/protocol';

import type {AccessRight, EntityStore} from '../store/entity-store.js';

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

/**
 * Checks SAS tokens against the store's rules (hybrid-connections.md §1.6–1.7): 401 for a
 * missing, malformed, forged or expired token; 403 for a valid token that does not cover the
 * entity or whose rule lacks the right.
 */
export class SasAuthorizer {
  readonly #store: EntityStore;
  readonly #now: () => number;

  /** @param now the current time in milliseconds; injected so that tests control expiry */
  constructor(store: EntityStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** @returns the token's expiry (Unix seconds) when it is accepted, or the denial */
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
    // rotated while the other keeps working.
    const rules = this.#store.findAuthorizationRules(keyName, request.entity);
    const keys = rules.flatMap((rule) => [
      rule.primaryKey,
      ...(rule.secondaryKey === undefined ? [] : [rule.secondaryKey]),
    ]);
    let failure: unknown;
    for (const key of keys) {
      try {
        const token = await verifySasToken(request.token, {
          keyFor: () => key,
          now: Math.floor(this.#now() / 1000),
        });
        if (!sasTokenCovers(token.resource, request.host, request.entity)) {
          return {
            status: 403,
            description: `InvalidAudience: the token is not valid for ${request.entity}`,
          };
        }
        const rule = rules.find(
          (candidate) => candidate.primaryKey === key || candidate.secondaryKey === key,
        );
        if (!rule?.rights.some((right) => right === request.right || right === 'Manage')) {
          return {
            status: 403,
            description: `InsufficientRights: the token's rule lacks the ${request.right} right`,
          };
        }
        return {expiresAt: token.expiresAt};
      } catch (err) {
        failure = err;
        if ((err as {code?: unknown}).code !== 'ERR_SAS_SIGNATURE_INVALID') break;
      }
    }
    return unauthorized(failure);
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

import {decodeJwt} from 'jose';

import {AuthError} from '../errors.js';
import type {EntraClaims} from './entra-token-validator.js';
import {isObjectId} from './object-id.js';

/** Who a token speaks for, in Kubernetes terms. */
export interface EntraIdentity {
  kind: 'user' | 'servicePrincipal';
  /** The Kubernetes user name: the object id, or a user's UPN when so configured. */
  user: string;
  /** The object id, immutable within the tenant: the impersonated UID. */
  objectId: string;
  tenantId: string;
  /**
   * Group object ids from the token, or `undefined` when the token has too many to carry
   * (group overage): then they come from Microsoft Graph.
   */
  groups: string[] | undefined;
  /** Seconds since the epoch after which the token, and anything derived from it, is stale. */
  expiresAt: number;
}

/** How {@link entraIdentity} names users. */
export interface EntraIdentityOptions {
  /** `oid` (default, as Arc binds users) or `upn`, which falls back to `oid` when absent. */
  userName?: 'oid' | 'upn';
}

/**
 * Maps validated claims to an identity. A token with `idtyp: app` — or, as v1 app tokens
 * without that optional claim, with no delegated `scp` — is a service principal, named by its
 * object id; anyone else is a user.
 *
 * @throws AuthError `ERR_AUTH_IDENTITY_REJECTED` for a name in the reserved `system:` space or
 *   a group that is not an object id
 */
export function entraIdentity(
  claims: EntraClaims,
  options: EntraIdentityOptions = {},
): EntraIdentity {
  const servicePrincipal =
    claims.idtyp === 'app' || (claims.idtyp === undefined && claims.scp === undefined);
  const upn = typeof claims.upn === 'string' && claims.upn !== '' ? claims.upn : undefined;
  const user =
    !servicePrincipal && options.userName === 'upn' && upn !== undefined ? upn : claims.oid;
  if (user.toLowerCase().startsWith('system:')) {
    throw new AuthError(
      'ERR_AUTH_IDENTITY_REJECTED',
      `The user name ${JSON.stringify(user)} is in the reserved system: space`,
    );
  }
  let groups: string[] | undefined;
  if (!hasGroupOverage(claims)) {
    groups = claims.groups ?? [];
    if (!Array.isArray(groups) || groups.some((group) => !isObjectId(group))) {
      throw new AuthError(
        'ERR_AUTH_IDENTITY_REJECTED',
        'The token\'s "groups" are not all object ids',
      );
    }
  }
  return {
    kind: servicePrincipal ? 'servicePrincipal' : 'user',
    user,
    objectId: claims.oid,
    tenantId: claims.tid,
    groups,
    expiresAt: claims.exp,
  };
}

/**
 * Whether the token's groups were left out for being too many: `_claim_names.groups` (the
 * overage pair) or `hasgroups` (implicit flows). Their URL in `_claim_sources` is never used;
 * the groups are read from the configured Graph endpoint instead.
 */
export function hasGroupOverage(claims: EntraClaims): boolean {
  return (
    claims.groups === undefined &&
    (claims.hasgroups === true || typeof claims._claim_names?.groups === 'string')
  );
}

/**
 * Whether a bearer token is for the Entra path: a JWT with a tenant id (`tid`), whoever its
 * issuer claims to be. Such a token is validated and either accepted or refused — never
 * passed on. Anything else (a service-account token, an opaque token) is the apiserver's to
 * judge. Nothing is verified here.
 */
export function isEntraShaped(token: string): boolean {
  try {
    return typeof decodeJwt(token).tid === 'string';
  } catch {
    return false;
  }
}

import {createHash} from 'node:crypto';

import type {DirectoryIndex, DirectoryPrincipal} from './directory-index.js';

/** What shaping an access token needs to know beyond the token itself. */
export interface EntraClaimsContext {
  directory: DirectoryIndex;
  /** The Graph base URL (`https://host:port/graph`) that overage claims point to. */
  graphBaseUrl: string;
  /** The Graph resource's audience: Graph tokens carry Graph permissions as `roles`. */
  graphAudience: string;
  /** More groups than this and the token carries the overage pair instead (Entra: 200). */
  overageThreshold: number;
}

/** The parts of an oidc-provider access token the shape depends on. */
export interface IssuedToken {
  kind: string;
  accountId?: string | undefined;
}

/**
 * Rewrites the claims of an oidc-provider JWT access token, in place, into an Entra ID v2 access
 * token (auth.md §1, entra-docs `access-token-claims-reference.md`): `ver: "2.0"`, `tid`,
 * `oid`, `azp` for `client_id`, `scp` without the `api://…/` prefix for `scope` (user
 * tokens), `roles`, `idtyp`, and `groups` — or, past the overage threshold, `_claim_names` and
 * `_claim_sources` pointing at Graph. User tokens get a `sub` pairwise to the audience, as
 * Entra's, so that nothing keys on it by mistake; app tokens get `sub = oid`.
 *
 * @throws Error when the token's principal is not in the directory, which the provider's own
 *   account lookup rules out
 */
export function shapeEntraAccessToken(
  payload: Record<string, unknown>,
  token: IssuedToken,
  context: EntraClaimsContext,
): void {
  const {directory} = context;
  const clientId = String(payload.client_id);
  const audience = String(payload.aud);
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
  const principal = principalOf(token, clientId, directory);
  const base = {
    aud: audience,
    iss: payload.iss,
    iat: payload.iat,
    nbf: payload.iat,
    exp: payload.exp,
  };
  let identity: Record<string, unknown>;
  if (principal.kind === 'user') {
    const {user} = principal;
    identity = {
      name: user.displayName,
      preferred_username: user.upn,
      upn: user.upn,
      oid: user.objectId,
      sub: pairwiseSubject(audience, user.objectId),
      tid: directory.tenantId,
      azp: clientId,
      idtyp: 'user',
      scp: delegatedScopes(scopes, directory).join(' '),
      ...nonEmpty('roles', audience === directory.apiClientId ? user.roles : undefined),
    };
  } else {
    const sp = principal.servicePrincipal;
    identity = {
      oid: sp.objectId,
      sub: sp.objectId,
      tid: directory.tenantId,
      azp: clientId,
      idtyp: 'app',
      ...nonEmpty('roles', audience === context.graphAudience ? sp.graphPermissions : sp.roles),
    };
  }
  const shaped = {
    ...base,
    ...identity,
    ...groupClaims(principal, context),
    ver: '2.0',
    uti: payload.jti,
  };
  for (const key of Object.keys(payload)) Reflect.deleteProperty(payload, key);
  Object.assign(payload, shaped);
}

/**
 * The Graph URL that resolves a principal's groups when its token has too many: Entra points
 * at `getMemberObjects` of the user or service principal (access-token-claims-reference.md,
 * "Groups overage claim").
 */
export function overageEndpoint(graphBaseUrl: string, principal: DirectoryPrincipal): string {
  const collection = principal.kind === 'user' ? 'users' : 'servicePrincipals';
  return `${graphBaseUrl}/v1.0/${collection}/${principal.objectId}/getMemberObjects`;
}

function principalOf(
  token: IssuedToken,
  clientId: string,
  directory: DirectoryIndex,
): DirectoryPrincipal {
  if (token.kind === 'ClientCredentials') {
    const sp = directory.servicePrincipalByClientId(clientId);
    if (sp) return {kind: 'servicePrincipal', objectId: sp.objectId, servicePrincipal: sp};
  } else if (token.accountId !== undefined) {
    const principal = directory.principal(token.accountId);
    if (principal) return principal;
  }
  throw new Error(`No directory principal for a ${token.kind} of client ${clientId}`);
}

function groupClaims(
  principal: DirectoryPrincipal,
  context: EntraClaimsContext,
): Record<string, unknown> {
  const groups = context.directory.groupsOf(principal).map((group) => group.objectId);
  if (groups.length > context.overageThreshold) {
    return {
      _claim_names: {groups: 'src1'},
      _claim_sources: {src1: {endpoint: overageEndpoint(context.graphBaseUrl, principal)}},
    };
  }
  return groups.length === 0 ? {} : {groups};
}

/** `api://<api>/user_impersonation` → `user_impersonation`; `.default` stands for every scope. */
function delegatedScopes(scopes: readonly string[], directory: DirectoryIndex): string[] {
  const prefix = `${directory.apiUri}/`;
  const bare = scopes
    .filter((scope) => scope.startsWith(prefix))
    .map((scope) => scope.slice(prefix.length));
  return bare.includes('.default') ? [...directory.apiScopes] : bare;
}

/** A `sub` unique to the pair (audience, object id), like Entra's pairwise subject. */
function pairwiseSubject(audience: string, objectId: string): string {
  return createHash('sha256').update(`${audience}\n${objectId}`).digest('base64url');
}

function nonEmpty(
  name: string,
  values: readonly string[] | undefined,
): Record<string, readonly string[]> {
  return values && values.length > 0 ? {[name]: values} : {};
}

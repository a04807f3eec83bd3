import {
  decideByAssignments,
  entraIdentity,
  impersonationHeaders,
  isEntraShaped,
  requestAttributes,
} from '@porthole/core/auth';
import type {
  EntraIdentityOptions,
  EntraTokenValidator,
  GraphGroupResolver,
  RoleAssignment,
} from '@porthole/core/auth';

import {ROLE_ASSIGNMENT_GROUP} from './agent-rbac.js';
import type {AuthDecision, Authenticator, AuthRequest} from './authenticator.js';

/** What {@link entraAuthenticator} needs. */
export interface EntraAuthenticatorOptions {
  validator: EntraTokenValidator;
  /** How users are named (default: by object id). */
  identity?: EntraIdentityOptions;
  /** Where the groups of a token with group overage come from; without it such tokens fail. */
  groups?: GraphGroupResolver;
  /** The agent's own bearer token for the apiserver, which impersonates the caller. */
  agentToken: () => Promise<string>;
  /**
   * The most groups impersonated for one request: each is an `Impersonate-Group` header, and
   * the apiserver limits a request's headers. Default 2,000 (about 80 KB of headers).
   */
  maxGroups?: number;
  /**
   * Azure-RBAC-style role assignments of this cluster, when it uses them: read through this
   * function (kept for `cacheMs`, default 10 s). A request an assignment allows gets the
   * group {@link ROLE_ASSIGNMENT_GROUP}; the apiserver's 403 for any other names the action
   * that no assignment gives.
   */
  roleAssignments?: {assignments: () => Promise<readonly RoleAssignment[]>; cacheMs?: number};
}

/**
 * Entra tokens (JWTs with a tenant id) are validated here and become impersonation: the
 * caller's token never reaches the apiserver, the agent's own does, with `Impersonate-User`
 * and `-Uid` (the object id, or a user's UPN as the name when so configured), one
 * `Impersonate-Group` per group object id — read from Graph on overage — and the extras
 * `oid` and `tid`. Any other credential (a service-account token, say) passes through for
 * the apiserver to judge. Client-chosen identity headers are gone before this stage.
 */
export function entraAuthenticator(options: EntraAuthenticatorOptions): Authenticator {
  const assignments = options.roleAssignments && cachedAssignments(options.roleAssignments);
  return {
    async authenticate(request: AuthRequest): Promise<AuthDecision> {
      const token = bearerToken(request.headers.authorization);
      if (token === undefined || !isEntraShaped(token)) return {kind: 'forward', set: {}};
      let set: Record<string, string | string[]>;
      let explainForbidden: string | undefined;
      try {
        const identity = entraIdentity(await options.validator.validate(token), options.identity);
        let groups = identity.groups;
        if (groups === undefined) {
          if (!options.groups)
            return unauthorized(
              'the token has too many groups to carry them, and this agent has no Microsoft Graph access to read them',
            );
          groups = await options.groups.groupsOf(identity, identity.expiresAt);
        }
        const maxGroups = options.maxGroups ?? 2000;
        if (groups.length > maxGroups)
          return unauthorized(
            `${identity.user} is in ${groups.length} groups; this agent impersonates at most ${maxGroups}`,
          );
        if (assignments) {
          const decision = decideByAssignments(
            await assignments(),
            {objectId: identity.objectId, groups},
            requestAttributes(request.method, request.path),
          );
          if (decision.allowed) groups = [...groups, ROLE_ASSIGNMENT_GROUP];
          else
            explainForbidden = `no Porthole role assignment gives ${identity.user} ${decision.action}`;
        }
        set = impersonationHeaders({
          user: identity.user,
          uid: identity.objectId,
          groups,
          extra: {oid: [identity.objectId], tid: [identity.tenantId]},
        });
      } catch (err) {
        const {code, message} = err as {code?: string; message?: string};
        return unauthorized(
          `${message ?? 'the token cannot be validated'} (${code ?? 'ERR_AUTH'})`,
        );
      }
      // The caller's token stays here; the apiserver sees the agent acting for the caller.
      return {
        kind: 'forward',
        set: {...set, authorization: `Bearer ${await options.agentToken()}`},
        ...(explainForbidden === undefined ? {} : {explainForbidden}),
      };
    },
  };
}

function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1];
}

function unauthorized(why: string): AuthDecision {
  return {kind: 'deny', status: 401, reason: 'Unauthorized', message: `porthole agent: ${why}`};
}

/** The assignments, read at most once per `cacheMs`; a failed read is tried again next time. */
function cachedAssignments(
  source: NonNullable<EntraAuthenticatorOptions['roleAssignments']>,
): () => Promise<readonly RoleAssignment[]> {
  let current: {read: Promise<readonly RoleAssignment[]>; at: number} | undefined;
  return () => {
    const now = Date.now();
    if (current && now - current.at < (source.cacheMs ?? 10_000)) return current.read;
    const read = source.assignments();
    const entry = {read, at: now};
    current = entry;
    read.catch(() => {
      if (current === entry) current = undefined;
    });
    return read;
  };
}

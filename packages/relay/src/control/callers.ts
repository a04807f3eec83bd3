import type {IncomingMessage} from 'node:http';

import {entraIdentity, EntraTokenValidator} from '@porthole/core/auth';
import type {EntraIdentity, GraphGroupResolver} from '@porthole/core/auth';
import {parseSasToken} from '@porthole/core/protocol';

import type {SasAuthorizer} from '../auth/sas-authorizer.js';
import {requestHost} from '../http/handshake.js';
import {AccessRight} from '../store/entity-store.js';
import {AGENT_RULE} from './cluster-view.js';
import {ControlError} from './control-error.js';
import type {ControlPlaneOptions} from './control-options.js';

/** A signed-in caller of the user API. */
export interface UserCaller {
  objectId: string;
  kind: 'user' | 'servicePrincipal';
  /** The caller's object id and every group it is in: what role assignments name. */
  principalIds: ReadonlySet<string>;
  administrator: boolean;
}

const SIGN_IN_HINT = 'Run "porthole login", then try again.';

/**
 * Signs in the callers of the user API with the Entra (or embedded-provider) tokens agents
 * accept too, and finds the groups of tokens with group overage.
 */
export class UserAuthenticator {
  readonly #validator: EntraTokenValidator | undefined;
  readonly #groups: GraphGroupResolver | undefined;
  readonly #administrators: ReadonlySet<string>;

  constructor(options: ControlPlaneOptions, now: () => number) {
    this.#validator =
      options.entra &&
      new EntraTokenValidator({
        ...options.entra,
        now,
        ...(options.fetch ? {fetch: options.fetch} : {}),
      });
    this.#groups = options.groups;
    this.#administrators = new Set(options.administrators.map((id) => id.toLowerCase()));
  }

  /**
   * @throws ControlError `ERR_CONTROL_UNAVAILABLE` when no sign-in is configured or the groups
   *   of a token with group overage cannot be read, `ERR_CONTROL_UNAUTHENTICATED` for a missing,
   *   invalid or expired token
   */
  async authenticate(request: IncomingMessage): Promise<UserCaller> {
    if (!this.#validator) {
      throw new ControlError(
        'ERR_CONTROL_UNAVAILABLE',
        'This relay has no sign-in configured, so its control plane is off',
        'Start the relay with --entra-tenant and --entra-audience, or with --dev-identity.',
      );
    }
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      throw new ControlError(
        'ERR_CONTROL_UNAUTHENTICATED',
        'The request has no bearer token',
        SIGN_IN_HINT,
      );
    }
    let identity;
    try {
      identity = entraIdentity(await this.#validator.validate(token));
    } catch (err) {
      const code = (err as {code?: unknown}).code;
      if (code === 'ERR_AUTH_METADATA_UNAVAILABLE') {
        throw new ControlError(
          'ERR_CONTROL_UNAVAILABLE',
          "The identity provider's keys cannot be read, so no sign-in can be checked",
          'Try again shortly; the relay operator should check that it reaches the identity provider.',
          {cause: err},
        );
      }
      throw new ControlError(
        'ERR_CONTROL_UNAUTHENTICATED',
        code === 'ERR_AUTH_TOKEN_EXPIRED'
          ? 'The sign-in has expired'
          : `The sign-in was refused: ${(err as Error).message}`,
        SIGN_IN_HINT,
        {cause: err},
      );
    }
    const groups = identity.groups ?? (await this.#overageGroups(identity));
    const principalIds = new Set([identity.objectId, ...groups].map((id) => id.toLowerCase()));
    return {
      objectId: identity.objectId,
      kind: identity.kind,
      principalIds,
      administrator: [...principalIds].some((id) => this.#administrators.has(id)),
    };
  }

  /**
   * The groups of a token with group overage, from Graph; none without a resolver. When Graph
   * cannot answer, nothing is assumed — a caller who holds a role only through a group would be
   * refused for the wrong reason — so the request fails as unavailable, to be tried again.
   */
  async #overageGroups(identity: EntraIdentity): Promise<string[]> {
    if (!this.#groups) return [];
    try {
      return await this.#groups.groupsOf(
        {kind: identity.kind, objectId: identity.objectId},
        identity.expiresAt,
      );
    } catch (err) {
      if ((err as {code?: unknown}).code !== 'ERR_AUTH_GROUPS_UNRESOLVED') throw err;
      throw new ControlError(
        'ERR_CONTROL_UNAVAILABLE',
        `${(err as Error).message}; the roles it holds through groups cannot be checked`,
        "Try again shortly. The token has too many groups to carry, so the relay reads them from Microsoft Graph: its operator should check the relay's Graph settings (--graph-*) and that it reaches Graph.",
        {cause: err},
      );
    }
  }
}

/**
 * Checks that a request of the agent API carries a SAS token signed with the cluster's agent
 * credential (rule `porthole-agent` on `clusters/<name>`, Listen).
 *
 * @throws ControlError `ERR_CONTROL_UNAUTHENTICATED` (401) or `ERR_CONTROL_FORBIDDEN` (403)
 */
export async function authenticateAgent(
  request: IncomingMessage,
  authorizer: SasAuthorizer,
  hybridConnection: string,
): Promise<void> {
  const token = /^SharedAccessSignature\s/i.test(request.headers.authorization ?? '')
    ? request.headers.authorization
    : undefined;
  const hint =
    "Use the credential in the agent's Secret, or get a new one with porthole connect --regenerate-credential.";
  let keyName: string | undefined;
  try {
    keyName = token === undefined ? undefined : parseSasToken(token).keyName;
  } catch {
    keyName = undefined;
  }
  if (token === undefined || keyName === undefined) {
    throw new ControlError(
      'ERR_CONTROL_UNAUTHENTICATED',
      'The request has no valid SAS token',
      hint,
    );
  }
  if (keyName !== AGENT_RULE) {
    throw new ControlError(
      'ERR_CONTROL_FORBIDDEN',
      `Only the agent credential (${AGENT_RULE}) may call the agent API`,
      hint,
    );
  }
  const granted = await authorizer.authorize({
    token,
    host: requestHost(request.headers.host),
    entity: hybridConnection,
    right: AccessRight.LISTEN,
  });
  if ('status' in granted) {
    throw new ControlError(
      granted.status === 401 ? 'ERR_CONTROL_UNAUTHENTICATED' : 'ERR_CONTROL_FORBIDDEN',
      `The agent credential was refused: ${granted.description}`,
      hint,
    );
  }
}

import {createHash, timingSafeEqual} from 'node:crypto';

import type {
  DevDirectory,
  DevGroup,
  DevPublicClient,
  DevServicePrincipal,
  DevUser,
} from './dev-directory.js';

/** A user or a service principal: who a token speaks for. */
export type DirectoryPrincipal =
  | {kind: 'user'; objectId: string; user: DevUser}
  | {kind: 'servicePrincipal'; objectId: string; servicePrincipal: DevServicePrincipal};

/**
 * Lookups over a validated {@link DevDirectory}: principals by name, UPN, client id or object
 * id, and transitive group membership (through nested groups), computed once per principal.
 */
export class DirectoryIndex {
  readonly directory: DevDirectory;
  readonly tenantId: string;
  readonly apiClientId: string;
  /** `api://<apiClientId>`: the resource indicator of the API application. */
  readonly apiUri: string;
  /** The API's delegated scopes, bare (`user_impersonation`). */
  readonly apiScopes: readonly string[];
  readonly #usersByLogin = new Map<string, DevUser>();
  readonly #principals = new Map<string, DirectoryPrincipal>();
  readonly #servicePrincipalsByClientId = new Map<string, DevServicePrincipal>();
  readonly #publicClients = new Map<string, DevPublicClient>();
  readonly #groupsByName = new Map<string, DevGroup>();
  /** Group name → names of the groups it is nested in. */
  readonly #parents = new Map<string, string[]>();
  readonly #transitive = new Map<string, readonly DevGroup[]>();

  /** @param directory a seed that {@link validateDevDirectory} returned */
  constructor(directory: DevDirectory) {
    this.directory = directory;
    this.tenantId = directory.tenantId;
    this.apiClientId = directory.api.clientId;
    this.apiUri = `api://${directory.api.clientId}`;
    this.apiScopes = directory.api.scopes ?? ['user_impersonation'];
    for (const group of directory.groups ?? []) {
      this.#groupsByName.set(group.name, group);
      for (const member of group.memberGroups ?? []) {
        this.#parents.set(member, [...(this.#parents.get(member) ?? []), group.name]);
      }
    }
    for (const user of directory.users ?? []) {
      this.#usersByLogin.set(user.name.toLowerCase(), user);
      this.#usersByLogin.set(user.upn.toLowerCase(), user);
      this.#principals.set(user.objectId, {kind: 'user', objectId: user.objectId, user});
    }
    for (const sp of directory.servicePrincipals ?? []) {
      this.#servicePrincipalsByClientId.set(sp.clientId, sp);
      this.#principals.set(sp.objectId, {
        kind: 'servicePrincipal',
        objectId: sp.objectId,
        servicePrincipal: sp,
      });
    }
    for (const client of directory.publicClients ?? []) {
      this.#publicClients.set(client.clientId, client);
    }
  }

  /** A user by sign-in name or UPN, either in any case. */
  userByLogin(login: string): DevUser | undefined {
    return this.#usersByLogin.get(login.trim().toLowerCase());
  }

  /** A user or service principal by object id. */
  principal(objectId: string): DirectoryPrincipal | undefined {
    return this.#principals.get(objectId.toLowerCase());
  }

  servicePrincipalByClientId(clientId: string): DevServicePrincipal | undefined {
    return this.#servicePrincipalsByClientId.get(clientId);
  }

  publicClient(clientId: string): DevPublicClient | undefined {
    return this.#publicClients.get(clientId);
  }

  /**
   * Checks a sign-in. A user seeded without a password accepts any, as a development
   * directory's convenience; otherwise the comparison takes the same time whatever matches.
   */
  authenticate(login: string, password: string): DevUser | undefined {
    const user = this.userByLogin(login);
    if (!user) return undefined;
    if (user.password === undefined) return user;
    const digest = (value: string) => createHash('sha256').update(value).digest();
    return timingSafeEqual(digest(user.password), digest(password)) ? user : undefined;
  }

  /**
   * Every group the principal belongs to, directly or through nested groups: direct ones
   * first, then breadth-first outwards. Cycles in the nesting end the walk, not the process.
   */
  groupsOf(principal: DirectoryPrincipal): readonly DevGroup[] {
    const cached = this.#transitive.get(principal.objectId);
    if (cached) return cached;
    const direct =
      principal.kind === 'user' ? principal.user.groups : principal.servicePrincipal.groups;
    const seen = new Set<string>();
    const queue = [...(direct ?? [])];
    const groups: DevGroup[] = [];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const group = this.#groupsByName.get(name);
      if (!group || seen.has(name)) continue;
      seen.add(name);
      groups.push(group);
      queue.push(...(this.#parents.get(name) ?? []));
    }
    this.#transitive.set(principal.objectId, groups);
    return groups;
  }
}

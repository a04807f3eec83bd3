import {readFile} from 'node:fs/promises';

import {isObjectId} from '@porthole/core/auth';

import {RelayError} from '../errors.js';

/**
 * The API application: the "server app" whose access tokens Porthole accepts. Its tokens carry
 * `aud: <clientId>`; clients ask for them with scopes under its app id URI `api://<clientId>`.
 */
export interface DevApiApplication {
  /** The application (client) id, a GUID. */
  clientId: string;
  /** Delegated scopes it exposes, without the `api://<clientId>/` prefix. Default `['user_impersonation']`. */
  scopes?: readonly string[];
  /** App roles that users and service principals may be assigned (the `roles` claim). */
  appRoles?: readonly string[];
}

/**
 * A public client application (no secret): the CLI or the web console. Users sign in through it
 * with the authorization code flow (PKCE), the device code flow or the dev-only password grant.
 */
export interface DevPublicClient {
  name: string;
  /** The application (client) id, a GUID. */
  clientId: string;
  /**
   * Where authorization responses may go. `http://localhost` (any port, RFC 8252 §7.3) for a
   * CLI's loopback server; the console's redirect page. None: device code and password only.
   */
  redirectUris?: readonly string[];
}

/** A confidential client application and its service principal, signing in with a secret. */
export interface DevServicePrincipal {
  name: string;
  /** The application (client) id, a GUID: `azp` in its tokens. */
  clientId: string;
  /** The service principal's object id, a GUID: `oid` and `sub` in its tokens. */
  objectId: string;
  /** The client secret. Never logged, never quoted in an error. */
  secret: string;
  /** Names of the groups it is a direct member of. */
  groups?: readonly string[];
  /** App roles of the API application assigned to it (`roles` in its app tokens). */
  roles?: readonly string[];
  /** Application permissions on Microsoft Graph, e.g. `GroupMember.Read.All` (`roles` in Graph tokens). */
  graphPermissions?: readonly string[];
}

/** A user account. */
export interface DevUser {
  /** The short sign-in name (e.g. `alice`); no `@` and no white space. */
  name: string;
  /** The user principal name (`alice@contoso.example`): `upn` and `preferred_username`. */
  upn: string;
  displayName: string;
  /** The object id, a GUID: `oid` in its tokens. */
  objectId: string;
  /** Without one, any password (even an empty one) signs the user in. Never logged. */
  password?: string;
  /** Names of the groups the user is a direct member of. */
  groups?: readonly string[];
  /** App roles of the API application assigned to the user. */
  roles?: readonly string[];
}

/** A group. Membership is transitive through `memberGroups`. */
export interface DevGroup {
  name: string;
  /** The object id, a GUID: what `groups` claims and Graph answers hold. */
  objectId: string;
  /** Default: the name. */
  displayName?: string;
  /** Whether Graph's `securityEnabledOnly: true` counts it. Default `true`. */
  securityEnabled?: boolean;
  /** Names of groups nested in this one: their members are members of this group too. */
  memberGroups?: readonly string[];
}

/**
 * The directory a {@link DevIdentityProvider} serves: one tenant with its API application,
 * client applications, users and groups. Read it from JSON with {@link loadDevDirectory}.
 *
 * @example
 *   {
 *     "tenantId": "8d1f6a52-6c1c-4d35-9a35-4f1d3c2b0a11",
 *     "api": {"clientId": "6256c85f-0aad-4d50-b960-e6e9b21efe35"},
 *     "publicClients": [{"name": "porthole-cli", "clientId": "…", "redirectUris": ["http://localhost"]}],
 *     "servicePrincipals": [{"name": "ci", "clientId": "…", "objectId": "…", "secret": "…"}],
 *     "users": [{"name": "alice", "upn": "alice@contoso.example", "displayName": "Alice", "objectId": "…", "groups": ["admins"]}],
 *     "groups": [{"name": "admins", "objectId": "…"}]
 *   }
 */
export interface DevDirectory {
  /** The tenant id, a GUID: `tid` in tokens and the first segment of the issuer path. */
  tenantId: string;
  api: DevApiApplication;
  publicClients?: readonly DevPublicClient[];
  servicePrincipals?: readonly DevServicePrincipal[];
  users?: readonly DevUser[];
  groups?: readonly DevGroup[];
}

/** A bare scope name; `.default` is implied, never declared (it cannot start with a dot). */
const SCOPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOKEN = /^\S+$/;

/**
 * Reads and validates a directory seed from a JSON file.
 *
 * @param path the file, e.g. `dev-directory.json`
 * @throws RelayError `ERR_IDENTITY_SEED_INVALID` when the file cannot be read, is not JSON, or
 *   does not describe a valid directory; the message names the file or the field at fault
 */
export async function loadDevDirectory(path: string): Promise<DevDirectory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RelayError('ERR_IDENTITY_SEED_INVALID', `Cannot read the identity seed ${path}`, {
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RelayError(
      'ERR_IDENTITY_SEED_INVALID',
      `Invalid identity seed: ${path} is not JSON (${(err as Error).message})`,
      {cause: err},
    );
  }
  return validateDevDirectory(value);
}

/**
 * Checks a directory seed and returns a normalized copy: object ids and client ids in lower
 * case, optional lists present. Every id must be a GUID and unique across the directory, names
 * unique within their kind, and every group or role referenced must exist.
 *
 * @throws RelayError `ERR_IDENTITY_SEED_INVALID`, naming the field at fault, e.g.
 *   `Invalid identity seed: users[1].groups[0] names an unknown group "admins"`
 */
export function validateDevDirectory(value: unknown): DevDirectory {
  const root = record(value, 'the seed', {
    required: ['tenantId', 'api'],
    optional: ['publicClients', 'servicePrincipals', 'users', 'groups'],
  });
  const ids = new Map<string, string>();
  const id = (value: unknown, path: string): string => {
    const guid = guidAt(value, path);
    const previous = ids.get(guid);
    if (previous !== undefined) fail(`${path} "${guid}" is already used by ${previous}`);
    ids.set(guid, path);
    return guid;
  };

  const tenantId = guidAt(root.tenantId, 'tenantId');
  const apiRecord = record(root.api, 'api', {
    required: ['clientId'],
    optional: ['scopes', 'appRoles'],
  });
  const api: Required<DevApiApplication> = {
    clientId: id(apiRecord.clientId, 'api.clientId'),
    scopes: unique(
      names(apiRecord.scopes, 'api.scopes', SCOPE_NAME, 'is not a scope name') ?? [
        'user_impersonation',
      ],
      'api.scopes',
    ),
    appRoles: unique(
      names(apiRecord.appRoles, 'api.appRoles', TOKEN, 'is not a role name') ?? [],
      'api.appRoles',
    ),
  };

  const groupRecords = list(root.groups, 'groups').map((entry, i) =>
    record(entry, `groups[${i}]`, {
      required: ['name', 'objectId'],
      optional: ['displayName', 'securityEnabled', 'memberGroups'],
    }),
  );
  const groupNames = new Set(
    unique(
      groupRecords.map((group, i) => text(group.name, `groups[${i}].name`)),
      'groups',
    ),
  );
  const groupRef = (path: string) => (name: string, j: number) => {
    if (!groupNames.has(name)) fail(`${path}[${j}] names an unknown group "${name}"`);
    return name;
  };
  const roleRef = (path: string) => (role: string, j: number) => {
    if (!api.appRoles.includes(role))
      fail(`${path}[${j}] names the role "${role}", which api.appRoles does not declare`);
    return role;
  };

  const groups = groupRecords.map((group, i): DevGroup => {
    const path = `groups[${i}]`;
    const name = text(group.name, `${path}.name`);
    const memberGroups = (names(group.memberGroups, `${path}.memberGroups`) ?? []).map(
      groupRef(`${path}.memberGroups`),
    );
    if (memberGroups.includes(name)) fail(`${path}.memberGroups must not name the group itself`);
    return {
      name,
      objectId: id(group.objectId, `${path}.objectId`),
      displayName:
        group.displayName === undefined ? name : text(group.displayName, `${path}.displayName`),
      securityEnabled: flag(group.securityEnabled, `${path}.securityEnabled`) ?? true,
      memberGroups: unique(memberGroups, `${path}.memberGroups`),
    };
  });

  const publicClients = list(root.publicClients, 'publicClients').map((entry, i) => {
    const path = `publicClients[${i}]`;
    const client = record(entry, path, {
      required: ['name', 'clientId'],
      optional: ['redirectUris'],
    });
    return {
      name: text(client.name, `${path}.name`),
      clientId: id(client.clientId, `${path}.clientId`),
      redirectUris: (names(client.redirectUris, `${path}.redirectUris`) ?? []).map((uri, j) =>
        redirectUri(uri, `${path}.redirectUris[${j}]`),
      ),
    };
  });
  unique(
    publicClients.map((client) => client.name),
    'publicClients',
  );

  const servicePrincipals = list(root.servicePrincipals, 'servicePrincipals').map((entry, i) => {
    const path = `servicePrincipals[${i}]`;
    const sp = record(entry, path, {
      required: ['name', 'clientId', 'objectId', 'secret'],
      optional: ['groups', 'roles', 'graphPermissions'],
    });
    if (typeof sp.secret !== 'string' || sp.secret === '')
      fail(`${path}.secret must be a non-empty string`);
    return {
      name: text(sp.name, `${path}.name`),
      clientId: id(sp.clientId, `${path}.clientId`),
      objectId: id(sp.objectId, `${path}.objectId`),
      secret: sp.secret,
      groups: unique(
        (names(sp.groups, `${path}.groups`) ?? []).map(groupRef(`${path}.groups`)),
        `${path}.groups`,
      ),
      roles: (names(sp.roles, `${path}.roles`) ?? []).map(roleRef(`${path}.roles`)),
      graphPermissions:
        names(sp.graphPermissions, `${path}.graphPermissions`, TOKEN, 'is not a permission name') ??
        [],
    };
  });
  unique(
    servicePrincipals.map((sp) => sp.name),
    'servicePrincipals',
  );

  const users = list(root.users, 'users').map((entry, i) => {
    const path = `users[${i}]`;
    const user = record(entry, path, {
      required: ['name', 'upn', 'displayName', 'objectId'],
      optional: ['password', 'groups', 'roles'],
    });
    const name = text(user.name, `${path}.name`);
    if (!/^[^\s@]+$/.test(name)) fail(`${path}.name "${name}" must have no "@" and no white space`);
    const upn = text(user.upn, `${path}.upn`);
    if (!/^[^\s@]+@[^\s@]+$/.test(upn)) fail(`${path}.upn "${upn}" is not a user principal name`);
    if (user.password !== undefined && (typeof user.password !== 'string' || user.password === ''))
      fail(`${path}.password must be a non-empty string when given`);
    return {
      name,
      upn,
      displayName: text(user.displayName, `${path}.displayName`),
      objectId: id(user.objectId, `${path}.objectId`),
      ...(user.password === undefined ? {} : {password: user.password}),
      groups: unique(
        (names(user.groups, `${path}.groups`) ?? []).map(groupRef(`${path}.groups`)),
        `${path}.groups`,
      ),
      roles: (names(user.roles, `${path}.roles`) ?? []).map(roleRef(`${path}.roles`)),
    };
  });
  unique(
    users.map((user) => user.name.toLowerCase()),
    'users (names)',
  );
  unique(
    users.map((user) => user.upn.toLowerCase()),
    'users (UPNs)',
  );

  return {tenantId, api, publicClients, servicePrincipals, users, groups};
}

function fail(what: string): never {
  throw new RelayError('ERR_IDENTITY_SEED_INVALID', `Invalid identity seed: ${what}`);
}

function record(
  value: unknown,
  path: string,
  fields: {required: readonly string[]; optional: readonly string[]},
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`${path} must be an object`);
  const entries = value as Record<string, unknown>;
  for (const key of fields.required) {
    if (entries[key] === undefined) fail(`${path} has no "${key}"`);
  }
  for (const key of Object.keys(entries)) {
    if (!fields.required.includes(key) && !fields.optional.includes(key))
      fail(`${path} has an unknown field "${key}"`);
  }
  return entries;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  return value as unknown[];
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`${path} must be a non-empty string`);
  return value;
}

function flag(value: unknown, path: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') fail(`${path} must be true or false`);
  return value;
}

function guidAt(value: unknown, path: string): string {
  if (!isObjectId(value))
    fail(`${path} ${typeof value === 'string' ? `"${value}"` : 'value'} is not a GUID`);
  return value.toLowerCase();
}

function names(
  value: unknown,
  path: string,
  pattern = /\S/,
  problem = 'must be a non-empty string',
): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  return (value as unknown[]).map((entry, i) => {
    if (typeof entry !== 'string' || !pattern.test(entry))
      fail(`${path}[${i}] ${typeof entry === 'string' ? `"${entry}" ` : ''}${problem}`);
    return entry;
  });
}

function unique(values: string[], path: string): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) fail(`${path} has "${value}" twice`);
    seen.add(value);
  }
  return values;
}

function redirectUri(value: string, path: string): string {
  const url = URL.parse(value);
  if (!url) fail(`${path} "${value}" is not an absolute URI`);
  if (url.hash !== '' || value.includes('#')) fail(`${path} "${value}" must not have a fragment`);
  return value;
}

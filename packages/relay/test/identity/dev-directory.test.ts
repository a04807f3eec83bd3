/**
 * The directory seed: every rejection has a stable code and a message naming the field at
 * fault (never a secret); JSON files load; nested groups resolve transitively, cycles included.
 */
import {randomUUID} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {DevIdentityProvider, loadDevDirectory, validateDevDirectory} from '../../src/index.js';
import type {DevDirectory} from '../../src/index.js';
import {DirectoryIndex} from '../../src/identity/directory-index.js';
import {ID, SECRETS, testDirectory} from './fixtures.js';

type Seed = Record<string, unknown> & {
  api: Record<string, unknown>;
  publicClients: Record<string, unknown>[];
  servicePrincipals: Record<string, unknown>[];
  users: Record<string, unknown>[];
  groups: Record<string, unknown>[];
};

/** A small valid seed to break one field of at a time. */
function seed(): Seed {
  return {
    tenantId: ID.tenant,
    api: {clientId: ID.api, appRoles: ['Cluster.Admin']},
    publicClients: [{name: 'cli', clientId: ID.cli, redirectUris: ['http://localhost']}],
    servicePrincipals: [
      {name: 'agent', clientId: ID.agent, objectId: ID.agentObject, secret: SECRETS.agent},
    ],
    users: [
      {
        name: 'alice',
        upn: 'alice@contoso.example',
        displayName: 'Alice',
        objectId: ID.alice,
        groups: ['platform'],
      },
    ],
    groups: [{name: 'platform', objectId: ID.platform}],
  };
}

describe('validateDevDirectory', () => {
  it('returns a normalized copy: lower-case ids, default scope and lists', () => {
    const upper = seed();
    upper.tenantId = ID.tenant.toUpperCase();
    upper.users[0] = {...upper.users[0], objectId: ID.alice.toUpperCase()};
    delete (upper as Partial<Seed>).publicClients;
    const directory = validateDevDirectory(upper);
    expect(directory.tenantId).toBe(ID.tenant);
    expect(directory.users?.[0]?.objectId).toBe(ID.alice);
    expect(directory.api).toEqual({
      clientId: ID.api,
      scopes: ['user_impersonation'],
      appRoles: ['Cluster.Admin'],
    });
    expect(directory.publicClients).toEqual([]);
    expect(directory.groups).toEqual([
      {
        name: 'platform',
        objectId: ID.platform,
        displayName: 'platform',
        securityEnabled: true,
        memberGroups: [],
      },
    ]);
  });

  it('accepts the test directory of the other suites', () => {
    expect(validateDevDirectory(testDirectory()).groups).toHaveLength(251);
  });

  const cases: [string, (s: Seed) => unknown, string][] = [
    ['not an object', () => [], 'the seed must be an object'],
    [
      'no tenant',
      (s) => {
        delete s.tenantId;
        return s;
      },
      'the seed has no "tenantId"',
    ],
    ['an unknown field', (s) => ({...s, user: []}), 'the seed has an unknown field "user"'],
    [
      'a tenant that is not a GUID',
      (s) => ({...s, tenantId: 'contoso'}),
      'tenantId "contoso" is not a GUID',
    ],
    ['an API without a client id', (s) => ({...s, api: {}}), 'api has no "clientId"'],
    [
      'an API declaring .default',
      (s) => ({...s, api: {clientId: ID.api, scopes: ['read', '.default']}}),
      'api.scopes[1] ".default" is not a scope name',
    ],
    [
      'an API scope with a space',
      (s) => ({...s, api: {clientId: ID.api, scopes: ['read all']}}),
      'api.scopes[0] "read all" is not a scope name',
    ],
    ['users that are not an array', (s) => ({...s, users: {}}), 'users must be an array'],
    [
      'an object id used twice',
      (s) => {
        s.users[0] = {...s.users[0], objectId: ID.platform};
        return s;
      },
      `users[0].objectId "${ID.platform}" is already used by groups[0].objectId`,
    ],
    [
      'a client id used as an object id',
      (s) => {
        s.servicePrincipals[0] = {...s.servicePrincipals[0], objectId: ID.cli};
        return s;
      },
      `servicePrincipals[0].objectId "${ID.cli}" is already used by publicClients[0].clientId`,
    ],
    [
      'an unknown group',
      (s) => {
        s.users[0] = {...s.users[0], groups: ['admins']};
        return s;
      },
      'users[0].groups[0] names an unknown group "admins"',
    ],
    [
      'an undeclared role',
      (s) => {
        s.servicePrincipals[0] = {...s.servicePrincipals[0], roles: ['Owner']};
        return s;
      },
      'servicePrincipals[0].roles[0] names the role "Owner", which api.appRoles does not declare',
    ],
    [
      'a redirect URI that is not a URI',
      (s) => {
        s.publicClients[0] = {...s.publicClients[0], redirectUris: ['not a uri']};
        return s;
      },
      'publicClients[0].redirectUris[0] "not a uri" is not an absolute URI',
    ],
    [
      'a redirect URI with a fragment',
      (s) => {
        s.publicClients[0] = {...s.publicClients[0], redirectUris: ['http://localhost/#x']};
        return s;
      },
      'publicClients[0].redirectUris[0] "http://localhost/#x" must not have a fragment',
    ],
    [
      'an empty secret',
      (s) => {
        s.servicePrincipals[0] = {...s.servicePrincipals[0], secret: ''};
        return s;
      },
      'servicePrincipals[0].secret must be a non-empty string',
    ],
    [
      'a user name with @',
      (s) => {
        s.users[0] = {...s.users[0], name: 'alice@contoso'};
        return s;
      },
      'users[0].name "alice@contoso" must have no "@" and no white space',
    ],
    [
      'a UPN without a domain',
      (s) => {
        s.users[0] = {...s.users[0], upn: 'alice'};
        return s;
      },
      'users[0].upn "alice" is not a user principal name',
    ],
    [
      'an empty password',
      (s) => {
        s.users[0] = {...s.users[0], password: ''};
        return s;
      },
      'users[0].password must be a non-empty string when given',
    ],
    [
      'a UPN twice, in another case',
      (s) => {
        s.users.push({
          name: 'alice2',
          upn: 'ALICE@contoso.example',
          displayName: 'Alice again',
          objectId: randomUUID(),
        });
        return s;
      },
      'users (UPNs) has "alice@contoso.example" twice',
    ],
    [
      'a group name twice',
      (s) => {
        s.groups.push({name: 'platform', objectId: randomUUID()});
        return s;
      },
      'groups has "platform" twice',
    ],
    [
      'a group nested in itself',
      (s) => {
        s.groups[0] = {...s.groups[0], memberGroups: ['platform']};
        return s;
      },
      'groups[0].memberGroups must not name the group itself',
    ],
    [
      'a securityEnabled that is not a boolean',
      (s) => {
        s.groups[0] = {...s.groups[0], securityEnabled: 'yes'};
        return s;
      },
      'groups[0].securityEnabled must be true or false',
    ],
    [
      'a public client name twice',
      (s) => {
        s.publicClients.push({name: 'cli', clientId: randomUUID()});
        return s;
      },
      'publicClients has "cli" twice',
    ],
  ];

  it.each(cases)('refuses %s with ERR_IDENTITY_SEED_INVALID', (_name, mutate, message) => {
    expect(() => validateDevDirectory(mutate(seed()))).toThrow(
      expect.objectContaining({
        code: 'ERR_IDENTITY_SEED_INVALID',
        message: `Invalid identity seed: ${message}`,
      }) as Error,
    );
  });

  it('never quotes a secret or a password', () => {
    const badSecret = seed();
    badSecret.servicePrincipals[0] = {
      ...badSecret.servicePrincipals[0],
      secret: {value: 'topsecret'},
    };
    expect(() => validateDevDirectory(badSecret)).toThrow(
      'Invalid identity seed: servicePrincipals[0].secret must be a non-empty string',
    );
    const badPassword = seed();
    badPassword.users[0] = {...badPassword.users[0], password: ['hunter2']};
    expect(() => validateDevDirectory(badPassword)).toThrow(
      'Invalid identity seed: users[0].password must be a non-empty string when given',
    );
  });
});

describe('loadDevDirectory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'porthole-identity-'));
  });
  afterAll(() => rm(dir, {recursive: true, force: true}));

  it('reads a JSON seed', async () => {
    const path = join(dir, 'dev-directory.json');
    await writeFile(path, JSON.stringify(seed(), null, 2));
    expect(await loadDevDirectory(path)).toEqual(validateDevDirectory(seed()));
  });

  it('refuses a missing file and a file that is not JSON', async () => {
    const missing = join(dir, 'missing.json');
    await expect(loadDevDirectory(missing)).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SEED_INVALID',
      message: `Cannot read the identity seed ${missing}`,
      cause: {code: 'ENOENT'},
    });
    const yaml = join(dir, 'dev-directory.yaml');
    await writeFile(yaml, 'tenantId: 8d1f6a52-6c1c-4d35-9a35-4f1d3c2b0a11\n');
    await expect(loadDevDirectory(yaml)).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SEED_INVALID',
      message: expect.stringMatching(
        /^Invalid identity seed: .*dev-directory\.yaml is not JSON \(/,
      ) as string,
    });
  });
});

describe('DevIdentityProvider.start checks', () => {
  it.each([
    [{overageThreshold: -1}, 'overageThreshold must be an integer of at least 0, not -1'],
    [{accessTokenTtlSeconds: 0}, 'accessTokenTtlSeconds must be an integer of at least 1, not 0'],
    [
      {deviceCodeIntervalSeconds: 0.5},
      'deviceCodeIntervalSeconds must be an integer of at least 1, not 0.5',
    ],
    [
      {limits: {maxRequestBodyBytes: Number.NaN}},
      'limits.maxRequestBodyBytes must be an integer of at least 1, not NaN',
    ],
    [
      {graphAudience: 'graph'},
      'graphAudience "graph" must be an absolute URI without a trailing slash',
    ],
    [
      {graphAudience: 'https://graph.microsoft.com/'},
      'graphAudience "https://graph.microsoft.com/" must be an absolute URI without a trailing slash',
    ],
  ])('refuses %o with ERR_IDENTITY_OPTIONS_INVALID', async (options, message) => {
    await expect(
      DevIdentityProvider.start({directory: seed() as unknown as DevDirectory, ...options}),
    ).rejects.toMatchObject({
      code: 'ERR_IDENTITY_OPTIONS_INVALID',
      message: `Invalid identity provider option: ${message}`,
    });
  });

  it('refuses an invalid seed before listening', async () => {
    await expect(
      DevIdentityProvider.start({directory: {...seed(), tenantId: 'x'} as unknown as DevDirectory}),
    ).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SEED_INVALID',
      message: 'Invalid identity seed: tenantId "x" is not a GUID',
    });
  });

  it('refuses a client whose redirect URIs oidc-provider cannot register together', async () => {
    const s = seed();
    s.publicClients[0] = {
      ...s.publicClients[0],
      redirectUris: ['http://console.example/redirect', 'com.example.app:/callback'],
    };
    await expect(
      DevIdentityProvider.start({directory: s as unknown as DevDirectory, log: () => undefined}),
    ).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SEED_INVALID',
      message: `Invalid identity seed: client ${ID.cli} is refused (redirect_uris must only contain web uris)`,
    });
  });
});

describe('DirectoryIndex', () => {
  it('resolves nested groups transitively and survives a nesting cycle', () => {
    const s = seed();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    s.groups = [
      {name: 'a', objectId: a, memberGroups: ['c']},
      {name: 'b', objectId: b, memberGroups: ['a']},
      {name: 'c', objectId: c, memberGroups: ['b']},
    ];
    s.users[0] = {...s.users[0], groups: ['a']};
    const index = new DirectoryIndex(validateDevDirectory(s));
    const alice = index.principal(ID.alice);
    if (!alice) throw new Error('no alice');
    expect(index.groupsOf(alice).map((group) => group.objectId)).toEqual([a, b, c]);
  });

  it('signs users in by name or UPN in any case, checking seeded passwords', () => {
    const s = seed();
    s.users[0] = {...s.users[0], password: 'secret'};
    const index = new DirectoryIndex(validateDevDirectory(s));
    expect(index.authenticate('ALICE', 'secret')?.objectId).toBe(ID.alice);
    expect(index.authenticate('Alice@Contoso.Example', 'secret')?.objectId).toBe(ID.alice);
    expect(index.authenticate('alice', 'Secret')).toBeUndefined();
    expect(index.authenticate('bob', '')).toBeUndefined();
  });
});

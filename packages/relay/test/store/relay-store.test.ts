/**
 * The relay store's contract, run against every implementation: SQLite in memory and in a
 * file, and PostgreSQL on the machine's server (PORTHOLE_TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test). Each PostgreSQL store gets a fresh schema named
 * after this run, and afterAll drops them. PostgreSQL is not optional: when it cannot be
 * reached, these tests fail and say so.
 */
import {randomBytes, randomUUID} from 'node:crypto';
import {once} from 'node:events';
import {existsSync, statSync} from 'node:fs';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import Database from 'better-sqlite3';
import {Pool} from 'pg';
import {TEST_POSTGRES_URL} from '@porthole/testing';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import {openRelayStore, PostgresRelayStore, SqliteRelayStore} from '../../src/index.js';
import type {
  AuthorizationRule,
  NewCluster,
  RelayStore,
  RoleAssignmentRecord,
} from '../../src/index.js';
import {POSTGRES_MIGRATIONS} from '../../src/store/postgres-store.js';
import {SQLITE_MIGRATIONS} from '../../src/store/sqlite-store.js';

const RUN = `porthole_test_${randomBytes(6).toString('hex')}`;

/** Stores and directories to close and remove after each test. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let admin: Pool | undefined;
const schemas: string[] = [];

/** A connection for looking into and dropping the test schemas; fails clearly without a server. */
async function postgres(): Promise<Pool> {
  if (admin) return admin;
  const pool = new Pool({connectionString: TEST_POSTGRES_URL, max: 2});
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    const where = new URL(TEST_POSTGRES_URL);
    where.password = '';
    where.search = '';
    throw new Error(
      `PostgreSQL is not reachable at ${where.href} (${(err as {code?: string}).code ?? (err as Error).message}). ` +
        'These tests need it: start the server, or set PORTHOLE_TEST_DATABASE_URL.',
      {cause: err},
    );
  }
  admin = pool;
  return pool;
}

afterAll(async () => {
  if (!admin) return;
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

/** A schema name of this run's, dropped in afterAll. */
function freshSchema(): string {
  const schema = `${RUN}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

function track<T extends RelayStore>(store: T): T {
  cleanups.push(() => store.close());
  return store;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'porthole-relay-store-'));
  cleanups.push(() => rm(dir, {recursive: true, force: true}));
  return dir;
}

/** A place a store lives: opened again, it finds what was stored. */
interface Location {
  open(): Promise<RelayStore>;
  /** The versions `schema_migrations` lists. */
  versions(): Promise<number[]>;
}

interface Backend {
  name: string;
  /** A fresh, empty store, closed after the test. */
  fresh(): Promise<RelayStore>;
}

interface PersistentBackend {
  name: string;
  migrations: number;
  location(): Promise<Location>;
}

const sqliteFile: PersistentBackend = {
  name: 'SQLite file',
  migrations: SQLITE_MIGRATIONS.length,
  location: async () => {
    const dir = join(await tempDir(), 'data');
    return {
      open: async () => track(SqliteRelayStore.open(dir)),
      versions: async () => {
        const db = new Database(join(dir, 'relay.db'), {readonly: true});
        try {
          return db
            .prepare<[], {version: number}>(
              'SELECT version FROM schema_migrations ORDER BY version',
            )
            .all()
            .map((row) => row.version);
        } finally {
          db.close();
        }
      },
    };
  },
};

const postgresSchema: PersistentBackend = {
  name: 'PostgreSQL',
  migrations: POSTGRES_MIGRATIONS.length,
  location: async () => {
    const pool = await postgres();
    const schema = freshSchema();
    return {
      open: async () => track(await PostgresRelayStore.open(TEST_POSTGRES_URL, {schema})),
      versions: async () =>
        (
          await pool.query<{version: number}>(
            `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
          )
        ).rows.map((row) => row.version),
    };
  },
};

const backends: Backend[] = [
  {name: 'SQLite in memory', fresh: async () => track(SqliteRelayStore.open(':memory:'))},
  {name: sqliteFile.name, fresh: async () => (await sqliteFile.location()).open()},
  {name: postgresSchema.name, fresh: async () => (await postgresSchema.location()).open()},
];

function rule(overrides: Partial<AuthorizationRule> = {}): AuthorizationRule {
  return {
    entity: undefined,
    name: 'rule',
    primaryKey: 'primary-key',
    secondaryKey: undefined,
    rights: ['Listen', 'Send'],
    ...overrides,
  };
}

function newCluster(name: string, overrides: Partial<NewCluster> = {}): NewCluster {
  return {
    name,
    id: randomUUID(),
    createdBy: '11111111-1111-1111-1111-111111111111',
    createdAt: '2026-01-02T03:04:05.678Z',
    rules: [
      rule({
        entity: `clusters/${name}`,
        name: 'agent',
        primaryKey: 'agent-key-new',
        primaryKeyExpiresAt: '2026-03-01T00:00:00.000Z',
        secondaryKey: 'agent-key-old',
        secondaryKeyExpiresAt: '2026-01-15T00:00:00.000Z',
        rights: ['Listen'],
      }),
      rule({entity: `clusters/${name}`, name: 'relay', primaryKey: 'relay-key', rights: ['Send']}),
    ],
    ...overrides,
  };
}

function assignment(
  cluster: string,
  overrides: Partial<RoleAssignmentRecord> = {},
): RoleAssignmentRecord {
  return {
    id: randomUUID(),
    cluster,
    principalId: '22222222-2222-2222-2222-222222222222',
    principalType: 'User',
    role: 'Viewer',
    namespace: undefined,
    createdAt: '2026-01-02T03:04:05.678Z',
    createdBy: '11111111-1111-1111-1111-111111111111',
    ...overrides,
  };
}

describe.each(backends)('RelayStore on $name', (backend) => {
  let store: RelayStore;
  beforeAll(async () => {
    if (backend.name === 'PostgreSQL') await postgres();
  });

  describe('hybrid connections', () => {
    it('creates one requiring client authorization by default, and returns it unchanged after', async () => {
      store = await backend.fresh();
      const created = await store.ensureHybridConnection('clusters/dev');
      expect(created).toEqual({
        name: 'clusters/dev',
        requiresClientAuthorization: true,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      expect(
        await store.ensureHybridConnection('clusters/dev', {requiresClientAuthorization: false}),
      ).toEqual(created);
      expect(await store.getHybridConnection('clusters/dev')).toEqual(created);
      expect(
        await store.ensureHybridConnection('open', {requiresClientAuthorization: false}),
      ).toMatchObject({requiresClientAuthorization: false});
      expect(await store.getHybridConnection('nowhere')).toBeUndefined();
    });

    it('lists them in byte order of their names', async () => {
      store = await backend.fresh();
      const names = ['b', 'B', 'a-1', 'a1', 'a', 'A', 'clusters/x', 'clusters.y'];
      for (const name of names) await store.ensureHybridConnection(name);
      expect((await store.listHybridConnections()).map((entity) => entity.name)).toEqual(
        [...names].sort(),
      );
    });

    it('finds the longest of several names that is a hybrid connection, in one look-up', async () => {
      store = await backend.fresh();
      for (const name of ['clusters', 'clusters/prod', 'clusters/prod/api/v1/extra'])
        await store.ensureHybridConnection(name);
      const prefixes = ['clusters', 'clusters/prod', 'clusters/prod/api', 'clusters/prod/api/v1'];
      expect((await store.longestHybridConnection(prefixes))?.name).toBe('clusters/prod');
      expect((await store.longestHybridConnection(['clusters']))?.name).toBe('clusters');
      expect(await store.longestHybridConnection(['nowhere', 'nowhere/else'])).toBeUndefined();
      expect(await store.longestHybridConnection([])).toBeUndefined();
    });

    it('refuses an invalid name with ERR_RELAY_ENTITY_INVALID', async () => {
      store = await backend.fresh();
      await expect(store.ensureHybridConnection('a//b')).rejects.toMatchObject({
        code: 'ERR_RELAY_ENTITY_INVALID',
        message: 'Invalid hybrid connection name "a//b"',
      });
      expect(await store.listHybridConnections()).toEqual([]);
    });

    it('deletes one with its rules, leaving the namespace rules', async () => {
      store = await backend.fresh();
      await store.ensureHybridConnection('hyco');
      await store.putAuthorizationRule(rule({entity: 'hyco'}));
      await store.putAuthorizationRule(rule({primaryKey: 'namespace-key'}));
      expect(await store.deleteHybridConnection('hyco')).toBe(true);
      expect(await store.getHybridConnection('hyco')).toBeUndefined();
      expect(await store.getAuthorizationRule('hyco', 'rule')).toBeUndefined();
      expect(await store.findAuthorizationRules('rule', 'hyco')).toEqual([
        rule({primaryKey: 'namespace-key'}),
      ]);
      expect(await store.deleteHybridConnection('hyco')).toBe(false);
    });
  });

  describe('authorization rules', () => {
    it('finds the entity rule before the namespace rule of the same name', async () => {
      store = await backend.fresh();
      await store.ensureHybridConnection('hyco');
      const onNamespace = rule({primaryKey: 'namespace-key'});
      const onEntity = rule({entity: 'hyco', primaryKey: 'entity-key', rights: ['Send']});
      await store.putAuthorizationRule(onNamespace);
      await store.putAuthorizationRule(onEntity);
      await store.putAuthorizationRule(rule({entity: 'other', primaryKey: 'other-key'}));
      expect(await store.findAuthorizationRules('rule', 'hyco')).toEqual([onEntity, onNamespace]);
      expect(await store.findAuthorizationRules('unknown', 'hyco')).toEqual([]);
      expect(await store.getAuthorizationRule(undefined, 'rule')).toEqual(onNamespace);
      expect(await store.getAuthorizationRule('hyco', 'rule')).toEqual(onEntity);
      expect(await store.getAuthorizationRule('hyco', 'unknown')).toBeUndefined();
    });

    it('replaces a rule of the same name and scope, expiries included', async () => {
      store = await backend.fresh();
      const expiring = rule({
        primaryKey: 'new',
        primaryKeyExpiresAt: '2026-03-01T00:00:00.000Z',
        secondaryKey: 'old',
        secondaryKeyExpiresAt: '2026-01-15T12:30:00+01:00',
      });
      await store.putAuthorizationRule(expiring);
      expect(await store.getAuthorizationRule(undefined, 'rule')).toEqual(expiring);
      const plain = rule({primaryKey: 'newer'});
      await store.putAuthorizationRule(plain);
      const stored = await store.getAuthorizationRule(undefined, 'rule');
      expect(stored).toEqual(plain);
      expect(stored?.primaryKeyExpiresAt).toBeUndefined();
      expect(stored?.secondaryKeyExpiresAt).toBeUndefined();
    });

    it.each([
      [{primaryKey: ''}, 'An authorization rule needs a name and a primary key'],
      [{name: ''}, 'An authorization rule needs a name and a primary key'],
      [
        {secondaryKey: ''},
        'The secondary key of rule "rule" is empty (leave it undefined instead)',
      ],
      [
        {primaryKeyExpiresAt: 'tomorrow'},
        'primaryKeyExpiresAt of rule "rule" is not an ISO 8601 time (got "tomorrow")',
      ],
      [
        {secondaryKey: 'old', secondaryKeyExpiresAt: '2026-13-45T00:00:00Z'},
        'secondaryKeyExpiresAt of rule "rule" is not an ISO 8601 time (got "2026-13-45T00:00:00Z")',
      ],
      [{entity: 'a//b'}, 'Invalid hybrid connection name "a//b"'],
    ] as [Partial<AuthorizationRule>, string][])(
      'refuses the rule %j with ERR_RELAY_ENTITY_INVALID',
      async (overrides, message) => {
        store = await backend.fresh();
        await expect(store.putAuthorizationRule(rule(overrides))).rejects.toMatchObject({
          code: 'ERR_RELAY_ENTITY_INVALID',
          message,
        });
      },
    );
  });

  describe('clusters', () => {
    it('creates the cluster, its hybrid connection and its rules in one go', async () => {
      store = await backend.fresh();
      const request = newCluster('prod');
      const created = await store.createCluster(request);
      expect(created).toEqual({
        name: 'prod',
        id: request.id,
        hybridConnection: 'clusters/prod',
        createdAt: request.createdAt,
        createdBy: request.createdBy,
        agentVersion: undefined,
        kubernetesVersion: undefined,
        totalNodeCount: undefined,
        lastConnectivityTime: undefined,
        agentErrors: [],
      });
      expect(await store.getCluster('prod')).toEqual(created);
      expect(await store.getHybridConnection('clusters/prod')).toMatchObject({
        requiresClientAuthorization: true,
      });
      expect(await store.getAuthorizationRule('clusters/prod', 'agent')).toEqual(request.rules[0]);
      expect(await store.findAuthorizationRules('relay', 'clusters/prod')).toEqual([
        request.rules[1],
      ]);
      expect(await store.getCluster('nowhere')).toBeUndefined();
    });

    it('refuses a name that is taken with ERR_CONTROL_CLUSTER_EXISTS and changes nothing', async () => {
      store = await backend.fresh();
      const first = await store.createCluster(newCluster('prod'));
      const again = newCluster('prod', {
        rules: [rule({entity: 'clusters/prod', name: 'agent', primaryKey: 'intruder'})],
      });
      await expect(store.createCluster(again)).rejects.toMatchObject({
        code: 'ERR_CONTROL_CLUSTER_EXISTS',
        message: 'A cluster named prod already exists',
      });
      expect(await store.getCluster('prod')).toEqual(first);
      expect(await store.getAuthorizationRule('clusters/prod', 'agent')).toMatchObject({
        primaryKey: 'agent-key-new',
      });
      expect(await store.getAuthorizationRule('clusters/prod', 'relay')).toBeDefined();
    });

    it('takes over a hybrid connection made on its own: client authorization on, its rules replaced', async () => {
      store = await backend.fresh();
      await store.ensureHybridConnection('clusters/prod', {requiresClientAuthorization: false});
      await store.putAuthorizationRule(rule({entity: 'clusters/prod', name: 'stale'}));
      await store.createCluster(newCluster('prod'));
      expect(await store.getHybridConnection('clusters/prod')).toMatchObject({
        requiresClientAuthorization: true,
      });
      expect(await store.getAuthorizationRule('clusters/prod', 'stale')).toBeUndefined();
      expect(await store.getAuthorizationRule('clusters/prod', 'agent')).toBeDefined();
    });

    it.each([
      [newCluster('-bad'), 'Invalid cluster name "-bad"'],
      [newCluster('x'.repeat(64)), `Invalid cluster name "${'x'.repeat(64)}"`],
      [
        newCluster('prod', {rules: [rule({entity: 'clusters/other'})]}),
        'Rule "rule" of cluster prod must be on clusters/prod',
      ],
      [
        newCluster('prod', {rules: [rule({entity: 'clusters/prod', primaryKey: ''})]}),
        'An authorization rule needs a name and a primary key',
      ],
    ])('refuses %# with ERR_RELAY_ENTITY_INVALID and stores nothing', async (request, message) => {
      store = await backend.fresh();
      await expect(store.createCluster(request)).rejects.toMatchObject({
        code: 'ERR_RELAY_ENTITY_INVALID',
        message,
      });
      expect(await store.listClusters()).toEqual([]);
      expect(await store.listHybridConnections()).toEqual([]);
    });

    it('lists clusters in byte order of their names', async () => {
      store = await backend.fresh();
      const names = ['staging', 'Prod', 'dev', 'dev-2', 'dev2', 'a.b'];
      for (const name of names) await store.createCluster(newCluster(name));
      expect((await store.listClusters()).map((cluster) => cluster.name)).toEqual(
        [...names].sort(),
      );
    });

    it('records heartbeats, each replacing the last', async () => {
      store = await backend.fresh();
      await store.createCluster(newCluster('prod'));
      expect(
        await store.recordHeartbeat('prod', {
          agentVersion: '0.1.0',
          kubernetesVersion: 'v1.33.1',
          totalNodeCount: 3,
          agentErrors: ['cannot list nodes: forbidden', 'ünïcödé "quoted"'],
          at: '2026-01-02T03:05:00.000Z',
        }),
      ).toBe(true);
      expect(await store.getCluster('prod')).toMatchObject({
        agentVersion: '0.1.0',
        kubernetesVersion: 'v1.33.1',
        totalNodeCount: 3,
        agentErrors: ['cannot list nodes: forbidden', 'ünïcödé "quoted"'],
        lastConnectivityTime: '2026-01-02T03:05:00.000Z',
      });
      await store.recordHeartbeat('prod', {
        agentVersion: '0.2.0',
        kubernetesVersion: undefined,
        totalNodeCount: undefined,
        agentErrors: [],
        at: '2026-01-02T03:06:00.000Z',
      });
      expect(await store.getCluster('prod')).toMatchObject({
        agentVersion: '0.2.0',
        kubernetesVersion: undefined,
        totalNodeCount: undefined,
        agentErrors: [],
        lastConnectivityTime: '2026-01-02T03:06:00.000Z',
      });
      expect(
        await store.recordHeartbeat('nowhere', {
          agentVersion: '0.1.0',
          kubernetesVersion: undefined,
          totalNodeCount: undefined,
          agentErrors: [],
          at: '2026-01-02T03:05:00.000Z',
        }),
      ).toBe(false);
    });

    it('deletes a cluster with its hybrid connection, rules and assignments', async () => {
      store = await backend.fresh();
      await store.putAuthorizationRule(rule({name: 'agent', primaryKey: 'namespace-key'}));
      await store.createCluster(newCluster('prod'));
      await store.createCluster(newCluster('dev'));
      await store.createRoleAssignment(assignment('prod'));
      const kept = await store.createRoleAssignment(assignment('dev'));
      expect(await store.deleteCluster('prod')).toBe(true);
      expect(await store.getCluster('prod')).toBeUndefined();
      expect(await store.getHybridConnection('clusters/prod')).toBeUndefined();
      expect(await store.findAuthorizationRules('agent', 'clusters/prod')).toEqual([
        rule({name: 'agent', primaryKey: 'namespace-key'}),
      ]);
      expect(await store.findAuthorizationRules('relay', 'clusters/prod')).toEqual([]);
      expect(await store.listRoleAssignments('prod')).toEqual([]);
      expect(await store.listRoleAssignments('dev')).toEqual([kept]);
      expect(await store.deleteCluster('prod')).toBe(false);

      // The name is free again, for a new cluster with a new id and none of the old grants.
      const again = await store.createCluster(newCluster('prod'));
      expect(await store.listRoleAssignments('prod')).toEqual([]);
      expect(await store.getCluster('prod')).toEqual(again);
    });

    it('deletes the cluster whose hybrid connection is deleted', async () => {
      store = await backend.fresh();
      await store.createCluster(newCluster('prod'));
      await store.createRoleAssignment(assignment('prod'));
      expect(await store.deleteHybridConnection('clusters/prod')).toBe(true);
      expect(await store.getCluster('prod')).toBeUndefined();
      expect(await store.listRoleAssignments('prod')).toEqual([]);
      expect(await store.getAuthorizationRule('clusters/prod', 'agent')).toBeUndefined();
    });
  });

  describe('role assignments', () => {
    it('creates them and lists a cluster’s oldest first, ties in the order made', async () => {
      store = await backend.fresh();
      await store.createCluster(newCluster('prod'));
      await store.createCluster(newCluster('dev'));
      const later = assignment('prod', {role: 'Admin', createdAt: '2026-01-03T00:00:00.000Z'});
      const tieFirst = assignment('prod', {
        principalId: '33333333-3333-3333-3333-333333333333',
        principalType: undefined,
        createdAt: '2026-01-02T00:00:00.000Z',
      });
      const tieSecond = assignment('prod', {
        principalId: '00000000-0000-0000-0000-000000000001',
        principalType: 'Group',
        namespace: 'kube-system',
        createdAt: '2026-01-02T00:00:00.000Z',
      });
      const earliest = assignment('prod', {
        principalType: 'ServicePrincipal',
        role: 'Cluster Admin',
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      for (const record of [later, tieFirst, tieSecond, earliest])
        expect(await store.createRoleAssignment(record)).toEqual(record);
      await store.createRoleAssignment(assignment('dev'));
      expect(await store.listRoleAssignments('prod')).toEqual([
        earliest,
        tieFirst,
        tieSecond,
        later,
      ]);
      expect(await store.listRoleAssignments('nowhere')).toEqual([]);
    });

    it('refuses the same principal, role and scope twice with ERR_CONTROL_ASSIGNMENT_EXISTS', async () => {
      store = await backend.fresh();
      await store.createCluster(newCluster('prod'));
      await store.createRoleAssignment(assignment('prod'));
      await store.createRoleAssignment(assignment('prod', {namespace: 'web'}));
      await expect(store.createRoleAssignment(assignment('prod'))).rejects.toMatchObject({
        code: 'ERR_CONTROL_ASSIGNMENT_EXISTS',
        message: '22222222-2222-2222-2222-222222222222 already has the role Viewer on cluster prod',
      });
      await expect(
        store.createRoleAssignment(assignment('prod', {namespace: 'web'})),
      ).rejects.toMatchObject({
        code: 'ERR_CONTROL_ASSIGNMENT_EXISTS',
        message:
          '22222222-2222-2222-2222-222222222222 already has the role Viewer on namespace web of cluster prod',
      });
      // Another role, or another namespace, is another assignment.
      await store.createRoleAssignment(assignment('prod', {role: 'Writer'}));
      await store.createRoleAssignment(assignment('prod', {namespace: 'api'}));
      expect(await store.listRoleAssignments('prod')).toHaveLength(4);
    });

    it.each([
      [{cluster: 'nowhere'}, 'No cluster named nowhere'],
      [{namespace: ''}, 'its namespace is empty (leave it undefined for the whole cluster)'],
      [{role: 'Owner'}, 'its role "Owner" is not a built-in role'],
      [{principalType: 'Robot'}, 'its principal type "Robot" is unknown'],
      [{principalId: ''}, 'its principal id is empty'],
    ] as [Partial<RoleAssignmentRecord>, string][])(
      'refuses %j with ERR_RELAY_ENTITY_INVALID',
      async (overrides, problem) => {
        store = await backend.fresh();
        await store.createCluster(newCluster('prod'));
        const record = assignment('prod', overrides);
        await expect(store.createRoleAssignment(record)).rejects.toMatchObject({
          code: 'ERR_RELAY_ENTITY_INVALID',
          message: problem.startsWith('No cluster')
            ? problem
            : `Invalid role assignment ${record.id}: ${problem}`,
        });
        expect(await store.listRoleAssignments('prod')).toEqual([]);
      },
    );

    it('deletes one only from its own cluster', async () => {
      store = await backend.fresh();
      await store.createCluster(newCluster('prod'));
      await store.createCluster(newCluster('dev'));
      const record = await store.createRoleAssignment(assignment('prod'));
      expect(await store.deleteRoleAssignment('dev', record.id)).toBe(false);
      expect(await store.deleteRoleAssignment('prod', record.id)).toBe(true);
      expect(await store.deleteRoleAssignment('prod', record.id)).toBe(false);
      expect(await store.listRoleAssignments('prod')).toEqual([]);
      // Gone, it may be made again.
      await store.createRoleAssignment(assignment('prod'));
    });
  });
});

describe.each([sqliteFile, postgresSchema])('migrations on $name', (backend) => {
  it('migrates a new store to the last version, and opening it again changes nothing', async () => {
    const location = await backend.location();
    const first = await location.open();
    await first.createCluster(newCluster('prod'));
    await first.close();
    const all = Array.from({length: backend.migrations}, (_, index) => index + 1);
    expect(await location.versions()).toEqual(all);
    const second = await location.open();
    expect(await location.versions()).toEqual(all);
    expect(await second.getCluster('prod')).toMatchObject({name: 'prod'});
  });

  it('migrates once when several relays open one new store at the same time', async () => {
    const location = await backend.location();
    // allSettled: every open has finished, even after a failure, before the schema is dropped.
    const opened = await Promise.allSettled([location.open(), location.open(), location.open()]);
    expect(opened.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const stores = opened.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    expect(await location.versions()).toEqual(
      Array.from({length: backend.migrations}, (_, index) => index + 1),
    );
    // Each sees the others' writes: one store, not three.
    await stores[0]?.ensureHybridConnection('shared');
    expect(await stores[2]?.getHybridConnection('shared')).toMatchObject({name: 'shared'});
  });
});

describe('SqliteRelayStore files', () => {
  it('keeps relay.db 0600 (its WAL too) in a data directory it makes 0700', async () => {
    const dir = join(await tempDir(), 'relay');
    const store = track(SqliteRelayStore.open(dir));
    await store.putAuthorizationRule(rule());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'relay.db')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'relay.db-wal'))).toBe(true);
    expect(statSync(join(dir, 'relay.db-wal')).mode & 0o777).toBe(0o600);
  });

  it('upgrades a version-1 database in place, keeping its rules', async () => {
    const dir = await tempDir();
    const v1 = new Database(join(dir, 'relay.db'));
    v1.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    v1.exec(SQLITE_MIGRATIONS[0] ?? '');
    v1.prepare("INSERT INTO schema_migrations VALUES (1, '2025-01-01T00:00:00.000Z')").run();
    v1.prepare(
      "INSERT INTO authorization_rules (entity, name, primary_key, secondary_key, rights) VALUES ('', 'dev', 'k1', 'k2', 'Listen,Send')",
    ).run();
    v1.close();

    const store = track(SqliteRelayStore.open(dir));
    expect(await store.getAuthorizationRule(undefined, 'dev')).toEqual({
      entity: undefined,
      name: 'dev',
      primaryKey: 'k1',
      primaryKeyExpiresAt: undefined,
      secondaryKey: 'k2',
      secondaryKeyExpiresAt: undefined,
      rights: ['Listen', 'Send'],
    });
    await store.createCluster(newCluster('prod'));
    await store.close();
    const db = new Database(join(dir, 'relay.db'), {readonly: true});
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    db.close();
    expect(versions).toEqual([{version: 1}, {version: 2}]);
  });

  it('reports a data directory it cannot use with ERR_RELAY_STORE', async () => {
    const file = join(await tempDir(), 'a-file');
    await writeFile(file, '');
    const dataDir = join(file, 'relay');
    expect(() => SqliteRelayStore.open(dataDir)).toThrow(
      expect.objectContaining({
        code: 'ERR_RELAY_STORE',
        message: `Cannot open the relay store in ${dataDir}`,
        cause: expect.objectContaining({code: 'ENOTDIR'}),
      }),
    );
  });
});

describe('openRelayStore', () => {
  /** A port on 127.0.0.1 that nothing listens on: bound, then closed. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const {port} = server.address() as {port: number};
    server.close();
    await once(server, 'close');
    return port;
  }

  it('opens SQLite in the data directory without a database URL (or with an empty one)', async () => {
    const dir = await tempDir();
    for (const databaseUrl of [undefined, '']) {
      const store = track(await openRelayStore({dataDir: dir, databaseUrl}));
      expect(store).toBeInstanceOf(SqliteRelayStore);
    }
    expect(existsSync(join(dir, 'relay.db'))).toBe(true);
  });

  it('opens PostgreSQL for a postgres:// or postgresql:// URL', async () => {
    const pool = await postgres();
    const dir = await tempDir();
    for (const scheme of ['postgres:', 'postgresql:']) {
      // The schema comes through the URL here (libpq's `options`), as an operator could give it.
      const schema = freshSchema();
      await pool.query(`CREATE SCHEMA "${schema}"`);
      const url = new URL(TEST_POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const store = track(
        await openRelayStore({dataDir: dir, databaseUrl: url.href.replace(/^[a-z]+:/, scheme)}),
      );
      expect(store).toBeInstanceOf(PostgresRelayStore);
      await store.ensureHybridConnection('hyco');
      const {rows} = await pool.query(`SELECT name FROM "${schema}".hybrid_connections`);
      expect(rows).toEqual([{name: 'hyco'}]);
    }
    expect(existsSync(join(dir, 'relay.db'))).toBe(false);
  });

  it.each([
    [
      'mysql://root:hunter2@127.0.0.1/relay',
      'Unsupported database URL scheme "mysql:": use postgres:// or postgresql://',
    ],
    [
      'sqlite://relay.db',
      'Unsupported database URL scheme "sqlite:": use postgres:// or postgresql://',
    ],
    ['root:hunter2@127.0.0.1', 'The database URL must start with postgres:// or postgresql://'],
  ])('refuses %s with ERR_RELAY_STORE, never quoting it', async (databaseUrl, message) => {
    const dir = await tempDir();
    const opening = openRelayStore({dataDir: dir, databaseUrl});
    await expect(opening).rejects.toMatchObject({code: 'ERR_RELAY_STORE', message});
    await expect(opening).rejects.not.toHaveProperty('message', expect.stringContaining('hunter2'));
  });

  it('reports an unreachable PostgreSQL with ERR_RELAY_STORE and the URL without its password', async () => {
    const port = await closedPort();
    const dir = await tempDir();
    for (const scheme of ['postgres', 'postgresql']) {
      const databaseUrl = `${scheme}://relay:hunter2@127.0.0.1:${port}/porthole?sslmode=disable&password=hunter3`;
      const err = await openRelayStore({dataDir: dir, databaseUrl}).then(
        () => expect.unreachable('opened a store on a closed port'),
        (error: unknown) => error as Error & {code: string; cause: Error & {code?: string}},
      );
      expect(err).toMatchObject({
        code: 'ERR_RELAY_STORE',
        message: `Cannot open the relay store at ${scheme}://relay@127.0.0.1:${port}/porthole`,
      });
      expect(err.cause.code).toBe('ECONNREFUSED');
      expect(JSON.stringify({message: err.message, stack: err.stack})).not.toMatch(/hunter/);
      expect(err.cause.message).not.toMatch(/hunter/);
    }
  });
});

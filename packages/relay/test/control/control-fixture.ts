import {randomUUID} from 'node:crypto';

import type {GraphGroupResolver} from '@porthole/core/auth';
import {createSasToken} from '@porthole/core/protocol';
import pg from 'pg';
import {openApiValidator, TEST_POSTGRES_URL} from '@porthole/testing';

import {
  fetchTrusting,
  OPENAPI_DOCUMENT,
  PostgresRelayStore,
  RelayServer,
  SqliteRelayStore,
} from '../../src/index.js';
import type {ControlPlaneLimits, DevIdentityProvider, RelayStore} from '../../src/index.js';
import {ID, startTestIdentity} from '../identity/fixtures.js';
import type {TestIdentity} from '../identity/fixtures.js';

/** A store for one test, and how to remove every trace of it. */
export interface TestStore {
  store: RelayStore;
  drop(): Promise<void>;
}

/** The stores every control-plane test runs against: SQLite, and the machine's PostgreSQL. */
export const STORES: readonly {name: string; open(): Promise<TestStore>}[] = [
  {
    name: 'SQLite',
    open: () =>
      Promise.resolve({store: SqliteRelayStore.open(':memory:'), drop: () => Promise.resolve()}),
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const schema = `porthole_cp_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      return {
        store: await PostgresRelayStore.open(TEST_POSTGRES_URL, {schema}),
        drop: async () => {
          const client = new pg.Client({connectionString: TEST_POSTGRES_URL});
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await client.end();
        },
      };
    },
  },
];

export const schemas = openApiValidator(OPENAPI_DOCUMENT);

/** A relay with its control plane, over the test directory; alice administers it. */
export interface ControlRelay {
  relay: RelayServer;
  store: RelayStore;
  identity: TestIdentity['identity'];
  origin: string;
  log: ({event: string} & Record<string, unknown>)[];
  /** Moves the relay's clock (not the identity provider's). */
  advance(ms: number): void;
  tokenOf(user: 'alice' | 'bob' | 'carol'): Promise<string>;
  /** A SAS token for the agent API of `cluster`, signed with `key` under `keyName`. */
  agentToken(cluster: string, key: string, keyName?: string): Promise<string>;
  call(
    method: string,
    path: string,
    options?: {token?: string; body?: unknown; raw?: string; headers?: Record<string, string>},
  ): Promise<{status: number; body: unknown; headers: Headers}>;
  close(): Promise<void>;
}

/**
 * Starts a {@link ControlRelay}; `options.groups` gives it a resolver of the groups of tokens
 * with group overage, made once the identity provider runs.
 */
export async function startControlRelay(
  store: RelayStore,
  limits: Partial<ControlPlaneLimits> = {},
  options: {groups?: (identity: DevIdentityProvider) => GraphGroupResolver} = {},
): Promise<ControlRelay> {
  const {identity} = await startTestIdentity();
  let offset = 0;
  const log: ControlRelay['log'] = [];
  const relay = new RelayServer({
    store,
    now: () => Date.now() + offset,
    log: (event, fields) => log.push({event, ...fields}),
    controlPlane: {
      entra: {tenants: [ID.tenant], issuers: [identity.issuer], audiences: [ID.api]},
      fetch: fetchTrusting(identity.caPem),
      administrators: [ID.alice],
      signIn: {
        authority: identity.issuer,
        tenantId: ID.tenant,
        serverApp: ID.api,
        clientId: ID.cli,
      },
      ...(options.groups ? {groups: options.groups(identity)} : {}),
      limits,
    },
  });
  const {url: origin} = await relay.listen({host: '127.0.0.1', port: 0});
  const tokens = new Map<string, string>();
  return {
    relay,
    store,
    identity,
    origin,
    log,
    advance: (ms) => (offset += ms),
    tokenOf: async (user) => {
      let token = tokens.get(user);
      if (token === undefined) {
        token = (
          await identity.signIn(
            user,
            user === 'bob' ? {password: 'correct horse battery staple'} : {},
          )
        ).access_token;
        tokens.set(user, token);
      }
      return token;
    },
    agentToken: (cluster, key, keyName = 'porthole-agent') =>
      createSasToken({
        resource: `http://127.0.0.1:${new URL(origin).port}/clusters/${cluster}`,
        keyName,
        key,
        expiresAt: Math.floor((Date.now() + offset) / 1000) + 3600,
      }),
    call: async (method, path, options = {}) => {
      const headers: Record<string, string> = {...options.headers};
      if (options.token !== undefined)
        headers.authorization = options.token.startsWith('SharedAccessSignature')
          ? options.token
          : `Bearer ${options.token}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.body);
      }
      const response = await fetch(`${origin}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : {body}),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
        headers: response.headers,
      };
    },
    close: async () => {
      await relay.close();
      await identity.close();
      await store.close();
    },
  };
}

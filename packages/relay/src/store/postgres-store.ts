import {escapeIdentifier, Pool} from 'pg';
import type {PoolClient, QueryResult, QueryResultRow} from 'pg';

import {RelayError} from '../errors.js';
import type {AuthorizationRule, HybridConnection} from './entity-store.js';
import {
  ASSIGNMENT_COLUMNS,
  assignmentExists,
  assignmentParameters,
  checkHybridConnectionName,
  checkNewCluster,
  checkRoleAssignment,
  checkRule,
  CLUSTER_COLUMNS,
  clusterExists,
  clusterHybridConnection,
  HYBRID_CONNECTION_COLUMNS,
  noSuchCluster,
  RULE_COLUMNS,
  ruleParameters,
  toCluster,
  toHybridConnection,
  toRoleAssignment,
  toRule,
} from './records.js';
import type {AssignmentRow, ClusterRow, HybridConnectionRow, RuleRow} from './records.js';
import type {
  ClusterRecord,
  Heartbeat,
  NewCluster,
  RelayStore,
  RoleAssignmentRecord,
} from './relay-store.js';

/**
 * Versioned migrations, applied in order inside one transaction each and recorded in
 * `schema_migrations`. Never edit a shipped migration: add the next one.
 *
 * Times are TEXT (ISO 8601, as the SQLite store keeps them) so that both stores return them
 * exactly as given; names sort with `COLLATE "C"` so that both order them by bytes.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE hybrid_connections (
     name TEXT PRIMARY KEY,
     requires_client_authorization BOOLEAN NOT NULL DEFAULT TRUE,
     created_at TEXT NOT NULL
   );
   CREATE TABLE authorization_rules (
     entity TEXT NOT NULL DEFAULT '',
     name TEXT NOT NULL,
     primary_key TEXT NOT NULL,
     primary_key_expires_at TEXT,
     secondary_key TEXT,
     secondary_key_expires_at TEXT,
     rights TEXT NOT NULL,
     PRIMARY KEY (entity, name)
   );
   CREATE TABLE clusters (
     name TEXT PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     hybrid_connection TEXT NOT NULL UNIQUE
       REFERENCES hybrid_connections (name) ON DELETE CASCADE,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     agent_version TEXT,
     kubernetes_version TEXT,
     total_node_count INTEGER,
     last_connectivity_time TEXT,
     agent_errors TEXT NOT NULL DEFAULT '[]'
   );
   CREATE TABLE role_assignments (
     id TEXT PRIMARY KEY,
     position BIGINT GENERATED ALWAYS AS IDENTITY,
     cluster TEXT NOT NULL REFERENCES clusters (name) ON DELETE CASCADE,
     principal_id TEXT NOT NULL,
     principal_type TEXT,
     role TEXT NOT NULL,
     namespace TEXT,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL
   );
   CREATE UNIQUE INDEX role_assignments_scope
     ON role_assignments (cluster, principal_id, role, COALESCE(namespace, ''));`,
];

/** The pool's size: enough for a relay's concurrent handshakes, well under a server's 100. */
const POOL_MAX = 10;
const CONNECT_TIMEOUT_MS = 10_000;
/** The first key of the migration lock ("port"); the second is a hash of the schema's name. */
const MIGRATION_LOCK = 0x706f7274;

// PostgreSQL error codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/** Where {@link PostgresRelayStore.open} puts its tables. */
export interface PostgresRelayStoreOptions {
  /**
   * A schema of its own, created if missing and put on the `search_path` of every pooled
   * connection (tests use one each); without it, the connection's default (usually `public`).
   */
  schema?: string;
}

/**
 * The store for several relays sharing one PostgreSQL database. Each method runs in one
 * transaction on a pooled connection; relays that start together migrate once, under an
 * advisory lock.
 *
 * @example
 *   const store = await PostgresRelayStore.open('postgres://relay@db.internal/porthole');
 *   await store.listClusters();
 *   await store.close();
 */
export class PostgresRelayStore implements RelayStore {
  readonly #pool: Pool;
  readonly #schema: string | undefined;
  /** Pooled connections whose `search_path` has been set. */
  readonly #prepared = new WeakSet<PoolClient>();
  #closed: Promise<void> | undefined;

  private constructor(pool: Pool, schema: string | undefined) {
    this.#pool = pool;
    this.#schema = schema;
  }

  /**
   * Connects and migrates.
   *
   * @param databaseUrl `postgres://` or `postgresql://` URL (libpq's, as `pg` reads it)
   * @throws RelayError `ERR_RELAY_STORE` when the database cannot be reached or migrated; the
   *   message names the URL without its password or query
   */
  static async open(
    databaseUrl: string,
    options: PostgresRelayStoreOptions = {},
  ): Promise<PostgresRelayStore> {
    const pool = new Pool({
      connectionString: databaseUrl,
      max: POOL_MAX,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'porthole-relay',
    });
    // An idle connection that breaks (a server restart) is dropped by the pool; the next
    // query opens another and reports its own error. Without a listener the process would exit.
    pool.on('error', () => undefined);
    const store = new PostgresRelayStore(pool, options.schema);
    try {
      await store.#migrate();
    } catch (err) {
      await store.close();
      throw new RelayError(
        'ERR_RELAY_STORE',
        `Cannot open the relay store at ${describeDatabaseUrl(databaseUrl)}`,
        {cause: err},
      );
    }
    return store;
  }

  async getHybridConnection(name: string): Promise<HybridConnection | undefined> {
    const {rows} = await this.#query<HybridConnectionRow>(
      `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections WHERE name = $1`,
      [name],
    );
    return rows[0] && toHybridConnection(rows[0]);
  }

  async longestHybridConnection(names: readonly string[]): Promise<HybridConnection | undefined> {
    const {rows} = await this.#query<HybridConnectionRow>(
      `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections WHERE name = ANY($1::text[])
       ORDER BY length(name) DESC LIMIT 1`,
      [[...names]],
    );
    return rows[0] && toHybridConnection(rows[0]);
  }

  async listHybridConnections(): Promise<HybridConnection[]> {
    const {rows} = await this.#query<HybridConnectionRow>(
      `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections ORDER BY name COLLATE "C"`,
    );
    return rows.map(toHybridConnection);
  }

  async ensureHybridConnection(
    name: string,
    options: {requiresClientAuthorization?: boolean} = {},
  ): Promise<HybridConnection> {
    checkHybridConnectionName(name);
    const {rows} = await this.#transaction(async (client) => {
      await client.query(
        'INSERT INTO hybrid_connections (name, requires_client_authorization, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
        [name, options.requiresClientAuthorization !== false, new Date().toISOString()],
      );
      return client.query<HybridConnectionRow>(
        `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections WHERE name = $1`,
        [name],
      );
    });
    if (!rows[0])
      throw new RelayError('ERR_RELAY_STORE', `Hybrid connection ${name} vanished after insert`);
    return toHybridConnection(rows[0]);
  }

  async deleteHybridConnection(name: string): Promise<boolean> {
    // The cluster whose connection it is, and that cluster's assignments, go by cascade.
    return this.#transaction((client) => deleteHybridConnection(client, name));
  }

  async putAuthorizationRule(rule: AuthorizationRule): Promise<void> {
    checkRule(rule);
    const client = await this.#connect();
    try {
      await putRule(client, rule);
    } finally {
      client.release();
    }
  }

  async findAuthorizationRules(keyName: string, entity: string): Promise<AuthorizationRule[]> {
    const {rows} = await this.#query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM authorization_rules WHERE name = $1 AND entity IN ('', $2) ORDER BY entity DESC`,
      [keyName, entity],
    );
    return rows.map(toRule);
  }

  async getAuthorizationRule(
    entity: string | undefined,
    name: string,
  ): Promise<AuthorizationRule | undefined> {
    const {rows} = await this.#query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM authorization_rules WHERE entity = $1 AND name = $2`,
      [entity ?? '', name],
    );
    return rows[0] && toRule(rows[0]);
  }

  async createCluster(cluster: NewCluster): Promise<ClusterRecord> {
    checkNewCluster(cluster);
    const entity = clusterHybridConnection(cluster.name);
    const {rows} = await this.#transaction(async (client) => {
      const existing = await client.query('SELECT 1 FROM clusters WHERE name = $1', [cluster.name]);
      if (existing.rowCount) throw clusterExists(cluster.name);
      await client.query(
        `INSERT INTO hybrid_connections (name, requires_client_authorization, created_at) VALUES ($1, TRUE, $2)
         ON CONFLICT (name) DO UPDATE SET requires_client_authorization = TRUE`,
        [entity, cluster.createdAt],
      );
      await client.query('DELETE FROM authorization_rules WHERE entity = $1', [entity]);
      for (const rule of cluster.rules) await putRule(client, rule);
      try {
        await client.query(
          'INSERT INTO clusters (name, id, hybrid_connection, created_at, created_by) VALUES ($1, $2, $3, $4, $5)',
          [cluster.name, cluster.id, entity, cluster.createdAt, cluster.createdBy],
        );
      } catch (err) {
        // Another relay made it since the check above.
        if (isDatabaseError(err, UNIQUE_VIOLATION, 'clusters_pkey'))
          throw clusterExists(cluster.name);
        throw err;
      }
      return client.query<ClusterRow>(`SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE name = $1`, [
        cluster.name,
      ]);
    });
    if (!rows[0])
      throw new RelayError('ERR_RELAY_STORE', `Cluster ${cluster.name} vanished after insert`);
    return toCluster(rows[0]);
  }

  async getCluster(name: string): Promise<ClusterRecord | undefined> {
    const {rows} = await this.#query<ClusterRow>(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE name = $1`,
      [name],
    );
    return rows[0] && toCluster(rows[0]);
  }

  async listClusters(): Promise<ClusterRecord[]> {
    const {rows} = await this.#query<ClusterRow>(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters ORDER BY name COLLATE "C"`,
    );
    return rows.map(toCluster);
  }

  async deleteCluster(name: string): Promise<boolean> {
    return this.#transaction(async (client) => {
      const {rows} = await client.query<{hybrid_connection: string}>(
        'SELECT hybrid_connection FROM clusters WHERE name = $1 FOR UPDATE',
        [name],
      );
      if (!rows[0]) return false;
      await deleteHybridConnection(client, rows[0].hybrid_connection);
      await client.query('DELETE FROM clusters WHERE name = $1', [name]);
      return true;
    });
  }

  async recordHeartbeat(name: string, heartbeat: Heartbeat): Promise<boolean> {
    const {rowCount} = await this.#query(
      `UPDATE clusters SET agent_version = $1, kubernetes_version = $2, total_node_count = $3,
         last_connectivity_time = $4, agent_errors = $5 WHERE name = $6`,
      [
        heartbeat.agentVersion,
        heartbeat.kubernetesVersion ?? null,
        heartbeat.totalNodeCount ?? null,
        heartbeat.at,
        JSON.stringify(heartbeat.agentErrors),
        name,
      ],
    );
    return (rowCount ?? 0) > 0;
  }

  async createRoleAssignment(assignment: RoleAssignmentRecord): Promise<RoleAssignmentRecord> {
    checkRoleAssignment(assignment);
    try {
      await this.#query(
        `INSERT INTO role_assignments (${ASSIGNMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        assignmentParameters(assignment),
      );
    } catch (err) {
      // Only the scope index: a repeated id is a bug of the caller's, not a duplicate grant.
      if (isDatabaseError(err, UNIQUE_VIOLATION, 'role_assignments_scope'))
        throw assignmentExists(assignment);
      if (isDatabaseError(err, FOREIGN_KEY_VIOLATION)) throw noSuchCluster(assignment.cluster);
      throw err;
    }
    return {...assignment};
  }

  async listRoleAssignments(cluster: string): Promise<RoleAssignmentRecord[]> {
    const {rows} = await this.#query<AssignmentRow>(
      // position breaks ties between assignments made in the same millisecond: insertion order.
      `SELECT ${ASSIGNMENT_COLUMNS} FROM role_assignments WHERE cluster = $1 ORDER BY created_at COLLATE "C", position`,
      [cluster],
    );
    return rows.map(toRoleAssignment);
  }

  async deleteRoleAssignment(cluster: string, id: string): Promise<boolean> {
    const {rowCount} = await this.#query(
      'DELETE FROM role_assignments WHERE cluster = $1 AND id = $2',
      [cluster, id],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Ends the pool; calling it again waits for the first call. */
  async close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    await this.#closed;
  }

  /** A pooled connection, its `search_path` set before its first use. */
  async #connect(): Promise<PoolClient> {
    const client = await this.#pool.connect();
    if (this.#schema !== undefined && !this.#prepared.has(client)) {
      try {
        await client.query(`SET search_path TO ${escapeIdentifier(this.#schema)}`);
      } catch (err) {
        client.release(true);
        throw err;
      }
      this.#prepared.add(client);
    }
    return client;
  }

  async #query<R extends QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<QueryResult<R>> {
    const client = await this.#connect();
    try {
      return await client.query<R>(text, values);
    } finally {
      client.release();
    }
  }

  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A connection that cannot even roll back is not given to anyone else.
      client.release(broken);
    }
  }

  /**
   * Creates the schema and applies what is missing, each migration in a transaction that
   * first takes an advisory lock on the schema: relays starting at once wait for each other,
   * and each finds the work done by the first.
   */
  async #migrate(): Promise<void> {
    const lock = async (client: PoolClient) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        MIGRATION_LOCK,
        this.#schema ?? '',
      ]);
    };
    await this.#transaction(async (client) => {
      await lock(client);
      // IF NOT EXISTS alone races: two sessions may both try to create it.
      if (this.#schema !== undefined)
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(this.#schema)}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
    });
    for (const [index, sql] of POSTGRES_MIGRATIONS.entries()) {
      const version = index + 1;
      await this.#transaction(async (client) => {
        await lock(client);
        const applied = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
          version,
        ]);
        if (applied.rowCount) return;
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
          version,
          new Date().toISOString(),
        ]);
      });
    }
  }
}

async function putRule(client: PoolClient, rule: AuthorizationRule): Promise<void> {
  await client.query(
    `INSERT INTO authorization_rules (${RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (entity, name) DO UPDATE SET primary_key = EXCLUDED.primary_key,
       primary_key_expires_at = EXCLUDED.primary_key_expires_at,
       secondary_key = EXCLUDED.secondary_key,
       secondary_key_expires_at = EXCLUDED.secondary_key_expires_at,
       rights = EXCLUDED.rights`,
    ruleParameters(rule),
  );
}

/** Call inside a transaction. */
async function deleteHybridConnection(client: PoolClient, name: string): Promise<boolean> {
  await client.query('DELETE FROM authorization_rules WHERE entity = $1', [name]);
  const {rowCount} = await client.query('DELETE FROM hybrid_connections WHERE name = $1', [name]);
  return (rowCount ?? 0) > 0;
}

function isDatabaseError(err: unknown, code: string, constraint?: string): boolean {
  const {code: actual, constraint: actualConstraint} = err as {
    code?: unknown;
    constraint?: unknown;
  };
  return actual === code && (constraint === undefined || actualConstraint === constraint);
}

/**
 * The URL as messages may show it: scheme, user, host, port and database. The password and
 * the query (which may hold one too, `?password=`) are left out.
 */
function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const user = url.username === '' ? '' : `${url.username}@`;
    return `${url.protocol}//${user}${url.host}${url.pathname}`;
  } catch {
    return 'a database URL that cannot be parsed';
  }
}

import {chmodSync, mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import Database from 'better-sqlite3';

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
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE hybrid_connections (
     name TEXT PRIMARY KEY,
     requires_client_authorization INTEGER NOT NULL DEFAULT 1,
     created_at TEXT NOT NULL
   );
   CREATE TABLE authorization_rules (
     entity TEXT NOT NULL DEFAULT '',
     name TEXT NOT NULL,
     primary_key TEXT NOT NULL,
     secondary_key TEXT,
     rights TEXT NOT NULL,
     PRIMARY KEY (entity, name)
   );`,
  // 2: the control plane's clusters and role assignments, and keys that expire. A cluster
  // goes with its hybrid connection, its assignments with the cluster. The unique index
  // treats a NULL namespace (the whole cluster) as one value, which a plain UNIQUE would not.
  `ALTER TABLE authorization_rules ADD COLUMN primary_key_expires_at TEXT;
   ALTER TABLE authorization_rules ADD COLUMN secondary_key_expires_at TEXT;
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

/**
 * The embedded store: one SQLite file, `relay.db`, in the data directory (0700, the file
 * 0600: it holds keys). `:memory:` keeps everything in memory, for tests. better-sqlite3 is
 * synchronous, so every method does its work at once and is atomic by construction.
 *
 * @example
 *   const store = SqliteRelayStore.open(dataDir);
 *   await store.ensureHybridConnection('clusters/dev');
 */
export class SqliteRelayStore implements RelayStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Opens (creating and migrating as needed) the store in `dataDir`, or in memory when it is
   * `:memory:`.
   *
   * @param dataDir a directory, made 0700 when it is created, or `:memory:`
   * @throws RelayError `ERR_RELAY_STORE` when the file cannot be opened or migrated
   */
  static open(dataDir: string): SqliteRelayStore {
    let db: Database.Database | undefined;
    try {
      if (dataDir === ':memory:') {
        db = new Database(':memory:');
      } else {
        mkdirSync(dataDir, {recursive: true, mode: 0o700});
        const file = join(dataDir, 'relay.db');
        // Made 0600 before SQLite opens it, so that it is never readable by others; SQLite
        // gives the -wal and -shm files the database file's mode.
        writeFileSync(file, '', {flag: 'a', mode: 0o600});
        chmodSync(file, 0o600);
        db = new Database(file);
        db.pragma('journal_mode = WAL');
      }
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (err) {
      db?.close();
      throw new RelayError('ERR_RELAY_STORE', `Cannot open the relay store in ${dataDir}`, {
        cause: err,
      });
    }
    return new SqliteRelayStore(db);
  }

  getHybridConnection(name: string): Promise<HybridConnection | undefined> {
    return settle(() => this.#hybridConnection(name));
  }

  longestHybridConnection(names: readonly string[]): Promise<HybridConnection | undefined> {
    return settle(() => {
      if (names.length === 0) return undefined;
      const row = this.#db
        .prepare<string[], HybridConnectionRow>(
          `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections
           WHERE name IN (${names.map(() => '?').join(', ')}) ORDER BY length(name) DESC LIMIT 1`,
        )
        .get(...names);
      return row && toHybridConnection(row);
    });
  }

  listHybridConnections(): Promise<HybridConnection[]> {
    return settle(() =>
      this.#db
        .prepare<[], HybridConnectionRow>(
          `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections ORDER BY name`,
        )
        .all()
        .map(toHybridConnection),
    );
  }

  ensureHybridConnection(
    name: string,
    options: {requiresClientAuthorization?: boolean} = {},
  ): Promise<HybridConnection> {
    return settle(() => {
      checkHybridConnectionName(name);
      this.#db
        .prepare(
          'INSERT INTO hybrid_connections (name, requires_client_authorization, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
        )
        .run(name, options.requiresClientAuthorization === false ? 0 : 1, new Date().toISOString());
      const created = this.#hybridConnection(name);
      if (!created)
        throw new RelayError('ERR_RELAY_STORE', `Hybrid connection ${name} vanished after insert`);
      return created;
    });
  }

  deleteHybridConnection(name: string): Promise<boolean> {
    // The cluster whose connection it is, and that cluster's assignments, go by cascade.
    return settle(this.#db.transaction(() => this.#deleteHybridConnection(name)));
  }

  putAuthorizationRule(rule: AuthorizationRule): Promise<void> {
    return settle(() => {
      checkRule(rule);
      this.#putRule(rule);
    });
  }

  findAuthorizationRules(keyName: string, entity: string): Promise<AuthorizationRule[]> {
    return settle(() =>
      this.#db
        .prepare<[string, string], RuleRow>(
          `SELECT ${RULE_COLUMNS} FROM authorization_rules WHERE name = ? AND entity IN ('', ?) ORDER BY entity DESC`,
        )
        .all(keyName, entity)
        .map(toRule),
    );
  }

  getAuthorizationRule(
    entity: string | undefined,
    name: string,
  ): Promise<AuthorizationRule | undefined> {
    return settle(() => {
      const row = this.#db
        .prepare<[string, string], RuleRow>(
          `SELECT ${RULE_COLUMNS} FROM authorization_rules WHERE entity = ? AND name = ?`,
        )
        .get(entity ?? '', name);
      return row && toRule(row);
    });
  }

  createCluster(cluster: NewCluster): Promise<ClusterRecord> {
    return settle(() => {
      checkNewCluster(cluster);
      const entity = clusterHybridConnection(cluster.name);
      return this.#db.transaction(() => {
        if (this.#cluster(cluster.name)) throw clusterExists(cluster.name);
        this.#db
          .prepare(
            `INSERT INTO hybrid_connections (name, requires_client_authorization, created_at) VALUES (?, 1, ?)
             ON CONFLICT (name) DO UPDATE SET requires_client_authorization = 1`,
          )
          .run(entity, cluster.createdAt);
        this.#db.prepare('DELETE FROM authorization_rules WHERE entity = ?').run(entity);
        for (const rule of cluster.rules) this.#putRule(rule);
        this.#db
          .prepare(
            'INSERT INTO clusters (name, id, hybrid_connection, created_at, created_by) VALUES (?, ?, ?, ?, ?)',
          )
          .run(cluster.name, cluster.id, entity, cluster.createdAt, cluster.createdBy);
        const created = this.#cluster(cluster.name);
        if (!created)
          throw new RelayError('ERR_RELAY_STORE', `Cluster ${cluster.name} vanished after insert`);
        return created;
      })();
    });
  }

  getCluster(name: string): Promise<ClusterRecord | undefined> {
    return settle(() => this.#cluster(name));
  }

  listClusters(): Promise<ClusterRecord[]> {
    return settle(() =>
      this.#db
        .prepare<[], ClusterRow>(`SELECT ${CLUSTER_COLUMNS} FROM clusters ORDER BY name`)
        .all()
        .map(toCluster),
    );
  }

  deleteCluster(name: string): Promise<boolean> {
    return settle(
      this.#db.transaction(() => {
        const cluster = this.#cluster(name);
        if (!cluster) return false;
        this.#deleteHybridConnection(cluster.hybridConnection);
        this.#db.prepare('DELETE FROM clusters WHERE name = ?').run(name);
        return true;
      }),
    );
  }

  recordHeartbeat(name: string, heartbeat: Heartbeat): Promise<boolean> {
    return settle(() => {
      const result = this.#db
        .prepare(
          `UPDATE clusters SET agent_version = ?, kubernetes_version = ?, total_node_count = ?,
             last_connectivity_time = ?, agent_errors = ? WHERE name = ?`,
        )
        .run(
          heartbeat.agentVersion,
          heartbeat.kubernetesVersion ?? null,
          heartbeat.totalNodeCount ?? null,
          heartbeat.at,
          JSON.stringify(heartbeat.agentErrors),
          name,
        );
      return result.changes > 0;
    });
  }

  createRoleAssignment(assignment: RoleAssignmentRecord): Promise<RoleAssignmentRecord> {
    return settle(() => {
      checkRoleAssignment(assignment);
      return this.#db.transaction(() => {
        if (!this.#cluster(assignment.cluster)) throw noSuchCluster(assignment.cluster);
        try {
          this.#db
            .prepare(
              `INSERT INTO role_assignments (${ASSIGNMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(...assignmentParameters(assignment));
        } catch (err) {
          // Only the scope index: a repeated id is a bug of the caller's, not a duplicate grant.
          if (isSqliteError(err, 'SQLITE_CONSTRAINT_UNIQUE', 'role_assignments_scope'))
            throw assignmentExists(assignment);
          throw err;
        }
        return {...assignment};
      })();
    });
  }

  listRoleAssignments(cluster: string): Promise<RoleAssignmentRecord[]> {
    return settle(() =>
      this.#db
        .prepare<[string], AssignmentRow>(
          // rowid breaks ties between assignments made in the same millisecond: insertion order.
          `SELECT ${ASSIGNMENT_COLUMNS} FROM role_assignments WHERE cluster = ? ORDER BY created_at, rowid`,
        )
        .all(cluster)
        .map(toRoleAssignment),
    );
  }

  deleteRoleAssignment(cluster: string, id: string): Promise<boolean> {
    return settle(
      () =>
        this.#db
          .prepare('DELETE FROM role_assignments WHERE cluster = ? AND id = ?')
          .run(cluster, id).changes > 0,
    );
  }

  close(): Promise<void> {
    return settle(() => {
      this.#db.close();
    });
  }

  #hybridConnection(name: string): HybridConnection | undefined {
    const row = this.#db
      .prepare<[string], HybridConnectionRow>(
        `SELECT ${HYBRID_CONNECTION_COLUMNS} FROM hybrid_connections WHERE name = ?`,
      )
      .get(name);
    return row && toHybridConnection(row);
  }

  #cluster(name: string): ClusterRecord | undefined {
    const row = this.#db
      .prepare<[string], ClusterRow>(`SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE name = ?`)
      .get(name);
    return row && toCluster(row);
  }

  #putRule(rule: AuthorizationRule): void {
    this.#db
      .prepare(
        `INSERT INTO authorization_rules (${RULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (entity, name) DO UPDATE SET primary_key = excluded.primary_key,
           primary_key_expires_at = excluded.primary_key_expires_at,
           secondary_key = excluded.secondary_key,
           secondary_key_expires_at = excluded.secondary_key_expires_at,
           rights = excluded.rights`,
      )
      .run(...ruleParameters(rule));
  }

  /** Call inside a transaction. */
  #deleteHybridConnection(name: string): boolean {
    this.#db.prepare('DELETE FROM authorization_rules WHERE entity = ?').run(name);
    return this.#db.prepare('DELETE FROM hybrid_connections WHERE name = ?').run(name).changes > 0;
  }
}

/**
 * better-sqlite3 is synchronous: each method does its work at once, and this gives its result,
 * or its error, as the promise {@link RelayStore} promises (a rejection, as PostgreSQL's).
 */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}

function isSqliteError(err: unknown, code: string, index: string): boolean {
  return (
    (err as {code?: unknown}).code === code &&
    String((err as {message?: unknown}).message).includes(`'${index}'`)
  );
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const applied = db.prepare<[number], {version: number}>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  SQLITE_MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    // IMMEDIATE takes the write lock before looking, so that two processes opening one file
    // at once apply each migration once.
    db.transaction(() => {
      if (applied.get(version)) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        new Date().toISOString(),
      );
    }).immediate();
  });
}

import {chmodSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import Database from 'better-sqlite3';

import {RelayError} from '../errors.js';
import {AccessRight, isValidEntityName} from './entity-store.js';
import type {AuthorizationRule, EntityStore, HybridConnection} from './entity-store.js';

/**
 * Versioned migrations, applied in order inside one transaction each. Never edit a shipped
 * migration: add the next one.
 */
const MIGRATIONS: readonly string[] = [
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
];

interface HybridConnectionRow {
  name: string;
  requires_client_authorization: number;
  created_at: string;
}

interface RuleRow {
  entity: string;
  name: string;
  primary_key: string;
  secondary_key: string | null;
  rights: string;
}

/**
 * The embedded store: one SQLite file, `relay.db`, in the data directory (0700, the file
 * 0600: it holds keys). `:memory:` keeps everything in memory, for tests.
 */
export class SqliteEntityStore implements EntityStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Opens (creating and migrating as needed) the store in `dataDir`, or in memory when it is
   * `:memory:`.
   *
   * @throws RelayError `ERR_RELAY_STORE` when the file cannot be opened or migrated
   */
  static open(dataDir: string): SqliteEntityStore {
    let db: Database.Database;
    try {
      if (dataDir === ':memory:') {
        db = new Database(':memory:');
      } else {
        mkdirSync(dataDir, {recursive: true, mode: 0o700});
        const file = join(dataDir, 'relay.db');
        db = new Database(file);
        chmodSync(file, 0o600);
        db.pragma('journal_mode = WAL');
      }
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (err) {
      throw new RelayError('ERR_RELAY_STORE', `Cannot open the relay store in ${dataDir}`, {
        cause: err,
      });
    }
    return new SqliteEntityStore(db);
  }

  getHybridConnection(name: string): HybridConnection | undefined {
    const row = this.#db
      .prepare<[string], HybridConnectionRow>('SELECT * FROM hybrid_connections WHERE name = ?')
      .get(name);
    return row && toHybridConnection(row);
  }

  listHybridConnections(): HybridConnection[] {
    return this.#db
      .prepare<[], HybridConnectionRow>('SELECT * FROM hybrid_connections ORDER BY name')
      .all()
      .map(toHybridConnection);
  }

  ensureHybridConnection(
    name: string,
    options: {requiresClientAuthorization?: boolean} = {},
  ): HybridConnection {
    if (!isValidEntityName(name)) {
      throw new RelayError(
        'ERR_RELAY_ENTITY_INVALID',
        `Invalid hybrid connection name ${JSON.stringify(name)}`,
      );
    }
    this.#db
      .prepare(
        'INSERT INTO hybrid_connections (name, requires_client_authorization, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      )
      .run(name, options.requiresClientAuthorization === false ? 0 : 1, new Date().toISOString());
    const created = this.getHybridConnection(name);
    if (!created)
      throw new RelayError('ERR_RELAY_STORE', `Hybrid connection ${name} vanished after insert`);
    return created;
  }

  deleteHybridConnection(name: string): boolean {
    const deleted = this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM authorization_rules WHERE entity = ?').run(name);
      return (
        this.#db.prepare('DELETE FROM hybrid_connections WHERE name = ?').run(name).changes > 0
      );
    });
    return deleted();
  }

  putAuthorizationRule(rule: AuthorizationRule): void {
    if (rule.name === '' || rule.primaryKey === '') {
      throw new RelayError(
        'ERR_RELAY_ENTITY_INVALID',
        'An authorization rule needs a name and a primary key',
      );
    }
    this.#db
      .prepare(
        `INSERT INTO authorization_rules (entity, name, primary_key, secondary_key, rights) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (entity, name) DO UPDATE SET primary_key = excluded.primary_key,
           secondary_key = excluded.secondary_key, rights = excluded.rights`,
      )
      .run(
        rule.entity ?? '',
        rule.name,
        rule.primaryKey,
        rule.secondaryKey ?? null,
        rule.rights.join(','),
      );
  }

  findAuthorizationRules(keyName: string, entity: string): AuthorizationRule[] {
    return this.#db
      .prepare<[string, string], RuleRow>(
        "SELECT * FROM authorization_rules WHERE name = ? AND entity IN ('', ?) ORDER BY entity DESC",
      )
      .all(keyName, entity)
      .map((row) => ({
        entity: row.entity === '' ? undefined : row.entity,
        name: row.name,
        primaryKey: row.primary_key,
        secondaryKey: row.secondary_key ?? undefined,
        rights: row.rights
          .split(',')
          .filter((right): right is AccessRight =>
            Object.values<string>(AccessRight).includes(right),
          ),
      }));
  }

  close(): void {
    this.#db.close();
  }
}

function toHybridConnection(row: HybridConnectionRow): HybridConnection {
  return {
    name: row.name,
    requiresClientAuthorization: row.requires_client_authorization === 1,
    createdAt: row.created_at,
  };
}

function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const applied = db
    .prepare<[], {version: number}>('SELECT version FROM schema_migrations')
    .all()
    .map((row) => row.version);
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (applied.includes(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        new Date().toISOString(),
      );
    })();
  });
}

import {RelayError} from '../errors.js';
import {PostgresRelayStore} from './postgres-store.js';
import type {RelayStore} from './relay-store.js';
import {SqliteRelayStore} from './sqlite-store.js';

/** Where {@link openRelayStore} keeps the relay's state. */
export interface OpenRelayStoreOptions {
  /** The directory of the embedded SQLite store (`relay.db`), used without `databaseUrl`. */
  dataDir: string;
  /** A `postgres://` or `postgresql://` URL: several relays then share that database. */
  databaseUrl?: string | undefined;
}

/**
 * Opens the store a relay was configured with: PostgreSQL for a `postgres://` or
 * `postgresql://` URL, else SQLite in the data directory. An empty URL counts as none.
 *
 * @throws RelayError `ERR_RELAY_STORE` when the store cannot be opened, or the URL has another
 *   scheme (the message names the scheme, never the URL, which may hold a password)
 * @example
 *   const store = await openRelayStore({dataDir, databaseUrl: process.env.PORTHOLE_DATABASE_URL});
 */
export async function openRelayStore(options: OpenRelayStoreOptions): Promise<RelayStore> {
  const {databaseUrl} = options;
  if (databaseUrl === undefined || databaseUrl === '')
    return SqliteRelayStore.open(options.dataDir);
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return PostgresRelayStore.open(databaseUrl);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(databaseUrl)?.[1];
  throw new RelayError(
    'ERR_RELAY_STORE',
    scheme === undefined
      ? 'The database URL must start with postgres:// or postgresql://'
      : `Unsupported database URL scheme ${JSON.stringify(`${scheme}:`)}: use postgres:// or postgresql://`,
  );
}

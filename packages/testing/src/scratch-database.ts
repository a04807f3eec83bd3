import {randomBytes} from 'node:crypto';

import pg from 'pg';

/** The machine's PostgreSQL, as the tests reach it. */
export const TEST_POSTGRES_URL =
  process.env.PORTHOLE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A database made for one test run, and how to remove it. */
export interface ScratchDatabase {
  /** The URL of the new database: the server's URL with its name. */
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database `porthole_<random>` on the test server, for a process that takes a
 * database URL (`porthole relay serve --database-url`).
 *
 * @throws Error naming the server (never its password) when it cannot be reached
 */
export async function scratchDatabase(serverUrl = TEST_POSTGRES_URL): Promise<ScratchDatabase> {
  const name = `porthole_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({connectionString: serverUrl});
    try {
      await client.connect();
      await client.query(sql);
    } catch (err) {
      const server = new URL(serverUrl);
      throw new Error(
        `PostgreSQL at ${server.host} cannot run "${sql}": ${(err as Error).message}; start the server or set PORTHOLE_TEST_DATABASE_URL`,
        {cause: err},
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)};
}

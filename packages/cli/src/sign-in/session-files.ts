import {chmod, mkdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {join} from 'node:path';

import type {ICachePlugin, TokenCacheContext} from '@azure/msal-node';

/** Who is signed in, and how to get their tokens again: `sign-in/session.json` (0600). */
export interface SignInSession {
  kind: 'user' | 'servicePrincipal';
  /** `https://login.microsoftonline.com/<tenant>`, or an Entra-shaped provider's `…/v2.0`. */
  authority: string;
  /** The public client app (a user's sign-in) or the service principal's app id. */
  clientId: string;
  /** The client id of the clusters' server app: tokens are requested for `api://<id>/.default`. */
  serverApp: string;
  username: string;
  objectId: string;
  tenantId: string;
  /** MSAL's key of a user's account in the token cache. */
  homeAccountId?: string;
  /** A service principal's secret, kept like Azure CLI keeps one: in a 0600 file. */
  clientSecret?: string;
  /** A service principal's certificate: a PEM file with the certificate and its private key. */
  certificatePath?: string;
  /** The relay whose control plane `porthole connect`, `list`, `proxy`… talk to (`login --relay`). */
  relay?: string;
}

/** The sign-in files under the data directory: a 0700 directory of 0600 files. */
export class SignInFiles {
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'sign-in');
  }

  get sessionPath(): string {
    return join(this.#dir, 'session.json');
  }

  get cachePath(): string {
    return join(this.#dir, 'msal-cache.json');
  }

  async readSession(): Promise<SignInSession | undefined> {
    const text = await readFile(this.sessionPath, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as SignInSession);
  }

  async writeSession(session: SignInSession): Promise<void> {
    await this.#write(this.sessionPath, `${JSON.stringify(session, null, 2)}\n`);
  }

  /** Removes the session and every cached token. */
  async clear(): Promise<boolean> {
    const had = (await this.readSession()) !== undefined;
    await rm(this.#dir, {recursive: true, force: true});
    return had;
  }

  /**
   * Runs `work` holding the sign-in lock, a file made with O_EXCL: kubectl starts one
   * `porthole get-token` per command, often several at once, and two refreshing with one
   * refresh token would spend it twice (a provider that rotates refresh tokens refuses the
   * second, and may revoke the grant). A lock older than `staleMs` is a crashed holder's.
   */
  async withLock<T>(work: () => Promise<T>, staleMs = 30_000): Promise<T> {
    await mkdir(this.#dir, {recursive: true, mode: 0o700});
    const lock = join(this.#dir, 'lock');
    const deadline = Date.now() + staleMs * 2;
    for (;;) {
      try {
        await writeFile(lock, `${process.pid}\n`, {flag: 'wx', mode: 0o600});
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const since = await stat(lock).then(
          (info) => Date.now() - info.mtimeMs,
          () => 0,
        );
        if (since > staleMs || Date.now() > deadline) await rm(lock, {force: true});
        else await sleep(25 + Math.random() * 50);
      }
    }
    try {
      return await work();
    } finally {
      await rm(lock, {force: true});
    }
  }

  /** MSAL's token cache in `msal-cache.json`: read before each access, written after a change. */
  cachePlugin(): ICachePlugin {
    return {
      beforeCacheAccess: async (context: TokenCacheContext) => {
        const text = await readFile(this.cachePath, 'utf8').catch(() => undefined);
        if (text !== undefined) context.tokenCache.deserialize(text);
      },
      afterCacheAccess: async (context: TokenCacheContext) => {
        if (context.cacheHasChanged)
          await this.#write(this.cachePath, context.tokenCache.serialize());
      },
    };
  }

  /** Written whole to a temporary file and renamed over, so a reader never sees half. */
  async #write(path: string, text: string): Promise<void> {
    await mkdir(this.#dir, {recursive: true, mode: 0o700});
    await chmod(this.#dir, 0o700);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text, {mode: 0o600});
    await rename(temporary, path);
  }
}

import {mkdtemp, rm, stat, utimes, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {SignInFiles} from '../src/sign-in/session-files.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'porthole-sign-in-files-'));
});
afterEach(async () => {
  await rm(home, {recursive: true, force: true});
});

describe('SignInFiles', () => {
  it('keeps the session in a 0600 file in a 0700 directory, and forgets it', async () => {
    const files = new SignInFiles(home);
    expect(await files.readSession()).toBeUndefined();
    const session = {
      kind: 'user',
      authority: 'https://login.microsoftonline.com/organizations',
      clientId: 'cli',
      serverApp: 'api',
      username: 'ada@contoso.example',
      objectId: 'oid',
      tenantId: 'tid',
    } as const;
    await files.writeSession(session);
    expect(await files.readSession()).toEqual(session);
    expect((await stat(files.sessionPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'sign-in'))).mode & 0o777).toBe(0o700);
    expect(await files.clear()).toBe(true);
    expect(await files.readSession()).toBeUndefined();
    expect(await files.clear()).toBe(false);
  });

  it('lets one holder at a time through the lock, in any number of callers', async () => {
    const files = new SignInFiles(home);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({length: 6}, () =>
        files.withLock(async () => {
          most = Math.max(most, ++inside);
          await sleep(20);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('takes over a lock left by a holder that died', async () => {
    const files = new SignInFiles(home);
    await files.withLock(() => Promise.resolve());
    const lock = join(home, 'sign-in', 'lock');
    await writeFile(lock, '99999\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    expect(await files.withLock(() => Promise.resolve('through'), 30_000)).toBe('through');
  });
});

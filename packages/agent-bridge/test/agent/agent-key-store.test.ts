import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {fileKeyStore} from '../../src/index.js';

describe('fileKeyStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'porthole-key-store-'));
  });
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true});
  });

  it('replaces the key in a file only its owner reads', async () => {
    const path = join(dir, 'agent-key');
    await writeFile(path, 'old-key', {mode: 0o644});
    const store = fileKeyStore(path);
    await store.save('new-key');
    expect(await readFile(path, 'utf8')).toBe('new-key\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await store.load()).toBe('new-key');
  });

  it('fails with ERR_AGENT_KEY_NOT_SAVED naming the place, never the key', async () => {
    const path = join(dir, 'missing', 'agent-key');
    await expect(fileKeyStore(path).save('s3cret-key')).rejects.toMatchObject({
      code: 'ERR_AGENT_KEY_NOT_SAVED',
      message: `The rotated agent key could not be saved to file ${path}: ENOENT`,
    });
    expect(await fileKeyStore(path).load()).toBeUndefined();
  });
});

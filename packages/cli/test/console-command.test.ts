/** `porthole console`: what it refuses before it starts anything. */
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {freePort} from '@porthole/testing';

import {runCli} from './in-process-cli.js';

/** A data directory that doubles as a console build (it has an index.html). */
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'porthole-console-command-'));
  await writeFile(join(home, 'index.html'), '<!doctype html>');
});

afterAll(async () => {
  await rm(home, {recursive: true, force: true});
});

describe('porthole console', () => {
  it("refuses a directory that is not the console's build", async () => {
    const result = await runCli(['console', '--console-dir', join(home, 'missing')], {
      PORTHOLE_HOME: home,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error ERR_CLI_INPUT: --console-dir \S+ has no index.html/);
  });

  it('needs a relay', async () => {
    const result = await runCli(['console', '--console-dir', home], {PORTHOLE_HOME: home});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error ERR_CLI_USAGE: no relay given');
  });

  it('says when the relay cannot be reached, before starting a bridge', async () => {
    const port = await freePort();
    const result = await runCli(
      ['console', '--console-dir', home, '--relay', `http://127.0.0.1:${port}`, '--port', '1'],
      {PORTHOLE_HOME: home},
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error ERR_CLI_RELAY_UNREACHABLE: Cannot reach the relay at http://127.0.0.1:${port}: ECONNREFUSED`,
      ),
    );
  });
});

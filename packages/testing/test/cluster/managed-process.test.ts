import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {beforeEach, describe, expect, it, onTestFinished} from 'vitest';

import {ManagedProcess} from '../../src/cluster/managed-process.js';
import {waitFor} from '../../src/cluster/wait-for.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-process-'));
  return () => rm(dir, {recursive: true, force: true});
});

const node = (name: string, script: string) =>
  ManagedProcess.start(name, process.execPath, ['-e', script], {logPath: join(dir, `${name}.log`)});

describe('ManagedProcess', () => {
  it('sends output to its log and reports how it exited', async () => {
    const child = await node('talker', 'console.log("out"); console.error("err"); process.exit(4)');
    expect(await child.exited).toEqual({code: 4, signal: null});
    expect(child.exit).toEqual({code: 4, signal: null});
    expect(child.logTail()).toBe('out\nerr');
  });

  it('stops with SIGTERM', async () => {
    const child = await node('sleeper', 'setInterval(() => {}, 1000)');
    expect(await child.stop()).toEqual({code: null, signal: 'SIGTERM'});
  });

  it('kills with SIGKILL a process that ignores SIGTERM for longer than the grace period', async () => {
    const child = await node(
      'stubborn',
      'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)',
    );
    onTestFinished(async () => {
      await child.stop(0);
    });
    await waitFor('the handler', async () => (child.logTail() === 'ready' ? true : undefined), {
      process: child,
      timeoutMs: 5000,
    });
    expect(await child.stop(200)).toEqual({code: null, signal: 'SIGKILL'});
  });

  it('fails to start a missing executable', async () => {
    await expect(
      ManagedProcess.start('ghost', join(dir, 'no-such-binary'), [], {
        logPath: join(dir, 'ghost.log'),
      }),
    ).rejects.toMatchObject({code: 'ENOENT'});
  });
});

describe('waitFor', () => {
  it('resolves with the first value the probe returns', async () => {
    let calls = 0;
    expect(
      await waitFor('a value', async () => (++calls === 3 ? 'done' : undefined), {timeoutMs: 5000}),
    ).toBe('done');
    expect(calls).toBe(3);
  });

  it('fails with ERR_CLUSTER_START_FAILED and the log when the process exits first', async () => {
    const child = await node('crasher', 'console.error("cannot bind"); process.exit(7)');
    await expect(
      waitFor('readiness', async () => undefined, {process: child, timeoutMs: 5000}),
    ).rejects.toMatchObject({
      code: 'ERR_CLUSTER_START_FAILED',
      message: `crasher exited (code 7) while waiting for readiness; its log ${child.logPath} ends:\ncannot bind`,
    });
  });

  it('fails with ERR_CLUSTER_START_FAILED and the last probe error on timeout', async () => {
    const cause = new Error('connection refused');
    await expect(
      waitFor('the server', () => Promise.reject(cause), {timeoutMs: 200}),
    ).rejects.toMatchObject({
      code: 'ERR_CLUSTER_START_FAILED',
      message: 'Timed out after 200ms waiting for the server',
      cause,
    });
  });
});

import {mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it, onTestFinished} from 'vitest';

import {locateToolchain, startTestCluster} from '../../src/index.js';
import {isRunning} from '../fixtures/processes.js';

describe('startTestCluster', () => {
  it('reports a component that dies, then stops every process and removes its directory', async () => {
    const cluster = await startTestCluster();
    onTestFinished(() => cluster.stop());
    expect(Object.keys(cluster.pids).sort()).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    expect(Object.values(cluster.pids).every(isRunning)).toBe(true);

    process.kill(cluster.pids.kwok ?? 0, 'SIGKILL');
    const crash = await cluster.crashed;
    expect(crash.code).toBe('ERR_CLUSTER_COMPONENT_EXITED');
    expect(crash.message).toMatch(/^kwok exited \(SIGKILL\); its log .*\/logs\/kwok\.log ends:\n/);

    await cluster.stop();
    expect(Object.values(cluster.pids).filter(isRunning)).toEqual([]);
    await expect(stat(cluster.dir)).rejects.toMatchObject({code: 'ENOENT'});
  });
});

describe('locateToolchain', () => {
  it('fails with ERR_TOOLCHAIN_MISSING and the command to run when nothing is built', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'porthole-empty-cache-'));
    onTestFinished(() => rm(empty, {recursive: true, force: true}));
    await expect(locateToolchain({PORTHOLE_CACHE_DIR: empty})).rejects.toMatchObject({
      code: 'ERR_TOOLCHAIN_MISSING',
      message: expect.stringMatching(
        new RegExp(
          `^Kubernetes v1\\.\\d+\\.\\d+ binaries are not built \\(expected in ${empty}/toolchain/k8s-v[^)]+\\); run: npm run toolchain$`,
        ),
      ) as unknown,
    });
  });
});

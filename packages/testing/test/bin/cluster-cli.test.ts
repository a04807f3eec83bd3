import {execFile} from 'node:child_process';
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {describe, expect, it, onTestFinished} from 'vitest';

import {kubectl} from '../../src/index.js';
import {isRunning} from '../fixtures/processes.js';

const clusterCli = fileURLToPath(new URL('../../dist/bin/cluster.js', import.meta.url));
const run = promisify(execFile);

describe('npm run cluster:up / cluster:down', () => {
  it('starts the development cluster in the background, prints its kubeconfig last, and stops it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'porthole-home-'));
    const env = {...process.env, PORTHOLE_HOME: home};
    onTestFinished(async () => {
      await run(process.execPath, [clusterCli, 'down'], {env});
      await rm(home, {recursive: true, force: true});
    });

    const up = await run(process.execPath, [clusterCli, 'up'], {env});
    const kubeconfigPath = up.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(kubeconfigPath).toBe(join(home, 'dev-cluster', 'kubeconfigs', 'admin.kubeconfig'));
    expect(up.stderr).toMatch(/The development cluster is ready at https:\/\/127\.0\.0\.1:\d+\./);
    expect(await kubectl(kubeconfigPath, ['get', 'nodes', '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'node/kwok-node-0\n',
    });

    const again = await run(process.execPath, [clusterCli, 'up'], {env});
    expect(again.stdout).toBe(`${kubeconfigPath}\n`);
    expect(again.stderr).toContain('already running');

    const state = JSON.parse(await readFile(join(home, 'dev-cluster.json'), 'utf8')) as {
      runnerPid: number;
      pids: Record<string, number>;
    };
    const pids = [state.runnerPid, ...Object.values(state.pids)];
    expect(pids).toHaveLength(6);

    const down = await run(process.execPath, [clusterCli, 'down'], {env});
    expect(down.stderr).toBe('The development cluster is stopped.\n');
    expect(pids.filter(isRunning)).toEqual([]);
    await expect(stat(join(home, 'dev-cluster'))).rejects.toMatchObject({code: 'ENOENT'});

    const downAgain = await run(process.execPath, [clusterCli, 'down'], {env});
    expect(downAgain.stderr).toBe('No development cluster is running.\n');
  });
});

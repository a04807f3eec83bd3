import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it, onTestFinished} from 'vitest';

import {criLogLines, kubectl, kubectlPath} from '../../src/index.js';
import type {KubectlBinary, KubectlResult} from '../../src/index.js';

const cluster = inject('cluster');
const namespace = 'pod-streams';
const admin = (args: string[], options: {binary?: KubectlBinary; input?: string} = {}) =>
  kubectl(cluster.kubeconfigPath, ['-n', namespace, ...args], options);

/** Retries `run` while kwok has not yet seen a rule the test just created. */
async function eventually(
  run: () => Promise<KubectlResult>,
  done: (result: KubectlResult) => boolean,
): Promise<KubectlResult> {
  let result = await run();
  for (let attempt = 0; attempt < 50 && !done(result); attempt++) {
    await sleep(100);
    result = await run();
  }
  return result;
}

describe('a kwok pod', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'porthole-pod-streams-'));
    await kubectl(cluster.kubeconfigPath, ['create', 'namespace', namespace]);
    // The serviceaccount controller must create `default` in the new namespace first.
    await eventually(
      () => admin(['run', 'web', '--image=nginx', '--port=8080']),
      (r) => r.code === 0,
    );
    expect(
      await admin(['wait', '--for=condition=Ready', 'pod/web', '--timeout=30s']),
    ).toMatchObject({code: 0});
  });

  afterAll(async () => {
    await kubectl(cluster.kubeconfigPath, ['delete', 'namespace', namespace, '--wait=false']);
    await rm(scratch, {recursive: true, force: true});
  });

  it('prints its logs', async () => {
    const logsFile = join(scratch, 'web.log');
    await writeFile(logsFile, criLogLines(['listening on :8080', 'GET / 200']));
    const rule = {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Logs',
      metadata: {name: 'web', namespace},
      spec: {logs: [{containers: ['web'], logsFile}]},
    };
    expect(await admin(['apply', '-f', '-'], {input: JSON.stringify(rule)})).toMatchObject({
      code: 0,
    });

    const logs = await eventually(
      () => admin(['logs', 'web']),
      (r) => r.stdout.includes('GET / 200'),
    );
    expect(logs).toMatchObject({code: 0, stdout: 'listening on :8080\nGET / 200\n'});
  });

  it('runs `exec -- echo hi` over SPDY with kubectl 1.27', async () => {
    const result = await admin(['exec', '-v=8', 'web', '--', 'echo', 'hi'], {
      binary: 'kubectl.1.27',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hi\n');
    expect(result.stderr).toContain('Upgrade: SPDY/3.1');
  });

  it('runs `exec -- echo hi` over WebSocket v5 with kubectl 1.33', async () => {
    const result = await admin(['exec', '-v=6', 'web', '--', 'echo', 'hi'], {
      binary: 'kubectl.1.33',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hi\n');
    expect(result.stderr).toContain('The subprotocol is v5.channel.k8s.io');
  });

  it('reports a failing command with its stderr and exit status', async () => {
    const result = await admin(['exec', 'web', '--', 'sh', '-c', 'echo oops >&2; exit 3'], {
      binary: 'kubectl.1.33',
    });
    // A kubelet makes kubectl exit with the command's own code; kwok (v0.8.0) wraps the exit
    // status in an error message instead, so kubectl exits 1 and prints the status.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('oops\n');
    expect(result.stderr).toContain('exit status 3');
  });

  it.each(['kubectl.1.27', 'kubectl.1.33'] as const)(
    'forwards a port to a local server with %s',
    async (binary) => {
      const body = `hello from ${binary}`;
      const server = createServer((_req, res) => res.end(body));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      onTestFinished(() => {
        server.close();
      });
      const rule = {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'PortForward',
        metadata: {name: 'web', namespace},
        spec: {
          forwards: [
            {
              ports: [8080],
              target: {address: '127.0.0.1', port: (server.address() as AddressInfo).port},
            },
          ],
        },
      };
      expect(await admin(['apply', '-f', '-'], {input: JSON.stringify(rule)})).toMatchObject({
        code: 0,
      });

      const forward = spawn(kubectlPath(binary), [
        '--kubeconfig',
        cluster.kubeconfigPath,
        '-n',
        namespace,
        'port-forward',
        '--address',
        '127.0.0.1',
        'pod/web',
        ':8080',
      ]);
      onTestFinished(async () => {
        if (forward.exitCode === null) {
          forward.kill();
          await once(forward, 'exit');
        }
      });
      let localPort = 0;
      for await (const line of createInterface({input: forward.stdout})) {
        const match = /^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$/.exec(line);
        if (match) {
          localPort = Number(match[1]);
          break;
        }
      }
      expect(localPort).toBeGreaterThan(0);

      const response = await fetch(`http://127.0.0.1:${localPort}/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(body);
    },
  );
});

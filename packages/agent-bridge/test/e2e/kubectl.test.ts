/**
 * Stock kubectl through Porthole — kubectl → bridge → relay → agent → kube-apiserver — with
 * kubectl 1.27 (SPDY) and 1.33 (WebSocket), over the Hybrid Connections path and over the mux.
 */
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {once} from 'node:events';
import {appendFile, chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it, onTestFinished} from 'vitest';

import {criLogLines, kubectl, kubectlPath} from '@porthole/testing';
import type {KubectlBinary} from '@porthole/testing';

import {startHarness} from './harness.js';
import type {Harness} from './harness.js';

const cluster = inject('cluster');
const admin = (args: string[], input?: string) =>
  kubectl(cluster.kubeconfigPath, args, input === undefined ? {} : {input});

/** Runs kubectl through the bridge in the background, handing back its stdout lines as they come. */
function background(harness: Harness, binary: KubectlBinary, args: string[]) {
  const child = spawn(kubectlPath(binary), ['--kubeconfig', harness.kubeconfigPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  createInterface({input: child.stdout}).on('line', (line) => lines.push(line));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await once(child, 'exit');
    }
  });
  const waitFor = async (predicate: (line: string) => boolean, what: string) => {
    for (let i = 0; i < 300; i++) {
      const line = lines.find(predicate);
      if (line !== undefined) return line;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(
      `no ${what} from kubectl ${args.join(' ')}; stdout: ${lines.join('\n')}; stderr: ${stderr}`,
    );
  };
  return {lines, waitFor};
}

describe.each(['mux', 'websocket'] as const)('kubectl through Porthole over %s', (mode) => {
  const namespace = `e2e-${mode}`;
  let harness: Harness;
  let scratch: string;

  beforeAll(async () => {
    harness = await startHarness(cluster, mode);
    scratch = await mkdtemp(join(tmpdir(), `porthole-e2e-${mode}-`));
    // kwok runs exec'd commands as nobody when the tests run as root: cp needs a place it may write.
    await chmod(scratch, 0o777);
    expect(await admin(['create', 'namespace', namespace])).toMatchObject({code: 0});
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await admin(['-n', namespace, 'run', 'web', '--image=nginx', '--port=8080'])).code === 0)
        break;
      await sleep(100); // until the namespace has its default service account
    }
    expect(
      await admin(['-n', namespace, 'wait', '--for=condition=Ready', 'pod/web', '--timeout=30s']),
    ).toMatchObject({code: 0});
  });

  afterAll(async () => {
    await admin(['delete', 'namespace', namespace, '--wait=false']);
    await harness.close();
    await rm(scratch, {recursive: true, force: true});
  });

  describe.each(['kubectl.1.27', 'kubectl.1.33'] as const)('with %s', (binary) => {
    const run = (args: string[], input?: string) =>
      harness.kubectl(['-n', namespace, ...args], {
        binary,
        ...(input === undefined ? {} : {input}),
      });

    it('get pods -A', async () => {
      const result = await run([
        'get',
        'pods',
        '-A',
        '-o',
        'custom-columns=NS:.metadata.namespace,NAME:.metadata.name',
        '--no-headers',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^${namespace}\\s+web$`, 'm'));
    });

    it('get --raw /version', async () => {
      const result = await run(['get', '--raw', '/version']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({gitVersion: 'v1.36.3'});
    });

    it('apply -f of a multi-document manifest', async () => {
      const suffix = binary.replace('.', '-').replace('.', '-');
      const manifest = [
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-${suffix}\ndata:\n  k: v\n`,
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied-${suffix}\nstringData:\n  k: v\n`,
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: applied-${suffix}\nspec:\n  ports:\n  - port: 80\n`,
      ].join('---\n');
      const result = await run(['apply', '-f', '-'], manifest);
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual([
        `configmap/applied-${suffix} created`,
        `secret/applied-${suffix} created`,
        `service/applied-${suffix} created`,
      ]);
    });

    it('get -w receives an event caused after it started', async () => {
      const name = `watched-${binary.replace(/\./g, '-')}`;
      const watch = background(harness, binary, [
        '-n',
        namespace,
        'get',
        'configmaps',
        '-w',
        '-o',
        'name',
      ]);
      await watch.waitFor((line) => line === 'configmap/kube-root-ca.crt', 'initial list');
      expect(await admin(['-n', namespace, 'create', 'configmap', name])).toMatchObject({code: 0});
      await watch.waitFor((line) => line === `configmap/${name}`, 'watch event');
    });

    it('logs -f streams lines written after it started', async () => {
      const logsFile = join(scratch, `web-${binary}.log`);
      await writeFile(logsFile, criLogLines(['first line']));
      const rule = {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'Logs',
        metadata: {name: 'web', namespace},
        spec: {logs: [{containers: ['web'], logsFile, follow: true}]},
      };
      expect(await admin(['apply', '-f', '-'], JSON.stringify(rule))).toMatchObject({code: 0});
      await sleep(300); // for kwok to see the rule
      const follow = background(harness, binary, ['-n', namespace, 'logs', '-f', 'web']);
      await follow.waitFor((line) => line === 'first line', 'first line');
      await appendFile(logsFile, criLogLines(['a line written later']));
      await follow.waitFor((line) => line === 'a line written later', 'streamed line');
    });

    it('exec -- echo hi', async () => {
      expect(await run(['exec', 'web', '--', 'echo', 'hi'])).toMatchObject({
        code: 0,
        stdout: 'hi\n',
      });
    });

    it('exec -i with stdin', async () => {
      // `head -n 2` ends by itself: kwok (v0.8.0) does not pass stdin's end to the command.
      const input = 'through stdin\nand a second line\n';
      expect(await run(['exec', '-i', 'web', '--', 'head', '-n', '2'], input)).toMatchObject({
        code: 0,
        stdout: input,
      });
    });

    it('cp both ways', async () => {
      const local = join(scratch, `local-${binary}.txt`);
      const back = join(scratch, `back-${binary}.txt`);
      // kwok (v0.8.0) never ends an exec'd command's stdin, and GNU tar reads whole 10 KiB
      // records: a file of 10 records less the header block and the two end blocks makes an
      // archive that ends on a record boundary, so the remote tar finishes without stdin's end.
      const content = `copied by ${binary} `.padEnd(10 * 10_240 - 3 * 512, '.');
      await writeFile(local, content);
      const remote = join(scratch, `remote-${binary}.txt`);
      expect(await run(['cp', local, `web:${remote}`])).toMatchObject({code: 0});
      expect(await run(['cp', `web:${remote}`, back])).toMatchObject({code: 0});
      expect(await readFile(back, 'utf8')).toBe(content);
    });

    it('port-forward carries 10 MB intact', async () => {
      const body = Buffer.alloc(10 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 32)
        createHash('sha256').update(String(i)).digest().copy(body, i);
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
      expect(await admin(['apply', '-f', '-'], JSON.stringify(rule))).toMatchObject({code: 0});
      await sleep(300); // for kwok to see the rule
      const forward = background(harness, binary, [
        '-n',
        namespace,
        'port-forward',
        '--address',
        '127.0.0.1',
        'pod/web',
        ':8080',
      ]);
      const line = await forward.waitFor(
        (text) => /^Forwarding from 127\.0\.0\.1:\d+ -> 8080$/.test(text),
        'forwarding line',
      );
      const port = /:(\d+) ->/.exec(line)?.[1];
      const response = await fetch(`http://127.0.0.1:${port}/`);
      const received = Buffer.from(await response.arrayBuffer());
      expect(received.length).toBe(body.length);
      expect(createHash('sha256').update(received).digest('hex')).toBe(
        createHash('sha256').update(body).digest('hex'),
      );
    });

    it('auth can-i, and impersonation headers of the client never reach the apiserver', async () => {
      expect(await run(['auth', 'can-i', 'list', 'pods'])).toMatchObject({
        code: 0,
        stdout: 'yes\n',
      });
      // The service account may impersonate (cluster-admin), yet the agent strips Impersonate-*.
      // (A SelfSubjectReview is `kubectl auth whoami`, which kubectl 1.27 does not have yet.)
      const review = JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      });
      const whoami = await run(
        ['create', '-f', '-', '--as', 'someone-else', '-o', 'jsonpath={.status.userInfo.username}'],
        review,
      );
      expect(whoami).toMatchObject({code: 0, stdout: 'system:serviceaccount:default:porthole-e2e'});
    });

    it('api-resources', async () => {
      const result = await run(['api-resources', '-o', 'name']);
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')).toEqual(
        expect.arrayContaining([
          'pods',
          'configmaps',
          'deployments.apps',
          'clusterexecs.kwok.x-k8s.io',
        ]),
      );
    });
  });
});

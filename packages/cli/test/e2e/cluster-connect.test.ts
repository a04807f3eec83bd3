/**
 * The cluster-connect walkthrough through the CLI against a relay with its control plane (its
 * state in the machine's PostgreSQL) and the embedded identity provider (Entra-shaped: Microsoft's cloud cannot be reached from
 * here), on the real test cluster: connect (the manifest applied, the agent run from the
 * credentials it made), show, list, both ways to authenticate through proxy, a relay token
 * renewed under an open watch, Offline and back, doctor, the refusals, and delete.
 */
import {spawn} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseAllDocuments} from 'yaml';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {OPENAPI_DOCUMENT} from '@porthole/relay';
import type {DevDirectory} from '@porthole/relay';
import {
  freePort,
  kubectl,
  openApiValidator,
  scratchDatabase,
  serviceAccountToken,
} from '@porthole/testing';
import type {LineProcess, ScratchDatabase} from '@porthole/testing';

import {writeAgentKubeconfig} from './agent-kubeconfig.js';
import {porthole, runPorthole} from './processes.js';

const cluster = inject('cluster');
const schemas = openApiValidator(OPENAPI_DOCUMENT);
const id = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const TENANT = id('7c1d2e3f', 1);
const API = id('7c1d2e3f', 2);
const CLI_APP = id('7c1d2e3f', 3);
const OPS = id('7c1d2e3f', 10);
const DEV = id('7c1d2e3f', 11);
const NAMESPACE = 'porthole-e2e';

const directory: DevDirectory = {
  tenantId: TENANT,
  api: {clientId: API},
  publicClients: [{name: 'porthole-cli', clientId: CLI_APP, redirectUris: ['http://localhost']}],
  users: [
    {name: 'ops', upn: 'ops@contoso.example', displayName: 'Ops', objectId: OPS},
    {name: 'dev', upn: 'dev@contoso.example', displayName: 'Dev', objectId: DEV},
  ],
  groups: [],
};

let home: string;
let env: NodeJS.ProcessEnv;
let relayUrl: string;
let relay: LineProcess;
let agent: LineProcess | undefined;
let bridgePort: number;
let database: ScratchDatabase;
const processes: LineProcess[] = [];

function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}): LineProcess {
  const child = porthole(args, {...env, ...extraEnv});
  processes.push(child);
  return child;
}

/** Runs a porthole command to its end. */
const run = (args: string[]) => runPorthole(args, env);

async function json(args: string[]): Promise<unknown> {
  const result = await run([...args, '-o', 'json']);
  expect(result, result.stderr).toMatchObject({code: 0});
  return JSON.parse(result.stdout) as unknown;
}

/** The agent, as its Deployment would run it: the Secret's key, its own service account. */
async function startAgent(): Promise<LineProcess> {
  const secret = JSON.parse(
    (
      await kubectl(cluster.kubeconfigPath, [
        'get',
        'secret',
        'porthole-agent',
        '-n',
        NAMESPACE,
        '-o',
        'json',
      ])
    ).stdout,
  ) as {data: Record<string, string>};
  const field = (name: string) => Buffer.from(secret.data[name] ?? '', 'base64').toString('utf8');
  const keyFile = join(home, 'agent-key');
  await writeFile(keyFile, field('key'), {mode: 0o600});
  // The manifest's own service account, with exactly the rights the manifest gives it.
  const token = (
    await kubectl(cluster.kubeconfigPath, ['create', 'token', 'porthole-agent', '-n', NAMESPACE])
  ).stdout.trim();
  const kubeconfigPath = join(home, 'agent.kubeconfig');
  await writeAgentKubeconfig(kubeconfigPath, cluster, token);
  expect(field('relay')).toBe(relayUrl);
  const started = start([
    'agent',
    'run',
    '--relay',
    field('relay'),
    '--cluster',
    field('cluster'),
    '--agent-key-file',
    keyFile,
    '--kubeconfig',
    kubeconfigPath,
  ]);
  await started.line(/^listening on /);
  return started;
}

async function status(): Promise<string> {
  return ((await json(['show', '-n', 'demo'])) as {connectivityStatus: string}).connectivityStatus;
}

async function until(what: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'porthole-connect-'));
  const directoryPath = join(home, 'directory.json');
  await writeFile(directoryPath, JSON.stringify(directory));
  env = {PORTHOLE_HOME: home};
  // The relay keeps its state in PostgreSQL here (porthole up covers SQLite).
  database = await scratchDatabase();
  relay = start([
    'relay',
    'serve',
    '--database-url',
    database.url,
    '--listen',
    '127.0.0.1:0',
    '--data-dir',
    join(home, 'relay'),
    '--dev-identity',
    '--dev-identity-listen',
    '127.0.0.1:0',
    '--dev-identity-directory',
    directoryPath,
    '--admin',
    OPS,
    '--offline-after',
    '3',
    '--heartbeat-interval',
    '1',
    '--sender-token-lifetime',
    '12',
  ]);
  [, relayUrl = ''] = await relay.line(/^listening on (\S+)$/);
  const [, caPath = ''] = await relay.line(/^identity provider CA: (\S+)$/);
  env = {...env, NODE_EXTRA_CA_CERTS: caPath};
  expect(await run(['login', '--relay', relayUrl, '--dev-user', 'ops'])).toMatchObject({code: 0});
  bridgePort = await freePort();
});

afterAll(async () => {
  for (const child of processes.reverse()) await child.stop();
  await run(['proxy', 'stop', '--port', String(bridgePort)]);
  await kubectl(cluster.kubeconfigPath, [
    'delete',
    'namespace',
    NAMESPACE,
    '--ignore-not-found',
    '--wait=false',
  ]);
  await rm(home, {recursive: true, force: true});
  await database.drop();
});

describe('porthole cluster connect', () => {
  it('connects a cluster: the manifest applied, the agent run from what it made, Connected', async () => {
    const connect = start([
      'connect',
      '-n',
      'demo',
      '--apply',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--namespace',
      NAMESPACE,
      '--timeout',
      '60',
      '-o',
      'json',
    ]);
    await until(
      async () =>
        (
          await kubectl(cluster.kubeconfigPath, [
            'get',
            'secret',
            'porthole-agent',
            '-n',
            NAMESPACE,
          ])
        ).code === 0,
      30_000,
    );
    agent = await startAgent();
    expect(await connect.exit()).toBe(0);
    const connected = JSON.parse(connect.lines.join('\n')) as unknown;
    schemas.assert('Cluster', connected);
    expect(connected).toMatchObject({
      name: 'demo',
      connectivityStatus: 'Connected',
      agentVersion: '0.1.0',
    });
    expect(connect.stderr).toContain('Waiting for the agent of demo: Connected');
  });

  it('shows and lists the cluster as the OpenAPI schemas say', async () => {
    const shown = await json(['show', '-n', 'demo']);
    schemas.assert('Cluster', shown);
    expect(shown).toMatchObject({
      connectivityStatus: 'Connected',
      agentVersion: '0.1.0',
      totalNodeCount: expect.any(Number),
    });
    expect((shown as {kubernetesVersion: string}).kubernetesVersion).toMatch(/^v1\.\d+\.\d+/);
    const listed = (await json(['list'])) as unknown[];
    for (const item of listed) schemas.assert('Cluster', item);
    expect(listed.map((item) => (item as {name: string}).name)).toEqual(['demo']);
    const table = await run(['show', '-n', 'demo']);
    expect(table.stdout).toMatch(/^Name\s+Connectivity\s+Agent\s+Kubernetes\s+Nodes\s+Last seen$/m);
    expect(table.stdout).toMatch(/^demo\s+Connected\s+0\.1\.0\s+v1\./m);
  });

  it('proxies as the signed-in user through a role assignment, renewing the relay token under an open watch', async () => {
    expect(
      await run([
        'role',
        'assignment',
        'create',
        '--cluster',
        'demo',
        '--role',
        'Cluster Admin',
        '--assignee',
        OPS,
      ]),
    ).toMatchObject({code: 0});
    const proxy = start(['proxy', '-n', 'demo', '--port', String(bridgePort)]);
    await proxy.line(/^Start sending kubectl requests/);
    const kubeconfigPath = join(home, 'bridge', 'kubeconfig');
    const viaProxy = (args: string[]) =>
      kubectl(kubeconfigPath, ['--context', 'porthole-demo', ...args]);
    expect(await viaProxy(['get', 'pods', '-A'])).toMatchObject({code: 0});
    const whoami = await viaProxy(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(whoami.stdout).toBe(OPS);

    // Sender tokens live 12 s here: the proxy renews them, and the watch outlives several.
    const watcher = spawn(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfigPath,
        '--context',
        'porthole-demo',
        'get',
        'configmaps',
        '-n',
        'default',
        '-w',
        '-o',
        'name',
      ],
      {stdio: ['ignore', 'pipe', 'pipe']},
    );
    let seen = '';
    watcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (seen += chunk));
    try {
      await sleep(30_000);
      expect(await viaProxy(['create', 'configmap', 'renewed', '-n', 'default'])).toMatchObject({
        code: 0,
      });
      await until(() => Promise.resolve(seen.includes('configmap/renewed')), 10_000);
      expect(watcher.exitCode).toBeNull();
      // The bridge took a renewed token at least twice, each before the last one expired.
      const renewals = (await readFile(join(home, 'bridge', 'bridge.log'), 'utf8'))
        .split('\n')
        .filter((line) => line.includes('"bridge.credential-renewed"'));
      expect(renewals.length).toBeGreaterThanOrEqual(2);
    } finally {
      watcher.kill();
      await kubectl(cluster.kubeconfigPath, [
        'delete',
        'configmap',
        'renewed',
        '-n',
        'default',
        '--ignore-not-found',
      ]);
    }
    await proxy.stop();
  }, 90_000);

  it('proxies with a service-account token too', async () => {
    try {
      // The Arc walkthrough's service account: a ServiceAccount, a binding, a token.
      const token = await serviceAccountToken(cluster.kubeconfigPath, 'demo-user', 'view');
      const proxy = start([
        'proxy',
        '-n',
        'demo',
        '--port',
        String(bridgePort),
        '--token',
        token,
        '--kube-context',
        'demo-sa',
      ]);
      await proxy.line(/^Start sending kubectl requests/);
      const kubeconfigPath = join(home, 'bridge', 'kubeconfig');
      const whoami = await kubectl(kubeconfigPath, [
        '--context',
        'demo-sa',
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]);
      expect(whoami.stdout).toBe('system:serviceaccount:default:demo-user');
      expect(
        await kubectl(kubeconfigPath, ['--context', 'demo-sa', 'get', 'pods', '-A']),
      ).toMatchObject({code: 0});
      await proxy.stop();
    } finally {
      await kubectl(cluster.kubeconfigPath, [
        'delete',
        'clusterrolebinding',
        'demo-user',
        '--ignore-not-found',
      ]);
      await kubectl(cluster.kubeconfigPath, [
        'delete',
        'serviceaccount',
        'demo-user',
        '-n',
        'default',
        '--ignore-not-found',
      ]);
    }
  });

  it('runs a renewing proxy in the background with --daemon, until proxy stop', async () => {
    const daemon = await run(['proxy', '-n', 'demo', '--port', String(bridgePort), '--daemon']);
    expect(daemon, daemon.stderr).toMatchObject({code: 0});
    const [, pid = ''] = /It runs in the background \(pid (\d+), log /.exec(daemon.stdout) ?? [];
    expect(Number(pid)).toBeGreaterThan(0);
    const viaProxy = (args: string[]) =>
      kubectl(join(home, 'bridge', 'kubeconfig'), ['--context', 'porthole-demo', ...args]);
    expect(await viaProxy(['get', 'namespaces'])).toMatchObject({code: 0});
    const status = (await json(['proxy', 'status', '--port', String(bridgePort)])) as {
      clusters: {cluster: string; hold: boolean}[];
    };
    expect(status.clusters).toMatchObject([{cluster: 'demo', hold: true}]);
    expect(await run(['proxy', 'stop', '--port', String(bridgePort)])).toMatchObject({code: 0});
    // The background proxy ends with the bridge.
    await until(() => {
      try {
        process.kill(Number(pid), 0);
        return Promise.resolve(false);
      } catch {
        return Promise.resolve(true);
      }
    }, 10_000);
  });

  it('checks the whole way with doctor, under one correlation id in the CLI, relay and agent', async () => {
    const doctor = await run(['doctor', '-n', 'demo', '--debug']);
    const [, correlationId = ''] = /^debug: correlation id (\S+)$/m.exec(doctor.stderr) ?? [];
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    await until(
      () => Promise.resolve(relay.stderr.includes(`"correlationId":"${correlationId}"`)),
      5_000,
    );
    await until(
      () => Promise.resolve(agent?.stderr.includes(`"correlationId":"${correlationId}"`) ?? false),
      5_000,
    );
    expect(doctor, doctor.stdout + doctor.stderr).toMatchObject({code: 0});
    for (const check of [
      'Relay name resolves: 127.0.0.1',
      'WebSocket upgrade reaches the relay',
      'Signed in: ops@contoso.example',
      "Agent's last heartbeat: Connected",
      'Apiserver answers /version through the tunnel: Kubernetes v1.',
      'Access review through the tunnel: you may list pods',
    ]) {
      expect(doctor.stdout).toContain(check);
    }
  });

  it('shows Offline once the agent is silent past the threshold, and Connected when it is back', async () => {
    await agent?.stop();
    await until(async () => (await status()) === 'Offline', 15_000);
    const doctor = await run(['doctor', '-n', 'demo']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ Agent's last heartbeat: the agent was last heard from at /);
    expect(doctor.stdout).toContain('→ Check the agent pod');
    agent = await startAgent();
    await until(async () => (await status()) === 'Connected', 15_000);
  });

  it('lets Cluster User open the proxy and read nothing', async () => {
    const devHome = join(home, 'cluster-user');
    const devEnv = {...env, PORTHOLE_HOME: devHome};
    const asDev = (args: string[]) => porthole(args, devEnv);
    expect(await asDev(['login', '--relay', relayUrl, '--dev-user', 'dev']).exit()).toBe(0);
    const granted = await run([
      'role',
      'assignment',
      'create',
      '--cluster',
      'demo',
      '--role',
      'Cluster User',
      '--assignee',
      DEV,
      '-o',
      'json',
    ]);
    expect(granted.code).toBe(0);
    const port = await freePort();
    const proxy = asDev(['proxy', '-n', 'demo', '--port', String(port)]);
    processes.push(proxy);
    try {
      await proxy.line(/^Start sending kubectl requests/);
      const denied = await kubectl(join(devHome, 'bridge', 'kubeconfig'), [
        '--context',
        'porthole-demo',
        'get',
        'pods',
        '-n',
        'default',
      ]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain(
        `no Porthole role assignment gives ${DEV} Microsoft.Kubernetes/connectedClusters/pods/read`,
      );
    } finally {
      await proxy.stop();
      await asDev(['proxy', 'stop', '--port', String(port)]).exit();
      const id = (JSON.parse(granted.stdout) as {id: string}).id;
      expect(
        await run(['role', 'assignment', 'delete', '--cluster', 'demo', '--id', id]),
      ).toMatchObject({code: 0});
    }
  });

  it('refuses bad input with stable codes and messages', async () => {
    const unknown = await run(['show', '-n', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'error ERR_CONTROL_CLUSTER_NOT_FOUND: There is no cluster named nope',
    );
    expect(unknown.stderr).toContain('hint: List the clusters with: porthole list');

    const duplicate = await run(['connect', '-n', 'demo']);
    expect(duplicate.stderr).toContain('error ERR_CONTROL_CLUSTER_EXISTS');

    const invalid = await run(['connect', '-n', '-bad-']);
    expect(invalid.code).toBe(2);
    const invalidName = await run(['show', '-n', 'a/b']);
    expect(invalidName.code).toBe(2);
    expect(invalidName.stderr).toContain('error ERR_CLI_USAGE: -n must be a cluster name');

    const closed = await freePort();
    const unreachable = await run(['list', '--relay', `http://127.0.0.1:${closed}`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(
      `error ERR_CLI_RELAY_UNREACHABLE: Cannot reach the relay at http://127.0.0.1:${closed}: ECONNREFUSED`,
    );

    // Another user, without roles.
    const devHome = join(home, 'dev-user');
    const devEnv = {...env, PORTHOLE_HOME: devHome};
    const runAs = async (args: string[]) => {
      const child = porthole(args, devEnv);
      const code = await child.exit();
      return {code, stderr: child.stderr};
    };
    expect((await runAs(['login', '--relay', relayUrl, '--dev-user', 'dev'])).code).toBe(0);
    const create = await runAs(['connect', '-n', 'devs']);
    expect(create.stderr).toContain(
      `error ERR_CONTROL_FORBIDDEN: Connecting cluster devs needs the relay Administrator role, which ${DEV} does not hold`,
    );
    const proxy = await runAs(['proxy', '-n', 'demo', '--port', String(await freePort())]);
    expect(proxy.stderr).toContain(
      'error ERR_CONTROL_FORBIDDEN: Getting credentials for cluster demo needs the Cluster User role',
    );
    expect(proxy.stderr).toContain(
      `hint: An administrator can grant it: porthole role assignment create --cluster demo --role "Cluster User" --assignee ${DEV}`,
    );

    // A sign-in whose tokens can no longer be refreshed.
    await writeFile(join(devHome, 'sign-in', 'msal-cache.json'), '{}');
    const lapsed = await runAs(['list']);
    expect(lapsed.code).toBe(1);
    expect(lapsed.stderr).toMatch(
      /error ERR_CLI_SIGN_IN_REQUIRED: The sign-in of dev@contoso\.example has lapsed/,
    );
    expect(lapsed.stderr).toContain('hint: Run: porthole login');
  });

  it('writes a manifest whose agent goes out through a proxy, and the apiserver takes it', async () => {
    const printed = await run([
      'connect',
      '-n',
      'proxied',
      '--namespace',
      NAMESPACE,
      '--proxy-https',
      'http://agent:s3cret-proxy@proxy.corp.example:3128',
      '--proxy-skip-range',
      '.corp.example, 10.0.0.0/8',
      '--proxy-cert',
      String(env.NODE_EXTRA_CA_CERTS),
    ]);
    expect(printed, printed.stderr).toMatchObject({code: 0});
    expect(printed.stderr).not.toContain('s3cret-proxy');
    const objects = parseAllDocuments(printed.stdout).map(
      (document) => document.toJS() as {kind?: string},
    );
    const deployment = objects.find((object) => object.kind === 'Deployment');
    expect(JSON.stringify(deployment)).toContain(
      JSON.stringify({name: 'NO_PROXY', value: '.corp.example,10.0.0.0/8'}),
    );
    // Every object as the apiserver validates it (a dry run: demo's agent is untouched).
    const dryRun = await kubectl(cluster.kubeconfigPath, ['apply', '--dry-run=server', '-f', '-'], {
      input: printed.stdout,
    });
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('configmap/porthole-agent-proxy-ca created (server dry run)');
    expect((await run(['delete', '-n', 'proxied', '--yes'])).code).toBe(0);
  });

  it('refuses proxy settings that cannot work before registering anything', async () => {
    const connect = (...flags: string[]) => run(['connect', '-n', 'never', ...flags]);
    const socks = await connect('--proxy-https', 'socks5://agent:s3cret-proxy@proxy:1080');
    expect(socks.code).toBe(1);
    expect(socks.stderr).toMatch(
      /^error ERR_TUNNEL_PROXY_INVALID: --proxy-https names a socks5 proxy/,
    );
    expect(socks.stderr).not.toContain('s3cret-proxy');
    const alone = await connect('--proxy-cert', 'ca.pem');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--proxy-skip-range and --proxy-cert go with --proxy-https');
    const empty = await connect('--proxy-https', 'proxy:3128', '--proxy-skip-range', 'a,,b');
    expect(empty.code).toBe(2);
    const notCert = await connect(
      '--proxy-https',
      'proxy:3128',
      '--proxy-cert',
      join(home, 'missing.pem'),
    );
    expect(notCert.stderr).toMatch(
      /^error ERR_CLI_INPUT: --proxy-cert \S+ is not a readable PEM certificate/,
    );
    expect((await run(['show', '-n', 'never'])).stderr).toContain('ERR_CONTROL_CLUSTER_NOT_FOUND');
  });

  it('deletes the cluster and removes its agent from the cluster', async () => {
    const deleted = await run([
      'delete',
      '-n',
      'demo',
      '--yes',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--namespace',
      NAMESPACE,
    ]);
    expect(deleted, deleted.stderr).toMatchObject({code: 0});
    expect(deleted.stdout).toContain('Deleted cluster demo.');
    expect(deleted.stdout).toContain(`Removed its agent (namespace ${NAMESPACE}`);
    expect((await run(['show', '-n', 'demo'])).stderr).toContain('ERR_CONTROL_CLUSTER_NOT_FOUND');
    const clusterRole = await kubectl(cluster.kubeconfigPath, [
      'get',
      'clusterrole',
      'porthole-agent',
    ]);
    expect(clusterRole.code).not.toBe(0);
  });
});

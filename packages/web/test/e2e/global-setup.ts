import {createHash, X509Certificate} from 'node:crypto';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {connect} from 'node:tls';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import type {TestProject} from 'vitest/node';

import {createKubeconfig, serializeKubeconfig} from '@porthole/core';
import type {DevDirectory} from '@porthole/relay';
import {criLogLines, kubectl, startSharedCluster} from '@porthole/testing';
import type {LineProcess} from '@porthole/testing';

import type {TestUser, WebE2eEnvironment} from './environment.js';
import {porthole, runPorthole} from './porthole-command.js';

const id = (n: number) => `5eb0c0de-0000-4000-8000-${String(n).padStart(12, '0')}`;
const users: {ops: TestUser; viewer: TestUser} = {
  ops: {name: 'ops', upn: 'ops@contoso.example', displayName: 'Olivia Ops', objectId: id(10)},
  viewer: {
    name: 'viewer',
    upn: 'viewer@contoso.example',
    displayName: 'Victor Viewer',
    objectId: id(11),
  },
};
const CLUSTER = 'demo';
const NAMESPACE = 'shop';
const POD = 'web';
const AGENT_NAMESPACE = 'porthole-web-e2e';
// No trailing slash: the relay compares paths under it as given.
const CONSOLE_DIR = fileURLToPath(new URL('../../dist-app', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/**
 * One cluster, relay and agent for every browser test of this package: the relay
 * (`porthole relay serve`) serves the built console and runs its control plane and embedded
 * identity provider; the cluster `demo` is connected the way the CLI does it, with its agent
 * run from the credential the manifest holds; `ops` administers it and `viewer` may only read.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: LineProcess[] = [];
  const {cluster: kube, stop: stopCluster} = await startSharedCluster('porthole-web-e2e');
  const home = await mkdtemp(join(tmpdir(), 'porthole-web-e2e-'));
  const teardown = async () => {
    for (const child of started.reverse()) await child.stop();
    await kubectl(kube.kubeconfigPath, [
      'delete',
      'namespace',
      NAMESPACE,
      AGENT_NAMESPACE,
      '--wait=false',
    ]);
    await stopCluster();
    await rm(home, {recursive: true, force: true});
  };
  try {
    const directory: DevDirectory = {
      tenantId: id(1),
      api: {clientId: id(2)},
      publicClients: [
        {name: 'porthole-cli', clientId: id(3), redirectUris: ['http://localhost']},
        {
          name: 'porthole-console',
          clientId: id(4),
          // The relay's console, and the one a bridge serves (`porthole console`): any port.
          redirectUris: [
            'http://127.0.0.1/console/redirect.html',
            'http://localhost/console/redirect.html',
            'https://127.0.0.1/redirect.html',
          ],
        },
      ],
      users: Object.values(users).map(({name, upn, displayName, objectId}) => ({
        name,
        upn,
        displayName,
        objectId,
      })),
      groups: [],
    };
    const directoryPath = join(home, 'directory.json');
    await writeFile(directoryPath, JSON.stringify(directory));
    const relay = porthole(
      [
        'relay',
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        join(home, 'relay'),
        '--console-dir',
        CONSOLE_DIR,
        '--dev-identity',
        '--dev-identity-listen',
        '127.0.0.1:0',
        '--dev-identity-directory',
        directoryPath,
        '--admin',
        users.ops.objectId,
        '--heartbeat-interval',
        '1',
        // Short-lived sender tokens: the browser renews them while the tests run.
        '--sender-token-lifetime',
        '20',
      ],
      {PORTHOLE_HOME: home},
    );
    started.push(relay);
    const [, relayUrl = ''] = await relay.line(/^listening on (\S+)$/);
    const [, issuer = ''] = await relay.line(/^identity provider at (https:\S+)$/);
    const [, caPath = ''] = await relay.line(/^identity provider CA: (\S+)$/);
    await relay.line(/^console at /);
    const cliEnv = {PORTHOLE_HOME: home, NODE_EXTRA_CA_CERTS: caPath};
    const login = await runPorthole(['login', '--relay', relayUrl, '--dev-user', 'ops'], cliEnv);
    if (login.code !== 0) throw new Error(`porthole login failed: ${login.stderr}`);

    // The workload the tests look at: a pod whose log grows when a test appends to a file.
    const admin = (args: string[], input?: string) =>
      kubectl(kube.kubeconfigPath, args, input === undefined ? {} : {input});
    await admin(['create', 'namespace', NAMESPACE]);
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await admin(['-n', NAMESPACE, 'run', POD, '--image=nginx'])).code === 0) break;
      await sleep(100); // until the namespace has its default service account
    }
    const logsFile = join(home, 'web.log');
    await writeFile(logsFile, criLogLines(['web: listening on :8080']));
    await admin(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'Logs',
        metadata: {name: POD, namespace: NAMESPACE},
        spec: {logs: [{containers: [POD], logsFile, follow: true}]},
      }),
    );
    await admin(['-n', NAMESPACE, 'wait', '--for=condition=Ready', `pod/${POD}`, '--timeout=60s']);

    const connected = await connectCluster({
      cluster: CLUSTER,
      namespace: AGENT_NAMESPACE,
      home,
      kube,
      cliEnv,
    });
    started.push(connected.agent);
    for (const [user, role] of [
      [users.ops, 'Cluster Admin'],
      [users.viewer, 'Viewer'],
    ] as const) {
      const granted = await runPorthole(
        [
          'role',
          'assignment',
          'create',
          '--cluster',
          CLUSTER,
          '--role',
          role,
          '--assignee',
          user.objectId,
        ],
        cliEnv,
      );
      if (granted.code !== 0) throw new Error(`role assignment failed: ${granted.stderr}`);
    }

    await mkdir(SCREENSHOTS, {recursive: true});
    const scratch = join(home, 'scratch');
    await mkdir(scratch);
    const environment: WebE2eEnvironment = {
      relayUrl,
      consoleUrl: `${relayUrl}/console/`,
      identityOrigin: new URL(issuer).origin,
      identitySpki: await spkiOf(new URL(issuer), await readFile(caPath, 'utf8')),
      cliEnv,
      cluster: CLUSTER,
      namespace: NAMESPACE,
      pod: POD,
      logsFile,
      agentKubeconfig: connected.kubeconfigPath,
      kube,
      users,
      screenshots: SCREENSHOTS,
      scratch,
    };
    project.provide('web', environment);
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}

/**
 * `porthole connect -n NAME --apply` into the test cluster, then the agent run as its
 * Deployment would run it — the Secret's key, the manifest's own service account — until the
 * cluster is Connected.
 */
async function connectCluster(options: {
  cluster: string;
  namespace: string;
  home: string;
  kube: {kubeconfigPath: string; server: string; caPem: string};
  cliEnv: Record<string, string>;
}): Promise<{agent: LineProcess; kubeconfigPath: string}> {
  const {cluster, namespace, kube, cliEnv} = options;
  const connecting = porthole(
    [
      'connect',
      '-n',
      cluster,
      '--apply',
      '--kubeconfig',
      kube.kubeconfigPath,
      '--namespace',
      namespace,
      '--timeout',
      '90',
    ],
    cliEnv,
  );
  try {
    let secret = '';
    for (let attempt = 0; attempt < 300 && secret === ''; attempt++) {
      const read = await kubectl(kube.kubeconfigPath, [
        'get',
        'secret',
        'porthole-agent',
        '-n',
        namespace,
        '-o',
        'json',
      ]);
      if (read.code === 0) secret = read.stdout;
      else await sleep(100);
    }
    if (secret === '') throw new Error(`porthole connect made no Secret: ${connecting.stderr}`);
    const data = (JSON.parse(secret) as {data: Record<string, string>}).data;
    const field = (name: string) => Buffer.from(data[name] ?? '', 'base64').toString('utf8');
    const dir = join(options.home, `agent-${cluster}`);
    await mkdir(dir, {recursive: true});
    const token = (
      await kubectl(kube.kubeconfigPath, ['create', 'token', 'porthole-agent', '-n', namespace])
    ).stdout.trim();
    const kubeconfigPath = join(dir, 'agent.kubeconfig');
    await writeFile(
      kubeconfigPath,
      serializeKubeconfig(
        createKubeconfig({
          name: 'agent',
          server: kube.server,
          certificateAuthorityPem: kube.caPem,
          credential: {token},
        }),
      ),
      {mode: 0o600},
    );
    const agent = await startAgent({
      relay: field('relay'),
      cluster: field('cluster'),
      key: field('key'),
      kubeconfigPath,
      dir,
      cliEnv,
    });
    if ((await connecting.exit()) !== 0)
      throw new Error(`porthole connect failed: ${connecting.stderr}`);
    return {agent, kubeconfigPath};
  } finally {
    await connecting.stop();
  }
}

/**
 * The agent of a cluster, run as its Deployment would run it: the relay and cluster from its
 * Secret, its key in a 0600 file, its own kubeconfig. Resolves once it listens.
 */
export async function startAgent(options: {
  relay: string;
  cluster: string;
  key: string;
  kubeconfigPath: string;
  dir: string;
  /** `NODE_EXTRA_CA_CERTS`: the agent reads the identity provider's keys. */
  cliEnv: Record<string, string>;
}): Promise<LineProcess> {
  const keyFile = join(options.dir, `${options.cluster}-agent-key`);
  await writeFile(keyFile, options.key, {mode: 0o600});
  const agent = porthole(
    [
      'agent',
      'run',
      '--relay',
      options.relay,
      '--cluster',
      options.cluster,
      '--agent-key-file',
      keyFile,
      '--kubeconfig',
      options.kubeconfigPath,
    ],
    {...options.cliEnv, PORTHOLE_HOME: join(options.dir, `${options.cluster}-home`)},
  );
  try {
    await agent.line(/^listening on /);
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return agent;
}

/** The SPKI hash of a TLS server's certificate, as Chromium's --ignore-certificate-errors-spki-list takes it. */
async function spkiOf(url: URL, ca: string): Promise<string> {
  const certificate = await new Promise<X509Certificate>((resolve, reject) => {
    const socket = connect({host: url.hostname, port: Number(url.port), ca});
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (peer) resolve(peer);
      else reject(new Error('no peer certificate'));
    });
    socket.once('error', reject);
  });
  const der = certificate.publicKey.export({type: 'spki', format: 'der'});
  return createHash('sha256').update(der).digest('base64');
}

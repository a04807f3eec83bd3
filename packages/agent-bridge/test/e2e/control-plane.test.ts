/**
 * The agent against the relay's control plane, all real: the relay in-process with its
 * SQLite store, the agent running as the service account the manifest makes (its ClusterRole,
 * its Role on its own Secret), kubectl through a bridge, the test apiserver. Heartbeats fill
 * the cluster's record; keys that live 6 s are rotated every few seconds, saved in the real
 * Secret, and a watch opened before a rotation keeps its events; role assignments made in the
 * store are what the agent enforces; a revoked credential is logged, not fatal.
 */
import {randomBytes, randomUUID} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it, onTestFinished} from 'vitest';

import {EntraTokenValidator} from '@porthole/core/auth';
import {RelayServer, SqliteRelayStore} from '@porthole/relay';
import type {AuthorizationRule} from '@porthole/relay';
import {kubectl, kubectlPath, LineProcess} from '@porthole/testing';

import {
  Agent,
  AGENT_VERSION,
  AgentHeartbeat,
  agentManifest,
  ControlPlaneClient,
  entraAuthenticator,
  fileKeyStore,
  nodeWebSocketFactory,
  secretKeyStore,
} from '../../src/index.js';
import type {KubeEndpoint, Logger} from '../../src/index.js';
import {startBridge} from './harness.js';
import {API, TENANT, testIssuer} from './test-issuer.js';
import type {TestIssuer} from './test-issuer.js';

const cluster = inject('cluster');
const admin = (args: string[], input?: string) =>
  kubectl(cluster.kubeconfigPath, args, input === undefined ? {} : {input});

/** Where the manifest installs the agent, and where the role-assignment tests look. */
const AGENT_NAMESPACE = 'porthole-cp-e2e';
const TEAM_NAMESPACE = 'e2e-cp-team';
const VIEWER = '3c4d5e6f-0000-4000-8000-000000000001';
const LATE_VIEWER = '3c4d5e6f-0000-4000-8000-000000000002';
const SENDER_KEY = newKey();
const KEY_SECONDS = 6;

function newKey(): string {
  return randomBytes(32).toString('base64');
}

/** Polls `probe` until it gives something other than `undefined`. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let store: SqliteRelayStore;
let relay: RelayServer;
let relayUrl: string;
let issuer: TestIssuer;
let endpoint: KubeEndpoint;
let dir: string;
let kubeconfigPath: string;
/** The key the manifest put in the Secret: the cluster's first. */
let firstKey: string;
const stops: (() => Promise<void>)[] = [];
const logs: {event: string; fields: Record<string, unknown>}[] = [];
const log: Logger = (event, fields) => logs.push({event, fields});

/** Registers a cluster as `porthole connect` would, with a known agent key. */
async function createCluster(name: string, key: string, keySeconds: number): Promise<void> {
  const now = Date.now();
  const entity = `clusters/${name}`;
  await store.createCluster({
    name,
    id: randomUUID(),
    createdBy: 'e2e',
    createdAt: new Date(now).toISOString(),
    rules: [
      {
        entity,
        name: 'porthole-agent',
        primaryKey: key,
        secondaryKey: undefined,
        rights: ['Listen'],
        primaryKeyExpiresAt: new Date(now + keySeconds * 1000).toISOString(),
      },
      {
        entity,
        name: 'porthole-sender',
        primaryKey: SENDER_KEY,
        secondaryKey: undefined,
        rights: ['Send'],
      },
    ],
  });
}

/** The agent of a registered cluster, wired as `porthole agent run --cluster` wires it. */
async function startAgent(name: string, key: string, keyStore = secretKeyStoreOf()) {
  const client = new ControlPlaneClient({relay: relayUrl, cluster: name, key});
  const configuration = await client.configuration();
  if (!configuration.entra) throw new Error('the control plane has no Entra settings');
  const authenticator = entraAuthenticator({
    validator: new EntraTokenValidator({...configuration.entra, fetch: issuer.fetch}),
    agentToken: async () => {
      const {credential} = endpoint;
      return credential && 'token' in credential ? credential.token() : '';
    },
    roleAssignments: {assignments: () => client.roleAssignments()},
  });
  const agent = await Agent.start({
    relay: client.relayTarget,
    mode: 'mux',
    cluster: endpoint,
    authenticator,
    webSocket: nodeWebSocketFactory(),
    log,
  });
  const heartbeat = AgentHeartbeat.start({
    controlPlane: client,
    cluster: endpoint,
    agent,
    keyStore,
    log,
  });
  stops.push(async () => {
    await heartbeat.stop();
    await agent.stop({drainMs: 0});
  });
  return {client, agent, heartbeat};
}

function secretKeyStoreOf() {
  return secretKeyStore({cluster: endpoint, namespace: AGENT_NAMESPACE, name: 'porthole-agent'});
}

async function agentRule(name: string): Promise<AuthorizationRule> {
  const rule = await store.getAuthorizationRule(`clusters/${name}`, 'porthole-agent');
  if (!rule) throw new Error(`cluster ${name} has no agent rule`);
  return rule;
}

async function secretKey(): Promise<string> {
  const read = await admin([
    'get',
    'secret',
    'porthole-agent',
    '-n',
    AGENT_NAMESPACE,
    '-o',
    'jsonpath={.data.key}',
  ]);
  return Buffer.from(read.stdout, 'base64').toString('utf8');
}

/** kubectl through the bridge with `token` (an Entra token, or the admin service account's). */
const through = (args: string[], token = cluster.token) =>
  kubectl(kubeconfigPath, ['--token', token, ...args], {binary: 'kubectl.1.33'});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-cp-e2e-'));
  issuer = await testIssuer();
  store = SqliteRelayStore.open(':memory:');
  relay = new RelayServer({
    store,
    log: () => undefined,
    controlPlane: {
      entra: {tenants: [TENANT], issuers: [issuer.issuer], audiences: [API]},
      fetch: issuer.fetch,
      administrators: [],
      limits: {
        agentCredentialSeconds: KEY_SECONDS,
        heartbeatIntervalMs: 1000,
        rotatedKeyGraceMs: 1000,
      },
    },
  });
  relayUrl = (await relay.listen({host: '127.0.0.1', port: 0})).url;

  // The manifest as `porthole connect` prints it: the Deployment is checked by the apiserver
  // (a server-side dry run), everything else is applied, and the agent runs here as its
  // service account — with exactly the rights the manifest gives it.
  const key = newKey();
  firstKey = key;
  const objects = agentManifest({
    cluster: 'cp',
    relay: relayUrl,
    keyName: 'porthole-agent',
    key,
    image: 'ghcr.io/porthole/porthole:e2e',
    namespace: AGENT_NAMESPACE,
  });
  const list = (items: object[]) => JSON.stringify({apiVersion: 'v1', kind: 'List', items});
  const installed = objects.filter((object) => object.kind !== 'Deployment');
  expect(await admin(['apply', '-f', '-'], list(installed))).toMatchObject({code: 0});
  expect(await admin(['apply', '--dry-run=server', '-f', '-'], list(objects))).toMatchObject({
    code: 0,
  });
  const token = await admin([
    'create',
    'token',
    'porthole-agent',
    '-n',
    AGENT_NAMESPACE,
    '--duration',
    '1h',
  ]);
  expect(token.code).toBe(0);
  const agentToken = token.stdout.trim();
  endpoint = {
    server: new URL(cluster.server),
    caPem: cluster.caPem,
    tlsServerName: undefined,
    credential: {token: () => Promise.resolve(agentToken)},
  };
  expect(await admin(['create', 'namespace', TEAM_NAMESPACE])).toMatchObject({code: 0});

  await createCluster('cp', key, KEY_SECONDS);
  await store.createRoleAssignment({
    id: randomUUID(),
    cluster: 'cp',
    principalId: VIEWER,
    principalType: 'User',
    role: 'Viewer',
    namespace: TEAM_NAMESPACE,
    createdAt: new Date().toISOString(),
    createdBy: 'e2e',
  });
  await startAgent('cp', key);
  const origin = relayUrl.replace(/^http/, 'ws');
  const sender = {
    origin,
    entity: 'clusters/cp',
    credential: {sasKeyName: 'porthole-sender', sasKey: SENDER_KEY},
  };
  const bridge = await startBridge('cp', sender, 'mux', cluster.token, dir);
  kubeconfigPath = bridge.kubeconfigPath;
  stops.push(() => bridge.bridge.close());
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await relay.close();
  await store.close();
  await admin(['delete', 'namespace', AGENT_NAMESPACE, TEAM_NAMESPACE, '--wait=false']);
  await admin(['delete', 'clusterrolebinding', 'porthole-agent', 'porthole-role-assignments']);
  await admin(['delete', 'clusterrole', 'porthole-agent']);
  await rm(dir, {recursive: true, force: true});
});

describe('heartbeats', () => {
  it("fill the cluster's record: agent version, Kubernetes version, node count, no errors", async () => {
    const version = JSON.parse((await admin(['version', '-o', 'json'])).stdout) as {
      serverVersion: {gitVersion: string};
    };
    const nodes = (await admin(['get', 'nodes', '-o', 'name'])).stdout.trim().split('\n');
    const record = await eventually(async () => {
      const found = await store.getCluster('cp');
      return found?.lastConnectivityTime === undefined ? undefined : found;
    }, 'a heartbeat');
    expect(record).toMatchObject({
      agentVersion: AGENT_VERSION,
      kubernetesVersion: version.serverVersion.gitVersion,
      totalNodeCount: nodes.length,
      agentErrors: [],
    });
    expect(nodes.length).toBeGreaterThan(0);
  });
});

describe('credential rotation', () => {
  it('swaps the key before it expires and keeps the new one in the Secret', async () => {
    const first = (await agentRule('cp')).primaryKey;
    const rotated = await eventually(async () => {
      const current = (await agentRule('cp')).primaryKey;
      return current !== first ? current : undefined;
    }, 'a rotation');
    expect(rotated).not.toBe(first);
    // Keys rotate every few seconds here: the Secret catches up with the store's newest.
    await eventually(async () => {
      const [stored, secret] = [(await agentRule('cp')).primaryKey, await secretKey()];
      return stored === secret && stored !== first ? true : undefined;
    }, 'the Secret to hold the current key');
    expect(logs.some(({event}) => event === 'agent.credential-rotated')).toBe(true);
    expect(logs.some(({event}) => event === 'agent.credential-saved')).toBe(true);
    // Each rotation moved the listener to a connection with a token of the new key at once.
    expect(
      logs.some(({event, fields}) => event === 'agent.renewed' && fields.reason === 'requested'),
    ).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(rotated);
  });

  it('keeps a watch opened before a rotation, and serves new requests after it', async () => {
    const watch = LineProcess.start(kubectlPath('kubectl.1.33'), [
      '--kubeconfig',
      kubeconfigPath,
      '-n',
      TEAM_NAMESPACE,
      'get',
      'configmaps',
      '-w',
      '-o',
      'name',
    ]);
    onTestFinished(async () => {
      await watch.stop();
    });
    await watch.line(/^configmap\/kube-root-ca\.crt$/);
    // Two rotations: the key the watch's tunnel was opened with has rotated away and expired.
    const before = (await agentRule('cp')).primaryKey;
    let seen = before;
    for (let rotations = 0; rotations < 2; rotations++) {
      const previous = seen;
      seen = await eventually(async () => {
        const current = (await agentRule('cp')).primaryKey;
        return current !== previous ? current : undefined;
      }, 'a rotation');
    }
    const stale = new ControlPlaneClient({relay: relayUrl, cluster: 'cp', key: before});
    await expect(stale.configuration()).rejects.toMatchObject({
      code: 'ERR_AGENT_CREDENTIAL_REJECTED',
    });
    expect(
      await admin(['-n', TEAM_NAMESPACE, 'create', 'configmap', 'after-rotation']),
    ).toMatchObject({code: 0});
    await watch.line(/^configmap\/after-rotation$/, 10_000);
    expect(watch.exited).toBe(false);
    expect(await through(['get', 'namespace', TEAM_NAMESPACE, '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: `namespace/${TEAM_NAMESPACE}\n`,
    });
  });

  it('the key rotated away from works during its grace, then is refused as expired', async () => {
    const previous = (await agentRule('cp')).primaryKey;
    const rule = await eventually(async () => {
      const current = await agentRule('cp');
      return current.primaryKey !== previous ? current : undefined;
    }, 'a rotation');
    expect(rule.secondaryKey).toBe(previous);
    const stale = new ControlPlaneClient({relay: relayUrl, cluster: 'cp', key: previous});
    await expect(stale.configuration()).resolves.toMatchObject({cluster: 'cp'});
    await sleep(Date.parse(rule.secondaryKeyExpiresAt ?? '') - Date.now() + 50);
    await expect(stale.configuration()).rejects.toMatchObject({
      code: 'ERR_AGENT_CREDENTIAL_REJECTED',
      message: expect.stringContaining(
        'ExpiredKey: the key this token was signed with has expired',
      ) as string,
    });
    const first = new ControlPlaneClient({relay: relayUrl, cluster: 'cp', key: firstKey});
    await expect(first.configuration()).rejects.toMatchObject({
      code: 'ERR_AGENT_CREDENTIAL_REJECTED',
    });
  });
});

describe('role assignments from the control plane', () => {
  const action = (what: string) => `Microsoft.Kubernetes/connectedClusters/${what}`;

  it('a Viewer of one namespace lists pods there and is refused elsewhere, naming the action', async () => {
    const token = await issuer.sign({oid: VIEWER});
    expect(await through(['get', 'pods', '-n', TEAM_NAMESPACE, '-o', 'name'], token)).toMatchObject(
      {
        code: 0,
      },
    );
    const elsewhere = await through(['get', 'pods', '-n', 'default'], token);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(
      `User "${VIEWER}" cannot list resource "pods" in API group "" in the namespace "default"; no Porthole role assignment gives ${VIEWER} ${action('pods/read')}`,
    );
  });

  it('an assignment made in the store applies within the agent’s 10 s cache', async () => {
    const token = await issuer.sign({oid: LATE_VIEWER});
    const before = await through(['get', 'pods', '-n', TEAM_NAMESPACE], token);
    expect(before.stderr).toContain(
      `no Porthole role assignment gives ${LATE_VIEWER} ${action('pods/read')}`,
    );
    await store.createRoleAssignment({
      id: randomUUID(),
      cluster: 'cp',
      principalId: LATE_VIEWER,
      principalType: 'User',
      role: 'Viewer',
      namespace: TEAM_NAMESPACE,
      createdAt: new Date().toISOString(),
      createdBy: 'e2e',
    });
    await eventually(
      async () =>
        (await through(['get', 'pods', '-n', TEAM_NAMESPACE, '-o', 'name'], token)).code === 0
          ? true
          : undefined,
      'the new assignment to apply',
      15_000,
    );
  });
});

describe('a revoked credential', () => {
  it('is logged as ERR_AGENT_CREDENTIAL_REJECTED; the agent reports nothing and keeps running', async () => {
    const key = newKey();
    await createCluster('cp-revoked', key, 3600);
    const keyFile = join(dir, 'revoked-agent-key');
    await writeFile(keyFile, key, {mode: 0o600});
    const {agent, heartbeat} = await startAgent('cp-revoked', key, fileKeyStore(keyFile));
    const reported = await eventually(
      async () => (await store.getCluster('cp-revoked'))?.lastConnectivityTime,
      'a first heartbeat',
    );
    await store.putAuthorizationRule({...(await agentRule('cp-revoked')), primaryKey: newKey()});
    const rejected = await eventually(
      async () =>
        logs.find(
          ({event, fields}) =>
            event === 'agent.heartbeat-failed' &&
            fields.code === 'ERR_AGENT_CREDENTIAL_REJECTED' &&
            String(fields.error).includes('cp-revoked'),
        ),
      'the rejection to be logged',
    );
    expect(rejected.fields.error).toMatch(
      /^The control plane refused the agent credential of cluster cp-revoked \(401 ERR_CONTROL_UNAUTHENTICATED: /,
    );
    const last = (await store.getCluster('cp-revoked'))?.lastConnectivityTime;
    expect(last).toBeDefined();
    expect(Date.parse(last ?? '')).toBeGreaterThanOrEqual(Date.parse(reported));
    await sleep(2500); // more than two heartbeat intervals
    expect((await store.getCluster('cp-revoked'))?.lastConnectivityTime).toBe(last);
    expect(JSON.stringify(logs)).not.toContain(key);
    // Its key file holds the refused key too: nothing to reload.
    expect(logs.some(({event}) => event === 'agent.credential-reloaded')).toBe(false);
    expect(agent.listening).toBe(true);
    await heartbeat.stop();
  });
});

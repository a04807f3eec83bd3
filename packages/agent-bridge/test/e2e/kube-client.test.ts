/**
 * `@porthole/core/kube` — the platform-neutral Kubernetes client the web console runs in a
 * browser with no bridge — against the real thing: a Hybrid Connections sender socket to a
 * real relay (the SAS token in the query, as a browser must send it) carries HTTP/1.1 to a real
 * agent, which serves it to the test cluster's apiserver; exec runs a WebSocket inside that
 * stream. The agent authenticates Entra tokens (and passes the service-account token through),
 * so its own 403s — which name the missing permission — are exercised too.
 */
import {appendFile, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {EntraTokenValidator} from '@porthole/core/auth';
import type {RoleAssignment} from '@porthole/core/auth';
import {hybridConnectionTransport, KubeClient} from '@porthole/core/kube';
import type {ExecSession, KubeError} from '@porthole/core/kube';
import {createSasToken} from '@porthole/core/protocol';
import {RelayServer, SqliteRelayStore} from '@porthole/relay';
import {criLogLines, kubectl, serviceAccountToken} from '@porthole/testing';

import {
  Agent,
  agentClusterRole,
  entraAuthenticator,
  kubeconfigEndpoint,
  nodeWebSocketFactory,
} from '../../src/index.js';
import {API, TENANT, testIssuer} from './test-issuer.js';
import type {TestIssuer} from './test-issuer.js';

const cluster = inject('cluster');
const admin = (args: string[], input?: string) =>
  kubectl(cluster.kubeconfigPath, args, input === undefined ? {} : {input});

const namespace = 'e2e-kube-client';
const ENTITY = 'clusters/kube-client';
const SAS = {name: 'kube-client', key: 'kube-client-key-0123456789'};
const AGENT_ACCOUNT = 'porthole-agent-kube-e2e';
const NOBODY_ACCOUNT = 'porthole-kube-e2e-nobody';
const VIEWER = '1a2b3c4d-0000-4000-8000-00000000000a';
const PODS = {apiVersion: 'v1', resource: 'pods', namespace} as const;

let store: SqliteRelayStore;
let relay: RelayServer;
let agent: Agent;
let issuer: TestIssuer;
let scratch: string;
let relayAddress: string;
let relayHost: string;

/** A client as the console builds one: a new sender socket per connection, a token per request. */
function clientWith(token: () => Promise<string>): KubeClient {
  return new KubeClient({
    connect: async () =>
      hybridConnectionTransport({
        address: relayAddress,
        token: await createSasToken({
          resource: `http://${relayHost}/${ENTITY}`,
          keyName: SAS.name,
          key: SAS.key,
          expiresAt: Math.floor(Date.now() / 1000) + 600,
        }),
        tokenPlacement: 'query',
        webSocket: nodeWebSocketFactory(),
      }),
    token,
  });
}

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'porthole-e2e-kube-client-'));
  issuer = await testIssuer();
  expect(
    await admin(['apply', '-f', '-'], JSON.stringify(agentClusterRole(AGENT_ACCOUNT))),
  ).toMatchObject({code: 0});
  const agentToken = await serviceAccountToken(
    cluster.kubeconfigPath,
    AGENT_ACCOUNT,
    AGENT_ACCOUNT,
  );

  store = SqliteRelayStore.open(':memory:');
  await store.ensureHybridConnection(ENTITY);
  await store.putAuthorizationRule({
    entity: undefined,
    name: SAS.name,
    primaryKey: SAS.key,
    secondaryKey: undefined,
    rights: ['Listen', 'Send'],
  });
  relay = new RelayServer({store, log: () => undefined});
  const {url} = await relay.listen({host: '127.0.0.1', port: 0});
  relayHost = new URL(url).host;
  const origin = url.replace(/^http/, 'ws');
  relayAddress = `${origin}/$hc/${ENTITY}`;
  const assignments: RoleAssignment[] = [
    {principalId: VIEWER, role: 'Viewer', scope: {kind: 'namespace', namespace}},
  ];
  agent = await Agent.start({
    relay: {origin, entity: ENTITY, credential: {sasKeyName: SAS.name, sasKey: SAS.key}},
    // A browser's sender socket is a plain Hybrid Connections one: the agent must listen on a
    // control channel (`auto` would too, besides the mux).
    mode: 'websocket',
    cluster: await kubeconfigEndpoint(cluster.kubeconfigPath),
    authenticator: entraAuthenticator({
      validator: new EntraTokenValidator({
        issuers: [issuer.issuer],
        audiences: [API],
        tenants: [TENANT],
        fetch: issuer.fetch,
      }),
      agentToken: () => Promise.resolve(agentToken),
      roleAssignments: {assignments: () => Promise.resolve(assignments), cacheMs: 0},
    }),
    log: () => undefined,
    webSocket: nodeWebSocketFactory(),
  });

  expect(await admin(['create', 'namespace', namespace])).toMatchObject({code: 0});
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await admin(['-n', namespace, 'run', 'web', '--image=nginx'])).code === 0) break;
    await sleep(100); // until the namespace has its default service account
  }
  expect(
    await admin(['-n', namespace, 'wait', '--for=condition=Ready', 'pod/web', '--timeout=30s']),
  ).toMatchObject({code: 0});
});

afterAll(async () => {
  await agent.stop({drainMs: 0});
  await relay.close();
  await store.close();
  await admin(['delete', 'namespace', namespace, '--wait=false']);
  for (const args of [
    ['delete', 'clusterrolebinding', AGENT_ACCOUNT],
    ['delete', 'clusterrole', AGENT_ACCOUNT],
    ['-n', 'default', 'delete', 'serviceaccount', AGENT_ACCOUNT, NOBODY_ACCOUNT],
  ])
    await admin(args);
  await rm(scratch, {recursive: true, force: true});
});

describe('KubeClient through a relay and the agent (service-account token)', () => {
  let client: KubeClient;

  beforeAll(() => {
    client = clientWith(() => Promise.resolve(cluster.token));
  });

  afterAll(() => {
    client.close();
  });

  it('lists pods and reads the version, on one kept-alive connection', async () => {
    const pods = await client.list(PODS);
    expect(pods.items.map((pod) => pod.metadata?.name)).toEqual(['web']);
    expect(await client.get(PODS, 'web')).toMatchObject({kind: 'Pod', metadata: {name: 'web'}});
    expect(await client.request({path: '/version'})).toMatchObject({gitVersion: 'v1.36.3'});
    expect(client.connections).toBe(1);
  });

  it('watches from a list and receives an event caused after it started; closing ends the connection', async () => {
    const configMaps = {apiVersion: 'v1', resource: 'configmaps', namespace};
    const {metadata} = await client.list(configMaps);
    const events = await client.watch(configMaps, {
      ...(metadata.resourceVersion === undefined
        ? {}
        : {resourceVersion: metadata.resourceVersion}),
    });
    const before = agent.connections;
    expect(await admin(['-n', namespace, 'create', 'configmap', 'watched'])).toMatchObject({
      code: 0,
    });
    let seen: {type: string; name: string | undefined} | undefined;
    for await (const event of events) {
      seen = {type: event.type, name: event.object.metadata?.name};
      if (seen.name === 'watched') break;
    }
    expect(seen).toEqual({type: 'ADDED', name: 'watched'});
    // `break` cancelled the body: the stream, and the agent's connection with it, are gone.
    await waitFor('the watch connection to end at the agent', () =>
      agent.connections < before ? true : undefined,
    );
  });

  it("reads a pod's log, and follows lines written later", async () => {
    const once = (await client.logs('web', {namespace})).getReader();
    let whole = '';
    for (let read = await once.read(); !read.done; read = await once.read()) whole += read.value;
    expect(whole).toContain('porthole test cluster: container started');

    const logsFile = join(scratch, 'web.log');
    await writeFile(logsFile, criLogLines(['first line']));
    const rule = {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Logs',
      metadata: {name: 'web', namespace},
      spec: {logs: [{containers: ['web'], logsFile, follow: true}]},
    };
    expect(await admin(['apply', '-f', '-'], JSON.stringify(rule))).toMatchObject({code: 0});
    await sleep(300); // for kwok to see the rule
    const log = await client.logs('web', {namespace, follow: true});
    const reader = log.getReader();
    let text = '';
    const readUntil = async (line: string) => {
      while (!text.includes(line)) {
        const {done, value} = await reader.read();
        if (done) throw new Error(`log ended before "${line}": ${text}`);
        text += value;
      }
    };
    await readUntil('first line\n');
    await appendFile(logsFile, criLogLines(['a line written later']));
    await readUntil('a line written later\n');
    await reader.cancel();
  });

  it('execs echo hi: stdout "hi", exit code 0, over v5.channel.k8s.io', async () => {
    const session = await client.exec('web', {namespace, command: ['echo', 'hi']});
    expect(session.protocol).toBe('v5.channel.k8s.io');
    const [stdout, stderr, exit] = await Promise.all([
      readText(session.stdout),
      readText(session.stderr),
      session.exit,
    ]);
    expect({stdout, stderr, code: exit.code}).toEqual({stdout: 'hi\n', stderr: '', code: 0});
  });

  it('execs with stdin', async () => {
    // `head -n 1` ends by itself: kwok (v0.8.0) does not pass stdin's end to the command.
    const session: ExecSession = await client.exec('web', {
      namespace,
      command: ['head', '-n', '1'],
      stdin: true,
    });
    const writer = session.stdin.getWriter();
    await writer.write(new TextEncoder().encode('typed in the console\n'));
    expect(await readText(session.stdout)).toBe('typed in the console\n');
    expect((await session.exit).code).toBe(0);
  });

  it('rejects exit with the Status of a failed command, message kept', async () => {
    // kwok (v0.8.0) reports a failed command as an InternalError Status, where a kubelet sends
    // NonZeroExitCode with the code in details.causes (core's unit tests cover that one).
    const failing = await client.exec('web', {namespace, command: ['sh', '-c', 'exit 3']});
    await expect(failing.exit).rejects.toMatchObject({
      code: 'ERR_KUBE_STATUS',
      reason: 'InternalError',
      message: expect.stringContaining('sh -c exit 3: exit status 3'),
    });
  });

  it('turns a missing object into ERR_KUBE_STATUS 404 NotFound', async () => {
    await expect(client.get(PODS, 'absent')).rejects.toMatchObject({
      code: 'ERR_KUBE_STATUS',
      status: 404,
      reason: 'NotFound',
      message: 'pods "absent" not found',
    });
  });
});

describe('403s through the agent keep their message', () => {
  it("preserves the apiserver's 403 for a service account without rights", async () => {
    expect(
      await admin(['-n', 'default', 'create', 'serviceaccount', NOBODY_ACCOUNT]),
    ).toMatchObject({
      code: 0,
    });
    const token = await admin(['-n', 'default', 'create', 'token', NOBODY_ACCOUNT]);
    const client = clientWith(() => Promise.resolve(token.stdout.trim()));
    try {
      await expect(client.list(PODS)).rejects.toMatchObject({
        code: 'ERR_KUBE_STATUS',
        status: 403,
        reason: 'Forbidden',
        message: `pods is forbidden: User "system:serviceaccount:default:${NOBODY_ACCOUNT}" cannot list resource "pods" in API group "" in the namespace "${namespace}"`,
      });
    } finally {
      client.close();
    }
  });

  it("preserves the agent's 403 naming the action no role assignment gives, on a request and on exec's upgrade", async () => {
    const client = clientWith(() => issuer.sign({oid: VIEWER}));
    const action = (what: string) => `Microsoft.Kubernetes/connectedClusters/${what}`;
    try {
      const list = client.list({apiVersion: 'v1', resource: 'pods', namespace: 'default'});
      await expect(list).rejects.toMatchObject({
        code: 'ERR_KUBE_STATUS',
        status: 403,
        reason: 'Forbidden',
        message: `pods is forbidden: User "${VIEWER}" cannot list resource "pods" in API group "" in the namespace "default"; no Porthole role assignment gives ${VIEWER} ${action('pods/read')}`,
      });
      const exec = client.exec('web', {namespace, command: ['echo', 'hi']});
      const error = (await exec.then(
        () => undefined,
        (reason: unknown) => reason,
      )) as KubeError;
      expect(error).toMatchObject({code: 'ERR_KUBE_STATUS', status: 403, reason: 'Forbidden'});
      expect(error.message).toContain(
        `no Porthole role assignment gives ${VIEWER} ${action('pods/exec/action')}`,
      );
    } finally {
      client.close();
    }
  });
});

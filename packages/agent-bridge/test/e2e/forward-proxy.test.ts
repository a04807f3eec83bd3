/**
 * The agent and the bridge behind a corporate forward proxy (arc-cluster-connect.md, pain
 * #13): a real tinyproxy that demands credentials, and a relay behind a gate that only the
 * proxy's connections pass, so kubectl's answer proves both sides went through the proxy.
 * Wrong credentials fail the agent's start and kubectl's request with the proxy's status,
 * and the password shows up nowhere.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {RelayServer, SqliteRelayStore} from '@porthole/relay';
import {kubectl, startForwardProxy, startProxyOnlyGate} from '@porthole/testing';
import type {ProxyOnlyGate, TestForwardProxy} from '@porthole/testing';

import {Agent, kubeconfigEndpoint, nodeWebSocketFactory} from '../../src/index.js';
import type {KubeEndpoint, RelayTarget, TunnelMode} from '../../src/index.js';
import {startBridge} from './harness.js';

const cluster = inject('cluster');
const SAS = {name: 'e2e', key: 'e2e-proxy-key-0123456789'};
const PROXY_USER = 'porthole';
const PROXY_PASSWORD = 'proxy-pw-5f2c9e';

let dir: string;
let store: SqliteRelayStore;
let relay: RelayServer;
let proxy: TestForwardProxy;
let gate: ProxyOnlyGate;
let target: RelayTarget;
let endpoint: KubeEndpoint;

/** The environment of a machine whose only way out is the proxy. */
function proxyEnv(password: string) {
  const url = proxy.url.replace('http://', `http://${PROXY_USER}:${password}@`);
  // The relay is on 127.0.0.1 here: loopback must go through the proxy too.
  return {
    HTTPS_PROXY: url,
    HTTP_PROXY: url,
    NO_PROXY: 'other.example',
    PORTHOLE_PROXY_LOOPBACK: '1',
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-e2e-proxy-'));
  store = SqliteRelayStore.open(':memory:');
  await store.ensureHybridConnection('clusters/e2e');
  await store.putAuthorizationRule({
    entity: undefined,
    name: SAS.name,
    primaryKey: SAS.key,
    secondaryKey: undefined,
    rights: ['Listen', 'Send'],
  });
  relay = new RelayServer({store, log: () => undefined});
  const {url} = await relay.listen({host: '127.0.0.1', port: 0});
  proxy = await startForwardProxy({basicAuth: {user: PROXY_USER, password: PROXY_PASSWORD}});
  gate = await startProxyOnlyGate(Number(new URL(url).port), proxy);
  target = {
    origin: `ws://127.0.0.1:${gate.port}`,
    entity: 'clusters/e2e',
    credential: {sasKeyName: SAS.name, sasKey: SAS.key},
  };
  endpoint = await kubeconfigEndpoint(cluster.kubeconfigPath);
});

afterAll(async () => {
  await gate.close();
  await proxy.stop();
  await relay.close();
  await store.close();
  await rm(dir, {recursive: true, force: true});
});

describe.each(['mux', 'websocket'] as const)(
  'the agent and the bridge behind a forward proxy over %s',
  (mode: TunnelMode) => {
    it('serve kubectl with every connection to the relay going through the proxy', async () => {
      const env = proxyEnv(PROXY_PASSWORD);
      const connectsBefore = proxy.connects().length;
      const passedBefore = gate.passed;
      const agent = await Agent.start({
        relay: target,
        mode,
        cluster: endpoint,
        log: () => undefined,
        webSocket: nodeWebSocketFactory({env}),
      });
      const {bridge, kubeconfigPath} = await startBridge(
        `proxy-${mode}`,
        target,
        mode,
        cluster.token,
        dir,
        nodeWebSocketFactory({env}),
      );
      try {
        const result = await kubectl(kubeconfigPath, ['get', 'namespaces', '-o', 'name']);
        expect(result, result.stderr).toMatchObject({code: 0});
        expect(result.stdout).toContain('namespace/default');
      } finally {
        await bridge.close();
        await agent.stop({drainMs: 0});
      }
      const connects = proxy.connects().slice(connectsBefore);
      // The agent's listener, and the bridge's connection (mux) or its sender and the agent's
      // rendezvous (websocket): all CONNECTs to the gate, and every connection the gate passed.
      expect(connects.length).toBeGreaterThanOrEqual(2);
      expect(new Set(connects)).toEqual(new Set([`127.0.0.1:${gate.port}`]));
      expect(gate.passed - passedBefore).toBe(connects.length);
      expect(gate.refused).toBe(0);
    });
  },
);

describe('wrong proxy credentials', () => {
  it('fail the agent’s start with ERR_TUNNEL_PROXY_REFUSED and the proxy’s status, never the password', async () => {
    const logged: string[] = [];
    const started = Agent.start({
      relay: target,
      cluster: endpoint,
      log: (event, fields) => logged.push(JSON.stringify({event, ...fields})),
      webSocket: nodeWebSocketFactory({env: proxyEnv('wrong-pw-1')}),
    });
    const err = await started.catch((caught: unknown) => caught);
    // tinyproxy before 1.11.2 answers a wrong password with 401 (tinyproxy/tinyproxy#532).
    expect(err).toMatchObject({
      code: 'ERR_TUNNEL_PROXY_REFUSED',
      status: expect.toBeOneOf([401, 407]),
      proxy: proxy.url,
      message: expect.stringMatching(
        new RegExp(`^The proxy ${proxy.url} refused CONNECT 127\\.0\\.0\\.1:${gate.port}: 40[17] `),
      ),
      hint: 'The proxy refused the user name or password in HTTP_PROXY: check them (percent-encode @, : and / in them).',
    });
    const everything = `${JSON.stringify(err)} ${(err as Error).message} ${logged.join('\n')}`;
    expect(everything).not.toContain('wrong-pw-1');
    expect(everything).not.toContain(Buffer.from(`${PROXY_USER}:wrong-pw-1`).toString('base64'));
  });

  it('fail the bridge’s request with a 502 naming ERR_TUNNEL_PROXY_REFUSED, not the relay', async () => {
    const {bridge, kubeconfigPath} = await startBridge(
      'proxy-refused',
      target,
      'websocket',
      cluster.token,
      dir,
      nodeWebSocketFactory({env: proxyEnv('wrong-pw-2')}),
    );
    try {
      const result = await kubectl(kubeconfigPath, ['get', '--raw', '/version']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('ERR_TUNNEL_PROXY_REFUSED');
      expect(result.stderr).toContain(`The proxy ${proxy.url} refused CONNECT`);
      expect(result.stderr).not.toContain('ERR_TUNNEL_RELAY_UNREACHABLE');
      expect(result.stderr).not.toContain('wrong-pw-2');
    } finally {
      await bridge.close();
    }
  });
});

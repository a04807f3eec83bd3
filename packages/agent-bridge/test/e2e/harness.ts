import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {CertificateAuthority, createKubeconfig, serializeKubeconfig} from '@porthole/core';
import type {WebSocketFactory} from '@porthole/core/protocol';
import {RelayServer, SqliteRelayStore} from '@porthole/relay';
import {kubectl} from '@porthole/testing';
import type {KubectlBinary, KubectlResult} from '@porthole/testing';

import {
  Agent,
  BRIDGE_SERVER_DOMAIN,
  BridgeServer,
  clusterServerName,
  kubeconfigEndpoint,
  nodeWebSocketFactory,
} from '../../src/index.js';
import type {AgentOptions, RelayTarget, TunnelMode} from '../../src/index.js';

/** kubectl → bridge → relay → agent → kube-apiserver, all real, on loopback. */
export interface Harness {
  /** kubectl with a kubeconfig that points at the bridge and carries the service-account token. */
  kubectl(
    args: readonly string[],
    options?: {binary?: KubectlBinary; input?: string},
  ): Promise<KubectlResult>;
  kubeconfigPath: string;
  relay: RelayServer;
  relayUrl: string;
  /** What the relay logged: `{event, ...fields}`. */
  relayLog: ({event: string} & Record<string, unknown>)[];
  agent: Agent;
  bridge: BridgeServer;
  /** Starts the agent again after a test stopped it. */
  restartAgent(): Promise<void>;
  close(): Promise<void>;
}

const SAS = {name: 'e2e', key: 'e2e-key-0123456789'};

/** How a harness's relay and tokens differ from the defaults. */
export interface HarnessOptions {
  /** How long the tokens the agent and the bridge mint live (default an hour). */
  tokenLifetimeSeconds?: number;
  /** `false`: a relay that predates mux RENEW (PROTOCOL.md §3.7). */
  muxRenewal?: boolean;
  /** How long the relay lets a mux connection whose token expired drain (default 30 s). */
  muxDrainTimeoutMs?: number;
}

/**
 * Starts a relay, an agent and a bridge for the cluster; `mode` picks the tunnel both use,
 * `agentOptions` adjust the agent and `options` the relay and the tokens.
 */
export async function startHarness(
  cluster: {kubeconfigPath: string; token: string},
  mode: TunnelMode,
  agentOptions: Pick<AgentOptions, 'idleTimeoutMs' | 'authenticator'> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'porthole-e2e-'));
  const store = SqliteRelayStore.open(':memory:');
  await store.ensureHybridConnection('clusters/e2e');
  await store.putAuthorizationRule({
    entity: undefined,
    name: SAS.name,
    primaryKey: SAS.key,
    secondaryKey: undefined,
    rights: ['Listen', 'Send'],
  });
  const relayLog: Harness['relayLog'] = [];
  const relay = new RelayServer({
    store,
    log: (event, fields) => relayLog.push({event, ...fields}),
    ...(options.muxRenewal === undefined ? {} : {muxRenewal: options.muxRenewal}),
    ...(options.muxDrainTimeoutMs === undefined
      ? {}
      : {limits: {muxDrainTimeoutMs: options.muxDrainTimeoutMs}}),
  });
  const {url: relayUrl} = await relay.listen({host: '127.0.0.1', port: 0});
  const target = {
    origin: relayUrl.replace(/^http/, 'ws'),
    entity: 'clusters/e2e',
    credential: {
      sasKeyName: SAS.name,
      sasKey: SAS.key,
      ...(options.tokenLifetimeSeconds === undefined
        ? {}
        : {tokenLifetimeSeconds: options.tokenLifetimeSeconds}),
    },
  };
  const endpoint = await kubeconfigEndpoint(cluster.kubeconfigPath);
  const startAgent = () =>
    Agent.start({
      relay: target,
      ...agentOptions,
      mode,
      cluster: endpoint,
      log: () => undefined,
      webSocket: nodeWebSocketFactory(),
    });
  let agent = await startAgent();
  const {bridge, kubeconfigPath} = await startBridge('e2e', target, mode, cluster.token, dir);

  return {
    kubectl: (args, options = {}) => kubectl(kubeconfigPath, args, options),
    kubeconfigPath,
    relay,
    relayUrl,
    relayLog,
    get agent() {
      return agent;
    },
    bridge,
    restartAgent: async () => {
      agent = await startAgent();
    },
    close: async () => {
      await bridge.close();
      await agent.stop({drainMs: 0});
      await relay.close();
      await store.close();
      await rm(dir, {recursive: true, force: true});
    },
  };
}

/**
 * A bridge serving `name` through the relay `target` names, and a kubeconfig in `dir` that
 * points kubectl at it with `token` (a service-account token, passed through to the apiserver).
 * `webSocket` is how it reaches the relay (default: `nodeWebSocketFactory()`).
 */
export async function startBridge(
  name: string,
  target: RelayTarget,
  mode: TunnelMode,
  token: string,
  dir: string,
  webSocket?: WebSocketFactory,
): Promise<{bridge: BridgeServer; kubeconfigPath: string}> {
  const ca = await CertificateAuthority.create('porthole-e2e-bridge-ca');
  const serving = await ca.issue({
    commonName: 'porthole bridge',
    hosts: ['127.0.0.1', `*.${BRIDGE_SERVER_DOMAIN}`],
    usage: 'server',
  });
  const bridge = await BridgeServer.listen({
    host: '127.0.0.1',
    port: 0,
    tls: {certPem: serving.certPem, keyPem: serving.keyPem},
    controlSecret: 'unused-in-these-tests',
    ...(webSocket ? {webSocket} : {}),
    control: () => Promise.resolve(),
    log: () => undefined,
  });
  bridge.addCluster({name, relay: target, mode});

  const kubeconfigPath = join(dir, `kubeconfig-${name}`);
  const config = createKubeconfig({
    name: `porthole-${name}`,
    server: `https://127.0.0.1:${bridge.port}/clusters/${name}`,
    certificateAuthorityPem: ca.certPem,
    credential: {token},
    namespace: 'default',
    tlsServerName: clusterServerName(name),
  });
  await writeFile(kubeconfigPath, serializeKubeconfig(config), {mode: 0o600});
  return {bridge, kubeconfigPath};
}

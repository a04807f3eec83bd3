/**
 * `porthole agent run --cluster` and `porthole doctor` on a machine whose only way out is a
 * forward proxy with credentials (arc-cluster-connect.md, pain #13): a real tinyproxy, and a
 * relay behind a gate that only the proxy's connections pass. The agent's control-plane calls
 * and WebSockets go through it; doctor checks the way through it, and names the proxy when it
 * refuses.
 */
import {randomBytes, randomUUID} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {AGENT_VERSION} from '@porthole/agent-bridge';
import {RelayServer, SqliteRelayStore} from '@porthole/relay';
import {startForwardProxy, startProxyOnlyGate} from '@porthole/testing';
import type {LineProcess, ProxyOnlyGate, TestForwardProxy} from '@porthole/testing';

import {porthole, runPorthole} from './processes.js';

const cluster = inject('cluster');
const KEY = randomBytes(32).toString('base64');
const PASSWORD = 'cli-proxy-pw-8d1e';

let dir: string;
let store: SqliteRelayStore;
let relay: RelayServer;
let proxy: TestForwardProxy;
let gate: ProxyOnlyGate;
let relayUrl: string;
let agent: LineProcess | undefined;

/** The proxy variables of a machine behind `proxy`; the relay is on loopback here. */
function proxyEnv(password: string): NodeJS.ProcessEnv {
  const url = proxy.url.replace('http://', `http://porthole:${password}@`);
  return {
    HTTPS_PROXY: url,
    HTTP_PROXY: url,
    NO_PROXY: 'other.example',
    PORTHOLE_PROXY_LOOPBACK: '1',
    PORTHOLE_HOME: join(dir, 'home'),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-cli-proxy-'));
  store = SqliteRelayStore.open(':memory:');
  relay = new RelayServer({
    store,
    log: () => undefined,
    controlPlane: {
      entra: undefined,
      administrators: [],
      limits: {heartbeatIntervalMs: 1000},
    },
  });
  const {url} = await relay.listen({host: '127.0.0.1', port: 0});
  proxy = await startForwardProxy({basicAuth: {user: 'porthole', password: PASSWORD}});
  gate = await startProxyOnlyGate(Number(new URL(url).port), proxy);
  relayUrl = `http://127.0.0.1:${gate.port}`;
  await store.createCluster({
    name: 'behind-proxy',
    id: randomUUID(),
    createdBy: 'e2e',
    createdAt: new Date().toISOString(),
    rules: [
      {
        entity: 'clusters/behind-proxy',
        name: 'porthole-agent',
        primaryKey: KEY,
        secondaryKey: undefined,
        rights: ['Listen'],
      },
    ],
  });
});

afterAll(async () => {
  await agent?.stop();
  await gate.close();
  await proxy.stop();
  await relay.close();
  await store.close();
  await rm(dir, {recursive: true, force: true});
});

describe('porthole behind a forward proxy', () => {
  it('runs the agent: configuration, heartbeats and the listener all through the proxy', async () => {
    const keyFile = join(dir, 'agent-key');
    await writeFile(keyFile, KEY, {mode: 0o600});
    agent = porthole(
      [
        'agent',
        'run',
        '--relay',
        relayUrl,
        '--cluster',
        'behind-proxy',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--agent-key-file',
        keyFile,
      ],
      proxyEnv(PASSWORD),
    );
    await agent.line(/^listening on ws:\/\/127\.0\.0\.1:\d+\/\$hc\/clusters\/behind-proxy$/);
    const deadline = Date.now() + 20_000;
    let record = await store.getCluster('behind-proxy');
    while (record?.agentVersion === undefined && Date.now() < deadline) {
      await sleep(100);
      record = await store.getCluster('behind-proxy');
    }
    expect(record, agent.stderr).toMatchObject({agentVersion: AGENT_VERSION, agentErrors: []});
    expect(proxy.connects().length).toBeGreaterThanOrEqual(3);
    expect(new Set(proxy.connects())).toEqual(new Set([`127.0.0.1:${gate.port}`]));
    expect(gate.refused).toBe(0);
    expect(agent.stderr).not.toContain(PASSWORD);
  });

  it('checks the relay through the proxy with doctor, saying so', async () => {
    const before = proxy.connects().length;
    const doctor = await runPorthole(
      ['doctor', '-n', 'behind-proxy', '--relay', relayUrl],
      proxyEnv(PASSWORD),
    );
    expect(doctor.stdout).toContain(
      `✓ Relay accepts connections: 127.0.0.1:${gate.port} answers through proxy ${proxy.url}, /healthz 200`,
    );
    expect(doctor.stdout).toContain(
      '✓ WebSocket upgrade reaches the relay: the relay answered the upgrade itself (401 without a token, as it should)',
    );
    // Nobody is signed in on this machine: doctor stops there.
    expect(doctor.stdout).toContain('✗ Signed in');
    expect(doctor.code).toBe(1);
    // The CONNECT of the check, the /healthz call and the upgrade.
    expect(proxy.connects().length - before).toBe(3);
    expect(gate.refused).toBe(0);
  });

  it('names the proxy and its refusal in doctor when the credentials are wrong, never the password', async () => {
    const doctor = await runPorthole(
      ['doctor', '-n', 'behind-proxy', '--relay', relayUrl],
      proxyEnv('wrong-cli-pw'),
    );
    expect(doctor.code).toBe(1);
    // tinyproxy before 1.11.2 answers a wrong password with 401 (tinyproxy/tinyproxy#532).
    expect(doctor.stdout).toMatch(
      new RegExp(
        `^✗ Relay accepts connections: ERR_TUNNEL_PROXY_REFUSED: The proxy ${proxy.url.replaceAll('.', '\\.')} refused CONNECT 127\\.0\\.0\\.1:${gate.port}: 40[17] .*$`,
        'm',
      ),
    );
    expect(doctor.stdout).toContain(
      `  → The proxy refused the user name or password in HTTP_PROXY: check them (percent-encode @, : and / in them). The proxy is ${proxy.url}, from HTTP_PROXY; NO_PROXY lists the hosts that go direct.`,
    );
    expect(doctor.stdout + doctor.stderr).not.toContain('wrong-cli-pw');
  });
});

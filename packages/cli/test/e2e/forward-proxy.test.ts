/**
 * `porthole agent run --cluster` and `porthole doctor` on a machine whose only way out is a
 * forward proxy with credentials (arc-cluster-connect.md, pain #13): a real tinyproxy, and a
 * relay behind a gate that only the proxy's connections pass. The agent's control-plane calls
 * and WebSockets go through it; doctor checks the way through it, and names the proxy when it
 * refuses. `porthole login` and `porthole get-token` reach the identity provider — behind a gate
 * too — through it: MSAL's own calls included.
 */
import {randomBytes, randomUUID} from 'node:crypto';
import {subscribe, unsubscribe} from 'node:diagnostics_channel';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import type {Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {AGENT_VERSION} from '@porthole/agent-bridge';
import {
  DevIdentityProvider,
  ensureDevDirectory,
  RelayServer,
  SqliteRelayStore,
} from '@porthole/relay';
import type {DevDirectory} from '@porthole/relay';
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

/**
 * A gate at an in-process server's own port: connections to it from anywhere but the proxy's
 * outgoing address are closed as they are accepted (`net.server.socket`), before a byte is read.
 * {@link startProxyOnlyGate} needs a port of its own, and the identity provider cannot be
 * called at another port than its issuer's: MSAL checks that the discovery document's `issuer`
 * has the authority's origin (OpenID Connect Discovery 1.0 §4.3).
 */
function gateOwnPort(
  port: number,
  proxy: Pick<TestForwardProxy, 'outgoingAddress'>,
): Omit<ProxyOnlyGate, 'close'> & {close(): void} {
  let passed = 0;
  let refused = 0;
  const onSocket = (message: unknown) => {
    const {socket} = message as {socket: Socket};
    if (socket.localPort !== port) return;
    if (socket.remoteAddress === proxy.outgoingAddress) {
      passed++;
      return;
    }
    refused++;
    socket.destroy();
  };
  subscribe('net.server.socket', onSocket);
  return {
    port,
    get passed() {
      return passed;
    },
    get refused() {
      return refused;
    },
    close: () => unsubscribe('net.server.socket', onSocket),
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

describe('porthole login and get-token behind a forward proxy', () => {
  let home: string;
  let caPath: string;
  let directory: DevDirectory;
  let idp: DevIdentityProvider;
  let idpGate: ReturnType<typeof gateOwnPort>;
  let signInStore: SqliteRelayStore;
  let signInRelay: RelayServer;
  let signInGate: ProxyOnlyGate;
  let signInRelayUrl: string;

  beforeAll(async () => {
    home = join(dir, 'sign-in-home');
    directory = await ensureDevDirectory(join(dir, 'dev-identity', 'directory.json'));
    // Under MSAL's 5-minute renewal offset: every get-token refreshes at the token endpoint.
    idp = await DevIdentityProvider.start({
      directory,
      accessTokenTtlSeconds: 120,
      log: () => undefined,
    });
    caPath = join(dir, 'dev-identity', 'ca.pem');
    await writeFile(caPath, idp.caPem);
    idpGate = gateOwnPort(Number(new URL(idp.issuer).port), proxy);
    signInStore = SqliteRelayStore.open(':memory:');
    signInRelay = new RelayServer({
      store: signInStore,
      log: () => undefined,
      controlPlane: {
        entra: undefined,
        administrators: [],
        signIn: {
          authority: idp.authority,
          tenantId: directory.tenantId,
          serverApp: directory.api.clientId,
          clientId: directory.publicClients?.[0]?.clientId ?? '',
        },
      },
    });
    const {url} = await signInRelay.listen({host: '127.0.0.1', port: 0});
    signInGate = await startProxyOnlyGate(Number(new URL(url).port), proxy);
    signInRelayUrl = `http://127.0.0.1:${signInGate.port}`;
  });

  afterAll(async () => {
    await signInGate.close();
    await signInRelay.close();
    await signInStore.close();
    idpGate.close();
    await idp.close();
  });

  /**
   * A machine whose way out is the proxy: the relay (`http://`) through `HTTP_PROXY`, the
   * identity provider (`https://`) through `HTTPS_PROXY`, each with its own password.
   */
  function signInEnv(passwords: {relay: string; idp: string}, extra: NodeJS.ProcessEnv = {}) {
    const withPassword = (password: string) =>
      proxy.url.replace('http://', `http://porthole:${password}@`);
    return {
      HTTP_PROXY: withPassword(passwords.relay),
      HTTPS_PROXY: withPassword(passwords.idp),
      PORTHOLE_PROXY_LOOPBACK: '1',
      PORTHOLE_HOME: home,
      NODE_EXTRA_CA_CERTS: caPath,
      ...extra,
    };
  }

  const idpConnects = () => proxy.connects().filter((to) => to === `127.0.0.1:${idpGate.port}`);

  it('signs in with --dev-user, MSAL calling the identity provider through the proxy', async () => {
    const before = idpConnects().length;
    const login = await runPorthole(
      ['login', '--relay', signInRelayUrl, '--dev-user', 'dev'],
      signInEnv({relay: PASSWORD, idp: PASSWORD}),
    );
    expect(login, login.stderr).toMatchObject({code: 0});
    expect(login.stdout).toMatch(
      new RegExp(
        `^Signed in as dev@porthole\\.local \\(user ${directory.users?.[0]?.objectId ?? ''}, tenant ${directory.tenantId}\\)\\.$`,
      ),
    );
    // Authority discovery and the token endpoint, at least.
    expect(idpConnects().length - before).toBeGreaterThanOrEqual(2);
    expect(idpGate.refused).toBe(0);
    expect(signInGate.refused).toBe(0);
  });

  it('refreshes the token with get-token through the proxy', async () => {
    const before = idpConnects().length;
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const getToken = await runPorthole(
        ['get-token'],
        signInEnv({relay: PASSWORD, idp: PASSWORD}),
      );
      expect(getToken, getToken.stderr).toMatchObject({code: 0});
      const credential = JSON.parse(getToken.stdout) as {status: {token: string}};
      tokens.push(credential.status.token);
    }
    // A fresh token each time: each came from the token endpoint, through the proxy.
    expect(new Set(tokens).size).toBe(2);
    expect(idpConnects().length - before).toBeGreaterThanOrEqual(2);
    expect(idpGate.refused).toBe(0);
  });

  it('fails with the proxy’s ERR_TUNNEL_PROXY_REFUSED when it refuses the password, never printing it', async () => {
    const wrong = 'wrong-idp-pw-77';
    const login = await runPorthole(
      ['login', '--relay', signInRelayUrl, '--dev-user', 'dev', '--verbose'],
      signInEnv({relay: PASSWORD, idp: wrong}),
    );
    expect(login.code).toBe(1);
    // tinyproxy before 1.11.2 answers a wrong password with 401 (tinyproxy/tinyproxy#532).
    expect(login.stderr).toMatch(
      new RegExp(
        `^error ERR_TUNNEL_PROXY_REFUSED: The proxy ${proxy.url.replaceAll('.', '\\.')} refused CONNECT 127\\.0\\.0\\.1:${idpGate.port}: 40[17] .*\\nhint: The proxy refused the user name or password in HTTPS_PROXY: check them \\(percent-encode @, : and / in them\\)\\.\\n`,
      ),
    );
    const getToken = await runPorthole(['get-token'], signInEnv({relay: PASSWORD, idp: wrong}));
    expect(getToken.code).toBe(1);
    expect(getToken.stderr).toMatch(/^error ERR_TUNNEL_PROXY_REFUSED: /);
    for (const output of [login.stdout, login.stderr, getToken.stdout, getToken.stderr])
      expect(output).not.toContain(wrong);
    expect(idpGate.refused).toBe(0);
  });

  it('goes direct to a host NO_PROXY lists: the gate then turns MSAL away', async () => {
    const before = idpConnects().length;
    const refused = idpGate.refused;
    const login = await runPorthole(
      ['login', '--relay', signInRelayUrl, '--dev-user', 'dev'],
      signInEnv({relay: PASSWORD, idp: PASSWORD}, {NO_PROXY: `127.0.0.1:${idpGate.port}`}),
    );
    expect(login.code).toBe(1);
    // What the discovery met, which MSAL itself reports only as an authority it cannot resolve.
    expect(login.stderr).toMatch(
      new RegExp(
        `^error ERR_CLI_SIGN_IN_FAILED: Sign-in failed: the identity provider does not answer \\(GET https://127\\.0\\.0\\.1:${idpGate.port}/\\S+ failed: `,
      ),
    );
    expect(login.stderr).toContain('hint: Check --tenant/--authority and your network');
    expect(idpGate.refused).toBeGreaterThan(refused);
    expect(idpConnects().length).toBe(before);
  });
});

/**
 * The porthole command end to end, as people run it: `relay serve`, `agent run` and
 * `proxy` as separate processes, stock kubectl against the real test cluster.
 */
import {once} from 'node:events';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:net';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, afterEach, beforeAll, describe, expect, inject, it} from 'vitest';
import {parse} from 'yaml';

import {CertificateAuthority} from '@porthole/core';
import {freePort, kubectl} from '@porthole/testing';
import type {LineProcess} from '@porthole/testing';

import {porthole, relayServeArgs, relayWebSocketUrl} from './processes.js';

const cluster = inject('cluster');
const KEY = 'cli-e2e-key';

let home: string;
let env: NodeJS.ProcessEnv;
let relay: LineProcess;
let relayUrl: string;
const processes: LineProcess[] = [];

function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}): LineProcess {
  const process = porthole(args, {...env, ...extraEnv});
  processes.push(process);
  return process;
}

async function agent(entity: string, extra: string[] = []): Promise<LineProcess> {
  const running = start([
    'agent',
    'run',
    '--relay',
    relayUrl,
    '--hybrid-connection',
    entity,
    '--sas-key-name',
    'dev',
    '--kubeconfig',
    cluster.kubeconfigPath,
    ...extra,
  ]);
  await running.line(/^listening on /);
  return running;
}

function proxyArgs(name: string, port: number, extra: string[] = []): string[] {
  return [
    'proxy',
    '-n',
    name,
    '--port',
    String(port),
    '--relay',
    relayUrl,
    '--sas-key-name',
    'dev',
    '--token',
    cluster.token,
    ...extra,
  ];
}

async function contexts(path: string): Promise<string[]> {
  const document = parse(await readFile(path, 'utf8').catch(() => '{}')) as {
    contexts?: {name: string}[];
  } | null;
  return (document?.contexts ?? []).map((context) => context.name).sort();
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'porthole-cli-e2e-'));
  env = {PORTHOLE_HOME: home, PORTHOLE_SAS_KEY: KEY};
  relay = start(
    relayServeArgs({
      dataDir: join(home, 'relay'),
      entities: ['clusters/dev', 'clusters/other'],
      sasKey: KEY,
    }),
  );
  relayUrl = await relayWebSocketUrl(relay);
});

afterAll(async () => {
  for (const process of processes.reverse()) await process.stop();
  await rm(home, {recursive: true, force: true});
});

describe('porthole proxy', () => {
  let port: number;
  const stopBridge = async () => {
    const stop = start(['proxy', 'stop', '--port', String(port)]);
    expect(await stop.exit()).toBe(0);
  };

  beforeAll(async () => {
    port = await freePort();
    await agent('clusters/dev');
    await agent('clusters/other');
  });
  afterEach(stopBridge);

  it('serves a cluster to kubectl; a second proxy joins the running bridge; Ctrl-C removes its cluster and context', async () => {
    const dev = start(proxyArgs('dev', port));
    await dev.line(/^Press Ctrl\+C to close proxy\.$/);
    expect(dev.lines).toContain("Start sending kubectl requests on 'porthole-dev' context…");
    const kubeconfigPath = (await dev.line(/^Kubeconfig: (.+)$/))[1] ?? '';
    expect(kubeconfigPath).toBe(join(home, 'bridge', 'kubeconfig'));
    expect(
      await kubectl(kubeconfigPath, [
        '--context',
        'porthole-dev',
        'get',
        'ns',
        'default',
        '-o',
        'name',
      ]),
    ).toMatchObject({code: 0, stdout: 'namespace/default\n'});

    const other = start(proxyArgs('other', port));
    await other.line(/^Press Ctrl\+C to close proxy\.$/);
    expect(await contexts(kubeconfigPath)).toEqual(['porthole-dev', 'porthole-other']);
    expect(
      await kubectl(kubeconfigPath, ['--context', 'porthole-other', 'get', '--raw', '/version']),
    ).toMatchObject({code: 0});

    const status = start(['proxy', 'status', '--port', String(port), '-o', 'json']);
    expect(await status.exit()).toBe(0);
    const shown = JSON.parse(status.lines.join('\n')) as {
      clusters: {cluster: string; hold: boolean}[];
    };
    expect(shown.clusters.map((c) => [c.cluster, c.hold]).sort()).toEqual([
      ['dev', true],
      ['other', true],
    ]);

    const devExit = await dev.stop('SIGINT');
    expect(devExit, dev.stderr).toBe(0);
    for (let i = 0; i < 50 && (await contexts(kubeconfigPath)).includes('porthole-dev'); i++)
      await sleep(100);
    expect(await contexts(kubeconfigPath)).toEqual(['porthole-other']);
    expect(
      await kubectl(kubeconfigPath, [
        '--context',
        'porthole-other',
        'get',
        'ns',
        'default',
        '-o',
        'name',
      ]),
    ).toMatchObject({code: 0});
    expect(await other.stop('SIGINT')).toBe(0);
  });

  it('writes into a kubeconfig named with -f, prints one with -f -, and returns once ready with --daemon', async () => {
    const own = join(home, 'own-kubeconfig');
    await writeFile(
      own,
      'apiVersion: v1\nkind: Config\ncurrent-context: mine\ncontexts:\n- name: mine\n  context: {cluster: mine, user: mine}\nclusters:\n- name: mine\n  cluster: {server: "https://example.invalid"}\nusers:\n- name: mine\n  user: {}\n',
    );
    const daemon = start(
      proxyArgs('dev', port, ['-f', own, '--daemon', '--kube-context', 'dev-through-porthole']),
    );
    expect(await daemon.exit()).toBe(0);
    expect(await contexts(own)).toEqual(['dev-through-porthole', 'mine']);
    expect(
      (parse(await readFile(own, 'utf8')) as {'current-context': string})['current-context'],
    ).toBe('mine');
    expect(
      await kubectl(own, ['--context', 'dev-through-porthole', 'auth', 'can-i', 'get', 'pods']),
    ).toMatchObject({code: 0, stdout: 'yes\n'});

    const printed = start(proxyArgs('other', port, ['-f', '-', '--daemon']));
    expect(await printed.exit()).toBe(0);
    const printedPath = join(home, 'printed-kubeconfig');
    await writeFile(printedPath, printed.lines.join('\n'));
    expect(await kubectl(printedPath, ['get', 'ns', 'default', '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'namespace/default\n',
    });

    await stopBridge();
    expect(await contexts(own)).toEqual(['mine']);
  });

  it.each([
    [
      'no agent listening',
      () => proxyArgs('nobody', port),
      'ERR_TUNNEL_NO_AGENT',
      'Start one with: porthole agent run',
    ],
    [
      'a rejected credential',
      () => proxyArgs('dev', port, ['--sas-key', 'wrong-key']),
      'ERR_TUNNEL_CREDENTIAL_REJECTED',
      'Check --sas-key-name/--sas-key',
    ],
    [
      'an unreachable relay',
      () => [
        'proxy',
        '-n',
        'dev',
        '--port',
        String(port),
        '--relay',
        'ws://127.0.0.1:1',
        '--sas-key-name',
        'dev',
      ],
      'ERR_TUNNEL_RELAY_UNREACHABLE',
      'Check --relay',
    ],
  ])('fails with a stable code and a hint for %s', async (_case, args, code, hint) => {
    const failing = start(args());
    expect(await failing.exit()).toBe(1);
    expect(failing.stderr).toMatch(
      new RegExp(`^error ${code}: .+\\nhint: ${hint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm'),
    );
  });

  it('fails with ERR_TUNNEL_CERTIFICATE for a relay whose certificate is not trusted', async () => {
    const ca = await CertificateAuthority.create('untrusted-relay-ca');
    const serving = await ca.issue({commonName: 'relay', hosts: ['127.0.0.1'], usage: 'server'});
    await writeFile(join(home, 'relay.crt'), serving.certPem);
    await writeFile(join(home, 'relay.key'), serving.keyPem);
    const tlsRelay = start(
      relayServeArgs({
        dataDir: join(home, 'tls-relay'),
        entities: ['clusters/dev'],
        sasKey: KEY,
        extra: ['--tls-cert', join(home, 'relay.crt'), '--tls-key', join(home, 'relay.key')],
      }),
    );
    const url = await relayWebSocketUrl(tlsRelay);
    const failing = start([
      'proxy',
      '-n',
      'dev',
      '--port',
      String(port),
      '--relay',
      url,
      '--sas-key-name',
      'dev',
    ]);
    expect(await failing.exit()).toBe(1);
    expect(failing.stderr).toMatch(
      /^error ERR_TUNNEL_CERTIFICATE: The relay's certificate is not trusted \(.+\)\nhint: Trust the relay's CA with NODE_EXTRA_CA_CERTS/m,
    );
  });

  it('fails with ERR_BRIDGE_PORT_TAKEN when another program holds the port', async () => {
    const blocker = createServer((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nnot a bridge'));
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const taken = (blocker.address() as AddressInfo).port;
    const failing = start(proxyArgs('dev', taken));
    const code = await failing.exit();
    blocker.close();
    expect(code).toBe(1);
    expect(failing.stderr).toMatch(
      new RegExp(
        `^error ERR_BRIDGE_PORT_TAKEN: Port ${taken} on 127\\.0\\.0\\.1 is taken by another program\\nhint: Pick another port with --port`,
        'm',
      ),
    );
  });
});

describe('porthole agent run', () => {
  it('exits 1 with ERR_TUNNEL_CREDENTIAL_REJECTED when the relay refuses its credential', async () => {
    const rejected = start([
      'agent',
      'run',
      '--relay',
      relayUrl,
      '--hybrid-connection',
      'clusters/dev',
      '--sas-key-name',
      'dev',
      '--sas-key',
      'wrong',
      '--kubeconfig',
      cluster.kubeconfigPath,
    ]);
    expect(await rejected.exit()).toBe(1);
    expect(rejected.stderr).toMatch(
      /^error ERR_TUNNEL_CREDENTIAL_REJECTED: The relay refused the credential for .+ \(401\)\nhint: Check --sas-key-name\/--sas-key \(a rule with Listen\)/m,
    );
  });

  it('is serving again within 3 s of its relay being killed and restarted', async () => {
    const port = await freePort();
    const data = join(home, 'restart-relay');
    const relayArgs = relayServeArgs({
      dataDir: data,
      entities: ['clusters/restart'],
      sasKey: KEY,
      listen: `127.0.0.1:${port}`,
    });
    let restartRelay = start(relayArgs);
    await restartRelay.line(/^listening on /);
    const url = `ws://127.0.0.1:${port}`;
    const agentProcess = start([
      'agent',
      'run',
      '--relay',
      url,
      '--hybrid-connection',
      'clusters/restart',
      '--sas-key-name',
      'dev',
      '--kubeconfig',
      cluster.kubeconfigPath,
    ]);
    await agentProcess.line(/^listening on /);
    const bridgePort = await freePort();
    const proxy = start([
      'proxy',
      '-n',
      'restart',
      '--port',
      String(bridgePort),
      '--relay',
      url,
      '--hybrid-connection',
      'clusters/restart',
      '--sas-key-name',
      'dev',
      '--token',
      cluster.token,
    ]);
    await proxy.line(/^Press Ctrl\+C/);
    const kubeconfigPath = join(home, 'bridge', 'kubeconfig');
    const works = async () =>
      (
        await kubectl(kubeconfigPath, [
          '--context',
          'porthole-restart',
          '--request-timeout',
          '2s',
          'get',
          'ns',
          'default',
          '-o',
          'name',
        ])
      ).code === 0;
    expect(await works()).toBe(true);

    expect(await restartRelay.stop('SIGKILL')).toBe(null);
    restartRelay = start(relayArgs);
    await restartRelay.line(/^listening on /);
    const restartedAt = Date.now();
    let servingAfter = Infinity;
    while (Date.now() - restartedAt < 10_000) {
      if (await works()) {
        servingAfter = Date.now() - restartedAt;
        break;
      }
      await sleep(100);
    }
    expect(servingAfter).toBeLessThan(3000);
    await proxy.stop('SIGINT');
    const stop = start(['proxy', 'stop', '--port', String(bridgePort)]);
    expect(await stop.exit()).toBe(0);
  });
});

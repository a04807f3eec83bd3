/**
 * A thousand watches through one agent at once (HTTP/2 from the client to the bridge, as
 * kubectl speaks it; then the mux, or a Hybrid Connections rendezvous per watch): all stay open and all receive
 * the event that follows. The relay's and the agent's memory are measured and printed.
 */
import {once} from 'node:events';
import {readFile, mkdtemp, rm} from 'node:fs/promises';
import {connect} from 'node:http2';
import type {ClientHttp2Session} from 'node:http2';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, expect, inject, it} from 'vitest';
import {parse} from 'yaml';

import {freePort, kubectl} from '@porthole/testing';
import type {LineProcess} from '@porthole/testing';

import {porthole, relayServeArgs, relayWebSocketUrl} from './processes.js';

const cluster = inject('cluster');
const WATCHES = 1000;
const KEY = 'watch-key';
const started: LineProcess[] = [];
let home = '';
let stopBridge: () => Promise<unknown> = () => Promise.resolve();

afterEach(async () => {
  await stopBridge();
  stopBridge = () => Promise.resolve();
  for (const process of started.splice(0).reverse()) await process.stop();
  if (home) await rm(home, {recursive: true, force: true});
  home = '';
});

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) / 1024;
}

it.each(['mux', 'websocket'])(
  `keeps ${WATCHES} watches open through one agent (%s), and every one receives the next event`,
  async (tunnel) => {
    home = await mkdtemp(join(tmpdir(), 'porthole-watches-'));
    const env = {PORTHOLE_HOME: home, PORTHOLE_SAS_KEY: KEY};
    const start = (args: string[]) => {
      const process = porthole(args, env);
      started.push(process);
      return process;
    };
    const relay = start(
      relayServeArgs({dataDir: join(home, 'relay'), entities: ['clusters/w'], sasKey: KEY}),
    );
    const relayUrl = await relayWebSocketUrl(relay);
    const agent = start([
      'agent',
      'run',
      '--relay',
      relayUrl,
      '--hybrid-connection',
      'clusters/w',
      '--sas-key-name',
      'dev',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--tunnel',
      tunnel,
    ]);
    await agent.line(/^listening on /);
    const port = await freePort();
    const proxy = start([
      'proxy',
      '-n',
      'w',
      '--port',
      String(port),
      '--relay',
      relayUrl,
      '--sas-key-name',
      'dev',
      '--token',
      cluster.token,
      '--tunnel',
      tunnel,
      '--daemon',
    ]);
    expect(await proxy.exit()).toBe(0);
    stopBridge = async () => {
      await porthole(['proxy', 'stop', '--port', String(port)], env).exit();
    };

    const namespace = `many-watches-${tunnel}`;
    expect(await kubectl(cluster.kubeconfigPath, ['create', 'namespace', namespace])).toMatchObject(
      {code: 0},
    );
    const list = await kubectl(cluster.kubeconfigPath, [
      'get',
      'configmaps',
      '-n',
      namespace,
      '-o',
      'jsonpath={.metadata.resourceVersion}',
    ]);
    const resourceVersion = list.stdout.trim();

    const before = {
      relay: await rssMiB(relay.pid),
      agent: await rssMiB(agent.pid),
    };
    const kubeconfig = parse(await readFile(join(home, 'bridge', 'kubeconfig'), 'utf8')) as {
      clusters: {cluster: {'certificate-authority-data': string; 'tls-server-name': string}}[];
    };
    const trust = kubeconfig.clusters[0]?.cluster;
    const session: ClientHttp2Session = connect(`https://127.0.0.1:${port}`, {
      ca: Buffer.from(trust?.['certificate-authority-data'] ?? '', 'base64').toString(),
      servername: trust?.['tls-server-name'],
      // One client connection, many streams: as kubectl would use it.
      settings: {maxConcurrentStreams: WATCHES * 2},
    });
    await once(session, 'remoteSettings');
    const received: boolean[] = [];
    const opened: Promise<void>[] = [];
    for (let i = 0; i < WATCHES; i++) {
      const stream = session.request({
        ':path': `/clusters/w/api/v1/namespaces/${namespace}/configmaps?watch=true&resourceVersion=${resourceVersion}&allowWatchBookmarks=false`,
        authorization: `Bearer ${cluster.token}`,
      });
      received.push(false);
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('"name":"ping"')) received[i] = true;
      });
      stream.on('error', () => undefined);
      opened.push(
        new Promise((resolve, reject) => {
          stream.once('response', (headers) =>
            headers[':status'] === 200
              ? resolve()
              : reject(new Error(`watch ${i}: ${String(headers[':status'])}`)),
          );
          stream.once('close', () =>
            reject(new Error(`watch ${i} closed before its response (${String(stream.rstCode)})`)),
          );
        }),
      );
    }
    const openStarted = Date.now();
    await Promise.all(opened);
    const openMs = Date.now() - openStarted;
    const during = {
      relay: await rssMiB(relay.pid),
      agent: await rssMiB(agent.pid),
    };

    expect(
      await kubectl(cluster.kubeconfigPath, ['create', 'configmap', 'ping', '-n', namespace]),
    ).toMatchObject({code: 0});
    const deadline = Date.now() + 30_000;
    while (received.some((got) => !got) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const eventMs = Date.now() - (deadline - 30_000);
    session.close();
    await kubectl(cluster.kubeconfigPath, ['delete', 'namespace', namespace, '--wait=false']);

    console.log(
      `${WATCHES} watches: open in ${openMs} ms, event delivered to all in ${eventMs} ms; ` +
        `RSS relay ${before.relay.toFixed(0)} → ${during.relay.toFixed(0)} MiB, agent ${before.agent.toFixed(0)} → ${during.agent.toFixed(0)} MiB`,
    );
    expect(received.filter(Boolean)).toHaveLength(WATCHES);
  },
  180_000,
);

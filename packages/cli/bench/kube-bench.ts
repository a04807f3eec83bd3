/**
 * `npm run bench`, second part: kubectl's traffic to a real kube-apiserver, sent directly and
 * through Porthole — bridge → relay → agent → apiserver, each a `porthole` process of its own,
 * the relay on TLS — over Hybrid Connections (a WebSocket per tunnelled connection) and over
 * the mux.
 *
 * Clients speak HTTP/2 with a service-account token, as kubectl does. For each path it measures,
 * interleaving the paths request by request so that background load (the test cluster shares
 * the machine) falls on all of them alike:
 *   - a small GET on a warm connection: median and p99, and what Porthole adds to direct;
 *   - the first request on a new connection: TLS handshake plus `GET /version`;
 *   - listing 5,000 ConfigMaps (about 7 MB): in one response, and in pages of 500 as kubectl
 *     pages them.
 */
import {once} from 'node:events';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {connect} from 'node:http2';
import type {ClientHttp2Session} from 'node:http2';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';

import {CertificateAuthority} from '@porthole/core';
import {
  formatTable,
  freePort,
  LineProcess,
  rssMiB,
  serviceAccountToken,
  spread,
  startTestCluster,
} from '@porthole/testing';
import type {Spread, TestCluster} from '@porthole/testing';
import {parse} from 'yaml';

const WARM_REQUESTS = 2000;
const NEW_CONNECTIONS = 200;
const CONFIGMAPS = 5000;
const LISTS = 10;
const PAGE = 500;
const REQUEST_TIMEOUT_MS = 60_000;
const SAS_KEY = 'bench-key';
const BIN = fileURLToPath(new URL('../bin/porthole.js', import.meta.url));

/** Where a client sends kubectl's requests: the apiserver itself, or a cluster on the bridge. */
interface Endpoint {
  name: string;
  origin: string;
  /** The path prefix of the cluster's API (`/clusters/<name>` on the bridge). */
  prefix: string;
  caPem: string;
  servername?: string;
}

interface Results {
  warm: Spread;
  firstRequest: Spread;
  list: Spread;
  paged: Spread;
  listBytes: number;
}

async function main(): Promise<void> {
  progress('starting a test cluster');
  const cluster = await startTestCluster();
  const home = await mkdtemp(join(tmpdir(), 'porthole-kube-bench-'));
  const porthole = new PortholeProcesses(home);
  try {
    const token = await serviceAccountToken(cluster.kubeconfigPath, 'porthole-bench');
    const direct: Endpoint = {
      name: 'direct',
      origin: cluster.server,
      prefix: '',
      caPem: cluster.caPem,
    };
    progress('starting a relay, two agents (Hybrid Connections, mux) and a bridge');
    const tunnelled = await porthole.serve(cluster);
    const endpoints = [direct, ...tunnelled];

    progress(`creating ${CONFIGMAPS} ConfigMaps`);
    await createConfigMaps(direct, token);

    const clients = await Promise.all(endpoints.map((endpoint) => H2Client.open(endpoint, token)));
    const warm = await interleave(clients, WARM_REQUESTS, 'small GETs, warm', (client) =>
      client.get('/api/v1/namespaces/default/configmaps/kube-root-ca.crt'),
    );
    const firstRequest = await interleave(
      endpoints,
      NEW_CONNECTIONS,
      'first requests on new connections',
      async (endpoint) => {
        const client = await H2Client.open(endpoint, token);
        await client.get('/version');
        client.close();
      },
    );
    const listPath = `/api/v1/namespaces/${BENCH_NAMESPACE}/configmaps`;
    const listBytes = await clients[0]?.get(listPath);
    const list = await interleave(clients, LISTS, 'whole lists', (client) => client.get(listPath));
    const paged = await interleave(clients, LISTS, 'paged lists', async (client) => {
      let next = '';
      do {
        const page = await client.getJson(
          `${listPath}?limit=${PAGE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
        );
        next = (page as {metadata?: {continue?: string}}).metadata?.continue ?? '';
      } while (next);
    });
    for (const client of clients) client.close();

    const memory = await porthole.memory();
    report(
      endpoints.map((endpoint, i) => ({
        name: endpoint.name,
        warm: spread(warm[i] ?? []),
        firstRequest: spread(firstRequest[i] ?? []),
        list: spread(list[i] ?? []),
        paged: spread(paged[i] ?? []),
        listBytes: listBytes ?? 0,
      })),
      cluster,
      memory,
    );
  } finally {
    await porthole.stop();
    await cluster.stop();
    await rm(home, {recursive: true, force: true});
  }
}

const BENCH_NAMESPACE = 'porthole-bench';

/**
 * Runs `task` `rounds` times on each target in turn, one target after another within a round,
 * and returns each target's durations in milliseconds. A tenth of the rounds, first, warm up.
 */
async function interleave<T>(
  targets: readonly T[],
  rounds: number,
  what: string,
  task: (target: T) => Promise<unknown>,
): Promise<number[][]> {
  progress(what);
  const samples = targets.map(() => [] as number[]);
  const warmup = Math.ceil(rounds / 10);
  for (let round = -warmup; round < rounds; round++) {
    for (const [i, target] of targets.entries()) {
      const started = performance.now();
      await task(target);
      if (round >= 0) samples[i]?.push(performance.now() - started);
    }
  }
  return samples;
}

/** An HTTP/2 connection to an endpoint, sending requests with a bearer token, as kubectl does. */
class H2Client {
  readonly #session: ClientHttp2Session;
  readonly #endpoint: Endpoint;
  readonly #token: string;

  private constructor(session: ClientHttp2Session, endpoint: Endpoint, token: string) {
    this.#session = session;
    this.#endpoint = endpoint;
    this.#token = token;
  }

  static async open(endpoint: Endpoint, token: string): Promise<H2Client> {
    const session = connect(endpoint.origin, {
      ca: endpoint.caPem,
      ...(endpoint.servername ? {servername: endpoint.servername} : {}),
    });
    await Promise.race([
      once(session, 'connect'),
      once(session, 'error').then(([err]: unknown[]) => {
        throw err;
      }),
    ]);
    return new H2Client(session, endpoint, token);
  }

  /** GETs `path` and returns the length of the body, once it has all arrived. */
  async get(path: string): Promise<number> {
    return (await this.#request('GET', path)).length;
  }

  async getJson(path: string): Promise<unknown> {
    return JSON.parse((await this.#request('GET', path)).toString()) as unknown;
  }

  async post(path: string, body: unknown): Promise<void> {
    await this.#request('POST', path, JSON.stringify(body));
  }

  close(): void {
    this.#session.close();
  }

  async #request(method: string, path: string, body?: string): Promise<Buffer> {
    const stream = this.#session.request({
      ':method': method,
      ':path': `${this.#endpoint.prefix}${path}`,
      authorization: `Bearer ${this.#token}`,
      accept: 'application/json',
      ...(body === undefined ? {} : {'content-type': 'application/json'}),
    });
    stream.end(body);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.setTimeout(REQUEST_TIMEOUT_MS, () =>
      stream.destroy(new Error(`${this.#endpoint.name}: ${method} ${path}: no answer in time`)),
    );
    // Both waits start together: a small answer's headers, body and end can come in one read.
    const [[headers]] = (await Promise.all([once(stream, 'response'), once(stream, 'end')])) as [
      [Record<string, unknown>],
      unknown,
    ];
    const status = Number(headers[':status']);
    const answer = Buffer.concat(chunks);
    if (status >= 300)
      throw new Error(
        `${this.#endpoint.name}: ${method} ${path} → ${status}: ${answer.toString().slice(0, 300)}`,
      );
    return answer;
  }
}

/** The namespace of the list benchmark, with its ConfigMaps of about 1.4 KB each. */
async function createConfigMaps(direct: Endpoint, token: string): Promise<void> {
  const client = await H2Client.open(direct, token);
  await client.post('/api/v1/namespaces', {metadata: {name: BENCH_NAMESPACE}});
  const data = {'settings.yaml': `# bench\n${'key: value-0123456789abcdef\n'.repeat(40)}`};
  let next = 0;
  const worker = async () => {
    while (next < CONFIGMAPS) {
      const name = `bench-${String(next++).padStart(5, '0')}`;
      await client.post(`/api/v1/namespaces/${BENCH_NAMESPACE}/configmaps`, {
        metadata: {name, labels: {app: 'porthole-bench'}},
        data,
      });
    }
  };
  await Promise.all(Array.from({length: 32}, worker));
  client.close();
}

/** The relay, an agent per tunnel and the bridge, as `porthole` processes. */
class PortholeProcesses {
  readonly #home: string;
  readonly #processes: {name: string; process: LineProcess}[] = [];
  /** The bridge's port once `porthole proxy` may have started it, and its PID once known. */
  #bridgePort: number | undefined;
  #bridgePid: number | undefined;

  constructor(home: string) {
    this.#home = home;
  }

  /** Starts everything and returns the bridge's endpoint for each tunnel. */
  async serve(cluster: TestCluster): Promise<Endpoint[]> {
    // TLS, as in production: the agent's and the bridge's frames then go unmasked (zero keys).
    const ca = await CertificateAuthority.create('porthole-kube-bench-ca');
    const serving = await ca.issue({commonName: 'relay', hosts: ['127.0.0.1'], usage: 'server'});
    await writeFile(join(this.#home, 'ca.pem'), ca.certPem);
    await writeFile(join(this.#home, 'relay.pem'), serving.certPem);
    await writeFile(join(this.#home, 'relay.key'), serving.keyPem, {mode: 0o600});
    const relay = this.#start('relay', [
      'relay',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      join(this.#home, 'relay.pem'),
      '--tls-key',
      join(this.#home, 'relay.key'),
      '--data-dir',
      join(this.#home, 'relay'),
      '--hybrid-connection',
      'clusters/hc',
      '--hybrid-connection',
      'clusters/mux',
      '--sas-key',
      `bench=${SAS_KEY}`,
    ]);
    const [, relayUrl = ''] = await relay.line(/^listening on https(:\/\/127\.0\.0\.1:\d+)$/);
    const tunnels = [
      {cluster: 'hc', tunnel: 'websocket', name: 'Porthole, Hybrid Connections'},
      {cluster: 'mux', tunnel: 'mux', name: 'Porthole, mux'},
    ];
    const relayFlags = (cluster: string, tunnel: string) => [
      '--relay',
      `wss${relayUrl}`,
      '--hybrid-connection',
      `clusters/${cluster}`,
      '--sas-key-name',
      'bench',
      '--tunnel',
      tunnel,
    ];
    for (const {cluster: name, tunnel} of tunnels) {
      const agent = this.#start(`agent (${tunnel})`, [
        'agent',
        'run',
        ...relayFlags(name, tunnel),
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      await agent.line(/^listening on /);
    }
    const port = await freePort();
    this.#bridgePort = port;
    const endpoints: Endpoint[] = [];
    for (const {cluster: name, tunnel, name: title} of tunnels) {
      const proxy = LineProcess.start(
        process.execPath,
        [
          BIN,
          'proxy',
          '-n',
          name,
          ...relayFlags(name, tunnel),
          '--port',
          String(port),
          '--daemon',
          '-f',
          '-',
        ],
        this.#env(),
      );
      if ((await proxy.exit()) !== 0) throw new Error(`porthole proxy failed: ${proxy.stderr}`);
      const kubeconfig = parse(proxy.lines.join('\n')) as {
        clusters: {
          cluster: {
            server: string;
            'certificate-authority-data': string;
            'tls-server-name': string;
          };
        }[];
      };
      const entry = kubeconfig.clusters[0]?.cluster;
      if (!entry) throw new Error('porthole proxy -f - printed no cluster');
      const server = new URL(entry.server);
      endpoints.push({
        name: title,
        origin: server.origin,
        prefix: server.pathname.replace(/\/$/, ''),
        caPem: Buffer.from(entry['certificate-authority-data'], 'base64').toString(),
        servername: entry['tls-server-name'],
      });
    }
    const status = LineProcess.start(
      process.execPath,
      [BIN, 'proxy', 'status', '--port', String(port), '-o', 'json'],
      this.#env(),
    );
    if ((await status.exit()) !== 0)
      throw new Error(`porthole proxy status failed: ${status.stderr}`);
    this.#bridgePid = (JSON.parse(status.lines.join('\n')) as {pid: number}).pid;
    return endpoints;
  }

  /** Each process's resident memory now, in MiB. */
  async memory(): Promise<{name: string; mib: number}[]> {
    const pids = this.#processes.map(({name, process}) => ({name, pid: process.pid}));
    if (this.#bridgePid !== undefined) pids.push({name: 'bridge', pid: this.#bridgePid});
    return Promise.all(pids.map(async ({name, pid}) => ({name, mib: await rssMiB(pid)})));
  }

  async stop(): Promise<void> {
    if (this.#bridgePort !== undefined) {
      const stop = LineProcess.start(
        process.execPath,
        [BIN, 'proxy', 'stop', '--port', String(this.#bridgePort)],
        this.#env(),
      );
      await stop.exit();
    }
    for (const {process} of this.#processes.reverse()) await process.stop();
  }

  #start(name: string, args: string[]): LineProcess {
    const process = LineProcess.start(globalThis.process.execPath, [BIN, ...args], this.#env());
    this.#processes.push({name, process});
    return process;
  }

  #env(): NodeJS.ProcessEnv {
    return {
      PORTHOLE_HOME: this.#home,
      PORTHOLE_SAS_KEY: SAS_KEY,
      NODE_EXTRA_CA_CERTS: join(this.#home, 'ca.pem'),
    };
  }
}

function report(
  results: ({name: string} & Results)[],
  cluster: TestCluster,
  memory: {name: string; mib: number}[],
): void {
  const [direct] = results;
  if (!direct) return;
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const added = (value: number, base: number) =>
    `${ms(value)} (+${(value - base).toFixed(2)}, ×${(value / base).toFixed(2)})`;
  const row = (label: string, pick: (r: Results) => number) => [
    label,
    ...results.map((r, i) => (i === 0 ? ms(pick(r)) : added(pick(r), pick(direct)))),
  ];
  const throughput = (label: string, pick: (r: Results) => Spread) => [
    label,
    ...results.map(
      (r) =>
        `${ms(pick(r).median)}, ${(r.listBytes / 1e6 / (pick(r).median / 1000)).toFixed(0)} MB/s, ${(CONFIGMAPS / (pick(r).median / 1000)).toFixed(0)} items/s` +
        (r === direct ? '' : ` ×${(pick(r).median / pick(direct).median).toFixed(2)}`),
    ),
  ];
  const rows = [
    ['', ...results.map((r) => r.name)],
    row('small GET, warm, median', (r) => r.warm.median),
    row('small GET, warm, p99', (r) => r.warm.p99),
    row('first request, new connection, median', (r) => r.firstRequest.median),
    row('first request, new connection, p99', (r) => r.firstRequest.p99),
    throughput(`list ${CONFIGMAPS} ConfigMaps, one response`, (r) => r.list),
    throughput(`list ${CONFIGMAPS} ConfigMaps, pages of ${PAGE}`, (r) => r.paged),
  ];
  process.stdout.write(
    `Porthole kube benchmark: Kubernetes ${cluster.versions.kubernetes}, loopback, Node ${process.version}; ` +
      `${WARM_REQUESTS} warm GETs, ${NEW_CONNECTIONS} new connections, ${LISTS} lists of ${(direct.listBytes / 1e6).toFixed(1)} MB\n`,
  );
  process.stdout.write(`${formatTable(rows)}\n`);
  process.stdout.write(
    '(+n, ×n): added milliseconds and ratio to direct. Lists: median time, then ratio of times.\n' +
      `Memory afterwards: ${memory.map(({name, mib}) => `${name} ${mib.toFixed(0)} MiB`).join(', ')}\n`,
  );
}

function progress(what: string): void {
  process.stderr.write(`kube bench: ${what}…\n`);
}

await main();

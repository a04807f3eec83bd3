/**
 * `npm run bench`: the relay against a direct WebSocket, measured in one run on loopback.
 *
 * For each path — a direct WebSocket to an echo server, a Hybrid Connections rendezvous
 * through the relay, and a Porthole mux stream through the relay — it measures:
 *   - setup: a new connection (or stream) until its first 1-byte echo is back;
 *   - the round trip of a 1 KB message on an open connection;
 *   - single-stream throughput: 512 MiB one way, counted by the far end, which then answers.
 * The relay runs in a process of its own; clients, listeners and the direct echo server share
 * this one. Every client masks with zero keys (ws then skips the XOR), as Porthole's Node clients do over
 * TLS, so that masking in JavaScript does not cap the figures.
 */
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import type {AddressInfo} from 'node:net';
import {performance} from 'node:perf_hooks';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';

import {
  connectMuxSender,
  connectSender,
  createSasToken,
  HybridConnectionListener,
  openMuxListener,
} from '@porthole/core/protocol';
import type {MuxSession, MuxStream, WebSocketFactory, WebSocketLike} from '@porthole/core/protocol';
import {WebSocket, WebSocketServer} from 'ws';

import {formatTable, spread} from '@porthole/testing';
import type {Spread} from '@porthole/testing';

const SETUPS = 300;
const ROUND_TRIPS = 3000;
const THROUGHPUT_BYTES = 512 * 1024 * 1024;
const CHUNK = 64 * 1024;
const KEY = {name: 'bench', key: 'bench-key'};

const webSocket: WebSocketFactory = (url, {protocols, headers}) =>
  new WebSocket(url, protocols, {
    headers,
    perMessageDeflate: false,
    generateMask: (mask) => mask.fill(0),
  }) as unknown as WebSocketLike;

/** A client's view of one path: an echo connection, or one that counts what it is sent. */
interface Path {
  name: string;
  echo(): Promise<{echo(data: Uint8Array): Promise<void>; close(): void}>;
  /** Sends `bytes` and resolves once the far end has counted them all. */
  push(bytes: number): Promise<void>;
}

async function main(): Promise<void> {
  const direct = await directPath();
  const relay = await relayPaths();
  const results = [];
  for (const path of [direct.path, relay.rendezvous, relay.mux]) {
    process.stderr.write(`bench: ${path.name}…\n`);
    results.push({name: path.name, ...(await measure(path))});
  }
  await relay.close();
  await direct.close();
  report(results);
}

async function measure(path: Path) {
  const setups: number[] = [];
  const one = new Uint8Array([1]);
  for (let i = 0; i < SETUPS; i++) {
    const started = performance.now();
    const connection = await path.echo();
    await connection.echo(one);
    setups.push(performance.now() - started);
    connection.close();
  }
  const connection = await path.echo();
  const message = new Uint8Array(1024).fill(7);
  const rtts: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now();
    await connection.echo(message);
    rtts.push(performance.now() - started);
  }
  connection.close();
  const started = performance.now();
  await path.push(THROUGHPUT_BYTES);
  const seconds = (performance.now() - started) / 1000;
  return {setup: spread(setups), rtt: spread(rtts), throughput: THROUGHPUT_BYTES / 1e6 / seconds};
}

function report(
  results: {
    name: string;
    setup: Spread;
    rtt: Spread;
    throughput: number;
  }[],
): void {
  const [base] = results;
  if (!base) return;
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const ratio = (value: number, baseline: number) => `×${(value / baseline).toFixed(2)}`;
  const rows = [
    ['', ...results.map((r) => r.name)],
    [
      'setup, median',
      ...results.map((r) => `${ms(r.setup.median)} ${ratio(r.setup.median, base.setup.median)}`),
    ],
    ['setup, p95', ...results.map((r) => ms(r.setup.p95))],
    [
      '1 KB round trip, median',
      ...results.map((r) => `${ms(r.rtt.median)} ${ratio(r.rtt.median, base.rtt.median)}`),
    ],
    ['1 KB round trip, p95', ...results.map((r) => ms(r.rtt.p95))],
    [
      'throughput, one stream',
      ...results.map(
        (r) => `${r.throughput.toFixed(0)} MB/s ${ratio(r.throughput, base.throughput)}`,
      ),
    ],
  ];
  process.stdout.write(
    `Porthole relay benchmark: loopback, Node ${process.version}, ${SETUPS} setups, ${ROUND_TRIPS} round trips, ${THROUGHPUT_BYTES / 1024 / 1024} MiB\n`,
  );
  process.stdout.write(`${formatTable(rows)}\n`);
  process.stdout.write(
    '×n: relative to the direct WebSocket. setup: a new connection (mux: a new stream) until its first echo.\n',
  );
}

/**
 * The far end of a WebSocket path: it echoes every message, unless the connection's query
 * says `count=N`, in which case it counts N bytes and answers with one byte.
 */
function serveSocket(socket: WebSocketLike, query: URLSearchParams): void {
  socket.binaryType = 'arraybuffer';
  let counting = Number(query.get('count') ?? '0');
  socket.addEventListener('message', (event: {data: ArrayBuffer}) => {
    if (counting === 0) {
      socket.send(event.data);
      return;
    }
    counting -= event.data.byteLength;
    if (counting <= 0) socket.send(new Uint8Array([2]));
  });
}

/** The client side of a WebSocket path. */
function socketClient(open: (query: string) => Promise<WebSocketLike>): Omit<Path, 'name'> {
  const nextMessage = (socket: WebSocketLike) =>
    new Promise<void>((resolve) => {
      const listener = () => {
        socket.removeEventListener('message', listener);
        resolve();
      };
      socket.addEventListener('message', listener);
    });
  return {
    echo: async () => {
      const socket = await open('');
      return {
        echo: (data) => {
          const reply = nextMessage(socket);
          socket.send(data);
          return reply;
        },
        close: () => socket.close(),
      };
    },
    push: async (bytes) => {
      const socket = await open(`count=${bytes}`);
      const done = nextMessage(socket);
      const ws = socket as unknown as WebSocket;
      const chunk = new Uint8Array(CHUNK);
      for (let sent = 0; sent < bytes; sent += CHUNK) {
        ws.send(chunk);
        // Keep a few megabytes in flight, as a stream with backpressure would.
        while (ws.bufferedAmount > 4 * 1024 * 1024)
          await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
      socket.close();
    },
  };
}

async function directPath(): Promise<{path: Path; close: () => Promise<void>}> {
  const server = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false});
  await once(server, 'listening');
  server.on('connection', (socket, request) => {
    serveSocket(
      socket as unknown as WebSocketLike,
      new URL(request.url ?? '/', 'ws://x').searchParams,
    );
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const open = async (query: string) => {
    const socket = webSocket(`${url}?${query}`, {protocols: [], headers: {}});
    await once(socket as unknown as WebSocket, 'open');
    return socket;
  };
  return {
    path: {name: 'direct WebSocket', ...socketClient(open)},
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function relayPaths() {
  const relay = spawn(
    process.execPath,
    [fileURLToPath(new URL('relay-process.js', import.meta.url)), 'bench', KEY.name, KEY.key],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [url] = (await once(createInterface({input: relay.stdout}), 'line')) as [string];
  const origin = url.replace(/^http/, 'ws');
  const token = await createSasToken({
    resource: `${url}/bench`,
    keyName: KEY.name,
    key: KEY.key,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  const address = `${origin}/$hc/bench`;

  const listener = await HybridConnectionListener.open({
    address,
    token: () => token,
    webSocket,
    onAccept: (offer) => {
      const query = new URL(offer.address).searchParams;
      void offer.accept().then((socket) => serveSocket(socket, query));
    },
  });
  const muxListener = await openMuxListener({address, token, webSocket, onStream: serveStream});
  const muxSender = await connectMuxSender({address, token, webSocket});
  const open = (query: string) => connectSender({address: `${address}?${query}`, token, webSocket});

  return {
    rendezvous: {name: 'relay, HC rendezvous', ...socketClient(open)} satisfies Path,
    mux: {name: 'relay, mux stream', ...streamClient(muxSender)} satisfies Path,
    close: async () => {
      muxSender.close();
      muxListener.close();
      listener.close();
      relay.kill('SIGTERM');
      await once(relay, 'exit');
    },
  };
}

/** The far end of a mux stream: it echoes, or, with `{count: N}` properties, counts and answers. */
function serveStream(stream: MuxStream): void {
  const count = Number(stream.properties.count ?? 0);
  if (count === 0) {
    void stream.readable.pipeTo(stream.writable).catch(() => undefined);
    return;
  }
  void (async () => {
    let remaining = count;
    for await (const chunk of stream.readable) remaining -= chunk.length;
    if (remaining > 0) throw new Error(`stream ended ${remaining} bytes short`);
    const writer = stream.writable.getWriter();
    await writer.write(new Uint8Array([2]));
    await writer.close();
  })().catch(() => undefined);
}

/** The client side of a mux path: one long-lived session, a stream per connection. */
function streamClient(session: MuxSession): Omit<Path, 'name'> {
  return {
    echo: () => {
      const stream = session.openStream();
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      return Promise.resolve({
        echo: async (data: Uint8Array) => {
          await writer.write(data);
          // A byte stream: the echo may arrive in pieces.
          for (let received = 0; received < data.length;) {
            const {value, done} = await reader.read();
            if (done) throw new Error('stream ended');
            received += value.length;
          }
        },
        close: () => {
          void writer.close().catch(() => undefined);
          void reader.cancel().catch(() => undefined);
        },
      });
    },
    push: async (bytes) => {
      const stream = session.openStream({count: bytes});
      const writer = stream.writable.getWriter();
      const chunk = new Uint8Array(CHUNK);
      for (let sent = 0; sent < bytes; sent += CHUNK) await writer.write(chunk);
      await writer.close();
      for await (const answer of stream.readable) if (answer.length > 0) break;
    },
  };
}

await main();

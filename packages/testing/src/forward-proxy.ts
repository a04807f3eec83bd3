import {spawnSync} from 'node:child_process';
import {once} from 'node:events';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {connect, createServer} from 'node:net';
import type {AddressInfo, Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {freePort} from './cluster/ports.js';
import {TestingError} from './errors.js';
import {LineProcess} from './line-process.js';

/** How {@link startForwardProxy} configures tinyproxy. */
export interface ForwardProxyOptions {
  /**
   * The only ports `CONNECT` may reach (tinyproxy's `ConnectPort`); others get 403. Default:
   * any port.
   */
  connectPorts?: readonly number[];
  /**
   * Credentials the proxy demands (tinyproxy's `BasicAuth`): 407 without them. tinyproxy
   * accepts letters, digits, `-`, `.` and `_` only.
   */
  basicAuth?: {user: string; password: string};
}

/** A real forward proxy — Debian's tinyproxy — on 127.0.0.1, stopped by PID. */
export interface TestForwardProxy {
  /** `http://127.0.0.1:PORT`, without credentials. */
  readonly url: string;
  readonly port: number;
  /**
   * The address the proxy connects out from (tinyproxy's `Bind`): 127.0.0.2, so that a server
   * can tell the proxy's connections from direct ones ({@link startProxyOnlyGate}).
   */
  readonly outgoingAddress: string;
  /** The `host:port` of every `CONNECT` the proxy was asked for so far, in order. */
  connects(): string[];
  /** The proxy's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** A port in front of a server that only the proxy's connections get through. */
export interface ProxyOnlyGate {
  readonly port: number;
  /** Connections from the proxy, passed on to the server. */
  readonly passed: number;
  /** Connections from anywhere else, closed at once: a client that skipped the proxy. */
  readonly refused: number;
  close(): Promise<void>;
}

const OUTGOING_ADDRESS = '127.0.0.2';

/**
 * Starts tinyproxy in the foreground (`-d -c FILE`) with a generated configuration: it listens
 * on 127.0.0.1 on a free port, serves 127.0.0.1 only, connects out from 127.0.0.2, and logs
 * each request at `Info`, so tests can count the `CONNECT`s it was asked for.
 *
 * @example
 *   const proxy = await startForwardProxy({connectPorts: [relayPort], basicAuth: {user, password}});
 *   onTestFinished(() => proxy.stop());
 * @throws TestingError `ERR_FORWARD_PROXY_START_FAILED` when tinyproxy is missing or exits
 */
export async function startForwardProxy(
  options: ForwardProxyOptions = {},
): Promise<TestForwardProxy> {
  if (spawnSync('tinyproxy', ['-v'], {stdio: 'ignore'}).error) {
    throw new TestingError(
      'ERR_FORWARD_PROXY_START_FAILED',
      'tinyproxy is not installed: apt-get install -y tinyproxy (.ci/run does it)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'porthole-tinyproxy-'));
  const port = await freePort();
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    `Bind ${OUTGOING_ADDRESS}`,
    'Timeout 120',
    'MaxClients 200',
    'LogLevel Info',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    // Without ConnectPort lines tinyproxy allows CONNECT to every port (tinyproxy.conf(5)).
    ...(options.connectPorts ?? []).map((allowed) => `ConnectPort ${allowed}`),
    ...(options.basicAuth
      ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`]
      : []),
  ];
  const configPath = join(dir, 'tinyproxy.conf');
  await writeFile(configPath, `${lines.join('\n')}\n`, {mode: 0o600});
  const child = LineProcess.start('tinyproxy', ['-d', '-c', configPath]);
  try {
    await child.line(/Accepting connections/, 10_000);
  } catch (err) {
    await child.stop();
    await rm(dir, {recursive: true, force: true});
    throw new TestingError(
      'ERR_FORWARD_PROXY_START_FAILED',
      `tinyproxy did not start: ${(err as Error).message}`,
      {cause: err},
    );
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    outgoingAddress: OUTGOING_ADDRESS,
    connects: () =>
      child.lines.flatMap((line) => {
        const target = /Request \(file descriptor \d+\): CONNECT (\S+) HTTP\//.exec(line)?.[1];
        return target === undefined ? [] : [target];
      }),
    log: () => child.lines.join('\n'),
    stop: async () => {
      await child.stop();
      await rm(dir, {recursive: true, force: true});
    },
  };
}

/**
 * A TCP port on 127.0.0.1 in front of `targetPort` that passes on only connections from the
 * proxy's outgoing address and closes every other at once: a client given the gate's port
 * reaches the server through the proxy or not at all.
 *
 * @example
 *   const gate = await startProxyOnlyGate(relayPort, proxy);
 *   // ...the client connects to ws://127.0.0.1:${gate.port} through the proxy...
 *   expect(gate).toMatchObject({refused: 0});
 */
export async function startProxyOnlyGate(
  targetPort: number,
  proxy: Pick<TestForwardProxy, 'outgoingAddress'>,
): Promise<ProxyOnlyGate> {
  let passed = 0;
  let refused = 0;
  const sockets = new Set<Socket>();
  const server = createServer((incoming) => {
    if (incoming.remoteAddress !== proxy.outgoingAddress) {
      refused++;
      incoming.destroy();
      return;
    }
    passed++;
    const outgoing = connect({host: '127.0.0.1', port: targetPort});
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        incoming.destroy();
        outgoing.destroy();
      });
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get passed() {
      return passed;
    },
    get refused() {
      return refused;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

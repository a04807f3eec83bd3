/**
 * In-process peers for the egress tests, on 127.0.0.1 port 0, closed when the test finishes:
 * an echo server, a raw peer that answers `CONNECT` however a test wants (the hostile and
 * broken proxies), and a small honest `CONNECT` proxy, over TLS when asked, that records each
 * request head.
 */
import {once} from 'node:events';
import {connect, createServer} from 'node:net';
import type {AddressInfo, Server, Socket} from 'node:net';
import {createServer as createTlsServer} from 'node:tls';
import {onTestFinished} from 'vitest';

import {startForwardProxy} from '@porthole/testing';
import type {ForwardProxyOptions, TestForwardProxy} from '@porthole/testing';

async function listen(server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  });
  return (server.address() as AddressInfo).port;
}

/** A TCP server that sends back what it receives. */
export async function echoServer(): Promise<number> {
  return listen(
    createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.pipe(socket);
    }),
  );
}

/** A server that hands each connection to `onConnection`: a proxy that misbehaves on purpose. */
export async function rawPeer(onConnection: (socket: Socket) => void): Promise<number> {
  return listen(
    createServer((socket) => {
      socket.on('error', () => socket.destroy());
      onConnection(socket);
    }),
  );
}

/** A `CONNECT` proxy (TLS when `tls` is given) that records each request head it gets. */
export async function recordingProxy(tls?: {
  cert: string;
  key: string;
}): Promise<{port: number; heads: string[]}> {
  const heads: string[] = [];
  const onConnection = (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      heads.push(head.slice(0, end));
      const [, port = '0'] = /^CONNECT [^ ]+:(\d+) /.exec(head) ?? [];
      const upstream = connect({host: '127.0.0.1', port: Number(port)}, () => {
        socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', () => socket.destroy());
    };
    socket.on('data', onData);
  };
  const server = tls ? createTlsServer(tls, onConnection) : createServer(onConnection);
  return {port: await listen(server), heads};
}

/** tinyproxy, stopped when the test finishes. */
export async function tinyproxy(options: ForwardProxyOptions = {}): Promise<TestForwardProxy> {
  const proxy = await startForwardProxy(options);
  onTestFinished(() => proxy.stop());
  return proxy;
}

/** The proxy URL with credentials, as a user would put it in HTTPS_PROXY. */
export function withCredentials(url: string, user: string, password: string): string {
  return url.replace(
    'http://',
    `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`,
  );
}

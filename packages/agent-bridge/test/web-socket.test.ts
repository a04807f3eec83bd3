import {createHash} from 'node:crypto';
import {once} from 'node:events';
import {createServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {WebSocketServer} from 'ws';

import {CertificateAuthority} from '@porthole/core';

import {nodeWebSocketFactory} from '../src/index.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/**
 * A WebSocket server that reports each client frame's masking key, read from the raw bytes
 * before `ws` parses them.
 */
async function maskReportingServer(
  tls: {cert: string; key: string} | undefined,
): Promise<{url: string; masks: string[]}> {
  const masks: string[] = [];
  const wss = new WebSocketServer({noServer: true});
  const server = tls ? createServer(tls) : (await import('node:http')).createServer();
  server.on('upgrade', (request, socket, head) => {
    socket.on('data', (chunk: Buffer) => {
      // A small client text frame: FIN + opcode 1, MASK bit + 7-bit length, then the 4-byte key.
      if (chunk[0] === 0x81 && ((chunk[1] ?? 0) & 0x80) !== 0)
        masks.push(chunk.subarray(2, 6).toString('hex'));
    });
    wss.handleUpgrade(request, socket, head, (ws) =>
      ws.on('message', (data: Buffer) => ws.send(data)),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close());
  return {
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    masks,
  };
}

async function roundTrip(url: string, ca?: string): Promise<string> {
  const socket = nodeWebSocketFactory(ca === undefined ? {} : {ca})(url, {
    protocols: [],
    headers: {},
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject as (event: never) => void);
  });
  const reply = new Promise<string>((resolve) => {
    socket.addEventListener('message', (event: {data: Buffer}) => resolve(event.data.toString()));
  });
  socket.send('ping');
  const text = await reply;
  socket.close();
  return text;
}

describe('nodeWebSocketFactory', () => {
  it('masks with a zero key over TLS, trusting the given CA', async () => {
    const ca = await CertificateAuthority.create('web-socket-test-ca');
    const {certPem, keyPem} = await ca.issue({
      commonName: 'relay',
      hosts: ['127.0.0.1'],
      usage: 'server',
    });
    const {url, masks} = await maskReportingServer({cert: certPem, key: keyPem});
    expect(await roundTrip(url, ca.certPem)).toBe('ping');
    expect(masks[0]).toBe('00000000');
  });

  it('masks with random keys over plain ws', async () => {
    const {url, masks} = await maskReportingServer(undefined);
    for (let i = 0; i < 3; i++) expect(await roundTrip(url)).toBe('ping');
    expect(masks).toHaveLength(3);
    expect(masks.filter((mask) => mask === '00000000')).toEqual([]);
    expect(new Set(masks).size).toBe(3);
  });

  it('keeps a message that arrives in one read with the 101 for a listener added after open', async () => {
    // The server answers the upgrade and sends its first frame in a single write, as a relay
    // that pairs a rendezvous with bytes already waiting does.
    const server = (await import('node:http')).createServer();
    server.on('upgrade', (request, socket) => {
      const accept = createHash('sha1')
        .update(
          `${String(request.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`,
        )
        .digest('base64');
      const frame = Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('first')]);
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          ),
          frame,
        ]),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.closeAllConnections());
    closers.push(() => server.close());
    const socket = nodeWebSocketFactory()(
      `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
      {protocols: [], headers: {}},
    );
    await new Promise((resolve) => socket.addEventListener('open', resolve));
    // Some promise hops later, as core's accept() and its callers take.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const message = await new Promise<string>((resolve, reject) => {
      socket.addEventListener('message', (event: {data: Buffer}) => resolve(event.data.toString()));
      setTimeout(() => reject(new Error('the first message was lost')), 2000);
    });
    expect(message).toBe('first');
    socket.close();
  });
});

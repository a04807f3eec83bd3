import {describe, expect, it} from 'vitest';

import {acceptFor, openWebSocket} from '../../src/kube/index.js';
import type {OpenWebSocketOptions, WebSocketCloseEvent} from '../../src/kube/index.js';
import {bytes, text, utf8} from './helpers.js';
import {ScriptedWebSocketServer, closeFrame, serverFrame} from './web-socket-server.js';
import type {UpgradeScript} from './web-socket-server.js';

async function open(
  script: UpgradeScript = {},
  protocols: string[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
  options: OpenWebSocketOptions = {},
) {
  const server = new ScriptedWebSocketServer(script);
  const messages: {data: string; binary: boolean}[] = [];
  const closes: WebSocketCloseEvent[] = [];
  const socket = await openWebSocket(
    server.connection,
    {target: '/ws', protocols, headers: {Authorization: 'Bearer t'}},
    {
      onMessage: (data, binary) => messages.push({data: text(data), binary}),
      onClose: (event) => closes.push(event),
    },
    options,
  );
  return {server, socket, messages, closes};
}

describe('openWebSocket', () => {
  it('computes Sec-WebSocket-Accept as RFC 6455 §1.3 shows', async () => {
    expect(await acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('sends the handshake of RFC 6455 §4.1 with a random key and the subprotocols, best first', async () => {
    const {server, socket} = await open({protocol: 'v5.channel.k8s.io'});
    const headers = server.request?.headers;
    expect(server.request?.method).toBe('GET');
    expect(Object.fromEntries(headers ?? [])).toMatchObject({
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'v5.channel.k8s.io, v4.channel.k8s.io',
      authorization: 'Bearer t',
    });
    expect(atob(headers?.get('sec-websocket-key') ?? '')).toHaveLength(16);
    expect(socket.protocol).toBe('v5.channel.k8s.io');
    expect(socket.state).toBe('open');
    const other = await open({protocol: 'v5.channel.k8s.io'});
    expect(other.server.request?.headers.get('sec-websocket-key')).not.toBe(
      headers?.get('sec-websocket-key'),
    );
  });

  it('takes the fallback subprotocol the server picks', async () => {
    const {socket} = await open({protocol: 'v4.channel.k8s.io'});
    expect(socket.protocol).toBe('v4.channel.k8s.io');
  });

  it.each([
    [
      'a wrong Sec-WebSocket-Accept',
      {accept: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='},
      'Sec-WebSocket-Accept does not match the key',
    ],
    [
      'a subprotocol not offered',
      {protocol: 'v3.channel.k8s.io'},
      'the server chose subprotocol "v3.channel.k8s.io", which was not offered',
    ],
    [
      'an extension',
      {extra: 'Sec-WebSocket-Extensions: permessage-deflate\r\n'},
      'the server chose an extension that was not offered',
    ],
  ])(
    'refuses %s with ERR_KUBE_WEBSOCKET_HANDSHAKE and ends the stream',
    async (_, script, message) => {
      const server = new ScriptedWebSocketServer(script);
      const handler = {onMessage: () => undefined, onClose: () => undefined};
      await expect(
        openWebSocket(
          server.connection,
          {target: '/ws', protocols: ['v5.channel.k8s.io']},
          handler,
        ),
      ).rejects.toMatchObject({
        code: 'ERR_KUBE_WEBSOCKET_HANDSHAKE',
        message: `WebSocket handshake failed: ${message}`,
      });
      expect(server.transport.closedByClient).toBe(true);
    },
  );

  it('turns a refused upgrade into ERR_KUBE_STATUS with the Status message, status and reason', async () => {
    const message =
      'pods "web" is forbidden: User "ada" cannot create resource "pods/exec"; no Porthole role assignment gives ada Microsoft.Kubernetes/connectedClusters/pods/exec/action';
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message,
      reason: 'Forbidden',
      code: 403,
    });
    const server = new ScriptedWebSocketServer({
      refuse: `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${utf8(body).length}\r\nConnection: close\r\n\r\n${body}`,
    });
    const handler = {onMessage: () => undefined, onClose: () => undefined};
    await expect(
      openWebSocket(server.connection, {target: '/ws', protocols: ['v5.channel.k8s.io']}, handler),
    ).rejects.toMatchObject({code: 'ERR_KUBE_STATUS', status: 403, reason: 'Forbidden', message});
  });
});

describe('WebSocketClient', () => {
  it('delivers the bytes that came with the 101', async () => {
    const {messages} = await open({early: serverFrame(0x2, bytes('\x01first'))});
    expect(messages).toEqual([{data: '\x01first', binary: true}]);
  });

  it('reassembles a fragmented message, with control frames between fragments', async () => {
    const {server, messages} = await open();
    server.send(serverFrame(0x1, bytes('Hel'), false));
    server.send(serverFrame(0x9, bytes('p')));
    server.send(serverFrame(0x0, new Uint8Array(0), false));
    server.send(serverFrame(0x0, bytes('lo'), true));
    expect(messages).toEqual([{data: 'Hello', binary: false}]);
    expect(server.takeFrames()).toEqual([
      {fin: true, opcode: 0xa, masked: true, payload: bytes('p')},
    ]);
  });

  it('answers a ping with a masked pong of the same payload', async () => {
    const {server} = await open();
    server.send(serverFrame(0x9, bytes('are you there')));
    expect(server.takeFrames()).toEqual([
      {fin: true, opcode: 0xa, masked: true, payload: bytes('are you there')},
    ]);
  });

  it('sends messages as masked frames, fragmented at fragmentSize', async () => {
    const {server, socket} = await open({}, [], {fragmentSize: 4});
    socket.send(bytes('0123456789'));
    socket.send('tx');
    expect(server.takeFrames()).toEqual([
      {fin: false, opcode: 0x2, masked: true, payload: bytes('0123')},
      {fin: false, opcode: 0x0, masked: true, payload: bytes('4567')},
      {fin: true, opcode: 0x0, masked: true, payload: bytes('89')},
      {fin: true, opcode: 0x1, masked: true, payload: bytes('tx')},
    ]);
  });

  it("echoes the server's close and reports it once the stream ends", async () => {
    const {server, socket, closes} = await open();
    server.send(closeFrame(1000, 'done'));
    expect(socket.state).toBe('closing');
    expect(server.takeFrames()).toEqual([
      {fin: true, opcode: 0x8, masked: true, payload: Uint8Array.of(0x03, 0xe8)},
    ]);
    expect(() => socket.send(bytes('late'))).toThrow(
      expect.objectContaining({code: 'ERR_KUBE_CONNECTION_CLOSED'}),
    );
    server.end();
    expect(closes).toEqual([{code: 1000, reason: 'done', error: undefined}]);
    expect(await socket.closed).toEqual({code: 1000, reason: 'done', error: undefined});
    expect(socket.state).toBe('closed');
  });

  it('starts the close handshake, and waits for the server to end the stream', async () => {
    const {server, socket, closes} = await open();
    socket.close(1000, 'bye');
    expect(server.takeFrames()).toEqual([
      {fin: true, opcode: 0x8, masked: true, payload: Uint8Array.of(0x03, 0xe8, ...bytes('bye'))},
    ]);
    socket.close(); // a second close does nothing
    expect(server.takeFrames()).toEqual([]);
    server.send(closeFrame(1000));
    expect(server.takeFrames()).toEqual([]); // its close is not echoed twice
    expect(server.transport.closedByClient).toBe(false);
    server.end();
    expect(closes).toEqual([{code: 1000, reason: '', error: undefined}]);
  });

  it('ends the stream itself when the server has not within closeTimeoutMs', async () => {
    const {server, socket} = await open({}, [], {closeTimeoutMs: 150});
    socket.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.transport.closedByClient).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(server.transport.closedByClient).toBe(true);
    expect((await socket.closed).code).toBe(1006);
  });

  it('reports 1006 and ERR_KUBE_CONNECTION_CLOSED when the stream ends without a close frame', async () => {
    const {server, socket} = await open();
    server.end();
    expect(await socket.closed).toMatchObject({
      code: 1006,
      error: {code: 'ERR_KUBE_CONNECTION_CLOSED', message: 'WebSocket ended without a close frame'},
    });
  });

  it.each([
    [
      'a text message that is not UTF-8',
      serverFrame(0x1, Uint8Array.of(0xc3, 0x28)),
      1007,
      'ERR_KUBE_WEBSOCKET_PROTOCOL',
    ],
    ['close code 1005 on the wire', closeFrame(1005), 1002, 'ERR_KUBE_WEBSOCKET_PROTOCOL'],
    [
      'a close frame of one byte',
      serverFrame(0x8, Uint8Array.of(3)),
      1002,
      'ERR_KUBE_WEBSOCKET_PROTOCOL',
    ],
    [
      'a close reason that is not UTF-8',
      serverFrame(0x8, Uint8Array.of(3, 0xe8, 0xff)),
      1007,
      'ERR_KUBE_WEBSOCKET_PROTOCOL',
    ],
    ['a masked frame', Uint8Array.of(0x82, 0x80, 0, 0, 0, 0), 1002, 'ERR_KUBE_WEBSOCKET_PROTOCOL'],
    [
      'a message over maxMessageSize',
      serverFrame(0x2, new Uint8Array(65)),
      1009,
      'ERR_KUBE_MESSAGE_TOO_LARGE',
    ],
  ])(
    'fails the connection on %s: a close frame with %i, then the end',
    async (_, frame, closeCode, code) => {
      const {server, socket, closes} = await open({}, [], {maxMessageSize: 64});
      server.send(frame);
      const [close] = server.takeFrames();
      expect(close?.opcode).toBe(0x8);
      expect(((close?.payload[0] ?? 0) << 8) | (close?.payload[1] ?? 0)).toBe(closeCode);
      expect(server.transport.closedByClient).toBe(true);
      await socket.closed;
      expect(closes).toEqual([
        {code: closeCode, reason: '', error: expect.objectContaining({code, closeCode})},
      ]);
    },
  );
});

/**
 * The relay switching Porthole mux streams between senders and listeners (PROTOCOL.md §6.5),
 * with core's MuxSession on both ends over real sockets.
 */
import {once} from 'node:events';
import {afterEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';

import {
  connectMuxSender,
  encodeFrame,
  MUX_SUBPROTOCOL,
  MUX_SUBPROTOCOL_V2,
  openMuxListener,
} from '@porthole/core/protocol';
import type {MuxSession, MuxStream} from '@porthole/core/protocol';

import {closeOf} from '../fixtures/handshake.js';
import {nodeWebSocket} from '../fixtures/node-web-socket.js';
import {echoStream, readAll, writeAll} from '../fixtures/streams.js';
import {startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
const sessions: MuxSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await relay.close();
});

async function muxListener(
  onStream: (stream: MuxStream) => void = echoStream,
  token?: string,
): Promise<MuxSession> {
  const session = await openMuxListener({
    address: `${relay.wsOrigin}/$hc/hyco`,
    token: token ?? (await relay.token('hyco')),
    webSocket: nodeWebSocket(),
    onStream,
  });
  sessions.push(session);
  return session;
}

async function muxSender(token?: string): Promise<MuxSession> {
  const session = await connectMuxSender({
    address: `${relay.wsOrigin}/$hc/hyco`,
    token: token ?? (await relay.token('hyco')),
    webSocket: nodeWebSocket(),
  });
  sessions.push(session);
  return session;
}

describe('the mux switch', () => {
  it('switches a stream both ways with its properties, the sender’s endpoint and FIN', async () => {
    relay = await startTestRelay();
    const seen: Record<string, unknown>[] = [];
    await muxListener((stream) => {
      seen.push(stream.properties);
      echoStream(stream);
    });
    const sender = await muxSender();
    const stream = sender.openStream({purpose: 'kubectl'});
    const payload = Buffer.alloc(3 * 1024 * 1024, 'mux!');
    const [, echoed] = await Promise.all([writeAll(stream, payload), readAll(stream.readable)]);
    expect(echoed.equals(payload)).toBe(true);
    expect(seen).toEqual([
      {
        purpose: 'kubectl',
        remoteEndpoint: {address: '127.0.0.1', port: expect.any(Number)},
        trackingId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    await stream.closed;
    expect(relay.relay.stats().muxStreams).toBe(0);
  });

  it('carries 200 concurrent streams over one connection each way', async () => {
    relay = await startTestRelay();
    await muxListener();
    const sender = await muxSender();
    const results = await Promise.all(
      Array.from({length: 200}, async (_, i) => {
        const stream = sender.openStream();
        const data = Buffer.from(`stream ${i} `.repeat(1000));
        const [, echoed] = await Promise.all([writeAll(stream, data), readAll(stream.readable)]);
        return echoed.equals(data);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('lets a slow reader stall only its own stream', async () => {
    relay = await startTestRelay();
    const writes: Record<string, number> = {};
    await muxListener((stream) => {
      const name = String(stream.properties.name);
      void (async () => {
        const writer = stream.writable.getWriter();
        writes[name] = 0;
        for (let i = 0; i < 64; i++) {
          await writer.write(new Uint8Array(64 * 1024).fill(i));
          writes[name] += 64 * 1024;
        }
        await writer.close();
      })().catch(() => undefined);
    });
    const sender = await muxSender();
    const stalled = sender.openStream({name: 'stalled'}); // never read
    const flowing = sender.openStream({name: 'flowing'});
    const received = await readAll(flowing.readable);
    expect(received.length).toBe(4 * 1024 * 1024);
    // The stalled stream got no further than its window (256 KiB) plus what was in flight.
    expect(writes.stalled).toBeLessThanOrEqual(512 * 1024);
    stalled.reset();
  });

  it('balances streams over two mux listeners, and sends none to one that drains', async () => {
    relay = await startTestRelay();
    const counts = [0, 0];
    const first = await muxListener((stream) => {
      counts[0] = (counts[0] ?? 0) + 1;
      echoStream(stream);
    });
    await muxListener((stream) => {
      counts[1] = (counts[1] ?? 0) + 1;
      echoStream(stream);
    });
    const sender = await muxSender();
    const roundTrip = async () => {
      const stream = sender.openStream();
      await Promise.all([writeAll(stream, Buffer.from('x')), readAll(stream.readable)]);
    };
    for (let i = 0; i < 10; i++) await roundTrip();
    expect(counts).toEqual([5, 5]);
    await first.goAway();
    for (let i = 0; i < 4; i++) await roundTrip();
    expect(counts).toEqual([5, 9]);
  });

  it('resets streams with NO_LISTENER when no listener is left, and LISTENER_GONE when it drops', async () => {
    relay = await startTestRelay();
    const listener = await muxListener(() => undefined); // takes streams and never answers
    const sender = await muxSender();
    const pending = sender.openStream();
    const failure = readAll(pending.readable).catch((err: unknown) => err);
    while (relay.relay.stats().muxStreams === 0)
      await new Promise((resolve) => setTimeout(resolve, 10));
    listener.close();
    expect(await failure).toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: expect.stringMatching(/LISTENER_GONE \(8\)/),
    });
    while (relay.relay.stats().listeners > 0)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const orphan = sender.openStream();
    await expect(readAll(orphan.readable)).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: expect.stringMatching(/NO_LISTENER \(7\)/),
    });
  });

  it('offers a mux sender to a classic listener when no mux listener is connected, which then fails the handshake', async () => {
    relay = await startTestRelay();
    const token = await relay.token('hyco');
    const classic = new WebSocket(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen`, {
      headers: {ServiceBusAuthorization: token},
    });
    await once(classic, 'open');
    const offered = new Promise<Record<string, string>>((resolve) => {
      classic.on('message', (data: Buffer) => {
        const {accept} = JSON.parse(data.toString()) as {
          accept: {address: string; connectHeaders: Record<string, string>};
        };
        new WebSocket(accept.address).on('error', () => undefined); // accepts, choosing no subprotocol
        resolve(accept.connectHeaders);
      });
    });
    // The classic listener picks no subprotocol, and a client that asked for one refuses that
    // answer: callers then connect again without the mux (one WebSocket per connection).
    await expect(
      connectMuxSender({address: `${relay.wsOrigin}/$hc/hyco`, token, webSocket: nodeWebSocket()}),
    ).rejects.toMatchObject({
      code: 'ERR_HC_HANDSHAKE_FAILED',
      message: 'Hybrid Connections connect failed: Server sent no subprotocol',
    });
    expect(await offered).toMatchObject({
      'Sec-WebSocket-Protocol': `${MUX_SUBPROTOCOL_V2},${MUX_SUBPROTOCOL}`,
    });
    classic.close();
  });
});

describe('mux input the relay refuses', () => {
  async function rawMux(action: 'listen' | 'connect'): Promise<WebSocket> {
    const socket = new WebSocket(
      `${relay.wsOrigin}/$hc/hyco?sb-hc-action=${action}`,
      [MUX_SUBPROTOCOL],
      {headers: {ServiceBusAuthorization: await relay.token('hyco')}},
    );
    await once(socket, 'open');
    return socket;
  }

  it.each([
    ['a text message', () => 'hello', 1002],
    [
      'DATA on a stream never opened',
      () => encodeFrame({type: 'DATA', streamId: 9, fin: false, payload: new Uint8Array(1)}),
      1002,
    ],
    ['an even stream id', () => encodeFrame({type: 'OPEN', streamId: 2, properties: {}}), 1002],
    ['an unknown frame type', () => Buffer.from('7f000000000100000000', 'hex'), 1002],
    ['a frame over muxMaxFrameSize', () => Buffer.from('000000000001ffffffff', 'hex'), 1009],
  ])('closes a sender that sends %s with %i', async (_case, message, code) => {
    relay = await startTestRelay();
    await muxListener();
    const socket = await rawMux('connect');
    socket.send(message());
    expect((await closeOf(socket)).code).toBe(code);
    expect(relay.relay.stats().muxStreams).toBe(0);
  });

  it('closes with 1002 a sender that sends beyond its window, and resets its stream on the listener', async () => {
    relay = await startTestRelay();
    const resets: unknown[] = [];
    await muxListener((stream) => {
      void readAll(stream.readable).catch((err: unknown) => resets.push(err));
    });
    const socket = await rawMux('connect');
    socket.send(encodeFrame({type: 'OPEN', streamId: 1, properties: {}}));
    for (let i = 0; i < 5; i++)
      socket.send(
        encodeFrame({type: 'DATA', streamId: 1, fin: false, payload: new Uint8Array(64 * 1024)}),
      );
    expect((await closeOf(socket)).code).toBe(1002);
    while (resets.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(resets[0]).toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: expect.stringMatching(/CANCEL \(6\)/),
    });
  });

  it('refuses an OPEN from a listener, and streams beyond muxMaxStreamsPerConnection', async () => {
    relay = await startTestRelay({limits: {muxMaxStreamsPerConnection: 2}});
    const listenerSocket = await rawMux('listen');
    const frames: Buffer[] = [];
    listenerSocket.on('message', (data: Buffer) => frames.push(data));
    listenerSocket.send(encodeFrame({type: 'OPEN', streamId: 1, properties: {}}));
    while (frames.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(frames[0]?.subarray(0, 6).toString('hex')).toBe('030000000001'); // RST stream 1
    const sender = await muxSender();
    sender.openStream();
    sender.openStream();
    const third = sender.openStream();
    await expect(readAll(third.readable)).rejects.toMatchObject({
      message: expect.stringMatching(/REFUSED_STREAM \(4\)/),
    });
    listenerSocket.close();
  });

  it('drains and then closes with 1008 a mux connection whose token expires', async () => {
    relay = await startTestRelay({limits: {muxDrainTimeoutMs: 300}});
    await muxListener();
    const goAways: string[] = [];
    const session = await connectMuxSender({
      address: `${relay.wsOrigin}/$hc/hyco`,
      token: await relay.token('hyco', {seconds: 2}),
      webSocket: nodeWebSocket(),
      onGoAway: (_code, reason) => goAways.push(reason),
    });
    sessions.push(session);
    await expect(session.closed).rejects.toMatchObject({code: 'ERR_MUX_SESSION_CLOSED'});
    expect(goAways).toEqual(['ExpiredToken']);
    expect(relay.log).toContainEqual(expect.objectContaining({event: 'mux.token-expired'}));
  });
});

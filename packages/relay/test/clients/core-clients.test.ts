/**
 * Core's own Hybrid Connections clients (the agent and the bridge use them) against our relay:
 * with each other, with hyco-ws on the other end, and in HTTP mode, over ws and wss.
 */
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {afterAll, afterEach, describe, expect, it} from 'vitest';

import {connectSender, HybridConnectionListener} from '@porthole/core/protocol';
import type {Message, WebSocketLike} from '@porthole/core/protocol';

import {nodeWebSocket} from '../fixtures/node-web-socket.js';
import {startHycoListener, startHycoSender} from '../fixtures/hyco-peers.js';
import {removeTestPki, startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await relay.close();
});
afterAll(removeTestPki);

function nextMessage(socket: WebSocketLike): Promise<Message> {
  return new Promise((resolve) => {
    const listener = (event: {data: unknown}) => {
      socket.removeEventListener('message', listener);
      const {data} = event;
      resolve(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer));
    };
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', listener);
  });
}

function echo(socket: WebSocketLike): void {
  socket.binaryType = 'arraybuffer';
  socket.addEventListener('message', (event: {data: string | ArrayBuffer}) =>
    socket.send(event.data),
  );
}

async function openListener(
  extra: Partial<Parameters<typeof HybridConnectionListener.open>[0]> = {},
): Promise<HybridConnectionListener> {
  const listener = await HybridConnectionListener.open({
    address: `${relay.wsOrigin}/$hc/hyco`,
    token: () => relay.token('hyco'),
    webSocket: nodeWebSocket(relay.caPem),
    onAccept: (offer) => {
      void offer.accept(offer.protocols[0]).then(echo);
    },
    ...extra,
  });
  cleanups.push(() => listener.close());
  return listener;
}

describe.each([
  {transport: 'ws', tls: false},
  {transport: 'wss', tls: true},
])('core clients over $transport', ({tls}) => {
  it('pair our listener with our sender: text, binary, 10 MB, a subprotocol, header and query tokens', async () => {
    relay = await startTestRelay({tls});
    await openListener();
    for (const tokenPlacement of ['header', 'query'] as const) {
      const sender = await connectSender({
        address: `${relay.wsOrigin}/$hc/hyco/sfx?x=1`,
        token: await relay.token('hyco'),
        tokenPlacement,
        protocols: ['chat', 'superchat'],
        webSocket: nodeWebSocket(relay.caPem),
      });
      expect(sender.protocol).toBe('chat');
      const reply = nextMessage(sender);
      sender.send('hi');
      expect(await reply).toBe('hi');
      const large = Buffer.alloc(10 * 1024 * 1024, 'porthole');
      const bigReply = nextMessage(sender);
      sender.send(large);
      // Compared as bytes: a deep equality over 10 M elements takes minutes.
      expect(Buffer.from(await bigReply).equals(large)).toBe(true);
      sender.close();
    }
  });

  it('make 100 sequential and 20 parallel connections, each a fresh rendezvous', async () => {
    relay = await startTestRelay({tls});
    const offers: string[] = [];
    await openListener({
      onAccept: (offer) => {
        offers.push(offer.id);
        void offer.accept().then(echo);
      },
    });
    const token = await relay.token('hyco');
    const once = async (i: number) => {
      const sender = await connectSender({
        address: `${relay.wsOrigin}/$hc/hyco`,
        token,
        webSocket: nodeWebSocket(relay.caPem),
      });
      const reply = nextMessage(sender);
      sender.send(`message ${i}`);
      expect(await reply).toBe(`message ${i}`);
      sender.close();
    };
    for (let i = 0; i < 100; i++) await once(i);
    await Promise.all(Array.from({length: 20}, (_, i) => once(100 + i)));
    expect(new Set(offers).size).toBe(120);
  });

  it("reject a sender with the listener's status and description", async () => {
    relay = await startTestRelay({tls});
    await openListener({onAccept: (offer) => void offer.reject(403, 'Not today')});
    await expect(
      connectSender({
        address: `${relay.wsOrigin}/$hc/hyco`,
        token: await relay.token('hyco'),
        webSocket: nodeWebSocket(relay.caPem),
      }),
    ).rejects.toMatchObject({
      code: 'ERR_HC_HANDSHAKE_FAILED',
      status: 403,
      message: 'Hybrid Connections connect failed: Unexpected server response: 403',
    });
  });

  it('interoperate with hyco-ws on the other end, both ways', async () => {
    relay = await startTestRelay({tls});
    const hycoListener = startHycoListener(relay, 'hyco-ws', 'hyco');
    cleanups.push(() => hycoListener.stop());
    await hycoListener.waitFor((e) => e.event === 'listening');
    const sender = await connectSender({
      address: `${relay.wsOrigin}/$hc/hyco`,
      token: await relay.token('hyco'),
      webSocket: nodeWebSocket(relay.caPem),
    });
    const reply = nextMessage(sender);
    sender.send(new Uint8Array([1, 2, 3]));
    expect(await reply).toEqual(new Uint8Array([1, 2, 3]));
    sender.close();
    await hycoListener.stop();

    await openListener();
    const hycoSender = await startHycoSender(relay, 'hyco', {
      auth: 'header',
      sequential: 10,
      parallel: 10,
      messages: [
        {kind: 'text', bytes: 100},
        {kind: 'binary', bytes: 100_000},
      ],
    });
    cleanups.push(() => hycoSender.stop());
    expect(
      await hycoSender.waitFor((e) => e.event === 'done' || e.event === 'failed', 60_000),
    ).toMatchObject({event: 'done', connections: 20});
  });

  it('serve HTTP mode from our listener: small, large and chunked bodies both ways, and status descriptions', async () => {
    relay = await startTestRelay({tls});
    const listener = await HybridConnectionListener.open({
      address: `${relay.wsOrigin}/$hc/hycohttp`,
      token: () => relay.token('hycohttp'),
      webSocket: nodeWebSocket(relay.caPem),
      onRequest: (request) => {
        const size = Number(new URL(request.target, 'http://x').searchParams.get('size') ?? '0');
        void request.respond(
          size > 0
            ? {
                status: 200,
                headers: {'content-type': 'application/octet-stream'},
                body: new Uint8Array(size).fill(7),
              }
            : {
                status: 201,
                description: 'Made It',
                headers: {'x-method': request.method, 'x-target': request.target},
                body: request.body,
              },
        );
      },
    });
    cleanups.push(() => listener.close());
    const token = await relay.token('hycohttp');
    const send = (path: string, body?: Buffer[] | Buffer, headers: Record<string, string> = {}) =>
      new Promise<{
        status: number;
        message: string;
        headers: Record<string, unknown>;
        body: Buffer;
      }>((resolve, reject) => {
        const url = new URL(path, relay.httpOrigin);
        const req = (tls ? httpsRequest : httpRequest)(
          url,
          {
            method: body ? 'POST' : 'GET',
            headers: {ServiceBusAuthorization: token, Connection: 'close', ...headers},
            agent: false,
            ...(relay.caPem ? {ca: relay.caPem} : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                message: res.statusMessage ?? '',
                headers: res.headers,
                body: Buffer.concat(chunks),
              }),
            );
          },
        );
        req.on('error', reject);
        for (const chunk of Array.isArray(body) ? body : body ? [body] : []) req.write(chunk);
        req.end();
      });

    const small = await send('/hycohttp/things?q=1', Buffer.from('ten bytes!'));
    expect(small).toMatchObject({status: 201, message: 'Made It', body: Buffer.from('ten bytes!')});
    expect(small.headers).toMatchObject({
      'x-method': 'POST',
      'x-target': '/hycohttp/things?q=1',
      via: `1.1 127.0.0.1:${relay.port}`,
    });

    const big = await send('/hycohttp/big?size=150000');
    expect(big.status).toBe(200);
    expect(big.body.equals(Buffer.alloc(150000, 7))).toBe(true);

    const seventy = Buffer.alloc(70 * 1024, 3);
    expect((await send('/hycohttp/echo', seventy)).body.equals(seventy)).toBe(true);
    const chunks = [Buffer.from('a'.repeat(1000)), Buffer.from('b'.repeat(3000))];
    expect(
      (await send('/hycohttp/echo', chunks, {'Transfer-Encoding': 'chunked'})).body.toString(),
    ).toBe('a'.repeat(1000) + 'b'.repeat(3000));
  });

  it('renew their token before it expires', async () => {
    relay = await startTestRelay({tls});
    const listener = await openListener({token: () => relay.token('hyco', {seconds: 2})});
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(relay.log.filter((e) => e.event === 'listener.renewed').length).toBeGreaterThanOrEqual(
      1,
    );
    const sender = await connectSender({
      address: `${relay.wsOrigin}/$hc/hyco`,
      token: await relay.token('hyco'),
      webSocket: nodeWebSocket(relay.caPem),
    });
    sender.close();
    listener.close();
    expect(await listener.closed).toEqual({code: 1000, reason: 'Closing'});
  });
});

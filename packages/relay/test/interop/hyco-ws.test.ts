/**
 * Microsoft's hyco-ws 1.0.5 against our relay (hybrid-connections.md §3 A–B), over plain
 * WebSockets and over TLS with NODE_EXTRA_CA_CERTS. The peers run as child processes with
 * hand-built ws://127.0.0.1:PORT URLs, since hyco's URL helpers force port 443.
 */
import {once} from 'node:events';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';

import {startHycoListener, startHycoSender} from '../fixtures/hyco-peers.js';
import {Peer} from '../fixtures/peer.js';
import {removeTestPki, startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
const peers: Peer[] = [];

afterEach(async () => {
  // Peers first: a hyco-ws listener that loses the relay reconnects without pause (§2.3 #5).
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
  await relay.close();
});
afterAll(removeTestPki);

function hycoListener(path = 'hyco', extra: Record<string, unknown> = {}): Peer {
  const peer = startHycoListener(relay, 'hyco-ws', path, extra);
  peers.push(peer);
  return peer;
}

function ourSender(
  url: string,
  protocols: string[] = [],
  headers: Record<string, string> = {},
): WebSocket {
  return new WebSocket(url, protocols, {
    headers,
    ...(relay.caPem ? {ca: relay.caPem} : {}),
    perMessageDeflate: false,
  });
}

async function echo(
  socket: WebSocket,
  data: string | Buffer,
): Promise<{data: Buffer; isBinary: boolean}> {
  const reply = once(socket, 'message') as Promise<[Buffer, boolean]>;
  socket.send(data);
  const [received, isBinary] = await reply;
  return {data: received, isBinary};
}

describe.each([
  {transport: 'ws', tls: false},
  {transport: 'wss', tls: true},
])('hyco-ws over $transport', ({tls}) => {
  it('a hyco-ws listener echoes text, binary and 10 MB to our sender, and gets the path suffix and query', async () => {
    relay = await startTestRelay({tls});
    const listener = hycoListener();
    await listener.waitFor((e) => e.event === 'listening');
    const token = await relay.token('hyco');
    const sender = ourSender(
      `${relay.wsOrigin}/$hc/hyco/sfx?x=1&sb-hc-action=connect`,
      ['chat', 'superchat'],
      {ServiceBusAuthorization: token},
    );
    await once(sender, 'open');
    expect(sender.protocol).toBe('chat');

    const text = await echo(sender, 'hello through the relay');
    expect(text).toEqual({data: Buffer.from('hello through the relay'), isBinary: false});
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    expect(await echo(sender, binary)).toEqual({data: binary, isBinary: true});
    const large = Buffer.alloc(10 * 1024 * 1024, 7);
    large.write('start', 0);
    large.write('end', large.length - 3);
    const big = await echo(sender, large);
    expect(big.isBinary).toBe(true);
    expect(big.data.equals(large)).toBe(true);

    const connection = await listener.waitFor((e) => e.event === 'connection');
    expect(connection.url).toMatch(
      new RegExp(
        `^${relay.wsOrigin.replace(/[.]/g, '\\.')}/\\$hc/hyco/sfx\\?x=1&sb-hc-action=accept&sb-hc-id=[0-9a-f-]{36}$`,
      ),
    );
    expect(connection.protocol).toBe('chat');

    const closed = once(sender, 'close') as Promise<[number, Buffer]>;
    sender.close(1000, 'done');
    const [code, reason] = await closed;
    expect(code).toBe(1000);
    expect(reason.toString()).toBe('done');
  });

  it('hyco-ws to hyco-ws: 100 sequential and 20 parallel connects with header auth, each a fresh rendezvous', async () => {
    relay = await startTestRelay({tls});
    const listener = hycoListener();
    await listener.waitFor((e) => e.event === 'listening');
    const sender = await startHycoSender(relay, 'hyco', {
      auth: 'header',
      sequential: 100,
      parallel: 20,
      messages: [{kind: 'text', bytes: 64}],
    });
    peers.push(sender);
    expect(await sender.waitFor((e) => e.event === 'done' || e.event === 'failed', 60_000)).toEqual(
      {event: 'done', connections: 120, protocols: [null]},
    );
    const rendezvous = listener.events
      .filter((e) => e.event === 'connection')
      .map((e) => String(e.url));
    expect(rendezvous).toHaveLength(120);
    expect(new Set(rendezvous).size).toBe(120);
  });

  it('hyco-ws to hyco-ws with query auth: text, binary and 10 MB echoes and a chosen subprotocol', async () => {
    relay = await startTestRelay({tls});
    const listener = hycoListener();
    await listener.waitFor((e) => e.event === 'listening');
    const sender = await startHycoSender(relay, 'hyco', {
      auth: 'query',
      protocols: ['chat', 'superchat'],
      sequential: 3,
      parallel: 0,
      messages: [
        {kind: 'text', bytes: 1000},
        {kind: 'binary', bytes: 4096},
        {kind: 'binary', bytes: 10 * 1024 * 1024},
      ],
    });
    peers.push(sender);
    expect(await sender.waitFor((e) => e.event === 'done' || e.event === 'failed', 60_000)).toEqual(
      {event: 'done', connections: 3, protocols: ['chat']},
    );
  });

  it('our listener sees every handshake header of the sender, Sec-WebSocket-Key included, but not its token', async () => {
    relay = await startTestRelay({tls});
    const token = await relay.token('hyco');
    const listener = ourSender(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=listen`, [], {
      ServiceBusAuthorization: token,
    });
    await once(listener, 'open');
    const accepted = once(listener, 'message') as Promise<[Buffer]>;
    const sender = ourSender(
      `${relay.wsOrigin}/$hc/hyco?sb-hc-action=connect&sb-hc-token=${encodeURIComponent(token)}`,
      [],
      {'X-Custom-Thing': 'forty-two'},
    );
    const command = JSON.parse((await accepted)[0].toString()) as {
      accept: {
        address: string;
        id: string;
        connectHeaders: Record<string, string>;
        remoteEndpoint: {address: string; port: number};
      };
    };
    expect(command.accept.connectHeaders).toMatchObject({
      'Sec-WebSocket-Key': expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
      'X-Custom-Thing': 'forty-two',
      'Sec-WebSocket-Version': '13',
    });
    expect(
      Object.keys(command.accept.connectHeaders).map((name) => name.toLowerCase()),
    ).not.toContain('servicebusauthorization');
    expect(command.accept.address).not.toContain('sb-hc-token');
    expect(command.accept.remoteEndpoint).toEqual({address: '127.0.0.1', port: expect.any(Number)});

    const rendezvous = ourSender(command.accept.address);
    await Promise.all([once(rendezvous, 'open'), once(sender, 'open')]);
    rendezvous.close();
    sender.terminate();
    listener.close();
  });
});

/**
 * Renewing a mux connection's token in place (PROTOCOL.md §3.7, §6.5): the relay checks a
 * RENEW as it checked the handshake, moves the connection's expiry, and answers ACK — or GOAWAY
 * UNAUTHORIZED, leaving the old expiry in force. Core's MuxSession on both ends, real sockets.
 */
import {once} from 'node:events';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';

import {
  connectMuxSender,
  encodeFrame,
  MUX_SUBPROTOCOL,
  MUX_SUBPROTOCOL_V2,
  MuxErrorCode,
  openMuxListener,
  SessionState,
} from '@porthole/core/protocol';
import type {Frame, MuxSession, MuxStream} from '@porthole/core/protocol';

import {closeOf} from '../fixtures/handshake.js';
import {nodeWebSocket} from '../fixtures/node-web-socket.js';
import {echoStream} from '../fixtures/streams.js';
import {forged, LISTEN_ONLY, SEND_ONLY, startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
const sessions: MuxSession[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  for (const socket of sockets.splice(0)) socket.terminate();
  await relay.close();
});

interface Opened {
  session: MuxSession;
  goAways: [number, string][];
}

async function muxListener(
  options: {token?: string; onStream?: (stream: MuxStream) => void} = {},
): Promise<Opened> {
  const goAways: [number, string][] = [];
  const session = await openMuxListener({
    address: `${relay.wsOrigin}/$hc/hyco`,
    token: options.token ?? (await relay.token('hyco')),
    webSocket: nodeWebSocket(),
    onStream: options.onStream ?? echoStream,
    onGoAway: (code, reason) => goAways.push([code, reason]),
  });
  sessions.push(session);
  return {session, goAways};
}

async function muxSender(token?: string): Promise<Opened> {
  const goAways: [number, string][] = [];
  const session = await connectMuxSender({
    address: `${relay.wsOrigin}/$hc/hyco`,
    token: token ?? (await relay.token('hyco')),
    webSocket: nodeWebSocket(),
    onGoAway: (code, reason) => goAways.push([code, reason]),
  });
  sessions.push(session);
  return {session, goAways};
}

/** A stream that stays open: each `say` writes a line and reads its echo. */
function conversation(stream: MuxStream) {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  return async (line: string): Promise<string> => {
    await writer.write(Buffer.from(line));
    let heard = '';
    while (heard.length < line.length) {
      const {done, value} = await reader.read();
      if (done) break;
      heard += Buffer.from(value).toString();
    }
    return heard;
  };
}

/** A WebSocket that speaks the mux frame by frame, for what core's session would never send. */
async function rawMux(
  protocols: string[] = [MUX_SUBPROTOCOL_V2, MUX_SUBPROTOCOL],
): Promise<{socket: WebSocket; received: Buffer[]}> {
  const socket = new WebSocket(`${relay.wsOrigin}/$hc/hyco?sb-hc-action=connect`, protocols, {
    headers: {ServiceBusAuthorization: await relay.token('hyco')},
  });
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('message', (data: Buffer) => received.push(data));
  await once(socket, 'open');
  return {socket, received};
}

const renew = (credential: string): Frame => ({type: 'RENEW', ack: false, credential});

describe('mux version negotiation', () => {
  it('selects porthole.mux.v2 for a client that offers it, whatever the order of the offer', async () => {
    relay = await startTestRelay();
    await muxListener();
    const {session} = await muxSender();
    expect([session.version, session.renewable]).toEqual([2, true]);
    const reversed = await rawMux([MUX_SUBPROTOCOL, MUX_SUBPROTOCOL_V2]);
    expect(reversed.socket.protocol).toBe(MUX_SUBPROTOCOL_V2);
    expect(relay.log).toContainEqual(
      expect.objectContaining({event: 'mux.listener-connected', version: 2}),
    );
  });

  it('selects porthole.mux.v1 for a client that offers only that', async () => {
    relay = await startTestRelay();
    await muxListener();
    const {socket} = await rawMux([MUX_SUBPROTOCOL]);
    expect(socket.protocol).toBe(MUX_SUBPROTOCOL);
  });

  it('answers like a relay without RENEW when muxRenewal is false: version 1, and renewToken is unsupported', async () => {
    relay = await startTestRelay({muxRenewal: false});
    const listener = await muxListener();
    const {session} = await muxSender();
    expect([session.version, listener.session.version]).toEqual([1, 1]);
    await expect(session.renewToken(await relay.token('hyco'))).rejects.toMatchObject({
      code: 'ERR_MUX_RENEW_UNSUPPORTED',
      message: 'Mux renewal: the peer selected porthole.mux.v1, which has no RENEW',
    });
  });
});

describe('RENEW at the relay', () => {
  it('keeps a renewed connection, and its streams, past the first token’s expiry', async () => {
    relay = await startTestRelay({limits: {muxDrainTimeoutMs: 300}});
    const listener = await muxListener({token: await relay.token('hyco', {seconds: 2})});
    const sender = await muxSender(await relay.token('hyco', {seconds: 2}));
    const say = conversation(sender.session.openStream());
    expect(await say('before')).toBe('before');

    const fresh = {listener: await relay.token('hyco'), sender: await relay.token('hyco')};
    await Promise.all([
      listener.session.renewToken(fresh.listener),
      sender.session.renewToken(fresh.sender),
    ]);
    // Past the first tokens' expiry and the drain that would have followed it.
    await sleep(2600);

    expect(await say('after')).toBe('after');
    expect([listener.session.state, sender.session.state]).toEqual([
      SessionState.OPEN,
      SessionState.OPEN,
    ]);
    expect([listener.goAways, sender.goAways]).toEqual([[], []]);
    const another = conversation(sender.session.openStream());
    expect(await another('new stream')).toBe('new stream');
    const events = relay.log.map(({event}) => event);
    expect(events.filter((event) => event === 'mux.renewed')).toHaveLength(2);
    expect(events).not.toContain('mux.token-expired');
    expect(relay.log).toContainEqual(
      expect.objectContaining({event: 'mux.renewed', role: 'client', entity: 'hyco'}),
    );
    // No token reaches the log.
    const logged = JSON.stringify(relay.log);
    for (const token of Object.values(fresh)) {
      expect(logged).not.toContain(decodeURIComponent(/sig=([^&]+)/.exec(token)?.[1] ?? 'sig'));
    }
  });

  it('calls off the close of a connection in its expiry drain; it stays draining but keeps its streams', async () => {
    relay = await startTestRelay({limits: {muxDrainTimeoutMs: 1500}});
    await muxListener();
    const sender = await muxSender(await relay.token('hyco', {seconds: 2}));
    const say = conversation(sender.session.openStream());
    expect(await say('one')).toBe('one');
    while (sender.goAways.length === 0) await sleep(20);
    expect(sender.goAways).toEqual([[MuxErrorCode.NO_ERROR, 'ExpiredToken']]);

    await sender.session.renewToken(await relay.token('hyco'));
    await sleep(2000); // past the drain's end
    expect(await say('two')).toBe('two');
    expect(sender.session.state).toBe(SessionState.DRAINING);
    expect(() => sender.session.openStream()).toThrow(
      expect.objectContaining({code: 'ERR_MUX_SESSION_CLOSED'}),
    );
  });

  it.each([
    [
      'a forged token',
      async () => forged(await relay.token('hyco')),
      'InvalidSignature: the SAS token signature is invalid',
    ],
    [
      'a token for another entity',
      () => relay.token('hycohttp'),
      'InvalidAudience: the token is not valid for hyco',
    ],
    [
      'a token whose rule lacks Send',
      () => relay.token('hyco', {rule: LISTEN_ONLY}),
      "InsufficientRights: the token's rule lacks the Send right",
    ],
    [
      'an expired token',
      () => relay.token('hyco', {seconds: -60}),
      'ExpiredToken: the SAS token has expired',
    ],
    [
      'a malformed token',
      () => Promise.resolve('not a token'),
      'MalformedToken: the SAS token cannot be parsed',
    ],
  ])(
    'refuses %s with GOAWAY UNAUTHORIZED, and the streams open go on',
    async (_what, token, description) => {
      relay = await startTestRelay();
      await muxListener();
      const sender = await muxSender();
      const say = conversation(sender.session.openStream());
      const credential = await token();
      await expect(sender.session.renewToken(credential)).rejects.toMatchObject({
        code: 'ERR_MUX_RENEW_REFUSED',
        message: `Mux renewal refused by peer: UNAUTHORIZED (10) ${JSON.stringify(description)}`,
      });
      expect(sender.goAways).toEqual([[MuxErrorCode.UNAUTHORIZED, description]]);
      expect(await say('still open')).toBe('still open');
      expect(sender.session.state).toBe(SessionState.DRAINING);
      expect(relay.log).toContainEqual(
        expect.objectContaining({
          event: 'mux.renewal-refused',
          role: 'client',
          entity: 'hyco',
          reason: description,
        }),
      );
      expect(JSON.stringify(relay.log)).not.toContain(credential);
    },
  );

  it('ends a connection whose renewal was refused at its old expiry', async () => {
    relay = await startTestRelay({limits: {muxDrainTimeoutMs: 300}});
    await muxListener();
    const sender = await muxSender(await relay.token('hyco', {seconds: 2}));
    await expect(
      sender.session.renewToken(forged(await relay.token('hyco'))),
    ).rejects.toMatchObject({code: 'ERR_MUX_RENEW_REFUSED'});
    await expect(sender.session.closed).rejects.toMatchObject({code: 'ERR_MUX_SESSION_CLOSED'});
    expect(sender.goAways.map(([code, reason]) => `${code} ${reason}`)).toEqual([
      '10 InvalidSignature: the SAS token signature is invalid',
      '0 ExpiredToken',
    ]);
    expect(relay.log).toContainEqual(expect.objectContaining({event: 'mux.token-expired'}));
  });

  it('refuses a listener’s token without Listen, and sends that listener no new streams', async () => {
    relay = await startTestRelay();
    const listener = await muxListener();
    const sender = await muxSender();
    await expect(
      listener.session.renewToken(await relay.token('hyco', {rule: SEND_ONLY})),
    ).rejects.toMatchObject({
      code: 'ERR_MUX_RENEW_REFUSED',
      message: `Mux renewal refused by peer: UNAUTHORIZED (10) "InsufficientRights: the token's rule lacks the Listen right"`,
    });
    const orphan = sender.session.openStream();
    await expect(orphan.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: expect.stringMatching(/NO_LISTENER \(7\)/),
    });
  });

  it('accepts any RENEW on a connection that needed no token (an entity without client authorization)', async () => {
    relay = await startTestRelay();
    const listener = await openMuxListener({
      address: `${relay.wsOrigin}/$hc/open`,
      token: await relay.token('open'),
      webSocket: nodeWebSocket(),
      onStream: echoStream,
    });
    sessions.push(listener);
    const sender = await connectMuxSender({
      address: `${relay.wsOrigin}/$hc/open`,
      webSocket: nodeWebSocket(),
    });
    sessions.push(sender);
    await expect(sender.renewToken('anything')).resolves.toBeUndefined();
    expect(sender.state).toBe(SessionState.OPEN);
  });

  it('answers a RENEW with an empty ACK, byte for byte, and never forwards it', async () => {
    relay = await startTestRelay();
    const listener = await muxListener();
    const {socket, received} = await rawMux();
    socket.send(encodeFrame(renew(await relay.token('hyco'))));
    while (received.length === 0) await sleep(10);
    expect(Buffer.concat(received).toString('hex')).toBe('06010000000000000000');
    // A RENEW reaching the listener, a dialer, would have been a protocol error there.
    await listener.session.ping();
    expect(listener.session.state).toBe(SessionState.OPEN);
  });

  it.each([
    [
      'a RENEW over muxMaxRenewBytes',
      1009,
      () => encodeFrame(renew('x'.repeat(4097)), {maxRenewBytes: 8192}),
    ],
    [
      'a RENEW ACK, which only the relay sends',
      1002,
      () => Buffer.from('06010000000000000000', 'hex'),
    ],
    ['a RENEW on a stream', 1002, () => Buffer.from('0600000000010000000174', 'hex')],
    [
      'a RENEW before the previous one was answered',
      1002,
      () => Buffer.concat([encodeFrame(renew('one')), encodeFrame(renew('two'))]),
    ],
  ])('closes a sender that sends %s with %i', async (_what, code, message) => {
    relay = await startTestRelay();
    await muxListener();
    const {socket} = await rawMux();
    socket.send(message());
    expect((await closeOf(socket)).code).toBe(code);
  });

  it('closes with 1002 a version 1 connection that sends RENEW', async () => {
    relay = await startTestRelay();
    await muxListener();
    const {socket} = await rawMux([MUX_SUBPROTOCOL]);
    socket.send(encodeFrame(renew(await relay.token('hyco'))));
    expect(await closeOf(socket)).toEqual({
      code: 1002,
      reason: 'Invalid mux frame: RENEW on a porthole.mux.v1 connection',
    });
  });
});

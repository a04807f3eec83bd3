// RENEW (PROTOCOL.md §3.7): the dialer renews its credential in place, one RENEW at a time.
import {describe, expect, it} from 'vitest';

import {
  MUX_SUBPROTOCOL,
  MUX_SUBPROTOCOL_V2,
  MUX_SUBPROTOCOLS,
  MuxErrorCode,
  SessionState,
  muxVersionOf,
} from '../../../src/protocol/index.js';
import type {Frame, MuxStream} from '../../../src/protocol/index.js';
import {connectPair, rawPeer, readAll, rejectionOf, settle, utf8} from './helpers.js';

const renew = (credential: string): Frame => ({type: 'RENEW', ack: false, credential});
const ACK: Frame = {type: 'RENEW', ack: true, credential: ''};
const INVALID = 'InvalidSignature: the SAS token signature is invalid';

/** A version 2 dialer whose acceptor is the test. */
function rawDialer(options: {renewTimeoutMs?: number} = {}) {
  const goAways: [number, string][] = [];
  const peer = rawPeer({
    role: 'dialer',
    version: 2,
    onGoAway: (code, reason) => goAways.push([code, reason]),
    ...options,
  });
  return {...peer, goAways};
}

async function echo(stream: MuxStream, text: string): Promise<string> {
  const writer = stream.writable.getWriter();
  await writer.write(utf8(text));
  await writer.close();
  return new TextDecoder().decode(await readAll(stream.readable));
}

describe('muxVersionOf', () => {
  it('reads the version from the subprotocol the handshake selected', () => {
    expect(MUX_SUBPROTOCOLS).toEqual(['porthole.mux.v2', 'porthole.mux.v1']);
    expect(muxVersionOf(MUX_SUBPROTOCOL)).toBe(1);
    expect(muxVersionOf(MUX_SUBPROTOCOL_V2)).toBe(2);
    expect(muxVersionOf('')).toBeUndefined();
    expect(muxVersionOf('porthole.mux.v3')).toBeUndefined();
  });
});

describe('MuxSession', () => {
  describe('#renewToken', () => {
    it('resolves once the acceptor accepts the credential, and the streams carry on', async () => {
      const seen: string[] = [];
      const {dialer, acceptor} = connectPair({
        dialer: {version: 2},
        acceptor: {
          version: 2,
          onStream: (stream) => void echo(stream, 'pong').catch(() => undefined),
          onRenew: (credential) => {
            seen.push(credential);
          },
        },
      });
      expect([dialer.renewable, acceptor.renewable]).toEqual([true, false]);
      expect(dialer.version).toBe(2);
      const stream = dialer.openStream();
      await dialer.renewToken('SharedAccessSignature sr=a&sig=b&se=1&skn=c');
      expect(seen).toEqual(['SharedAccessSignature sr=a&sig=b&se=1&skn=c']);
      expect([dialer.state, acceptor.state]).toEqual([SessionState.OPEN, SessionState.OPEN]);
      expect(await echo(stream, 'ping')).toBe('pong');
      expect(() => dialer.openStream()).not.toThrow();
      dialer.close();
    });

    it('rejects with ERR_MUX_RENEW_REFUSED when the acceptor refuses: GOAWAY UNAUTHORIZED, open streams go on', async () => {
      const goAways: [number, string][] = [];
      const {dialer, acceptor} = connectPair({
        dialer: {version: 2, onGoAway: (code, reason) => goAways.push([code, reason])},
        acceptor: {
          version: 2,
          onStream: (stream) => void echo(stream, 'still here').catch(() => undefined),
          onRenew: () => Promise.reject(new Error(INVALID)),
        },
      });
      const stream = dialer.openStream();
      await settle();
      await expect(dialer.renewToken('forged')).rejects.toMatchObject({
        code: 'ERR_MUX_RENEW_REFUSED',
        message: `Mux renewal refused by peer: UNAUTHORIZED (10) "${INVALID}"`,
      });
      expect(goAways).toEqual([[MuxErrorCode.UNAUTHORIZED, INVALID]]);
      expect([dialer.state, acceptor.state]).toEqual([
        SessionState.DRAINING,
        SessionState.DRAINING,
      ]);
      expect(await echo(stream, 'ping')).toBe('still here');
      dialer.close();
    });

    it('is refused by an acceptor without onRenew (fail closed)', async () => {
      const {dialer} = connectPair({dialer: {version: 2}, acceptor: {version: 2}});
      await expect(dialer.renewToken('tok')).rejects.toMatchObject({
        code: 'ERR_MUX_RENEW_REFUSED',
        message:
          'Mux renewal refused by peer: UNAUTHORIZED (10) "NotSupported: no credential check here"',
      });
      dialer.close();
    });

    it('rejects with ERR_MUX_RENEW_UNSUPPORTED on version 1 and on the acceptor, sending nothing', async () => {
      const v1 = rawPeer({role: 'dialer'});
      expect(v1.session.renewable).toBe(false);
      await expect(v1.session.renewToken('tok')).rejects.toMatchObject({
        code: 'ERR_MUX_RENEW_UNSUPPORTED',
        message: 'Mux renewal: the peer selected porthole.mux.v1, which has no RENEW',
      });
      const acceptor = rawPeer({version: 2});
      await expect(acceptor.session.renewToken('tok')).rejects.toMatchObject({
        code: 'ERR_MUX_RENEW_UNSUPPORTED',
        message: 'Mux renewal: only the dialer renews its credential',
      });
      expect([v1.transport.frames(), acceptor.transport.frames()]).toEqual([[], []]);
    });

    it('refuses an empty or oversized credential before sending anything', async () => {
      const {session, transport} = rawPeer({role: 'dialer', version: 2, maxRenewBytes: 8});
      await expect(session.renewToken('')).rejects.toMatchObject({
        code: 'ERR_MUX_PROTOCOL',
        message: 'Invalid mux frame: RENEW without a credential',
      });
      await expect(session.renewToken('123456789')).rejects.toMatchObject({
        code: 'ERR_MUX_FRAME_TOO_LARGE',
        message: 'Mux renew credential too large: 9 bytes (maxRenewBytes 8)',
      });
      expect(transport.frames()).toEqual([]);
      expect(session.state).toBe(SessionState.OPEN);
    });

    it('sends one RENEW at a time, in call order, each answered in turn', async () => {
      const {session, transport, feed} = rawDialer();
      const settled: string[] = [];
      const first = session.renewToken('one').then(() => settled.push('one'));
      const second = session.renewToken('two').then(() => settled.push('two'));
      expect(transport.take()).toEqual([renew('one')]);
      feed(ACK);
      await first;
      expect(transport.take()).toEqual([renew('two')]);
      feed(ACK);
      await second;
      expect(settled).toEqual(['one', 'two']);
    });

    it('rejects with ERR_MUX_RENEW_TIMEOUT, and sends the next RENEW only after the late answer', async () => {
      const {session, transport, clock, feed} = rawDialer({renewTimeoutMs: 1000});
      const late = session.renewToken('one');
      expect(transport.take()).toEqual([renew('one')]);
      clock.advance(1000);
      await expect(late).rejects.toMatchObject({
        code: 'ERR_MUX_RENEW_TIMEOUT',
        message: 'Mux renewal: no answer within 1000ms (renewTimeoutMs)',
      });
      // The first RENEW is still on the wire (PROTOCOL.md §3.7): the next one waits for its answer.
      const next = session.renewToken('two');
      expect(transport.take()).toEqual([]);
      feed(ACK);
      expect(transport.take()).toEqual([renew('two')]);
      feed(ACK);
      await expect(next).resolves.toBeUndefined();
      expect(session.state).toBe(SessionState.OPEN);
    });

    it('drops a call that timed out before its RENEW was sent', async () => {
      const {session, transport, clock, feed} = rawDialer({renewTimeoutMs: 1000});
      const first = session.renewToken('one');
      clock.advance(500);
      const second = session.renewToken('two');
      clock.advance(1000);
      await expect(Promise.allSettled([first, second])).resolves.toMatchObject([
        {status: 'rejected', reason: {code: 'ERR_MUX_RENEW_TIMEOUT'}},
        {status: 'rejected', reason: {code: 'ERR_MUX_RENEW_TIMEOUT'}},
      ]);
      feed(ACK);
      expect(transport.take()).toEqual([renew('one')]);
      expect(clock.pending).toBeGreaterThan(0); // the keepalive only
    });

    it('renews while draining, so that open streams outlive the old credential', async () => {
      const {session, transport, feed} = rawDialer();
      feed({type: 'GOAWAY', code: MuxErrorCode.NO_ERROR, reason: 'ExpiredToken'});
      expect(session.state).toBe(SessionState.DRAINING);
      const renewed = session.renewToken('fresh');
      expect(transport.take()).toEqual([renew('fresh')]);
      feed(ACK);
      await expect(renewed).resolves.toBeUndefined();
    });

    it('takes a GOAWAY with another code as no answer', async () => {
      const {session, transport, feed} = rawDialer();
      const renewed = session.renewToken('tok');
      transport.take();
      feed({type: 'GOAWAY', code: MuxErrorCode.NO_ERROR, reason: 'ExpiredToken'});
      await settle();
      feed(ACK);
      await expect(renewed).resolves.toBeUndefined();
    });

    it('rejects a pending renewal with ERR_MUX_SESSION_CLOSED when the session closes', async () => {
      const {session} = rawDialer();
      const renewed = session.renewToken('tok');
      session.transportClosed(1006);
      await expect(renewed).rejects.toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux transport closed: 1006',
      });
      await expect(rejectionOf(session.renewToken('tok'))).resolves.toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
      });
    });
  });

  describe('RENEW from the peer', () => {
    it('answers an accepted RENEW with an empty ACK', async () => {
      const seen: string[] = [];
      const {transport, feed} = rawPeer({version: 2, onRenew: (token) => void seen.push(token)});
      feed(renew('tok'));
      await settle();
      expect(seen).toEqual(['tok']);
      expect(transport.take()).toEqual([ACK]);
    });

    it('answers a refused RENEW with GOAWAY UNAUTHORIZED and a drain, and a later one with a second GOAWAY', async () => {
      const {session, transport, feed} = rawPeer({
        version: 2,
        onRenew: () => Promise.reject(new Error(INVALID)),
      });
      feed(renew('bad'));
      await settle();
      const [goAway, drainPing] = transport.take();
      expect(goAway).toEqual({type: 'GOAWAY', code: MuxErrorCode.UNAUTHORIZED, reason: INVALID});
      expect(drainPing).toMatchObject({type: 'PING', ack: false});
      expect(session.state).toBe(SessionState.DRAINING);
      feed(renew('bad again'));
      await settle();
      expect(transport.take()).toEqual([
        {type: 'GOAWAY', code: MuxErrorCode.UNAUTHORIZED, reason: INVALID},
      ]);
    });

    it('cuts a refusal reason to 256 bytes', async () => {
      const {transport, feed} = rawPeer({
        version: 2,
        onRenew: () => Promise.reject(new Error('x'.repeat(300))),
      });
      feed(renew('bad'));
      await settle();
      expect(transport.take()[0]).toMatchObject({type: 'GOAWAY', reason: 'x'.repeat(256)});
    });

    it.each([
      [
        'a RENEW on a version 1 connection (acceptor)',
        {},
        renew('tok'),
        'Mux protocol error: RENEW on a porthole.mux.v1 connection',
      ],
      [
        'a RENEW on a version 1 connection (dialer)',
        {role: 'dialer' as const},
        ACK,
        'Mux protocol error: RENEW on a porthole.mux.v1 connection',
      ],
      [
        'a RENEW ACK from the dialer',
        {version: 2 as const},
        ACK,
        'Mux protocol error: RENEW ACK from the dialer',
      ],
      [
        'a RENEW from the acceptor',
        {role: 'dialer' as const, version: 2 as const},
        renew('tok'),
        'Mux protocol error: RENEW from the acceptor',
      ],
      [
        'a RENEW ACK that answers nothing',
        {role: 'dialer' as const, version: 2 as const},
        ACK,
        'Mux protocol error: RENEW ACK without a RENEW on the wire',
      ],
    ])('closes with 1002 on %s', async (_what, options, frame, message) => {
      const {session, transport, feed} = rawPeer(options);
      feed(frame);
      await expect(session.closed).rejects.toMatchObject({
        code: 'ERR_MUX_PROTOCOL',
        message,
        closeCode: 1002,
      });
      expect(transport.closes).toEqual([[1002, message]]);
    });

    it('closes with 1002 on a RENEW that arrives before the previous one was answered', async () => {
      const {session, feed} = rawPeer({version: 2, onRenew: () => new Promise(() => undefined)});
      feed(renew('one'));
      feed(renew('two'));
      await expect(session.closed).rejects.toMatchObject({
        code: 'ERR_MUX_PROTOCOL',
        message: 'Mux protocol error: RENEW before the previous one was answered',
      });
    });

    it('closes with 1009 on a credential over maxRenewBytes', async () => {
      const {session, feed} = rawPeer({version: 2, onRenew: () => undefined, maxRenewBytes: 4});
      feed(renew('tok'));
      session.receive(Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0, 0, 5));
      await expect(session.closed).rejects.toMatchObject({
        code: 'ERR_MUX_FRAME_TOO_LARGE',
        message: 'Mux renew credential too large: 5 bytes (maxRenewBytes 4)',
        closeCode: 1009,
      });
    });

    it('sends no answer once the session has closed', async () => {
      let accept: () => void = () => undefined;
      const {session, transport, feed} = rawPeer({
        version: 2,
        onRenew: () => new Promise<void>((resolve) => (accept = resolve)),
      });
      feed(renew('tok'));
      session.close();
      transport.take();
      accept();
      await settle();
      expect(transport.take()).toEqual([]);
    });
  });
});

import {describe, expect, it} from 'vitest';

import {MuxErrorCode, SessionState} from '../../../src/protocol/index.js';
import type {Frame, MuxStream} from '../../../src/protocol/index.js';
import {
  connectPair,
  hex,
  rawPeer,
  readAll,
  rejectionOf,
  settle,
  thrownBy,
  utf8,
} from './helpers.js';

async function send(stream: MuxStream, body: Uint8Array): Promise<void> {
  const writer = stream.writable.getWriter();
  await writer.write(body);
  await writer.close();
}

const ping = (opaque: string, ack = false): Frame => ({type: 'PING', ack, opaque: hex(opaque)});

describe('MuxSession', () => {
  describe('#ping', () => {
    it('resolves with the round trip in milliseconds of the injected clock', async () => {
      const pair = connectPair({beforeDeliver: () => pair.clock.advance(7)});
      await expect(pair.dialer.ping()).resolves.toBe(14);
      pair.dialer.close();
    });

    it('answers a PING with an ACK that echoes it, in order', () => {
      const {transport, feed} = rawPeer();
      feed(ping('0102030405060708'), ping('1112131415161718'));
      expect(transport.frames()).toEqual([
        ping('0102030405060708', true),
        ping('1112131415161718', true),
      ]);
    });

    it('ignores an ACK that answers no PING of ours', () => {
      const {session, transport, feed} = rawPeer();
      feed(ping('ffffffff00000001', true));
      expect(transport.frames()).toEqual([]);
      expect(session.state).toBe(SessionState.OPEN);
    });

    it('rejects a pending ping when the session closes', async () => {
      const {session} = rawPeer();
      const rtt = session.ping();
      session.close();
      await expect(rtt).rejects.toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux session closed',
      });
    });
  });

  describe('#goAway', () => {
    it('drains: open streams finish, new ones are refused, and it resolves once none can arrive', async () => {
      const accepted: MuxStream[] = [];
      const goAways: [number, string][] = [];
      const {dialer, acceptor} = connectPair({
        dialer: {onGoAway: (code, reason) => goAways.push([code, reason])},
        acceptor: {onStream: (stream) => accepted.push(stream)},
      });
      const existing = dialer.openStream();
      await settle();

      const drained = acceptor.goAway(MuxErrorCode.NO_ERROR, 'maintenance');
      expect(acceptor.state).toBe(SessionState.DRAINING);
      // Opened before the GOAWAY arrived: it crosses it, and is refused (PROTOCOL.md §6.3 step 2).
      const crossing = dialer.openStream();
      await drained;
      expect(goAways).toEqual([[MuxErrorCode.NO_ERROR, 'maintenance']]);
      expect(dialer.state).toBe(SessionState.DRAINING);
      await expect(crossing.closed).rejects.toMatchObject({
        code: 'ERR_MUX_STREAM_REFUSED',
        message: 'Mux stream 3 refused by peer: REFUSED_STREAM (4) "going away"',
      });
      expect(thrownBy(() => dialer.openStream())).toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux session draining: peer sent GOAWAY NO_ERROR (0)',
      });
      expect(thrownBy(() => acceptor.openStream())).toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux session draining: no new streams after GOAWAY',
      });

      // The stream that was open carries on both ways.
      const peer = accepted[0] as MuxStream;
      await Promise.all([send(existing, utf8('request')), send(peer, utf8('response'))]);
      expect(await readAll(peer.readable)).toEqual(utf8('request'));
      expect(await readAll(existing.readable)).toEqual(utf8('response'));
      await Promise.all([existing.closed, peer.closed]);

      acceptor.close();
      await Promise.all([acceptor.closed, dialer.closed]);
      expect([acceptor.state, dialer.state]).toEqual([SessionState.CLOSED, SessionState.CLOSED]);
    });

    it('sends GOAWAY then PING, and treats an OPEN after the ACK as a protocol error', async () => {
      const {session, transport, feed} = rawPeer();
      const drained = session.goAway();
      const [goAway, drainPing] = transport.take();
      expect(goAway).toEqual({type: 'GOAWAY', code: 0, reason: ''});
      expect(drainPing).toMatchObject({type: 'PING', ack: false});
      const opaque = (drainPing as Extract<Frame, {type: 'PING'}>).opaque;
      // Before the ACK, an OPEN may have crossed the GOAWAY: refused, safe to retry.
      feed({type: 'OPEN', streamId: 1, properties: {}});
      expect(transport.take()).toEqual([
        {type: 'RST', streamId: 1, code: MuxErrorCode.REFUSED_STREAM, reason: 'going away'},
      ]);
      // The ACK and an OPEN in one message: the OPEN is already past the drain.
      feed({type: 'PING', ack: true, opaque}, {type: 'OPEN', streamId: 3, properties: {}});
      await drained;
      await expect(session.closed).rejects.toMatchObject({
        code: 'ERR_MUX_PROTOCOL',
        message: 'Mux protocol error: OPEN stream 3 after GOAWAY',
        closeCode: 1002,
      });
      expect(transport.closes).toEqual([[1002, 'Mux protocol error: OPEN stream 3 after GOAWAY']]);
    });

    it('sends one GOAWAY however often it is called, and settles every call with the first', async () => {
      const {session, transport, feed} = rawPeer();
      const calls = [session.goAway(), session.goAway(MuxErrorCode.INTERNAL_ERROR)];
      const sent = transport.take();
      expect(sent.map((frame) => frame.type)).toEqual(['GOAWAY', 'PING']);
      const {opaque} = sent[1] as Extract<Frame, {type: 'PING'}>;
      feed({type: 'PING', ack: true, opaque});
      await expect(Promise.all(calls)).resolves.toEqual([undefined, undefined]);
    });

    it('rejects a code that is not a u32, and stays open', async () => {
      const {session} = rawPeer();
      await expect(session.goAway(-1)).rejects.toMatchObject({
        code: 'ERR_MUX_PROTOCOL',
        message: 'Invalid mux frame: GOAWAY code -1 out of range',
      });
      expect(session.state).toBe(SessionState.OPEN);
    });

    it('rejects when the session ends before the ACK', async () => {
      const {session} = rawPeer();
      const drained = session.goAway();
      session.transportClosed(1006);
      await expect(drained).rejects.toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux transport closed: 1006',
      });
    });
  });

  describe('#close', () => {
    it('sends GOAWAY and closes with 1000; open streams fail on both sides', async () => {
      const accepted: MuxStream[] = [];
      const {dialer, acceptor} = connectPair({
        acceptor: {onStream: (stream) => accepted.push(stream)},
      });
      const stream = dialer.openStream();
      await settle();
      dialer.close();
      await expect(stream.closed).rejects.toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux session closed',
      });
      await expect(accepted[0]?.closed).rejects.toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux transport closed: 1000',
      });
      await expect(dialer.closed).resolves.toBeUndefined();
      await expect(acceptor.closed).resolves.toBeUndefined();
      expect(thrownBy(() => dialer.openStream())).toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux session closed',
      });
      await expect(dialer.ping()).rejects.toMatchObject({code: 'ERR_MUX_SESSION_CLOSED'});
      await expect(dialer.goAway()).rejects.toMatchObject({code: 'ERR_MUX_SESSION_CLOSED'});
    });

    it('is idempotent, and ignores input once closed', () => {
      const {session, transport, feed} = rawPeer();
      session.close();
      session.close();
      feed(ping('0000000000000000'));
      expect(transport.frames()).toEqual([{type: 'GOAWAY', code: 0, reason: ''}]);
      expect(transport.closes).toEqual([[1000, '']]);
    });
  });

  describe('#transportClosed', () => {
    it('rejects closed for a close other than 1000, and fails the open streams', async () => {
      const {session, accepted, feed} = rawPeer();
      feed({type: 'OPEN', streamId: 1, properties: {}});
      session.transportClosed(1006, '');
      const failure = {
        code: 'ERR_MUX_SESSION_CLOSED',
        message: 'Mux transport closed: 1006',
        closeCode: 1006,
      };
      await expect(session.closed).rejects.toMatchObject(failure);
      await expect(accepted[0]?.closed).rejects.toMatchObject(failure);
    });

    it("names the peer's GOAWAY error when the peer closes after one", async () => {
      const {dialer, acceptor} = connectPair();
      acceptor.receive(hex('7f 00 00000000 00000000'));
      await expect(acceptor.closed).rejects.toMatchObject({
        code: 'ERR_MUX_PROTOCOL',
        message: 'Invalid mux frame: unknown type 0x7f',
      });
      const error = await rejectionOf(dialer.closed);
      expect(error).toMatchObject({
        code: 'ERR_MUX_SESSION_CLOSED',
        message:
          'Mux session closed by peer: PROTOCOL_ERROR (1) "Invalid mux frame: unknown type 0x7f"',
        closeCode: 1002,
      });
    });
  });

  describe('keepalive', () => {
    it('pings every pingIntervalMs and closes with ERR_MUX_IDLE_TIMEOUT when nothing arrives', async () => {
      const {session, transport, clock} = rawPeer();
      clock.advance(20_000);
      expect(transport.take()).toEqual([
        {type: 'PING', ack: false, opaque: hex('0000000000000001')},
      ]);
      clock.advance(19_999);
      expect(session.state).toBe(SessionState.OPEN);
      clock.advance(1);
      const message = 'Mux session idle: nothing received for 40000ms (idleTimeoutMs 40000)';
      await expect(session.closed).rejects.toMatchObject({
        code: 'ERR_MUX_IDLE_TIMEOUT',
        message,
        closeCode: 1008,
      });
      // Idle wins over the keepalive PING due at the same moment.
      expect(transport.take()).toEqual([
        {type: 'GOAWAY', code: MuxErrorCode.NO_ERROR, reason: message},
      ]);
      expect(transport.closes).toEqual([[1008, message]]);
      expect(clock.pending).toBe(0);
    });

    it('counts any received byte as life', async () => {
      const {session, clock} = rawPeer({pingIntervalMs: 0, idleTimeoutMs: 1000});
      clock.advance(900);
      session.receive(hex('00'));
      clock.advance(999);
      expect(session.state).toBe(SessionState.OPEN);
      clock.advance(1);
      await expect(session.closed).rejects.toMatchObject({
        message: 'Mux session idle: nothing received for 1000ms (idleTimeoutMs 1000)',
      });
    });

    it('keeps two healthy sessions alive for as long as they run', async () => {
      const {dialer, acceptor, clock} = connectPair();
      for (let i = 0; i < 30; i++) {
        clock.advance(10_000);
        await settle();
      }
      expect([dialer.state, acceptor.state]).toEqual([SessionState.OPEN, SessionState.OPEN]);
      dialer.close();
      await acceptor.closed;
      expect(clock.pending).toBe(0);
    });

    it('sets no timer when both intervals are 0', () => {
      const {clock} = rawPeer({pingIntervalMs: 0, idleTimeoutMs: 0});
      expect(clock.pending).toBe(0);
    });
  });

  describe('PING flood', () => {
    it('answers maxPingsPerSecond PINGs, then sends GOAWAY ENHANCE_YOUR_CALM and closes with 1008', async () => {
      const {session, transport, feed} = rawPeer();
      const pings = Array.from({length: 21}, (_, i) =>
        ping(`00000000000000${i.toString(16).padStart(2, '0')}`),
      );
      feed(...pings);
      const message = 'Mux peer flood: 21 PINGs within 1000ms (maxPingsPerSecond 20)';
      await expect(session.closed).rejects.toMatchObject({
        code: 'ERR_MUX_FLOOD',
        message,
        closeCode: 1008,
      });
      const sent = transport.frames();
      expect(sent.slice(0, 20)).toEqual(pings.slice(0, 20).map((frame) => ({...frame, ack: true})));
      expect(sent.slice(20)).toEqual([
        {type: 'GOAWAY', code: MuxErrorCode.ENHANCE_YOUR_CALM, reason: message},
      ]);
      expect(transport.closes).toEqual([[1008, message]]);
    });

    it('counts PINGs per second', () => {
      const {session, clock, feed} = rawPeer({maxPingsPerSecond: 3});
      for (let second = 0; second < 5; second++) {
        feed(ping('0000000000000000'), ping('0000000000000000'), ping('0000000000000000'));
        clock.advance(1000);
      }
      expect(session.state).toBe(SessionState.OPEN);
    });
  });
});

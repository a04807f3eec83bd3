// A hand-driven peer breaks each rule of PROTOCOL.md §3–§4 in turn.
import {describe, expect, it} from 'vitest';

import {MuxErrorCode, SessionState} from '../../../src/protocol/index.js';
import type {Frame} from '../../../src/protocol/index.js';
import {hex, rawPeer, utf8} from './helpers.js';

const open = (streamId: number): Frame => ({type: 'OPEN', streamId, properties: {}});
const data = (streamId: number, text: string, fin = false): Frame => ({
  type: 'DATA',
  streamId,
  fin,
  payload: utf8(text),
});

// [what, role of the session under test, frames the peer sends, message]
const VIOLATIONS: [string, 'dialer' | 'acceptor', Frame[], string][] = [
  [
    'the dialer opening an even stream',
    'acceptor',
    [open(2)],
    'Mux protocol error: the dialer opened even stream 2',
  ],
  [
    'the acceptor opening an odd stream',
    'dialer',
    [open(1)],
    'Mux protocol error: the acceptor opened odd stream 1',
  ],
  [
    'an OPEN that reuses an id',
    'acceptor',
    [open(3), open(3)],
    'Mux protocol error: OPEN stream 3 does not increase (last 3)',
  ],
  [
    'an OPEN whose id decreases',
    'acceptor',
    [open(5), open(1)],
    'Mux protocol error: OPEN stream 1 does not increase (last 5)',
  ],
  [
    'DATA on a stream never opened',
    'acceptor',
    [data(7, 'x')],
    'Mux protocol error: DATA on stream 7, which was never opened',
  ],
  [
    'WINDOW on a stream never opened',
    'acceptor',
    [{type: 'WINDOW', streamId: 2, increment: 1}],
    'Mux protocol error: WINDOW on stream 2, which was never opened',
  ],
  [
    'RST on a stream never opened',
    'dialer',
    [{type: 'RST', streamId: 1, code: 0, reason: ''}],
    'Mux protocol error: RST on stream 1, which was never opened',
  ],
  [
    'DATA after FIN',
    'acceptor',
    [open(1), data(1, 'a', true), data(1, 'b')],
    'Mux protocol error: DATA on stream 1 after FIN',
  ],
  [
    'an OPEN after its own GOAWAY',
    'acceptor',
    [{type: 'GOAWAY', code: 0, reason: ''}, open(1)],
    "Mux protocol error: OPEN stream 1 after the peer's GOAWAY",
  ],
];

describe('MuxSession against a peer that breaks the protocol', () => {
  it.each(VIOLATIONS)('closes with 1002 on %s', async (_what, role, frames, message) => {
    const {session, transport, feed} = rawPeer({role});
    feed(...frames);
    await expect(session.closed).rejects.toMatchObject({
      code: 'ERR_MUX_PROTOCOL',
      message,
      closeCode: 1002,
    });
    expect(transport.frames().at(-1)).toEqual({
      type: 'GOAWAY',
      code: MuxErrorCode.PROTOCOL_ERROR,
      reason: message,
    });
    expect(transport.closes).toEqual([[1002, message]]);
  });

  it('closes with 1002 on a text message', async () => {
    const {session, transport} = rawPeer();
    session.receive('{"hello":1}');
    const message = 'Invalid mux message: text message (binary only)';
    await expect(session.closed).rejects.toMatchObject({code: 'ERR_MUX_PROTOCOL', message});
    expect(transport.closes).toEqual([[1002, message]]);
  });

  it('closes with 1009 and GOAWAY FRAME_TOO_LARGE on an oversized frame, from its header', async () => {
    const {session, transport} = rawPeer({maxFrameSize: 1024});
    session.receive(hex('00 00 00000001 00000401'));
    const message = 'Mux frame too large: 1025 bytes (maxFrameSize 1024)';
    await expect(session.closed).rejects.toMatchObject({
      code: 'ERR_MUX_FRAME_TOO_LARGE',
      message,
      closeCode: 1009,
    });
    expect(transport.frames()).toEqual([
      {type: 'GOAWAY', code: MuxErrorCode.FRAME_TOO_LARGE, reason: message},
    ]);
    expect(transport.closes).toEqual([[1009, message]]);
  });

  it('ignores the frames that follow a connection error in the same message', async () => {
    const {session, transport, accepted} = rawPeer();
    session.receive(hex('7f 00 00000000 00000000' + '01 00 00000001 00000002 7b7d'));
    await expect(session.closed).rejects.toMatchObject({
      message: 'Invalid mux frame: unknown type 0x7f',
    });
    expect(accepted).toEqual([]);
    expect(transport.frames()).toHaveLength(1);
  });

  it('ignores DATA, WINDOW and RST for a stream it reset, which crossed the RST (PROTOCOL.md §4.4)', () => {
    const {session, transport, feed, accepted} = rawPeer();
    feed(open(1), data(1, 'a'));
    accepted[0]?.reset();
    feed(
      data(1, 'b'),
      {type: 'WINDOW', streamId: 1, increment: 5},
      {type: 'RST', streamId: 1, code: 6, reason: ''},
    );
    expect(session.state).toBe(SessionState.OPEN);
    expect(transport.frames()).toEqual([
      {type: 'RST', streamId: 1, code: MuxErrorCode.CANCEL, reason: ''},
    ]);
  });

  it('ignores DATA for a stream it refused', () => {
    const {session, transport, feed} = rawPeer({maxStreams: 0});
    feed(open(1), data(1, 'sent before the refusal arrived'));
    expect(session.state).toBe(SessionState.OPEN);
    expect(transport.frames()).toEqual([
      {type: 'RST', streamId: 1, code: MuxErrorCode.REFUSED_STREAM, reason: 'maxStreams 0'},
    ]);
  });

  it('accepts ids that skip numbers', () => {
    const {session, feed, accepted} = rawPeer();
    feed(open(1), open(9), open(101));
    expect(session.state).toBe(SessionState.OPEN);
    expect(accepted.map((stream) => stream.id)).toEqual([1, 9, 101]);
  });

  it('accepts unknown error codes and names them', async () => {
    const {session, feed, accepted} = rawPeer();
    feed(open(1), {type: 'RST', streamId: 1, code: 4242, reason: ''});
    await expect(accepted[0]?.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: 'Mux stream 1 reset by peer: UNKNOWN (4242)',
    });
    expect(session.state).toBe(SessionState.OPEN);
  });

  it('resets a stream with INTERNAL_ERROR when onStream throws', () => {
    const {session, transport, feed} = rawPeer({
      onStream: () => {
        throw new Error('application bug');
      },
    });
    feed(open(1));
    expect(transport.frames()).toEqual([
      {
        type: 'RST',
        streamId: 1,
        code: MuxErrorCode.INTERNAL_ERROR,
        reason: 'stream handler failed',
      },
    ]);
    expect(session.state).toBe(SessionState.OPEN);
  });

  it('fails with ERR_MUX_SESSION_CLOSED and 1011 when the transport cannot send', async () => {
    const broken = rawPeer();
    broken.transport.send = () => {
      throw new Error('socket gone');
    };
    await expect(broken.session.ping()).rejects.toMatchObject({
      code: 'ERR_MUX_SESSION_CLOSED',
      message: 'Mux transport failed to send',
    });
    await expect(broken.session.closed).rejects.toMatchObject({closeCode: 1011});
  });
});

import {describe, expect, it} from 'vitest';

import {
  DATA_CHUNK_SIZE,
  HEADER_SIZE,
  INITIAL_WINDOW,
  MuxErrorCode,
} from '../../../src/protocol/index.js';
import type {Frame, MuxStream} from '../../../src/protocol/index.js';
import {
  bytesDiff,
  connectPair,
  pattern,
  rawPeer,
  readAll,
  settle,
  thrownBy,
  utf8,
} from './helpers.js';

async function send(stream: MuxStream, body: Uint8Array): Promise<void> {
  const writer = stream.writable.getWriter();
  await writer.write(body);
  await writer.close();
}

const data = (streamId: number, length: number, fin = false): Frame => ({
  type: 'DATA',
  streamId,
  fin,
  payload: new Uint8Array(length),
});

describe('MuxSession flow control', () => {
  it('blocks a writer whose peer does not read, while other streams keep flowing', async () => {
    const accepted = new Map<number, MuxStream>();
    const {dialer, sentBytes} = connectPair({
      acceptor: {onStream: (stream) => accepted.set(stream.id, stream)},
    });
    const slow = dialer.openStream({name: 'slow'});
    const fast = dialer.openStream({name: 'fast'});
    const slowBody = pattern(4 * INITIAL_WINDOW);
    let slowDone = false;
    const slowWrite = send(slow, slowBody).then(() => (slowDone = true));
    await settle();

    // PROTOCOL.md §5.1: exactly one window went out, and the writer waits.
    expect(slowDone).toBe(false);
    const openFrames = 2 * (HEADER_SIZE + '{"name":"slow"}'.length);
    const dataFrames = (INITIAL_WINDOW / DATA_CHUNK_SIZE) * HEADER_SIZE;
    expect(sentBytes.dialer).toBe(openFrames + dataFrames + INITIAL_WINDOW);

    // The stalled stream does not hold up another one.
    const fastBody = pattern(4 * INITIAL_WINDOW, 1);
    const [, fastEchoed] = await Promise.all([
      send(fast, fastBody),
      readAll(accepted.get(3)?.readable as ReadableStream<Uint8Array>),
    ]);
    expect(bytesDiff(fastEchoed, fastBody)).toBe('');
    expect(slowDone).toBe(false);

    // Reading the slow stream releases its writer, and every byte arrives in order.
    const slowRead = await readAll(accepted.get(1)?.readable as ReadableStream<Uint8Array>);
    await slowWrite;
    expect(bytesDiff(slowRead, slowBody)).toBe('');
    dialer.close();
  });

  it('grants credit as the reader consumes, in WINDOWs of half the window', async () => {
    const {transport, feed, accepted} = rawPeer();
    feed(
      {type: 'OPEN', streamId: 1, properties: {}},
      ...Array.from({length: 4}, () => data(1, DATA_CHUNK_SIZE)),
    );
    const reader = accepted[0]?.readable.getReader();
    transport.take();
    const windows = async () => {
      await reader?.read();
      await settle();
      return transport.take().filter((frame) => frame.type === 'WINDOW');
    };
    // PROTOCOL.md §5.2: nothing for the first 64 KiB, one grant per 128 KiB consumed.
    expect(await windows()).toEqual([]);
    expect(await windows()).toEqual([{type: 'WINDOW', streamId: 1, increment: INITIAL_WINDOW / 2}]);
    expect(await windows()).toEqual([]);
    expect(await windows()).toEqual([{type: 'WINDOW', streamId: 1, increment: INITIAL_WINDOW / 2}]);
  });

  it('grants no credit for a direction that ended with FIN', async () => {
    const {transport, feed, accepted} = rawPeer();
    feed(
      {type: 'OPEN', streamId: 1, properties: {}},
      data(1, DATA_CHUNK_SIZE),
      data(1, DATA_CHUNK_SIZE, true),
    );
    await readAll(accepted[0]?.readable as ReadableStream<Uint8Array>);
    expect(transport.frames().filter((frame) => frame.type === 'WINDOW')).toEqual([]);
  });

  it('treats DATA beyond the window as a flow-control error (1002)', async () => {
    const {session, transport, feed} = rawPeer();
    feed(
      {type: 'OPEN', streamId: 1, properties: {}},
      ...Array.from({length: 4}, () => data(1, DATA_CHUNK_SIZE)),
      data(1, 1),
    );
    const error = {
      code: 'ERR_MUX_FLOW_CONTROL',
      message: 'Mux flow control violated: 1 bytes on stream 1 with a window of 0',
      closeCode: 1002,
    };
    await expect(session.closed).rejects.toMatchObject(error);
    expect(transport.frames().at(-1)).toEqual({
      type: 'GOAWAY',
      code: MuxErrorCode.FLOW_CONTROL_ERROR,
      reason: error.message,
    });
    expect(transport.closes).toEqual([[1002, error.message]]);
  });

  it('treats a window above 2^31 - 1 as a flow-control error', async () => {
    const {session, feed} = rawPeer();
    feed(
      {type: 'OPEN', streamId: 1, properties: {}},
      {type: 'WINDOW', streamId: 1, increment: 0x7fffffff},
    );
    await expect(session.closed).rejects.toMatchObject({
      code: 'ERR_MUX_FLOW_CONTROL',
      message:
        'Mux flow control violated: window of stream 1 would be 2147745791 bytes (max 2147483647)',
    });
  });

  it('refuses an OPEN with REFUSED_STREAM when the memory cap would be exceeded, and admits it once credit is freed', async () => {
    const accepted: MuxStream[] = [];
    const cap = 2 * INITIAL_WINDOW + 1000;
    const {dialer} = connectPair({
      acceptor: {maxConnectionWindow: cap, onStream: (stream) => accepted.push(stream)},
    });
    const first = dialer.openStream();
    dialer.openStream();
    const third = dialer.openStream();
    // Sent before the refusal can arrive; the acceptor discards it (PROTOCOL.md §4.4).
    const lost = third.writable.getWriter().write(utf8('lost'));
    await expect(third.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_REFUSED',
      message: `Mux stream 5 refused by peer: REFUSED_STREAM (4) "maxConnectionWindow ${cap}"`,
    });
    await lost;
    expect(accepted.map((stream) => stream.id)).toEqual([1, 3]);

    await send(first, utf8('done'));
    await send(accepted[0] as MuxStream, new Uint8Array(0));
    await readAll(first.readable);
    await readAll(accepted[0]?.readable as ReadableStream<Uint8Array>);
    const fourth = dialer.openStream();
    await settle();
    expect(accepted.map((stream) => stream.id)).toEqual([1, 3, 7]);
    expect(dialer.state).toBe('open');
    fourth.reset();
    dialer.close();
  });

  it('counts unread bytes against the cap until they are read', async () => {
    const cap = INITIAL_WINDOW + DATA_CHUNK_SIZE - 1;
    const {feed, transport, accepted} = rawPeer({maxConnectionWindow: cap});
    // The peer finishes stream 1 but nobody reads it: 64 KiB stay committed.
    feed({type: 'OPEN', streamId: 1, properties: {}}, data(1, DATA_CHUNK_SIZE, true), {
      type: 'OPEN',
      streamId: 3,
      properties: {},
    });
    expect(transport.take()).toEqual([
      {
        type: 'RST',
        streamId: 3,
        code: MuxErrorCode.REFUSED_STREAM,
        reason: `maxConnectionWindow ${cap}`,
      },
    ]);
    await readAll(accepted[0]?.readable as ReadableStream<Uint8Array>);
    feed({type: 'OPEN', streamId: 5, properties: {}});
    expect(transport.take()).toEqual([]);
    expect(accepted.map((stream) => stream.id)).toEqual([1, 5]);
  });

  it('refuses to open a stream locally over maxConnectionWindow', () => {
    const {session} = rawPeer({role: 'dialer', maxConnectionWindow: INITIAL_WINDOW});
    session.openStream();
    expect(thrownBy(() => session.openStream())).toMatchObject({
      code: 'ERR_MUX_STREAM_REFUSED',
      message: 'Mux stream refused: 262144 bytes of window committed (maxConnectionWindow 262144)',
    });
    session.close();
  });

  it("refuses the peer's streams over maxStreams with REFUSED_STREAM", async () => {
    const accepted: MuxStream[] = [];
    const {dialer} = connectPair({
      acceptor: {maxStreams: 2, onStream: (stream) => accepted.push(stream)},
    });
    dialer.openStream();
    dialer.openStream();
    const third = dialer.openStream();
    await expect(third.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_REFUSED',
      message: 'Mux stream 5 refused by peer: REFUSED_STREAM (4) "maxStreams 2"',
    });
    expect(accepted).toHaveLength(2);
    dialer.close();
  });

  it('refuses to open a stream locally over maxStreams, and opens again once one is over', async () => {
    const {dialer} = connectPair({
      dialer: {maxStreams: 1},
      acceptor: {onStream: (stream) => stream.reset()},
    });
    const first = dialer.openStream();
    expect(thrownBy(() => dialer.openStream())).toMatchObject({
      code: 'ERR_MUX_STREAM_REFUSED',
      message: 'Mux stream refused: 1 streams open (maxStreams 1)',
    });
    await first.closed.catch(() => undefined);
    expect(dialer.openStream().id).toBe(3);
    dialer.close();
  });

  it('refuses every stream when there is no onStream', async () => {
    const {dialer} = connectPair();
    const stream = dialer.openStream();
    await expect(stream.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_REFUSED',
      message: 'Mux stream 1 refused by peer: REFUSED_STREAM (4) "not accepting streams"',
    });
    dialer.close();
  });
});

describe('MuxSession window growth (PROTOCOL.md §5.2)', () => {
  /**
   * A stream whose reader takes each chunk as it arrives. The probe PING its first grant sends
   * is answered at once, so the round trip is 0 ms (counted as the 1 ms floor).
   */
  async function fastStream(options: Parameters<typeof rawPeer>[0] = {}) {
    const peer = rawPeer(options);
    peer.feed({type: 'OPEN', streamId: 1, properties: {}});
    const reader = peer.accepted[0]?.readable.getReader();
    if (!reader) throw new Error('no stream');
    /** Feeds `chunks` DATA frames, reads them, answers any PING, and returns the WINDOW increments sent. */
    const exchange = async (chunks: number, gapMs = 0) => {
      const increments: number[] = [];
      for (let i = 0; i < chunks; i++) {
        peer.feed(data(1, DATA_CHUNK_SIZE));
        await reader.read();
        await settle();
        for (const frame of peer.transport.take()) {
          if (frame.type === 'WINDOW') increments.push(frame.increment);
          if (frame.type === 'PING' && !frame.ack)
            peer.feed({type: 'PING', ack: true, opaque: frame.opaque});
        }
        peer.clock.advance(gapMs);
      }
      return increments;
    };
    return {exchange};
  }

  it('doubles the window when half of it is read within two round trips of the last grant', async () => {
    const {exchange} = await fastStream();
    // First grant: no round trip known yet (its probe PING goes out), so no growth.
    expect(await exchange(4)).toEqual([INITIAL_WINDOW / 2, INITIAL_WINDOW / 2 + INITIAL_WINDOW]);
    // Window 512 KiB: a grant every 256 KiB, which doubles it again; then 1 MiB: every 512 KiB.
    expect(await exchange(4)).toEqual([INITIAL_WINDOW + 2 * INITIAL_WINDOW]);
    expect(await exchange(8)).toEqual([2 * INITIAL_WINDOW + 4 * INITIAL_WINDOW]);
  });

  it('keeps the window when grants are further apart than two round trips', async () => {
    const {exchange} = await fastStream();
    expect(await exchange(8, 5)).toEqual([
      INITIAL_WINDOW / 2,
      INITIAL_WINDOW / 2,
      INITIAL_WINDOW / 2,
      INITIAL_WINDOW / 2,
    ]);
  });

  it('grows no further than maxStreamWindow, nor beyond maxConnectionWindow', async () => {
    const capped = await fastStream({maxStreamWindow: 2 * INITIAL_WINDOW});
    await capped.exchange(4);
    expect(await capped.exchange(8)).toEqual([INITIAL_WINDOW, INITIAL_WINDOW]);

    const tight = await fastStream({maxConnectionWindow: INITIAL_WINDOW});
    expect(await tight.exchange(8)).toEqual([
      INITIAL_WINDOW / 2,
      INITIAL_WINDOW / 2,
      INITIAL_WINDOW / 2,
      INITIAL_WINDOW / 2,
    ]);
  });
});

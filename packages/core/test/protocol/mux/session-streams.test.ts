import {describe, expect, it} from 'vitest';

import {INITIAL_WINDOW, MuxErrorCode} from '../../../src/protocol/index.js';
import type {MuxStream} from '../../../src/protocol/index.js';
import {
  bytesDiff,
  concat,
  connectPair,
  pattern,
  readAll,
  settle,
  thrownBy,
  utf8,
} from './helpers.js';

/** An `onStream` that echoes every stream back to its opener. */
function echo(stream: MuxStream): void {
  void stream.readable.pipeTo(stream.writable).catch(() => undefined);
}

async function send(stream: MuxStream, ...chunks: Uint8Array[]): Promise<void> {
  const writer = stream.writable.getWriter();
  for (const chunk of chunks) await writer.write(chunk);
  await writer.close();
}

describe('MuxSession streams', () => {
  it('opens a stream and echoes more than a window of bytes through it', async () => {
    const {dialer, acceptor} = connectPair({acceptor: {onStream: echo}});
    const stream = dialer.openStream();
    const body = pattern(3 * INITIAL_WINDOW + 17);
    const [, echoed] = await Promise.all([send(stream, body), readAll(stream.readable)]);
    expect(bytesDiff(echoed, body)).toBe('');
    await expect(stream.closed).resolves.toBeUndefined();
    dialer.close();
    await acceptor.closed;
  });

  it('delivers the open properties, and numbers streams odd for the dialer, even for the acceptor', async () => {
    const seenByAcceptor: MuxStream[] = [];
    const seenByDialer: MuxStream[] = [];
    const {dialer, acceptor} = connectPair({
      dialer: {onStream: (stream) => seenByDialer.push(stream)},
      acceptor: {onStream: (stream) => seenByAcceptor.push(stream)},
    });
    const first = dialer.openStream({target: 'kube-apiserver', headers: {'x-a': ['1']}});
    const second = dialer.openStream();
    const fromAcceptor = acceptor.openStream({reverse: true});
    await settle();
    expect([first.id, second.id, fromAcceptor.id]).toEqual([1, 3, 2]);
    expect(seenByAcceptor.map((stream) => [stream.id, stream.properties])).toEqual([
      [1, {target: 'kube-apiserver', headers: {'x-a': ['1']}}],
      [3, {}],
    ]);
    expect(seenByDialer.map((stream) => [stream.id, stream.properties])).toEqual([
      [2, {reverse: true}],
    ]);
    dialer.close();
  });

  it('refuses open properties that are not a JSON object, without using up a stream id', () => {
    const {dialer} = connectPair();
    expect(
      thrownBy(() => dialer.openStream([1] as unknown as Record<string, unknown>)),
    ).toMatchObject({
      code: 'ERR_MUX_PROTOCOL',
      message: 'Invalid mux frame: OPEN properties must be a JSON object (got array)',
    });
    expect(thrownBy(() => dialer.openStream({pad: 'x'.repeat(20_000)}))).toMatchObject({
      code: 'ERR_MUX_FRAME_TOO_LARGE',
      message: 'Mux open properties too large: 20010 bytes (maxOpenPropertiesBytes 16384)',
    });
    expect(dialer.openStream().id).toBe(1);
    dialer.close();
  });

  it('half-closes: the peer reads to FIN, then answers on its own direction', async () => {
    const {dialer} = connectPair({
      acceptor: {
        onStream: (stream) => {
          void (async () => {
            const request = await readAll(stream.readable);
            await send(stream, utf8('got '), request);
          })();
        },
      },
    });
    const stream = dialer.openStream();
    await send(stream, utf8('GET /version'));
    expect(new TextDecoder().decode(await readAll(stream.readable))).toBe('got GET /version');
    await expect(stream.closed).resolves.toBeUndefined();
    dialer.close();
  });

  it('settles closed only once both directions ended and everything received was read', async () => {
    let accepted: MuxStream | undefined;
    const {dialer} = connectPair({acceptor: {onStream: (stream) => (accepted = stream)}});
    const stream = dialer.openStream();
    await send(stream, utf8('ping'));
    await settle();
    let settled = false;
    void accepted?.closed.then(() => (settled = true));
    await send(accepted as MuxStream, utf8('pong'));
    await settle();
    expect(settled).toBe(false);
    expect(await readAll((accepted as MuxStream).readable)).toEqual(utf8('ping'));
    await settle();
    expect(settled).toBe(true);
    dialer.close();
  });

  it('resets a stream from the opener: both sides of the peer fail with ERR_MUX_STREAM_RESET', async () => {
    let accepted: MuxStream | undefined;
    const {dialer} = connectPair({acceptor: {onStream: (stream) => (accepted = stream)}});
    const stream = dialer.openStream();
    await settle();
    stream.reset(MuxErrorCode.CANCEL, 'client went away');
    const byPeer = {
      code: 'ERR_MUX_STREAM_RESET',
      message: 'Mux stream 1 reset by peer: CANCEL (6) "client went away"',
    };
    const peer = accepted as MuxStream;
    await expect(peer.closed).rejects.toMatchObject(byPeer);
    await expect(peer.readable.getReader().read()).rejects.toMatchObject(byPeer);
    await expect(peer.writable.getWriter().write(utf8('late'))).rejects.toMatchObject(byPeer);
    const local = {code: 'ERR_MUX_STREAM_RESET', message: 'Mux stream 1 reset: CANCEL (6)'};
    await expect(stream.closed).rejects.toMatchObject(local);
    await expect(stream.readable.getReader().read()).rejects.toMatchObject(local);
    dialer.close();
  });

  it('resets a stream from the acceptor, with the code it chose', async () => {
    const {dialer} = connectPair({
      acceptor: {onStream: (stream) => stream.reset(MuxErrorCode.INTERNAL_ERROR)},
    });
    const stream = dialer.openStream();
    await expect(stream.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: 'Mux stream 1 reset by peer: INTERNAL_ERROR (2)',
    });
    dialer.close();
  });

  it('fails a writer that waits for credit when the peer resets the stream', async () => {
    const accepted: MuxStream[] = [];
    const {dialer} = connectPair({acceptor: {onStream: (stream) => accepted.push(stream)}});
    const stream = dialer.openStream();
    const write = stream.writable.getWriter().write(pattern(2 * INITIAL_WINDOW));
    await settle();
    accepted[0]?.reset(MuxErrorCode.CANCEL, '');
    await expect(write).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: 'Mux stream 1 reset by peer: CANCEL (6)',
    });
    dialer.close();
  });

  it('resets with CANCEL when the reader cancels before FIN', async () => {
    const {dialer} = connectPair({
      acceptor: {
        onStream: (stream) => {
          void stream.readable.cancel();
        },
      },
    });
    const stream = dialer.openStream();
    await expect(stream.closed).rejects.toMatchObject({
      code: 'ERR_MUX_STREAM_RESET',
      message: 'Mux stream 1 reset by peer: CANCEL (6) "reader cancelled"',
    });
    dialer.close();
  });

  it('resets with CANCEL when the writer aborts', async () => {
    const accepted: MuxStream[] = [];
    const {dialer} = connectPair({acceptor: {onStream: (stream) => accepted.push(stream)}});
    const stream = dialer.openStream();
    await stream.writable.abort(new Error('changed my mind'));
    await settle();
    await expect(accepted[0]?.closed).rejects.toMatchObject({
      message: 'Mux stream 1 reset by peer: CANCEL (6)',
    });
    dialer.close();
  });

  it('cancelling the readable after FIN ends the stream without a reset', async () => {
    const {dialer} = connectPair({
      acceptor: {onStream: (stream) => void send(stream, utf8('unread'))},
    });
    const stream = dialer.openStream();
    await send(stream);
    await settle();
    await stream.readable.cancel();
    await expect(stream.closed).resolves.toBeUndefined();
    dialer.close();
  });

  it('runs 200 streams at once, each carrying its own bytes', async () => {
    const {dialer} = connectPair({acceptor: {onStream: echo}});
    const results = await Promise.all(
      Array.from({length: 200}, async (_, i) => {
        const stream = dialer.openStream({i});
        const body = pattern(1000 + i * 37, i);
        const [, echoed] = await Promise.all([
          send(stream, body.subarray(0, 500), body.subarray(500)),
          readAll(stream.readable),
        ]);
        return bytesDiff(echoed, body);
      }),
    );
    expect(results.filter((diff) => diff !== '')).toEqual([]);
    dialer.close();
  });

  it.each([[1], [7], [4096]])(
    'carries streams over messages split into %d-byte pieces',
    async (size) => {
      const {dialer} = connectPair({acceptor: {onStream: echo}, splitInto: size});
      const bodies = [concat([pattern(5000), pattern(70_000, 3)]), pattern(3000, 9)];
      const echoed = await Promise.all(
        bodies.map(async (body) => {
          const stream = dialer.openStream({size});
          const [, back] = await Promise.all([send(stream, body), readAll(stream.readable)]);
          return bytesDiff(back, body);
        }),
      );
      expect(echoed).toEqual(['', '']);
      dialer.close();
    },
  );
});

import fc from 'fast-check';
import {describe, expect, it} from 'vitest';

import {KUBE_DEFAULTS, Opcode, WebSocketFrameDecoder, encodeFrame} from '../../src/kube/index.js';
import type {KubeError, WebSocketFrame} from '../../src/kube/index.js';
import {bytes, concat, everySplit, hex, split} from './helpers.js';

function decode(chunks: readonly Uint8Array[], maxMessageSize?: number) {
  const frames: WebSocketFrame[] = [];
  const errors: KubeError[] = [];
  const decoder = new WebSocketFrameDecoder(
    {
      onFrame: (frame) => frames.push({...frame, payload: frame.payload.slice()}),
      onError: (error) => errors.push(error),
    },
    maxMessageSize === undefined ? {} : {maxMessageSize},
  );
  for (const chunk of chunks) decoder.push(chunk);
  return {frames, errors};
}

/** A server frame (unmasked) with an arbitrary header, for the decoder. */
function serverFrame(first: number, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const header =
    length < 126
      ? [first, length]
      : length < 0x10000
        ? [first, 126, length >> 8, length & 0xff]
        : [
            first,
            127,
            0,
            0,
            0,
            0,
            (length >>> 24) & 0xff,
            (length >> 16) & 0xff,
            (length >> 8) & 0xff,
            length & 0xff,
          ];
  return concat([Uint8Array.from(header), payload]);
}

/** Unmasks a client frame, for checking the encoder. */
function unmask(frame: Uint8Array): {header: Uint8Array; payload: Uint8Array} {
  const length7 = (frame[1] ?? 0) & 0x7f;
  const start = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
  const mask = frame.subarray(start, start + 4);
  const payload = frame.slice(start + 4).map((byte, i) => byte ^ (mask[i & 3] ?? 0));
  return {header: frame.subarray(0, start), payload};
}

describe('encodeFrame', () => {
  it('masks as RFC 6455 §5.7 shows: "Hello" with key 37 fa 21 3d', () => {
    const frame = encodeFrame(
      {fin: true, opcode: Opcode.TEXT, payload: bytes('Hello')},
      hex('37fa213d'),
    );
    expect(frame).toEqual(hex('81 85 37fa213d 7f9f4d5158'));
  });

  it('always sets the mask bit, with a random key when none is given', () => {
    const payload = new Uint8Array(32).fill(0x61);
    const first = encodeFrame({fin: true, opcode: Opcode.BINARY, payload});
    const second = encodeFrame({fin: true, opcode: Opcode.BINARY, payload});
    expect((first[1] ?? 0) & 0x80).toBe(0x80);
    expect(first.subarray(2, 6)).not.toEqual(second.subarray(2, 6));
    expect(unmask(first).payload).toEqual(payload);
  });

  it.each([
    [125, '82fd'],
    [126, '82fe007e'],
    [65_535, '82feffff'],
    [65_536, '82ff0000000000010000'],
  ])('writes a %i-byte payload length as %s', (length, header) => {
    const payload = new Uint8Array(length).fill(7);
    const frame = encodeFrame({fin: true, opcode: Opcode.BINARY, payload});
    const {header: written, payload: unmasked} = unmask(frame);
    expect(written).toEqual(hex(header));
    expect(unmasked).toEqual(payload);
  });

  it('writes a fragment without FIN and a continuation opcode', () => {
    const frame = encodeFrame(
      {fin: false, opcode: Opcode.CONTINUATION, payload: bytes('x')},
      hex('00000000'),
    );
    expect(frame).toEqual(hex('00 81 00000000 78'));
  });
});

describe('WebSocketFrameDecoder', () => {
  it('decodes RFC 6455 §5.7 examples: text, fragments, ping, 256 and 65536 bytes', () => {
    const big = new Uint8Array(65_536).fill(1);
    const stream = concat([
      hex('81 05 48656c6c6f'),
      hex('01 03 48656c 80 02 6c6f'),
      hex('89 05 48656c6c6f'),
      hex('8a 00'),
      serverFrame(0x82, new Uint8Array(256)),
      serverFrame(0x82, big),
    ]);
    const {frames, errors} = decode([stream]);
    expect(errors).toEqual([]);
    expect(frames).toEqual([
      {fin: true, opcode: Opcode.TEXT, payload: bytes('Hello')},
      {fin: false, opcode: Opcode.TEXT, payload: bytes('Hel')},
      {fin: true, opcode: Opcode.CONTINUATION, payload: bytes('lo')},
      {fin: true, opcode: Opcode.PING, payload: bytes('Hello')},
      {fin: true, opcode: Opcode.PONG, payload: new Uint8Array(0)},
      {fin: true, opcode: Opcode.BINARY, payload: new Uint8Array(256)},
      {fin: true, opcode: Opcode.BINARY, payload: big},
    ]);
  });

  it('decodes the same frames from every split of the stream', () => {
    const stream = concat([
      hex('01 03 48656c 89 01 21 80 02 6c6f'),
      serverFrame(0x82, new Uint8Array(300).fill(9)),
      hex('88 02 03e8'),
    ]);
    const whole = decode([stream]);
    for (const chunks of everySplit(stream)) expect(decode(chunks)).toEqual(whole);
  });

  // [what, bytes, message]; every message starts with 'Invalid WebSocket frame: ' and closes 1002.
  it.each([
    ['RSV1 set', 'c1 00', 'reserved bits set'],
    ['opcode 0x3', '83 00', 'unknown opcode 0x3'],
    ['opcode 0xb', '8b 00', 'unknown opcode 0xb'],
    ['a masked frame from the server', '82 81 00000000 00', 'masked server frame'],
    ['a fragmented ping', '09 00', 'fragmented control frame'],
    ['a 126-byte close', '88 7e 007e', 'control frame payload over 125 bytes'],
    ['a continuation first', '80 00', 'continuation frame outside a message'],
    [
      'a new message inside a fragmented one',
      '01 01 61 82 00',
      'new message before the last one ended',
    ],
    ['a 64-bit length with its top bit set', '82 7f 8000000000000000', 'payload length over 2^63'],
  ])('reports ERR_KUBE_WEBSOCKET_PROTOCOL for %s', (_, frame, message) => {
    const {errors} = decode([hex(frame)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'ERR_KUBE_WEBSOCKET_PROTOCOL',
      message: `Invalid WebSocket frame: ${message}`,
      closeCode: 1002,
    });
  });

  it('defaults maxMessageSize to 16 MiB', () => {
    expect(KUBE_DEFAULTS.maxMessageSize).toBe(16_777_216);
  });

  it('accepts a message of exactly maxMessageSize and reports ERR_KUBE_MESSAGE_TOO_LARGE (1009) one byte over, from the header', () => {
    expect(decode([serverFrame(0x82, new Uint8Array(100))], 100).errors).toEqual([]);
    // Only the header arrives: the frame is judged before a byte of its payload.
    const {errors, frames} = decode([hex('82 65')], 100);
    expect(frames).toEqual([]);
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'ERR_KUBE_MESSAGE_TOO_LARGE',
        message: 'WebSocket message exceeds maxMessageSize (100 bytes)',
        closeCode: 1009,
      }),
    ]);
  });

  it('counts every fragment of a message against maxMessageSize', () => {
    const fragments = (last: number) =>
      concat([
        serverFrame(0x02, new Uint8Array(60)),
        hex('89 00'),
        serverFrame(0x80, new Uint8Array(last)),
      ]);
    expect(decode([fragments(40)], 100).errors).toEqual([]);
    expect(decode([fragments(41)], 100).errors[0]).toMatchObject({
      code: 'ERR_KUBE_MESSAGE_TOO_LARGE',
    });
  });

  it('decodes any chunking of valid frames to the same frames (property)', () => {
    const frameArbitrary = fc.oneof(
      fc.record({first: fc.constantFrom(0x81, 0x82), payload: fc.uint8Array({maxLength: 70_000})}),
      fc.record({
        first: fc.constantFrom(0x88, 0x89, 0x8a),
        payload: fc.uint8Array({maxLength: 125}),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, {minLength: 1, maxLength: 6}),
        fc.array(fc.nat(), {maxLength: 30}),
        (specs, cuts) => {
          const {frames, errors} = decode(
            split(concat(specs.map((spec) => serverFrame(spec.first, spec.payload))), cuts),
          );
          expect(errors).toEqual([]);
          expect(frames).toEqual(
            specs.map((spec) => ({fin: true, opcode: spec.first & 0x0f, payload: spec.payload})),
          );
        },
      ),
      {numRuns: 100},
    );
  });
});

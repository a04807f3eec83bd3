import {describe, expect, it} from 'vitest';

import {FrameDecoder, encodeFrame} from '../../../src/protocol/index.js';
import type {Frame} from '../../../src/protocol/index.js';
import {concat, decodeFrames, hex, toHex, utf8} from './helpers.js';

// PROTOCOL.md §2–§3, byte for byte: type, flags, stream id (u32 BE), length (u32 BE), payload.
const FIXTURES: [string, Frame, string][] = [
  [
    'DATA',
    {type: 'DATA', streamId: 1, fin: false, payload: utf8('hi')},
    '00 00 00000001 00000002 6869',
  ],
  [
    'DATA with FIN',
    {type: 'DATA', streamId: 2, fin: true, payload: utf8('!')},
    '00 01 00000002 00000001 21',
  ],
  [
    'empty DATA with FIN',
    {type: 'DATA', streamId: 3, fin: true, payload: new Uint8Array(0)},
    '00 01 00000003 00000000',
  ],
  [
    'DATA on the largest id',
    {type: 'DATA', streamId: 0xffffffff, fin: false, payload: hex('00')},
    '00 00 ffffffff 00000001 00',
  ],
  ['OPEN with {}', {type: 'OPEN', streamId: 1, properties: {}}, '01 00 00000001 00000002 7b7d'],
  [
    'OPEN with properties',
    {type: 'OPEN', streamId: 2, properties: {target: 'k'}},
    '01 00 00000002 0000000e 7b22746172676574223a226b227d',
  ],
  ['WINDOW', {type: 'WINDOW', streamId: 5, increment: 65536}, '02 00 00000005 00000004 00010000'],
  [
    'WINDOW of 2^32 - 1',
    {type: 'WINDOW', streamId: 5, increment: 0xffffffff},
    '02 00 00000005 00000004 ffffffff',
  ],
  [
    'RST without reason',
    {type: 'RST', streamId: 9, code: 4, reason: ''},
    '03 00 00000009 00000004 00000004',
  ],
  [
    'RST with a reason',
    {type: 'RST', streamId: 7, code: 6, reason: 'bye'},
    '03 00 00000007 00000007 00000006 627965',
  ],
  [
    'RST with a UTF-8 reason',
    {type: 'RST', streamId: 7, code: 2, reason: 'né'},
    '03 00 00000007 00000007 00000002 6ec3a9',
  ],
  [
    'PING',
    {type: 'PING', ack: false, opaque: hex('0102030405060708')},
    '04 00 00000000 00000008 0102030405060708',
  ],
  [
    'PING ACK',
    {type: 'PING', ack: true, opaque: hex('0102030405060708')},
    '04 01 00000000 00000008 0102030405060708',
  ],
  ['GOAWAY NO_ERROR', {type: 'GOAWAY', code: 0, reason: ''}, '05 00 00000000 00000004 00000000'],
  [
    'GOAWAY with a reason',
    {type: 'GOAWAY', code: 9, reason: 'calm'},
    '05 00 00000000 00000008 00000009 63616c6d',
  ],
  [
    'GOAWAY UNAUTHORIZED',
    {type: 'GOAWAY', code: 10, reason: 'nope'},
    '05 00 00000000 00000008 0000000a 6e6f7065',
  ],
  ['RENEW', {type: 'RENEW', ack: false, credential: 'tok'}, '06 00 00000000 00000003 746f6b'],
  [
    'RENEW with a UTF-8 credential',
    {type: 'RENEW', ack: false, credential: 'é'},
    '06 00 00000000 00000002 c3a9',
  ],
  ['RENEW ACK', {type: 'RENEW', ack: true, credential: ''}, '06 01 00000000 00000000'],
];

describe('encodeFrame', () => {
  it.each(FIXTURES)('encodes %s byte for byte', (_name, frame, bytes) => {
    expect(toHex(encodeFrame(frame))).toBe(toHex(hex(bytes)));
  });

  it('allocates the frame once, header and payload together', () => {
    const bytes = encodeFrame({type: 'DATA', streamId: 1, fin: false, payload: utf8('hello')});
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(15);
  });

  it('copies the payload, so the caller may reuse its buffer', () => {
    const payload = utf8('abc');
    const bytes = encodeFrame({type: 'DATA', streamId: 1, fin: false, payload});
    payload.fill(0);
    expect(toHex(bytes.subarray(10))).toBe('616263');
  });

  it('writes a lone surrogate in a reason as U+FFFD, as TextEncoder does', () => {
    const bytes = encodeFrame({type: 'GOAWAY', code: 0, reason: 'a\ud800'});
    expect(toHex(bytes)).toBe('05000000000000000008' + '00000000' + '61efbfbd');
  });
});

describe('FrameDecoder', () => {
  it.each(FIXTURES)('decodes %s written in two pieces, split anywhere', (_name, frame, bytes) => {
    const whole = hex(bytes);
    for (let split = 0; split <= whole.length; split++) {
      expect(decodeFrames([whole.subarray(0, split), whole.subarray(split)])).toEqual([frame]);
    }
  });

  it('decodes several frames from one message', () => {
    const frames = FIXTURES.map(([, frame]) => frame);
    expect(decodeFrames([concat(frames.map((frame) => encodeFrame(frame)))])).toEqual(frames);
  });

  it('decodes a frame delivered one byte at a time', () => {
    const bytes = hex(FIXTURES[5]?.[2] ?? '');
    expect(decodeFrames(Array.from(bytes, (byte) => Uint8Array.of(byte)))).toEqual([
      FIXTURES[5]?.[1],
    ]);
  });

  it('hands over a payload that lies inside one chunk as a view of it, without copying', () => {
    const chunk = concat([hex('00 00 00000001 00000002 6869'), hex('00 01 00000001 00000001 21')]);
    const payloads: Uint8Array[] = [];
    const decoder = new FrameDecoder({
      onFrame: (frame) => {
        if (frame.type === 'DATA') payloads.push(frame.payload);
      },
      onError: (error) => {
        throw error;
      },
    });
    decoder.push(chunk);
    expect(
      payloads.map((payload) => [payload.buffer === chunk.buffer, payload.byteOffset]),
    ).toEqual([
      [true, 10],
      [true, 22],
    ]);
  });

  it('assembles a payload split across chunks once, into a buffer of its own', () => {
    const bytes = hex('00 00 00000001 00000004 01020304');
    const payloads: Uint8Array[] = [];
    const decoder = new FrameDecoder({
      onFrame: (frame) => {
        if (frame.type === 'DATA') payloads.push(frame.payload);
      },
      onError: (error) => {
        throw error;
      },
    });
    decoder.push(bytes.subarray(0, 12));
    expect(decoder.bufferedBytes).toBe(4);
    decoder.push(bytes.subarray(12, 13));
    decoder.push(bytes.subarray(13));
    expect(decoder.bufferedBytes).toBe(0);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]?.buffer).not.toBe(bytes.buffer);
    expect(toHex(payloads[0] ?? new Uint8Array(0))).toBe('01020304');
  });

  it('holds a partial header in its own 10 bytes', () => {
    const decoder = new FrameDecoder({onFrame: () => undefined, onError: () => undefined});
    decoder.push(hex('00 00 0000'));
    expect(decoder.bufferedBytes).toBe(4);
  });

  it('keeps no reference to a chunk: the caller may reuse a chunk once its frames are out', () => {
    const frames: Frame[] = [];
    const decoder = new FrameDecoder({
      onFrame: (frame) => frames.push(frame),
      onError: () => undefined,
    });
    const chunk = hex('02 00 00000001 00000004 0000');
    decoder.push(chunk);
    chunk.fill(0xff);
    decoder.push(hex('0010'));
    expect(frames).toEqual([{type: 'WINDOW', streamId: 1, increment: 16}]);
  });
});

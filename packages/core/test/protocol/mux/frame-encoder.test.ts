import {describe, expect, it} from 'vitest';

import {MuxError} from '../../../src/index.js';
import {
  MuxErrorCode,
  describeMuxErrorCode,
  encodeFrame,
  muxCloseCode,
} from '../../../src/protocol/index.js';
import type {Frame} from '../../../src/protocol/index.js';
import {decodeFrames, thrownBy} from './helpers.js';

const PROTOCOL = 'ERR_MUX_PROTOCOL';
const TOO_LARGE = 'ERR_MUX_FRAME_TOO_LARGE';
const EMPTY = new Uint8Array(0);

// What the decoder would reject, the encoder refuses with the same error (PROTOCOL.md §2.3).
const REFUSALS: [string, Frame, string, string][] = [
  [
    'DATA on stream 0',
    {type: 'DATA', streamId: 0, fin: true, payload: EMPTY},
    PROTOCOL,
    'Invalid mux frame: DATA on stream 0',
  ],
  [
    'an empty DATA without FIN',
    {type: 'DATA', streamId: 1, fin: false, payload: EMPTY},
    PROTOCOL,
    'Invalid mux frame: empty DATA without FIN on stream 1',
  ],
  [
    'a stream id of 2^32',
    {type: 'RST', streamId: 2 ** 32, code: 0, reason: ''},
    PROTOCOL,
    'Invalid mux frame: stream id 4294967296 out of range',
  ],
  [
    'a negative stream id',
    {type: 'WINDOW', streamId: -1, increment: 1},
    PROTOCOL,
    'Invalid mux frame: stream id -1 out of range',
  ],
  [
    'a fractional stream id',
    {type: 'OPEN', streamId: 1.5, properties: {}},
    PROTOCOL,
    'Invalid mux frame: stream id 1.5 out of range',
  ],
  [
    'a WINDOW increment of 0',
    {type: 'WINDOW', streamId: 1, increment: 0},
    PROTOCOL,
    'Invalid mux frame: WINDOW increment 0 on stream 1',
  ],
  [
    'a WINDOW increment of 2^32',
    {type: 'WINDOW', streamId: 1, increment: 2 ** 32},
    PROTOCOL,
    'Invalid mux frame: WINDOW increment 4294967296 out of range',
  ],
  [
    'a negative RST code',
    {type: 'RST', streamId: 1, code: -1, reason: ''},
    PROTOCOL,
    'Invalid mux frame: RST code -1 out of range',
  ],
  [
    'a GOAWAY code of 2^32',
    {type: 'GOAWAY', code: 2 ** 32, reason: ''},
    PROTOCOL,
    'Invalid mux frame: GOAWAY code 4294967296 out of range',
  ],
  [
    'an RST reason over 256 bytes',
    {type: 'RST', streamId: 1, code: 6, reason: 'é'.repeat(129)},
    PROTOCOL,
    'Invalid mux frame: RST payload must be 4 to 260 bytes (got 262)',
  ],
  [
    'a PING of 7 bytes',
    {type: 'PING', ack: false, opaque: new Uint8Array(7)},
    PROTOCOL,
    'Invalid mux frame: PING payload must be 8 bytes (got 7)',
  ],
  [
    'OPEN properties that are an array',
    {type: 'OPEN', streamId: 1, properties: [] as unknown as Record<string, unknown>},
    PROTOCOL,
    'Invalid mux frame: OPEN properties must be a JSON object (got array)',
  ],
  [
    'OPEN properties whose toJSON is a string',
    {type: 'OPEN', streamId: 1, properties: new Date(0) as unknown as Record<string, unknown>},
    PROTOCOL,
    'Invalid mux frame: OPEN properties must be a JSON object (got string)',
  ],
  [
    'OPEN properties that are a function',
    {type: 'OPEN', streamId: 1, properties: (() => 1) as unknown as Record<string, unknown>},
    PROTOCOL,
    'Invalid mux frame: OPEN properties must be a JSON object (got undefined)',
  ],
  [
    'OPEN properties that are not JSON',
    {type: 'OPEN', streamId: 1, properties: {n: 1n}},
    PROTOCOL,
    'Invalid mux frame: OPEN properties are not JSON-serializable',
  ],
  [
    'OPEN properties over 16 KiB',
    {type: 'OPEN', streamId: 1, properties: {pad: 'x'.repeat(16_384)}},
    TOO_LARGE,
    'Mux open properties too large: 16394 bytes (maxOpenPropertiesBytes 16384)',
  ],
  [
    'DATA over 1 MiB',
    {type: 'DATA', streamId: 1, fin: false, payload: new Uint8Array(1_048_577)},
    TOO_LARGE,
    'Mux frame too large: 1048577 bytes (maxFrameSize 1048576)',
  ],
  [
    'a RENEW without a credential',
    {type: 'RENEW', ack: false, credential: ''},
    PROTOCOL,
    'Invalid mux frame: RENEW without a credential',
  ],
  [
    'a RENEW ACK with a credential',
    {type: 'RENEW', ack: true, credential: 'tok'},
    PROTOCOL,
    'Invalid mux frame: RENEW ACK payload must be 0 bytes (got 3)',
  ],
  [
    'a RENEW credential over 4 KiB',
    {type: 'RENEW', ack: false, credential: 'é'.repeat(2049)},
    TOO_LARGE,
    'Mux renew credential too large: 4098 bytes (maxRenewBytes 4096)',
  ],
  [
    'an unknown type',
    {type: 'FOO'} as unknown as Frame,
    PROTOCOL,
    'Invalid mux frame: unknown type "FOO"',
  ],
];

describe('encodeFrame', () => {
  it.each(REFUSALS)('refuses %s', (_what, frame, code, message) => {
    expect(() => encodeFrame(frame)).toThrow(
      expect.objectContaining({name: 'MuxError', code, message}),
    );
  });

  it('keeps the cause of properties JSON cannot serialize', () => {
    const error = thrownBy(() => encodeFrame({type: 'OPEN', streamId: 1, properties: {n: 1n}}));
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('checks against the receiver limits it is given', () => {
    const frame: Frame = {type: 'DATA', streamId: 1, fin: false, payload: new Uint8Array(5)};
    expect(() => encodeFrame(frame, {maxFrameSize: 4})).toThrow(
      expect.objectContaining({
        code: TOO_LARGE,
        message: 'Mux frame too large: 5 bytes (maxFrameSize 4)',
        closeCode: 1009,
      }),
    );
    expect(encodeFrame(frame, {maxFrameSize: 5})).toHaveLength(15);
  });

  it('accepts a reason of exactly 256 UTF-8 bytes', () => {
    const reason = 'é'.repeat(128);
    expect(decodeFrames([encodeFrame({type: 'GOAWAY', code: 0, reason})])).toEqual([
      {type: 'GOAWAY', code: 0, reason},
    ]);
  });

  it('drops properties JSON leaves out, as JSON.stringify does', () => {
    const bytes = encodeFrame({
      type: 'OPEN',
      streamId: 1,
      properties: {kept: 1, dropped: undefined},
    });
    expect(decodeFrames([bytes])).toEqual([{type: 'OPEN', streamId: 1, properties: {kept: 1}}]);
  });
});

describe('muxCloseCode', () => {
  it.each([
    ['ERR_MUX_PROTOCOL', 1002],
    ['ERR_MUX_FLOW_CONTROL', 1002],
    ['ERR_MUX_FRAME_TOO_LARGE', 1009],
    ['ERR_MUX_FLOOD', 1008],
    ['ERR_MUX_IDLE_TIMEOUT', 1008],
    ['ERR_MUX_SESSION_CLOSED', 1000],
    ['ERR_MUX_STREAM_RESET', 1011],
    ['ERR_MUX_STREAM_REFUSED', 1011],
    ['ERR_MUX_RENEW_UNSUPPORTED', 1011],
    ['ERR_MUX_RENEW_REFUSED', 1011],
    ['ERR_MUX_RENEW_TIMEOUT', 1011],
  ] as const)('maps %s to %d', (code, closeCode) => {
    expect(muxCloseCode(new MuxError(code, 'x'))).toBe(closeCode);
  });

  it('prefers the close code an error carries', () => {
    expect(muxCloseCode(new MuxError('ERR_MUX_SESSION_CLOSED', 'x', {closeCode: 1011}))).toBe(1011);
  });
});

describe('describeMuxErrorCode', () => {
  it.each([
    [MuxErrorCode.NO_ERROR, 'NO_ERROR (0)'],
    [MuxErrorCode.CANCEL, 'CANCEL (6)'],
    [MuxErrorCode.ENHANCE_YOUR_CALM, 'ENHANCE_YOUR_CALM (9)'],
    [MuxErrorCode.UNAUTHORIZED, 'UNAUTHORIZED (10)'],
    [42, 'UNKNOWN (42)'],
  ])('names %d as %s', (code, text) => {
    expect(describeMuxErrorCode(code)).toBe(text);
  });
});

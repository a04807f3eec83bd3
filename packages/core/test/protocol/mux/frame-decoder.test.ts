import {describe, expect, it} from 'vitest';

import type {MuxError} from '../../../src/index.js';
import {FrameDecoder, muxCloseCode} from '../../../src/protocol/index.js';
import type {DecoderLimits, Frame} from '../../../src/protocol/index.js';
import {hex, utf8} from './helpers.js';

function decoderWith(options: Partial<DecoderLimits> = {}) {
  const frames: Frame[] = [];
  const errors: MuxError[] = [];
  const decoder = new FrameDecoder(
    {onFrame: (frame) => frames.push(frame), onError: (error) => errors.push(error)},
    options,
  );
  return {decoder, frames, errors};
}

// [what, bytes, message]: PROTOCOL.md §2.3 and §3, each rule once. Protocol error messages all
// start with 'Invalid mux frame: '.
const PROTOCOL_ERRORS: [string, string, string][] = [
  ['an unknown type', '7f 00 00000000 00000000', 'unknown type 0x7f'],
  ['type 0x07', '07 00 00000000 00000000', 'unknown type 0x07'],
  ['an unknown DATA flag', '00 02 00000001 00000001 00', 'unknown flags 0x02 on DATA'],
  ['a flag on OPEN', '01 01 00000001 00000002 7b7d', 'unknown flags 0x01 on OPEN'],
  ['a flag on WINDOW', '02 80 00000001 00000004 00000001', 'unknown flags 0x80 on WINDOW'],
  ['a flag on RST', '03 01 00000001 00000004 00000000', 'unknown flags 0x01 on RST'],
  [
    'an unknown PING flag',
    '04 03 00000000 00000008 0000000000000000',
    'unknown flags 0x02 on PING',
  ],
  ['a flag on GOAWAY', '05 01 00000000 00000004 00000000', 'unknown flags 0x01 on GOAWAY'],
  ['an unknown RENEW flag', '06 02 00000000 00000001 74', 'unknown flags 0x02 on RENEW'],
  ['DATA on stream 0', '00 01 00000000 00000000', 'DATA on stream 0'],
  ['OPEN on stream 0', '01 00 00000000 00000002 7b7d', 'OPEN on stream 0'],
  ['WINDOW on stream 0', '02 00 00000000 00000004 00000001', 'WINDOW on stream 0'],
  ['RST on stream 0', '03 00 00000000 00000004 00000000', 'RST on stream 0'],
  ['PING on a stream', '04 00 00000001 00000008 0000000000000000', 'PING on stream 1 (must be 0)'],
  ['GOAWAY on a stream', '05 00 00000002 00000004 00000000', 'GOAWAY on stream 2 (must be 0)'],
  ['RENEW on a stream', '06 00 00000001 00000001 74', 'RENEW on stream 1 (must be 0)'],
  ['a RENEW without a credential', '06 00 00000000 00000000', 'RENEW without a credential'],
  [
    'a RENEW ACK with a payload',
    '06 01 00000000 00000001 74',
    'RENEW ACK payload must be 0 bytes (got 1)',
  ],
  [
    'a RENEW credential of invalid UTF-8',
    '06 00 00000000 00000002 74ff',
    'RENEW credential is not valid UTF-8',
  ],
  [
    'a WINDOW of 5 bytes',
    '02 00 00000001 00000005 0000000001',
    'WINDOW payload must be 4 bytes (got 5)',
  ],
  [
    'a PING of 7 bytes',
    '04 00 00000000 00000007 00000000000000',
    'PING payload must be 8 bytes (got 7)',
  ],
  [
    'an RST of 3 bytes',
    '03 00 00000001 00000003 000000',
    'RST payload must be 4 to 260 bytes (got 3)',
  ],
  [
    'a GOAWAY of 261 bytes',
    '05 00 00000000 00000105',
    'GOAWAY payload must be 4 to 260 bytes (got 261)',
  ],
  ['an empty DATA without FIN', '00 00 00000003 00000000', 'empty DATA without FIN on stream 3'],
  ['a WINDOW increment of 0', '02 00 00000001 00000004 00000000', 'WINDOW increment 0 on stream 1'],
  [
    'OPEN with an array',
    '01 00 00000001 00000002 5b5d',
    'OPEN properties must be a JSON object (got array)',
  ],
  [
    'OPEN with null',
    '01 00 00000001 00000004 6e756c6c',
    'OPEN properties must be a JSON object (got null)',
  ],
  [
    'OPEN with a number',
    '01 00 00000001 00000001 31',
    'OPEN properties must be a JSON object (got number)',
  ],
  [
    'OPEN with a string',
    '01 00 00000001 00000003 227822',
    'OPEN properties must be a JSON object (got string)',
  ],
  ['OPEN with an empty payload', '01 00 00000001 00000000', 'OPEN properties are not valid JSON'],
  ['OPEN with broken JSON', '01 00 00000001 00000001 7b', 'OPEN properties are not valid JSON'],
  [
    'OPEN with invalid UTF-8',
    '01 00 00000001 00000003 7bff7d',
    'OPEN properties are not valid UTF-8',
  ],
  [
    'an RST reason of invalid UTF-8',
    '03 00 00000001 00000005 00000006 c3',
    'RST reason is not valid UTF-8',
  ],
  [
    'a GOAWAY reason of invalid UTF-8',
    '05 00 00000000 00000005 00000000 80',
    'GOAWAY reason is not valid UTF-8',
  ],
];

const TOO_LARGE: [string, string, string][] = [
  [
    'a frame over maxFrameSize',
    '00 00 00000001 00200000',
    'Mux frame too large: 2097152 bytes (maxFrameSize 1048576)',
  ],
  [
    'a PING over maxFrameSize',
    '04 00 00000000 ffffffff',
    'Mux frame too large: 4294967295 bytes (maxFrameSize 1048576)',
  ],
  [
    'OPEN over maxOpenPropertiesBytes',
    '01 00 00000001 00004001',
    'Mux open properties too large: 16385 bytes (maxOpenPropertiesBytes 16384)',
  ],
  [
    'RENEW over maxRenewBytes',
    '06 00 00000000 00001001',
    'Mux renew credential too large: 4097 bytes (maxRenewBytes 4096)',
  ],
  [
    'RENEW over maxFrameSize',
    '06 00 00000000 00100001',
    'Mux frame too large: 1048577 bytes (maxFrameSize 1048576)',
  ],
];

describe('FrameDecoder', () => {
  describe('rejections', () => {
    function expectRejected(bytes: string, code: string, message: string, closeCode: number): void {
      const whole = hex(bytes);
      // Whole, and in two pieces split at every point.
      for (let split = 0; split <= whole.length; split++) {
        const {decoder, frames, errors} = decoderWith();
        decoder.push(whole.subarray(0, split));
        decoder.push(whole.subarray(split));
        expect(frames).toEqual([]);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({name: 'MuxError', code, message, closeCode});
        expect(muxCloseCode(errors[0] as MuxError)).toBe(closeCode);
      }
    }

    it.each(PROTOCOL_ERRORS)('emits ERR_MUX_PROTOCOL (1002) for %s', (_what, bytes, detail) => {
      expectRejected(bytes, 'ERR_MUX_PROTOCOL', `Invalid mux frame: ${detail}`, 1002);
    });

    it.each(TOO_LARGE)('emits ERR_MUX_FRAME_TOO_LARGE (1009) for %s', (_what, bytes, message) => {
      expectRejected(bytes, 'ERR_MUX_FRAME_TOO_LARGE', message, 1009);
    });
  });

  it('keeps the JSON error as the cause of an OPEN that is not JSON', () => {
    const {decoder, errors} = decoderWith();
    decoder.push(hex('01 00 00000001 00000001 7b'));
    expect(errors[0]?.cause).toBeInstanceOf(SyntaxError);
  });

  it('emits ERR_MUX_FRAME_TOO_LARGE from the header alone, before buffering any payload', () => {
    const {decoder, errors} = decoderWith({maxFrameSize: 16});
    decoder.push(hex('00 00 00000001 00000011'));
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'ERR_MUX_FRAME_TOO_LARGE',
        message: 'Mux frame too large: 17 bytes (maxFrameSize 16)',
      }),
    ]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts a frame of exactly maxFrameSize', () => {
    const {decoder, frames, errors} = decoderWith({maxFrameSize: 4});
    decoder.push(hex('00 00 00000001 00000004 01020304'));
    expect(errors).toEqual([]);
    expect(frames).toHaveLength(1);
  });

  it('honours a smaller maxOpenPropertiesBytes', () => {
    const {decoder, errors} = decoderWith({maxOpenPropertiesBytes: 2});
    decoder.push(hex('01 00 00000001 00000003 7b7d20'));
    expect(errors[0]).toMatchObject({
      code: 'ERR_MUX_FRAME_TOO_LARGE',
      message: 'Mux open properties too large: 3 bytes (maxOpenPropertiesBytes 2)',
      closeCode: 1009,
    });
  });

  it('honours a smaller maxRenewBytes, and accepts a credential of exactly that size', () => {
    const exact = decoderWith({maxRenewBytes: 3});
    exact.decoder.push(hex('06 00 00000000 00000003 746f6b'));
    expect(exact.errors).toEqual([]);
    expect(exact.frames).toEqual([{type: 'RENEW', ack: false, credential: 'tok'}]);
    const over = decoderWith({maxRenewBytes: 3});
    over.decoder.push(hex('06 00 00000000 00000004'));
    expect(over.errors[0]).toMatchObject({
      code: 'ERR_MUX_FRAME_TOO_LARGE',
      message: 'Mux renew credential too large: 4 bytes (maxRenewBytes 3)',
      closeCode: 1009,
    });
    expect(over.decoder.bufferedBytes).toBe(0);
  });

  it('delivers the frames before an error, then ignores all further input', () => {
    const {decoder, frames, errors} = decoderWith();
    decoder.push(
      hex('00 00 00000001 00000001 61' + '7f 00 00000000 00000000' + '00 00 00000001 00000001 62'),
    );
    decoder.push(hex('00 00 00000001 00000001 63'));
    expect(frames).toEqual([{type: 'DATA', streamId: 1, fin: false, payload: utf8('a')}]);
    expect(errors).toHaveLength(1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('treats a byte-order mark before OPEN properties as invalid JSON', () => {
    const {decoder, errors} = decoderWith();
    decoder.push(hex('01 00 00000001 00000005 efbbbf7b7d'));
    expect(errors[0]?.message).toBe('Invalid mux frame: OPEN properties are not valid JSON');
  });

  it('lets an exception thrown by the handler propagate, and decodes nothing after it', () => {
    let calls = 0;
    const decoder = new FrameDecoder({
      onFrame: () => {
        calls++;
        throw new Error('handler bug');
      },
      onError: () => undefined,
    });
    const frame = hex('00 00 00000001 00000001 61');
    expect(() => {
      decoder.push(frame);
    }).toThrow('handler bug');
    decoder.push(frame);
    expect(calls).toBe(1);
  });
});

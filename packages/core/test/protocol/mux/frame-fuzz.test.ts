// Property tests of the frame codec (STYLE §16; undici's split-data fuzz).
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';

import type {MuxError} from '../../../src/index.js';
import {FrameDecoder, HEADER_SIZE, encodeFrame} from '../../../src/protocol/index.js';
import type {Frame} from '../../../src/protocol/index.js';
import {concat} from './helpers.js';

const u32 = fc.integer({min: 0, max: 0xffffffff});
const streamId = fc.integer({min: 1, max: 0xffffffff});
// Whole code points (no lone surrogates) of at most 4 bytes: 64 of them fit a 256-byte reason.
const codePoint = fc
  .integer({min: 0, max: 0x10ffff - 0x800})
  .map((n) => String.fromCodePoint(n < 0xd800 ? n : n + 0x800));
const reason = fc.string({unit: codePoint, maxLength: 64});

const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({streamId, fin: fc.boolean(), payload: fc.uint8Array({maxLength: 300})})
    .filter(({fin, payload}) => fin || payload.length > 0)
    .map((data) => ({type: 'DATA' as const, ...data})),
  fc
    .record({streamId, properties: fc.dictionary(fc.string(), fc.jsonValue(), {maxKeys: 4})})
    // What the peer decodes is what JSON round-trips to (-0 becomes 0, for one).
    .map(({streamId, properties}) => ({
      type: 'OPEN' as const,
      streamId,
      properties: JSON.parse(JSON.stringify(properties)) as Record<string, unknown>,
    })),
  fc
    .record({streamId, increment: fc.integer({min: 1, max: 0xffffffff})})
    .map((w) => ({type: 'WINDOW' as const, ...w})),
  fc.record({streamId, code: u32, reason}).map((r) => ({type: 'RST' as const, ...r})),
  fc
    .record({ack: fc.boolean(), opaque: fc.uint8Array({minLength: 8, maxLength: 8})})
    .map((p) => ({type: 'PING' as const, ...p})),
  fc.record({code: u32, reason}).map((g) => ({type: 'GOAWAY' as const, ...g})),
  fc.oneof(
    fc.constant({type: 'RENEW' as const, ack: true, credential: ''}),
    fc
      .string({unit: codePoint, minLength: 1, maxLength: 64})
      .map((credential) => ({type: 'RENEW' as const, ack: false, credential})),
  ),
);

/** `bytes` cut at the given points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('FrameDecoder (properties)', () => {
  it('decodes any chunking of a valid frame sequence to the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, {minLength: 1, maxLength: 12}),
        fc.array(fc.nat(), {maxLength: 40}),
        (frames, cuts) => {
          const decoded: Frame[] = [];
          const decoder = new FrameDecoder({
            onFrame: (frame) => decoded.push(frame),
            onError: (error) => {
              throw error;
            },
          });
          for (const chunk of split(concat(frames.map((frame) => encodeFrame(frame))), cuts))
            decoder.push(chunk);
          expect(decoded).toEqual(frames);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      {numRuns: 300},
    );
  });

  it('never throws on random or corrupted bytes, reports at most one error, and buffers at most one frame', () => {
    const limits = {maxFrameSize: 64, maxOpenPropertiesBytes: 32, maxRenewBytes: 16};
    fc.assert(
      fc.property(
        // Valid frames first, so that random bytes also land mid-stream.
        fc.array(frameArbitrary, {maxLength: 3}),
        fc.uint8Array({maxLength: 600}),
        // Corruptions of the valid part: [position, new byte].
        fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255})), {maxLength: 4}),
        fc.array(fc.nat(), {maxLength: 30}),
        (prefix, noise, corruptions, cuts) => {
          const valid = prefix.filter((frame) => {
            try {
              encodeFrame(frame, limits);
              return true;
            } catch {
              return false;
            }
          });
          const bytes = concat([...valid.map((frame) => encodeFrame(frame, limits)), noise]);
          for (const [position, byte] of corruptions) {
            if (bytes.length > 0) bytes[position % bytes.length] = byte;
          }
          const errors: MuxError[] = [];
          let framesAfterError = 0;
          const decoder = new FrameDecoder(
            {
              onFrame: () => {
                if (errors.length > 0) framesAfterError++;
              },
              onError: (error) => errors.push(error),
            },
            limits,
          );
          for (const chunk of split(bytes, cuts)) {
            decoder.push(chunk);
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_SIZE + limits.maxFrameSize);
          }
          expect(errors.length).toBeLessThanOrEqual(1);
          expect(framesAfterError).toBe(0);
          for (const error of errors) expect([1002, 1009]).toContain(error.closeCode);
        },
      ),
      {numRuns: 500},
    );
  });

  it('re-encodes what it decodes byte for byte: the encoding is canonical', () => {
    fc.assert(
      fc.property(fc.array(frameArbitrary, {minLength: 1, maxLength: 6}), (frames) => {
        const bytes = concat(frames.map((frame) => encodeFrame(frame)));
        const again: Uint8Array[] = [];
        const decoder = new FrameDecoder({
          onFrame: (frame) => again.push(encodeFrame(frame)),
          onError: (error) => {
            throw error;
          },
        });
        decoder.push(bytes);
        expect(concat(again)).toEqual(bytes);
      }),
      {numRuns: 200},
    );
  });
});

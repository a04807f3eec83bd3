import fc from 'fast-check';
import {describe, expect, it} from 'vitest';

import {utf8Decode, utf8Length, utf8Truncate} from '../../src/lib/utf8.js';

const encoder = new TextEncoder();
// Any code point but a surrogate (fast-check's 'binary' unit, without its slow first use).
const codePoint = fc
  .integer({min: 0, max: 0x10ffff - 0x800})
  .map((n) => String.fromCodePoint(n < 0xd800 ? n : n + 0x800));
// Any UTF-16 string, lone surrogates included.
const anyString = fc.string({
  unit: fc.integer({min: 0, max: 0xffff}).map((unit) => String.fromCharCode(unit)),
  maxLength: 40,
});

describe('utf8Length', () => {
  it('agrees with TextEncoder on any string, lone surrogates included', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        expect(utf8Length(text)).toBe(encoder.encode(text).length);
      }),
    );
  });
});

describe('utf8Truncate', () => {
  it('cuts to at most the limit, on a character boundary, keeping the longest prefix', () => {
    fc.assert(
      fc.property(fc.string({unit: codePoint, maxLength: 40}), fc.nat({max: 170}), (text, max) => {
        const cut = utf8Truncate(text, max);
        expect(encoder.encode(cut).length).toBeLessThanOrEqual(max);
        expect(text.startsWith(cut)).toBe(true);
        const next = text.slice(
          cut.length,
          cut.length + ((text.codePointAt(cut.length) ?? 0) > 0xffff ? 2 : 1),
        );
        if (cut.length < text.length)
          expect(encoder.encode(cut + next).length).toBeGreaterThan(max);
      }),
    );
  });

  it('never splits a character', () => {
    expect(utf8Truncate('aé€😀', 1)).toBe('a');
    expect(utf8Truncate('aé€😀', 2)).toBe('a');
    expect(utf8Truncate('aé€😀', 3)).toBe('aé');
    expect(utf8Truncate('aé€😀', 9)).toBe('aé€');
    expect(utf8Truncate('aé€😀', 10)).toBe('aé€😀');
  });
});

describe('utf8Decode', () => {
  it('returns undefined for invalid UTF-8, and keeps a byte-order mark', () => {
    expect(utf8Decode(Uint8Array.of(0xc3))).toBeUndefined();
    expect(utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
  });
});

import {describe, expect, it} from 'vitest';

import {
  bitString,
  boolean,
  explicit,
  ia5Octets,
  implicit,
  integer,
  namedBitString,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  time,
  tlv,
  utf8String,
} from '../../src/pki/der.js';
import {asciiHex, hex, toHex} from './helpers.js';

describe('tlv', () => {
  // X.690 §8.1.3 and §10.1: the short form below 128, otherwise the fewest length octets.
  it.each([
    [0, '0400'],
    [1, '0401'],
    [127, '047f'],
    [128, '048180'],
    [255, '0481ff'],
    [256, '04820100'],
    [65535, '0482ffff'],
    [65536, '0483010000'],
  ])('writes a length of %d as %s', (length, header) => {
    const encoded = tlv(0x04, new Uint8Array(length).fill(0xab));
    expect(toHex(encoded.subarray(0, header.length / 2))).toBe(header);
    expect(encoded.length).toBe(header.length / 2 + length);
    expect(encoded.subarray(header.length / 2).every((byte) => byte === 0xab)).toBe(true);
  });

  it('refuses high tag numbers', () => {
    expect(() => tlv(0x1f, new Uint8Array(0))).toThrow(
      'High tag numbers (31 and up) are not supported',
    );
  });
});

describe('integer', () => {
  // X.690 §8.3.2: two's complement in the fewest octets, so a set high bit needs a 00 first.
  it.each([
    [0, '020100'],
    [1, '020101'],
    [127, '02017f'],
    [128, '02020080'],
    [255, '020200ff'],
    [256, '02020100'],
    [32767, '02027fff'],
    [32768, '0203008000'],
    [Number.MAX_SAFE_INTEGER, '02071fffffffffffff'],
  ])('encodes %d as %s', (value, expected) => {
    expect(toHex(integer(value))).toBe(expected);
  });

  it.each([
    ['', '020100'],
    ['00', '020100'],
    ['0000', '020100'],
    ['00007f', '02017f'],
    ['000080', '02020080'],
    ['80', '02020080'],
    ['ff', '020200ff'],
    ['7fffffffffffffffffffffffffffffff', '02107fffffffffffffffffffffffffffffff'],
    ['c0000000000000000000000000000000', '021100c0000000000000000000000000000000'],
  ])('encodes the unsigned octets %s as %s', (octets, expected) => {
    expect(toHex(integer(hex(octets)))).toBe(expected);
  });

  it.each([[-1], [1.5], [2 ** 53]])('refuses %d', (value) => {
    expect(() => integer(value)).toThrow(
      `DER INTEGER must be a non-negative safe integer (got ${value})`,
    );
  });
});

describe('objectIdentifier', () => {
  // X.690 §8.19: 40 × arc1 + arc2 first, then base 128 with the high bit on all but the last.
  it.each([
    ['0.39', '060127'],
    ['2.5.4.3', '0603550403'],
    ['2.5.29.17', '0603551d11'],
    ['1.2.840.10045.2.1', '06072a8648ce3d0201'],
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
    ['1.3.6.1.5.5.7.3.1', '06082b06010505070301'],
    ['1.2.127', '06022a7f'],
    ['1.2.128', '06032a8100'],
    ['1.2.16383', '06032aff7f'],
    ['1.2.16384', '06042a818000'],
    ['2.999.3', '0603883703'], // the example of X.690 §8.19.5
  ])('encodes %s as %s', (oid, expected) => {
    expect(toHex(objectIdentifier(oid))).toBe(expected);
  });

  it.each([[''], ['1'], ['3.1'], ['1.40'], ['1.2.a'], ['1..2'], ['1.02'], ['1.2.-3']])(
    'refuses "%s"',
    (oid) => {
      expect(() => objectIdentifier(oid)).toThrow(`Invalid object identifier "${oid}"`);
    },
  );
});

describe('bitString', () => {
  it.each([
    ['', 0, '030100'],
    ['ff', 0, '030200ff'],
    ['ff', 3, '030203f8'], // DER clears the unused bits (X.690 §11.2.1)
    ['0102', 1, '0303010102'],
  ])('encodes %s with %d unused bits as %s', (octets, unusedBits, expected) => {
    expect(toHex(bitString(hex(octets), unusedBits))).toBe(expected);
  });

  it('refuses unused bits out of range or on an empty string', () => {
    expect(() => bitString(hex('ff'), 8)).toThrow('BIT STRING unused bits must be 0 to 7 (got 8)');
    expect(() => bitString(hex(''), 1)).toThrow('An empty BIT STRING has no unused bits');
  });
});

describe('namedBitString', () => {
  // X.690 §11.2.2: trailing zero bits are dropped, so the last named bit ends the string.
  it.each([
    [[], '030100'],
    [[0], '03020780'], // keyUsage digitalSignature
    [[0, 5, 6], '03020186'], // digitalSignature, keyCertSign, cRLSign
    [[5], '03020204'],
    [[7], '03020001'],
    [[8], '0303070080'], // keyUsage decipherOnly
    [[0, 8], '0303078080'],
  ])('encodes bits %o as %s', (bits, expected) => {
    expect(toHex(namedBitString(bits))).toBe(expected);
  });
});

describe('other types', () => {
  it('encodes BOOLEAN, OCTET STRING, UTF8String and IA5String contents', () => {
    expect(toHex(boolean(true))).toBe('0101ff'); // X.690 §11.1
    expect(toHex(boolean(false))).toBe('010100');
    expect(toHex(octetString(hex('0102')))).toBe('04020102');
    expect(toHex(utf8String('é'))).toBe('0c02c3a9');
    expect(toHex(ia5Octets('localhost'))).toBe(asciiHex('localhost'));
    expect(() => ia5Octets('bücher')).toThrow('IA5String must be ASCII');
  });

  it('nests SEQUENCE, explicit and implicit tags', () => {
    expect(toHex(sequence())).toBe('3000');
    expect(toHex(sequence(boolean(true), integer(0)))).toBe('30060101ff020100');
    expect(toHex(explicit(0, integer(2)))).toBe('a003020102');
    expect(toHex(explicit(3, sequence()))).toBe('a3023000');
    expect(toHex(implicit(7, hex('7f000001')))).toBe('87047f000001');
    expect(toHex(implicit(2, ia5Octets('a.b')))).toBe('8203612e62');
  });

  it('sorts SET OF elements by their encodings (X.690 §11.6)', () => {
    expect(toHex(setOf(integer(2), integer(1)))).toBe('3106020101020102');
    expect(toHex(setOf(octetString(hex('0000')), octetString(hex('ff'))))).toBe(
      '31070401ff04020000',
    );
    expect(toHex(setOf(integer(256), integer(1)))).toBe('310702010102020100');
  });
});

describe('time', () => {
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950).
  it.each([
    ['2026-11-29T02:22:34.999Z', '17', '261129022234Z'],
    ['2049-12-31T23:59:59Z', '17', '491231235959Z'],
    ['2050-01-01T00:00:00Z', '18', '20500101000000Z'],
    ['1950-01-01T00:00:00Z', '17', '500101000000Z'],
    ['1949-12-31T23:59:59Z', '18', '19491231235959Z'],
    ['9999-12-31T23:59:59Z', '18', '99991231235959Z'],
  ])('encodes %s as tag %s "%s"', (iso, tag, text) => {
    const length = text.length.toString(16).padStart(2, '0');
    expect(toHex(time(new Date(iso)))).toBe(tag + length + asciiHex(text));
  });

  it('refuses dates it cannot write', () => {
    const message = 'Certificate times must fall in the years 0 to 9999';
    expect(() => time(new Date('+010000-01-01T00:00:00Z'))).toThrow(message);
    expect(() => time(new Date(NaN))).toThrow(message);
  });
});

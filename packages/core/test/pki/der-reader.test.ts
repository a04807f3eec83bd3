import {describe, expect, it} from 'vitest';

import {decodeObjectIdentifier, readChildren, readDer} from '../../src/pki/der-reader.js';
import {objectIdentifier} from '../../src/pki/der.js';
import {hex, toHex} from './helpers.js';

describe('readDer', () => {
  it('reads an element and its children as views of the input', () => {
    const element = readDer(hex('30 06 02 01 01 04 01 ff'));
    expect(element.tag).toBe(0x30);
    expect(toHex(element.content)).toBe('0201010401ff');
    const children = readChildren(element);
    expect(children.map((child) => [child.tag, toHex(child.bytes), toHex(child.content)])).toEqual([
      [0x02, '020101', '01'],
      [0x04, '0401ff', 'ff'],
    ]);
  });

  it('reads long-form lengths', () => {
    const content = new Uint8Array(300).fill(7);
    const element = readDer(new Uint8Array([0x04, 0x82, 0x01, 0x2c, ...content]));
    expect(element.content.length).toBe(300);
    expect(
      readDer(new Uint8Array([0x04, 0x81, 0x80, ...content.subarray(0, 128)])).content.length,
    ).toBe(128);
  });

  // X.690 §10.1: DER has definite, minimal lengths only.
  it.each([
    ['an empty input', '', 'Invalid DER: missing element at offset 0'],
    ['a missing length', '04', 'Invalid DER: missing length at offset 1'],
    [
      'an indefinite length',
      '30 80 00 00',
      'Invalid DER: unsupported length form 0x80 at offset 1',
    ],
    [
      'a five-octet length',
      '04 85 00 00 00 00 01 00',
      'Invalid DER: unsupported length form 0x85 at offset 1',
    ],
    [
      'a long form below 128',
      '04 81 05 0000000000',
      'Invalid DER: length at offset 1 is not minimal',
    ],
    [
      'a length with a leading zero',
      '04 82 00 80' + '00'.repeat(128),
      'Invalid DER: length at offset 1 is not minimal',
    ],
    ['a truncated length', '04 82 01', 'Invalid DER: truncated length at offset 0'],
    ['contents past the end', '04 05 00', 'Invalid DER: element at offset 0 runs past the end'],
    ['trailing bytes', '05 00 00', 'Invalid DER: 1 bytes after the element'],
    ['a high tag number', '1f 01 00', 'Invalid DER: high tag number at offset 0 is not supported'],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => readDer(hex(bytes))).toThrow(message);
  });

  it('refuses children of a primitive element, and children that do not fit', () => {
    expect(() => readChildren(readDer(hex('04 02 05 00')))).toThrow(
      'Invalid DER: tag 0x04 is not constructed',
    );
    expect(() => readChildren(readDer(hex('30 02 04 05')))).toThrow(
      'Invalid DER: element at offset 0 runs past the end',
    );
  });
});

describe('decodeObjectIdentifier', () => {
  it.each([
    ['0.39'],
    ['1.2.840.10045.4.3.2'],
    ['2.5.29.17'],
    ['1.2.16384'],
    ['2.999.3'],
    ['1.3.6.1.5.5.7.3.2'],
  ])('reads back %s', (oid) => {
    expect(decodeObjectIdentifier(readDer(objectIdentifier(oid)).content)).toBe(oid);
  });

  it('refuses a non-minimal or truncated subidentifier', () => {
    expect(() => decodeObjectIdentifier(hex('2a 80 01'))).toThrow(
      'Invalid DER: OID subidentifier is not minimal',
    );
    expect(() => decodeObjectIdentifier(hex('2a 86'))).toThrow('Invalid DER: OID is truncated');
    expect(() => decodeObjectIdentifier(hex(''))).toThrow('Invalid DER: OID is truncated');
  });
});

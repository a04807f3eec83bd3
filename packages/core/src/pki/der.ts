// A DER encoder (ITU-T X.690 §10–11), just big enough for X.509 certificates. Internal: never
// exported from a package entry point. Each function returns one whole TLV, so a structure is
// written the way its ASN.1 module reads: `sequence(integer(2), objectIdentifier(OID), …)`.

/** Universal tags (X.680 §8.4) and the class/constructed bits of an identifier octet (X.690 §8.1.2). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT: 0x80,
  CONSTRUCTED: 0x20,
} as const;

const encoder = new TextEncoder();

/**
 * One TLV: the identifier octet, the definite length and the contents. DER always uses the
 * definite form, and the shortest one (X.690 §10.1): one octet below 128, otherwise 0x80 | n
 * followed by n big-endian octets without a leading zero (§8.1.3.5).
 *
 * @param tag a low-tag-number identifier octet (tag numbers 0–30 are all X.509 needs)
 */
export function tlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  if ((tag & 0x1f) === 0x1f) throw new RangeError('High tag numbers (31 and up) are not supported');
  const length = encodeLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** Joins byte arrays end to end. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A SEQUENCE (or SEQUENCE OF) of already encoded elements, in the order given. */
export function sequence(...elements: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(Tag.SEQUENCE, concat(...elements));
}

/**
 * A SET OF already encoded elements. DER orders them by their encodings, compared as octet
 * strings with the shorter one padded by zeros at the end (X.690 §11.6).
 */
export function setOf(...elements: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(Tag.SET, concat(...[...elements].sort(compareEncodings)));
}

function compareEncodings(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** BOOLEAN; DER writes TRUE as 0xff (X.690 §11.1). */
export function boolean(value: boolean): Uint8Array<ArrayBuffer> {
  return tlv(Tag.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/**
 * A non-negative INTEGER, from a safe integer or from the big-endian octets of its magnitude
 * (a certificate serial, an ECDSA `r`). The contents are two's complement in the fewest
 * octets (X.690 §8.3.2): leading zero octets are dropped, and one is put back when the first
 * remaining octet has its high bit set, which would otherwise make the value negative.
 */
export function integer(value: number | Uint8Array): Uint8Array<ArrayBuffer> {
  const magnitude = typeof value === 'number' ? numberOctets(value) : value;
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const octets = magnitude.subarray(start);
  if (octets.length === 0) return tlv(Tag.INTEGER, Uint8Array.of(0));
  return tlv(Tag.INTEGER, (octets[0] ?? 0) & 0x80 ? concat(Uint8Array.of(0), octets) : octets);
}

function numberOctets(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`DER INTEGER must be a non-negative safe integer (got ${value})`);
  }
  const octets: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Uint8Array.from(octets);
}

/**
 * An OBJECT IDENTIFIER from its dotted form. The first two arcs share one subidentifier,
 * 40 × first + second, and each subidentifier is base 128, most significant group first, with
 * the high bit set on all but the last octet (X.690 §8.19.2–8.19.4).
 */
export function objectIdentifier(oid: string): Uint8Array<ArrayBuffer> {
  const arcs = oid.split('.').map((arc) => (/^(0|[1-9]\d*)$/.test(arc) ? Number(arc) : NaN));
  const [first, second, ...rest] = arcs;
  if (
    first === undefined ||
    second === undefined ||
    !arcs.every(Number.isSafeInteger) ||
    first > 2 ||
    (first < 2 && second > 39)
  ) {
    throw new RangeError(`Invalid object identifier "${oid}"`);
  }
  const octets: number[] = [];
  for (const subidentifier of [40 * first + second, ...rest]) {
    const groups = [subidentifier % 128];
    for (let high = Math.floor(subidentifier / 128); high > 0; high = Math.floor(high / 128)) {
      groups.unshift(0x80 | (high % 128));
    }
    octets.push(...groups);
  }
  return tlv(Tag.OBJECT_IDENTIFIER, Uint8Array.from(octets));
}

/** An OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(Tag.OCTET_STRING, bytes);
}

/**
 * A BIT STRING: one octet counting the unused bits at the end of the last octet, then the
 * octets (X.690 §8.6.2). DER wants those unused bits zero (§11.2.1), so they are cleared.
 */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`BIT STRING unused bits must be 0 to 7 (got ${unusedBits})`);
  }
  if (bytes.length === 0 && unusedBits !== 0) {
    throw new RangeError('An empty BIT STRING has no unused bits');
  }
  const content = concat(Uint8Array.of(unusedBits), bytes);
  const last = content.length - 1;
  if (last > 0) content[last] = (content[last] ?? 0) & (0xff << unusedBits);
  return tlv(Tag.BIT_STRING, content);
}

/**
 * A BIT STRING of named bits, such as RFC 5280's KeyUsage, from the numbers of the bits that
 * are set (bit 0 is the high bit of the first octet). DER drops trailing zero bits, so the
 * last set bit ends the string (X.690 §11.2.2): `{digitalSignature}` is `03 02 07 80`.
 */
export function namedBitString(bits: readonly number[]): Uint8Array<ArrayBuffer> {
  if (bits.length === 0) return bitString(new Uint8Array(0));
  const last = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(last / 8) + 1);
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0) throw new RangeError(`Invalid named bit ${bit}`);
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit % 8));
  }
  return bitString(bytes, 7 - (last % 8));
}

/** A UTF8String. */
export function utf8String(text: string): Uint8Array<ArrayBuffer> {
  return tlv(Tag.UTF8_STRING, encoder.encode(text));
}

/** The contents of an IA5String (ASCII), for use with a universal or an implicit tag. */
export function ia5Octets(text: string): Uint8Array<ArrayBuffer> {
  if (!/^\p{ASCII}*$/u.test(text)) throw new RangeError('IA5String must be ASCII');
  return encoder.encode(text);
}

/**
 * A certificate time: UTCTime `YYMMDDHHMMSSZ` for the years 1950 to 2049 and GeneralizedTime
 * `YYYYMMDDHHMMSSZ` otherwise, both in UTC with whole seconds (RFC 5280 §4.1.2.5). Milliseconds
 * are dropped.
 */
export function time(date: Date): Uint8Array<ArrayBuffer> {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 0 || year > 9999) {
    throw new RangeError('Certificate times must fall in the years 0 to 9999');
  }
  const two = (n: number) => String(n).padStart(2, '0');
  const rest =
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z';
  return year >= 1950 && year < 2050
    ? tlv(Tag.UTC_TIME, encoder.encode(two(year % 100) + rest))
    : tlv(Tag.GENERALIZED_TIME, encoder.encode(String(year).padStart(4, '0') + rest));
}

/** `[number] EXPLICIT`: a context-specific constructed tag wrapped around a whole element. */
export function explicit(number: number, element: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(Tag.CONTEXT | Tag.CONSTRUCTED | number, element);
}

/**
 * `[number] IMPLICIT` over a primitive type: a context-specific tag that replaces the type's
 * own, in front of its contents (GeneralName's `dNSName [2]`, `iPAddress [7]`).
 */
export function implicit(number: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(Tag.CONTEXT | number, content);
}

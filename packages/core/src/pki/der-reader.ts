// A strict DER reader (ITU-T X.690 §8, §10), enough to take apart a certificate that
// CertificateAuthority.load() is given. Internal: never exported from a package entry point.
// Elements are views into the input: a certificate's subject is kept as the exact bytes it was
// signed with, never decoded and encoded again.

/** One TLV read from a buffer. */
export interface DerElement {
  /** The identifier octet (low tag numbers only, as in X.509). */
  tag: number;
  /** The whole TLV: identifier, length and contents. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The contents octets. */
  content: Uint8Array<ArrayBuffer>;
}

/** The input is not DER. The message gives the offset; it never quotes the bytes. */
export class DerDecodeError extends Error {
  constructor(message: string) {
    super(`Invalid DER: ${message}`);
    this.name = 'DerDecodeError';
  }
}

/**
 * Reads the single element that makes up `bytes`.
 *
 * @throws DerDecodeError when the bytes are not exactly one well-formed DER element
 */
export function readDer(bytes: Uint8Array<ArrayBuffer>): DerElement {
  const element = readElement(bytes, 0);
  if (element.bytes.length !== bytes.length) {
    throw new DerDecodeError(`${bytes.length - element.bytes.length} bytes after the element`);
  }
  return element;
}

/**
 * Reads the elements inside a constructed element (a SEQUENCE, a SET, an explicit tag).
 *
 * @throws DerDecodeError when `element` is primitive or its contents are not whole elements
 */
export function readChildren(element: DerElement): DerElement[] {
  if ((element.tag & 0x20) === 0) {
    throw new DerDecodeError(`tag 0x${hex(element.tag)} is not constructed`);
  }
  const children: DerElement[] = [];
  for (let offset = 0; offset < element.content.length;) {
    const child = readElement(element.content, offset);
    children.push(child);
    offset += child.bytes.length;
  }
  return children;
}

/**
 * The dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19).
 *
 * @throws DerDecodeError when a subidentifier is not minimal or runs past the end
 */
export function decodeObjectIdentifier(content: Uint8Array): string {
  const subidentifiers: number[] = [];
  let value = 0;
  let started = false;
  for (const octet of content) {
    // §8.19.2: a subidentifier does not start with 0x80.
    if (!started && octet === 0x80) throw new DerDecodeError('OID subidentifier is not minimal');
    started = (octet & 0x80) !== 0;
    value = value * 128 + (octet & 0x7f);
    if (!Number.isSafeInteger(value)) throw new DerDecodeError('OID subidentifier is too large');
    if (!started) {
      subidentifiers.push(value);
      value = 0;
    }
  }
  const [first, ...rest] = subidentifiers;
  if (started || first === undefined) throw new DerDecodeError('OID is truncated');
  // §8.19.4: the first subidentifier is 40 × arc1 + arc2, and arc1 is 0, 1 or 2.
  const arc1 = Math.min(Math.floor(first / 40), 2);
  return [arc1, first - 40 * arc1, ...rest].join('.');
}

function readElement(bytes: Uint8Array<ArrayBuffer>, offset: number): DerElement {
  const tag = bytes[offset];
  if (tag === undefined) throw new DerDecodeError(`missing element at offset ${offset}`);
  if ((tag & 0x1f) === 0x1f) {
    throw new DerDecodeError(`high tag number at offset ${offset} is not supported`);
  }
  const first = bytes[offset + 1];
  if (first === undefined) throw new DerDecodeError(`missing length at offset ${offset + 1}`);
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    // §10.1: DER lengths are definite (no 0x80) and fit here in four octets.
    if (count === 0 || count > 4) {
      throw new DerDecodeError(`unsupported length form 0x${hex(first)} at offset ${offset + 1}`);
    }
    length = 0;
    for (let i = 0; i < count; i++) {
      const octet = bytes[offset + 2 + i];
      if (octet === undefined) throw new DerDecodeError(`truncated length at offset ${offset}`);
      length = length * 256 + octet;
    }
    // §10.1: the shortest form, so long form only from 128 and without a leading zero octet.
    if (length < 0x80 || bytes[offset + 2] === 0) {
      throw new DerDecodeError(`length at offset ${offset + 1} is not minimal`);
    }
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) {
    throw new DerDecodeError(`element at offset ${offset} runs past the end`);
  }
  return {
    tag,
    bytes: bytes.subarray(offset, end),
    content: bytes.subarray(offset + header, end),
  };
}

function hex(octet: number): string {
  return octet.toString(16).padStart(2, '0');
}

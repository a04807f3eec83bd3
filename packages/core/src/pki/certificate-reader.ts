// Takes apart an X.509 certificate (RFC 5280 §4.1) just enough for CertificateAuthority.load():
// its subject as raw bytes, its public key and its extensions. Internal: never exported from a
// package entry point. Signatures and validity are not checked here.
import {DerDecodeError, decodeObjectIdentifier, readChildren, readDer} from './der-reader.js';
import type {DerElement} from './der-reader.js';
import {Tag} from './der.js';
import type {HostSubtree} from './host-names.js';

/** The parts of a certificate that issuing under it needs. */
export interface CertificateParts {
  /** The subject Name, byte for byte as signed: a leaf's issuer must equal it exactly. */
  subject: Uint8Array<ArrayBuffer>;
  /** The number of RDNs in the subject. */
  subjectRdnCount: number;
  /** The DER SubjectPublicKeyInfo. */
  subjectPublicKeyInfo: Uint8Array<ArrayBuffer>;
  /** Each extension's extnValue contents, by extnID. */
  extensions: Map<string, {critical: boolean; value: Uint8Array<ArrayBuffer>}>;
}

/**
 * Reads the TBSCertificate fields that {@link CertificateParts} lists.
 *
 * @throws DerDecodeError when `der` is not a DER Certificate
 */
export function readCertificate(der: Uint8Array<ArrayBuffer>): CertificateParts {
  const [tbs] = children(readDer(der), Tag.SEQUENCE, 'Certificate', 3);
  const fields = children(tbs, Tag.SEQUENCE, 'TBSCertificate');
  // version [0] EXPLICIT is absent from v1 certificates (DEFAULT v1, X.690 §11.5).
  const start = fields[0]?.tag === (Tag.CONTEXT | Tag.CONSTRUCTED | 0) ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then the
  // optional issuerUniqueID [1], subjectUniqueID [2] and extensions [3] (RFC 5280 §4.1).
  const [, , , , subjectField, spkiField, ...optional] = fields.slice(start);
  const subject = expect(subjectField, Tag.SEQUENCE, 'subject');
  const subjectPublicKeyInfo = expect(spkiField, Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const extensions = new Map<string, {critical: boolean; value: Uint8Array<ArrayBuffer>}>();
  const wrapper = optional.find((field) => field.tag === (Tag.CONTEXT | Tag.CONSTRUCTED | 3));
  if (wrapper !== undefined) {
    const [list] = children(wrapper, Tag.CONTEXT | Tag.CONSTRUCTED | 3, 'extensions', 1);
    for (const entry of children(list, Tag.SEQUENCE, 'Extensions')) {
      const parts = children(entry, Tag.SEQUENCE, 'Extension');
      const id = expect(parts[0], Tag.OBJECT_IDENTIFIER, 'extnID');
      const critical = parts.length === 3 ? expect(parts[1], Tag.BOOLEAN, 'critical') : undefined;
      const value = expect(parts.at(-1), Tag.OCTET_STRING, 'extnValue');
      extensions.set(decodeObjectIdentifier(id.content), {
        critical: critical !== undefined && critical.content[0] !== 0,
        value: value.content,
      });
    }
  }
  return {
    subject: subject.bytes,
    subjectRdnCount: readChildren(subject).length,
    subjectPublicKeyInfo: subjectPublicKeyInfo.bytes,
    extensions,
  };
}

/**
 * Whether a basicConstraints value says `cA TRUE` (RFC 5280 §4.2.1.9).
 *
 * @throws DerDecodeError when the value is not a BasicConstraints
 */
export function readIsCa(value: Uint8Array<ArrayBuffer>): boolean {
  const [first] = children(readDer(value), Tag.SEQUENCE, 'BasicConstraints');
  return first?.tag === Tag.BOOLEAN && first.content[0] !== 0;
}

/**
 * Whether a keyUsage value has a bit set (RFC 5280 §4.2.1.3; bit 0 is the high bit of the
 * first octet after the unused-bits count).
 *
 * @throws DerDecodeError when the value is not a BIT STRING
 */
export function readKeyUsageBit(value: Uint8Array<ArrayBuffer>, bit: number): boolean {
  const bits = expect(readDer(value), Tag.BIT_STRING, 'KeyUsage').content;
  return (((bits[1 + (bit >> 3)] ?? 0) << (bit % 8)) & 0x80) !== 0;
}

/**
 * The keyIdentifier of a subjectKeyIdentifier value (RFC 5280 §4.2.1.2).
 *
 * @throws DerDecodeError when the value is not an OCTET STRING
 */
export function readSubjectKeyIdentifier(value: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return expect(readDer(value), Tag.OCTET_STRING, 'SubjectKeyIdentifier').content;
}

/**
 * The permitted subtrees of a nameConstraints value (RFC 5280 §4.2.1.10) in the two name forms
 * our certificates name hosts with, `dNSName [2]` and `iPAddress [7]` (the address, then its
 * mask). Subtrees of other forms and the excludedSubtrees are left out: no host is checked
 * against them.
 *
 * @returns `undefined` when the value has no permittedSubtrees
 * @throws DerDecodeError when the value is not a NameConstraints, or an iPAddress is neither 8
 *   nor 32 octets
 */
export function readPermittedSubtrees(value: Uint8Array<ArrayBuffer>): HostSubtree[] | undefined {
  const PERMITTED = Tag.CONTEXT | Tag.CONSTRUCTED | 0;
  const fields = children(readDer(value), Tag.SEQUENCE, 'NameConstraints');
  const permitted = fields.find((field) => field.tag === PERMITTED);
  if (permitted === undefined) return undefined;
  const subtrees: HostSubtree[] = [];
  for (const entry of children(permitted, PERMITTED, 'permittedSubtrees')) {
    const [base] = children(entry, Tag.SEQUENCE, 'GeneralSubtree');
    if (base === undefined) throw new DerDecodeError('GeneralSubtree base is missing');
    if (base.tag === (Tag.CONTEXT | 2)) {
      subtrees.push({type: 'dns', name: new TextDecoder().decode(base.content)});
    } else if (base.tag === (Tag.CONTEXT | 7)) {
      const half = base.content.length / 2;
      if (half !== 4 && half !== 16) {
        throw new DerDecodeError(
          `iPAddress constraint has ${base.content.length} octets, not 8 or 32`,
        );
      }
      subtrees.push({
        type: 'ip',
        octets: base.content.slice(0, half),
        mask: base.content.slice(half),
      });
    }
  }
  return subtrees;
}

function expect(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined) throw new DerDecodeError(`${what} is missing`);
  if (element.tag !== tag) {
    throw new DerDecodeError(
      `${what} has tag 0x${element.tag.toString(16)}, not 0x${tag.toString(16)}`,
    );
  }
  return element;
}

function children(
  element: DerElement | undefined,
  tag: number,
  what: string,
  count?: number,
): DerElement[] {
  const elements = readChildren(expect(element, tag, what));
  if (count !== undefined && elements.length !== count) {
    throw new DerDecodeError(`${what} has ${elements.length} elements, not ${count}`);
  }
  return elements;
}

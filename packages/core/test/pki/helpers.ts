// Shared by the PKI tests: hex fixtures, and a certificate reader that checks with Web Crypto
// only, so that the same tests run on Node and Deno.
import {signCertificate} from '../../src/pki/certificate.js';
import {readChildren, readDer} from '../../src/pki/der-reader.js';
import type {DerElement} from '../../src/pki/der-reader.js';
import {decodeObjectIdentifier} from '../../src/pki/der-reader.js';
import {encodePem} from '../../src/pki/pem.js';

/**
 * A CA certificate made by hand, for what `CertificateAuthority.create` never makes (a foreign
 * CA's Name, odd extensions): self-signed with a fresh ECDSA key, valid from a day before now to
 * a day after.
 *
 * @param name the subject and issuer Name, DER
 * @param extensions the extensions, DER each
 */
export async function selfSignedCa(
  name: Uint8Array,
  extensions: Uint8Array[],
  curve = 'P-256',
): Promise<{certPem: string; keyPem: string}> {
  const keys = await crypto.subtle.generateKey({name: 'ECDSA', namedCurve: curve}, true, [
    'sign',
    'verify',
  ]);
  const day = 24 * 60 * 60 * 1000;
  const certificate = await signCertificate({
    issuer: name,
    subject: name,
    subjectPublicKeyInfo: new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)),
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + day),
    extensions,
    signingKey: keys.privateKey,
  });
  return {
    certPem: encodePem('CERTIFICATE', certificate),
    keyPem: encodePem(
      'PRIVATE KEY',
      new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
    ),
  };
}

/** Bytes from hex written with any spacing: `hex('30 03 01 01 ff')`. */
export function hex(text: string): Uint8Array<ArrayBuffer> {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex: ${text}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Lowercase hex without spaces. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The hex of ASCII text. */
export function asciiHex(text: string): string {
  return toHex(new TextEncoder().encode(text));
}

/** The DER inside one PEM block. */
export function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** One attribute of a Name: type OID, string tag and value. */
export type NameAttribute = [type: string, tag: number, value: string];

/** A certificate taken apart along RFC 5280 §4.1, without interpretation. */
export interface ParsedCertificate {
  /** The TBSCertificate DER that the signature covers. */
  tbs: Uint8Array<ArrayBuffer>;
  /** The outer signatureAlgorithm, as DER. */
  signatureAlgorithm: Uint8Array<ArrayBuffer>;
  /** The TBSCertificate's signature field, which must equal the outer one. */
  innerSignatureAlgorithm: Uint8Array<ArrayBuffer>;
  /** The signatureValue BIT STRING's contents, unused-bits octet included. */
  signatureValue: Uint8Array<ArrayBuffer>;
  version: number;
  /** The serialNumber INTEGER's contents. */
  serial: Uint8Array<ArrayBuffer>;
  issuer: Uint8Array<ArrayBuffer>;
  subject: Uint8Array<ArrayBuffer>;
  /** The subject's RDNs, each a list of attributes. */
  subjectRdns: NameAttribute[][];
  notBefore: {tag: number; text: string; date: Date};
  notAfter: {tag: number; text: string; date: Date};
  subjectPublicKeyInfo: Uint8Array<ArrayBuffer>;
  extensions: Map<string, {critical: boolean; value: Uint8Array<ArrayBuffer>}>;
  /** Extension OIDs in the order they appear. */
  extensionOrder: string[];
}

/** Takes a PEM certificate apart. */
export function parseCertificate(pem: string): ParsedCertificate {
  const [tbs, signatureAlgorithm, signatureValue] = readChildren(readDer(pemBody(pem)));
  if (!tbs || !signatureAlgorithm || !signatureValue) throw new Error('not a Certificate');
  const [version, serial, inner, issuer, validity, subject, spki, extensionsWrapper] =
    readChildren(tbs);
  if (!version || !serial || !inner || !issuer || !validity || !subject || !spki) {
    throw new Error('not a TBSCertificate');
  }
  if (version.tag !== 0xa0 || extensionsWrapper?.tag !== 0xa3) throw new Error('not v3');
  const [notBefore, notAfter] = readChildren(validity).map(readTime);
  if (!notBefore || !notAfter) throw new Error('no validity');
  const extensions = new Map<string, {critical: boolean; value: Uint8Array<ArrayBuffer>}>();
  const extensionOrder: string[] = [];
  for (const extension of readChildren(only(readChildren(extensionsWrapper)))) {
    const parts = readChildren(extension);
    const id = decodeObjectIdentifier(first(parts).content);
    const value = parts.at(-1);
    if (value?.tag !== 0x04) throw new Error('extnValue is not an OCTET STRING');
    extensions.set(id, {critical: parts.length === 3, value: value.content});
    extensionOrder.push(id);
  }
  return {
    tbs: tbs.bytes,
    signatureAlgorithm: signatureAlgorithm.bytes,
    innerSignatureAlgorithm: inner.bytes,
    signatureValue: signatureValue.content,
    version: only(readChildren(version)).content[0] ?? -1,
    serial: serial.content,
    issuer: issuer.bytes,
    subject: subject.bytes,
    subjectRdns: readChildren(subject).map((rdn) =>
      readChildren(rdn).map((attribute) => {
        const [type, value] = readChildren(attribute);
        if (!type || !value) throw new Error('not an AttributeTypeAndValue');
        return [
          decodeObjectIdentifier(type.content),
          value.tag,
          new TextDecoder().decode(value.content),
        ];
      }),
    ),
    notBefore,
    notAfter,
    subjectPublicKeyInfo: spki.bytes,
    extensions,
    extensionOrder,
  };
}

/**
 * Verifies a certificate's ecdsa-with-SHA256 signature with the issuer's SubjectPublicKeyInfo:
 * the DER Ecdsa-Sig-Value (RFC 3279 §2.2.3) goes back to the P1363 form Web Crypto wants.
 */
export async function verifySignature(
  certificate: ParsedCertificate,
  issuerSpki: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    'spki',
    issuerSpki,
    {name: 'ECDSA', namedCurve: 'P-256'},
    false,
    ['verify'],
  );
  if (certificate.signatureValue[0] !== 0) throw new Error('signature has unused bits');
  const [r, s] = readChildren(readDer(certificate.signatureValue.slice(1)));
  if (!r || !s) throw new Error('not an Ecdsa-Sig-Value');
  const p1363 = new Uint8Array(64);
  p1363.set(fixed32(r), 0);
  p1363.set(fixed32(s), 32);
  return crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key, p1363, certificate.tbs);
}

/** The SHA-1 of a SubjectPublicKeyInfo's key bits (RFC 5280 §4.2.1.2 method 1), as hex. */
export async function keyIdHex(subjectPublicKeyInfo: Uint8Array<ArrayBuffer>): Promise<string> {
  const bits = first(readChildren(readDer(subjectPublicKeyInfo)).slice(1)).content.slice(1);
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-1', bits)));
}

/** Whether a PKCS#8 private key PEM belongs to a certificate: a signature it makes verifies. */
export async function keyMatches(keyPem: string, certificate: ParsedCertificate): Promise<boolean> {
  const algorithm = {name: 'ECDSA', namedCurve: 'P-256'};
  const privateKey = await crypto.subtle.importKey('pkcs8', pemBody(keyPem), algorithm, false, [
    'sign',
  ]);
  const publicKey = await crypto.subtle.importKey(
    'spki',
    certificate.subjectPublicKeyInfo,
    algorithm,
    false,
    ['verify'],
  );
  const data = crypto.getRandomValues(new Uint8Array(32));
  const signature = await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, privateKey, data);
  return crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, publicKey, signature, data);
}

// A minimal INTEGER (maybe with a sign octet) as the 32 octets of a P-256 scalar.
function fixed32(integer: DerElement): Uint8Array {
  const magnitude = integer.content[0] === 0 ? integer.content.slice(1) : integer.content;
  if (magnitude.length > 32) throw new Error('INTEGER too long for P-256');
  const out = new Uint8Array(32);
  out.set(magnitude, 32 - magnitude.length);
  return out;
}

function readTime(element: DerElement): {tag: number; text: string; date: Date} {
  const text = new TextDecoder().decode(element.content);
  // RFC 5280 §4.1.2.5.1: a two-digit year YY is 19YY from 50 and 20YY below.
  const full = element.tag === 0x17 ? (Number(text.slice(0, 2)) >= 50 ? '19' : '20') + text : text;
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!match) throw new Error(`not a certificate time: ${text}`);
  const [, year, month, day, hours, minutes, seconds] = match.map(Number);
  return {
    tag: element.tag,
    text,
    date: new Date(
      Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0, hours ?? 0, minutes ?? 0, seconds ?? 0),
    ),
  };
}

function first(elements: DerElement[]): DerElement {
  const [element] = elements;
  if (!element) throw new Error('missing element');
  return element;
}

function only(elements: DerElement[]): DerElement {
  if (elements.length !== 1) throw new Error(`expected one element, got ${elements.length}`);
  return first(elements);
}

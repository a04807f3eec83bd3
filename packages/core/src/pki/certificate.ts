// X.509 v3 certificates (RFC 5280 §4), encoded and signed. Internal: never exported from a
// package entry point; CertificateAuthority decides what goes in them.
import {
  Tag,
  bitString,
  boolean,
  concat,
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
} from './der.js';
import {readChildren, readDer} from './der-reader.js';
import type {HostName, HostSubtree} from './host-names.js';

/** The object identifiers a certificate of ours names. */
export const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KeyUsageBit = {
  digitalSignature: 0,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** What {@link signCertificate} puts in a TBSCertificate. */
export interface CertificateFields {
  /** The issuer's DER Name: for a leaf, the CA certificate's subject byte for byte. */
  issuer: Uint8Array;
  /** The subject's DER Name. */
  subject: Uint8Array;
  /** The subject's DER SubjectPublicKeyInfo, as Web Crypto exports it. */
  subjectPublicKeyInfo: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Encoded Extensions, from {@link extension}. */
  extensions: readonly Uint8Array[];
  /** The issuer's ECDSA P-256 private key. */
  signingKey: CryptoKey;
}

// RFC 5758 §3.2: the parameters of ecdsa-with-SHA256 are absent, not NULL.
const ECDSA_WITH_SHA256 = sequence(objectIdentifier(OID.ecdsaWithSha256));

/**
 * Encodes the TBSCertificate (RFC 5280 §4.1) and signs it with ecdsa-with-SHA256.
 *
 * @returns the DER Certificate
 */
export async function signCertificate(fields: CertificateFields): Promise<Uint8Array<ArrayBuffer>> {
  const tbsCertificate = sequence(
    explicit(0, integer(2)), // v3 (RFC 5280 §4.1.2.1): we use extensions
    integer(serialNumber()),
    ECDSA_WITH_SHA256,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.subjectPublicKeyInfo,
    explicit(3, sequence(...fields.extensions)),
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, fields.signingKey, tbsCertificate),
  );
  return sequence(tbsCertificate, ECDSA_WITH_SHA256, bitString(ecdsaSigValue(signature)));
}

/**
 * 16 random octets with the high bit clear, so the serial is positive (RFC 5280 §4.1.2.2: at
 * most 20 octets), and the next bit set, so its INTEGER is always 16 octets long.
 */
function serialNumber(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial;
}

/**
 * Web Crypto signs ECDSA in the IEEE P1363 form, r and s side by side in fixed-width halves;
 * X.509 carries `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3),
 * each INTEGER minimal, as {@link integer} writes it.
 */
export function ecdsaSigValue(p1363: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = p1363.length / 2;
  return sequence(integer(p1363.subarray(0, half)), integer(p1363.subarray(half)));
}

/**
 * A Name with each attribute in an RDN of its own, in the order given, as CAs write them
 * (RFC 5280 §4.1.2.4); the values are UTF8String, which RFC 5280 asks of new certificates.
 *
 * @param attributes `[type OID, value]` pairs, most significant first (`O` before `CN`)
 */
export function distinguishedName(
  attributes: readonly (readonly [type: string, value: string])[],
): Uint8Array<ArrayBuffer> {
  return sequence(
    ...attributes.map(([type, value]) =>
      setOf(sequence(objectIdentifier(type), utf8String(value))),
    ),
  );
}

/**
 * An Extension (RFC 5280 §4.1). `critical` is written only when true: DER leaves out a value
 * that equals its DEFAULT (X.690 §11.5).
 *
 * @param value the DER of the extension's own type, which the extnValue OCTET STRING wraps
 */
export function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/**
 * basicConstraints, critical (RFC 5280 §4.2.1.9). A CA gets `cA TRUE` and a pathLenConstraint
 * of 0: it signs leaves only. A leaf gets the empty SEQUENCE (cA defaults to FALSE).
 */
export function basicConstraints(ca: boolean): Uint8Array {
  const value = ca ? sequence(boolean(true), integer(0)) : sequence();
  return extension(OID.basicConstraints, true, value);
}

/** keyUsage, critical (RFC 5280 §4.2.1.3), from KeyUsageBit numbers. */
export function keyUsage(bits: readonly number[]): Uint8Array {
  return extension(OID.keyUsage, true, namedBitString(bits));
}

/** extKeyUsage (RFC 5280 §4.2.1.12): `serverAuth`, `clientAuth` or both. */
export function extendedKeyUsage(purposes: readonly string[]): Uint8Array {
  return extension(OID.extKeyUsage, false, sequence(...purposes.map(objectIdentifier)));
}

/**
 * subjectAltName (RFC 5280 §4.2.1.6): `dNSName [2]` as IA5String, `iPAddress [7]` as the 4 or
 * 16 octets of the address. Not critical: the subject is never empty.
 */
export function subjectAltName(hosts: readonly HostName[]): Uint8Array {
  const names = hosts.map((host) =>
    host.type === 'dns' ? implicit(2, ia5Octets(host.name)) : implicit(7, host.octets),
  );
  return extension(OID.subjectAltName, false, sequence(...names));
}

/**
 * nameConstraints, critical as RFC 5280 §4.2.1.10 requires, with only `permittedSubtrees [0]`:
 * each GeneralSubtree holds just its base (`minimum` is its DEFAULT 0 and `maximum` absent, as
 * the section asks), a `dNSName [2]`, or an `iPAddress [7]` of the address then the mask (8
 * octets for IPv4, 32 for IPv6). The module's tags are IMPLICIT (RFC 5280 Appendix A.2), so
 * `[0]` replaces the SEQUENCE OF's own tag.
 *
 * @param permitted at least one subtree (GeneralSubtrees is `SIZE (1..MAX)`)
 */
export function nameConstraints(permitted: readonly HostSubtree[]): Uint8Array {
  const subtrees = permitted.map((subtree) =>
    sequence(
      subtree.type === 'dns'
        ? implicit(2, ia5Octets(subtree.name))
        : implicit(7, concat(subtree.octets, subtree.mask)),
    ),
  );
  const value = sequence(tlv(Tag.CONTEXT | Tag.CONSTRUCTED | 0, concat(...subtrees)));
  return extension(OID.nameConstraints, true, value);
}

/** subjectKeyIdentifier (RFC 5280 §4.2.1.2). */
export function subjectKeyIdentifier(keyIdentifier: Uint8Array): Uint8Array {
  return extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier));
}

/**
 * authorityKeyIdentifier (RFC 5280 §4.2.1.1) with only `keyIdentifier [0]`: the issuer's
 * subjectKeyIdentifier, which lets verifiers pick the right CA among several of one name.
 */
export function authorityKeyIdentifier(keyIdentifier: Uint8Array): Uint8Array {
  return extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, keyIdentifier)));
}

/**
 * The key identifier of RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT
 * STRING's bits (not its tag, length or unused-bits octet). SHA-1 is fine for an identifier.
 *
 * @param subjectPublicKeyInfo DER, as Web Crypto exports it
 */
export async function keyIdentifier(
  subjectPublicKeyInfo: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  const [, subjectPublicKey] = readChildren(readDer(subjectPublicKeyInfo));
  if (subjectPublicKey === undefined) throw new Error('SubjectPublicKeyInfo has no key');
  return new Uint8Array(await crypto.subtle.digest('SHA-1', subjectPublicKey.content.subarray(1)));
}

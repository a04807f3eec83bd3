import {webcrypto} from 'node:crypto';
import {isIP} from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

/** What a leaf certificate is for and who it names. */
export interface CertificateRequest {
  commonName: string;
  /** Become Kubernetes groups when the certificate authenticates a client. */
  organizations?: readonly string[];
  /** DNS names and IP addresses the certificate serves. */
  hosts?: readonly string[];
  usage: 'server' | 'client' | 'server-and-client';
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// ECDSA P-256 everywhere: keys in microseconds, and accepted by Go's TLS, etcd and the
// apiserver's service-account signer (ES256).
const KEY_ALGORITHM = {name: 'ECDSA', namedCurve: 'P-256'} as const;
const VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;
// Clocks of the processes under test may be a little behind ours.
const BACKDATE_MS = 5 * 60 * 1000;

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// RFC 5280 §4.2.1.3 KeyUsage bits, as the first byte of the BIT STRING.
const DIGITAL_SIGNATURE = 0x80;
const KEY_CERT_SIGN = 0x04;
const CRL_SIGN = 0x02;

/**
 * A throwaway certificate authority for one test cluster: it lives in memory and signs the
 * serving and client certificates of every component.
 */
export class CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
  #name: string;
  #keys: CryptoKeyPair;

  private constructor(name: string, keys: CryptoKeyPair, certPem: string, keyPem: string) {
    this.#name = name;
    this.#keys = keys;
    this.certPem = certPem;
    this.keyPem = keyPem;
  }

  /** Creates a self-signed CA named `commonName`, valid for a week. */
  static async create(commonName: string): Promise<CertificateAuthority> {
    const keys = await generateKeys();
    const cert = await buildCertificate({
      subject: commonName,
      organizations: [],
      issuer: commonName,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        extension(OID.basicConstraints, true, new pkijs.BasicConstraints({cA: true}).toSchema()),
        keyUsage(DIGITAL_SIGNATURE | KEY_CERT_SIGN | CRL_SIGN),
      ],
    });
    return new CertificateAuthority(commonName, keys, cert, await privateKeyPem(keys.privateKey));
  }

  /** Issues a leaf certificate with a fresh key. */
  async issue(request: CertificateRequest): Promise<CertifiedKey> {
    const keys = await generateKeys();
    const purposes = {
      server: [OID.serverAuth],
      client: [OID.clientAuth],
      'server-and-client': [OID.serverAuth, OID.clientAuth],
    }[request.usage];
    const extensions = [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({cA: false}).toSchema()),
      keyUsage(DIGITAL_SIGNATURE),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({keyPurposes: purposes}).toSchema()),
    ];
    if (request.hosts && request.hosts.length > 0) {
      extensions.push(
        extension(OID.subjectAltName, false, subjectAltNames(request.hosts).toSchema()),
      );
    }
    const certPem = await buildCertificate({
      subject: request.commonName,
      organizations: request.organizations ?? [],
      issuer: this.#name,
      publicKey: keys.publicKey,
      signingKey: this.#keys.privateKey,
      extensions,
    });
    return {certPem, keyPem: await privateKeyPem(keys.privateKey)};
  }
}

/**
 * A key pair for signing service-account tokens, as the apiserver's
 * `--service-account-signing-key-file` and `--service-account-key-file` want them.
 */
export async function generateSigningKey(): Promise<{privateKeyPem: string; publicKeyPem: string}> {
  const keys = await generateKeys();
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  return {
    privateKeyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: pem('PUBLIC KEY', spki),
  };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', new Uint8Array(await crypto.subtle.exportKey('pkcs8', key)));
}

function pem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

interface CertificateFields {
  subject: string;
  organizations: readonly string[];
  issuer: string;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  extensions: pkijs.Extension[];
}

async function buildCertificate(fields: CertificateFields): Promise<string> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f; // RFC 5280 §4.1.2.2: a positive integer
  cert.serialNumber = new asn1js.Integer({valueHex: serial});
  cert.issuer = distinguishedName([attribute(OID.commonName, fields.issuer)]);
  cert.subject = distinguishedName([
    ...fields.organizations.map((organization) => attribute(OID.organization, organization)),
    attribute(OID.commonName, fields.subject),
  ]);
  const now = Date.now();
  cert.notBefore.value = new Date(now - BACKDATE_MS);
  cert.notAfter.value = new Date(now + VALIDITY_MS);
  cert.extensions = fields.extensions;
  await cert.subjectPublicKeyInfo.importKey(fields.publicKey);
  await cert.sign(fields.signingKey, 'SHA-256');
  return pem('CERTIFICATE', new Uint8Array(cert.toSchema(true).toBER(false)));
}

/**
 * One relative distinguished name per attribute, as every CA writes them. pkijs would put
 * all attributes into a single multi-valued RDN, so the encoding is built here.
 */
function distinguishedName(
  attributes: pkijs.AttributeTypeAndValue[],
): pkijs.RelativeDistinguishedNames {
  const der = new asn1js.Sequence({
    value: attributes.map((a) => new asn1js.Set({value: [a.toSchema()]})),
  }).toBER(false);
  return new pkijs.RelativeDistinguishedNames({schema: asn1js.fromBER(der).result});
}

function attribute(type: string, value: string): pkijs.AttributeTypeAndValue {
  return new pkijs.AttributeTypeAndValue({type, value: new asn1js.Utf8String({value})});
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({extnID, critical, extnValue: value.toBER(false)});
}

function keyUsage(bits: number): pkijs.Extension {
  // DER (X.690 §11.2.2): a BIT STRING declares its trailing zero bits as unused.
  let unusedBits = 0;
  while (unusedBits < 7 && (bits & (1 << unusedBits)) === 0) unusedBits++;
  const value = new asn1js.BitString({valueHex: new Uint8Array([bits]).buffer, unusedBits});
  return extension(OID.keyUsage, true, value);
}

function subjectAltNames(hosts: readonly string[]): pkijs.GeneralNames {
  return new pkijs.GeneralNames({
    names: hosts.map((host) => {
      switch (isIP(host)) {
        case 0:
          return new pkijs.GeneralName({type: 2, value: host}); // dNSName
        case 4: {
          const octets = Uint8Array.from(host.split('.').map(Number));
          return new pkijs.GeneralName({
            type: 7,
            value: new asn1js.OctetString({valueHex: octets.buffer}),
          }); // iPAddress
        }
        default:
          throw new Error(`IPv6 subject alternative names are not supported (got ${host})`);
      }
    }),
  });
}

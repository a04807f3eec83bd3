import {describe, expect, it} from 'vitest';

import {CertificateAuthority, generateSigningKey} from '../../src/index.js';
import type {CertifiedKey} from '../../src/index.js';
import {extension, keyUsage} from '../../src/pki/certificate.js';
import {
  Tag,
  boolean,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  tlv,
  utf8String,
} from '../../src/pki/der.js';
import {encodePem} from '../../src/pki/pem.js';
import {
  asciiHex,
  hex,
  keyIdHex,
  keyMatches,
  parseCertificate,
  pemBody,
  selfSignedCa,
  toHex,
  verifySignature,
} from './helpers.js';
import type {ParsedCertificate} from './helpers.js';

const CODE = 'ERR_PKI_INVALID_REQUEST';
const DAY_MS = 24 * 60 * 60 * 1000;
const BACKDATE_MS = 5 * 60 * 1000;
const UTF8 = Tag.UTF8_STRING;

const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
};
const ECDSA_WITH_SHA256 = '300a06082a8648ce3d040302'; // parameters absent (RFC 5758 §3.2)

function extensionHex(certificate: ParsedCertificate, oid: string) {
  const found = certificate.extensions.get(oid);
  return found && {critical: found.critical, value: toHex(found.value)};
}

function expectValidity(certificate: ParsedCertificate, before: number, days: number) {
  const after = Date.now();
  const notBefore = certificate.notBefore.date.getTime();
  const notAfter = certificate.notAfter.date.getTime();
  // Whole seconds (RFC 5280 §4.1.2.5), so up to a second earlier than the clock.
  expect(notBefore).toBeGreaterThanOrEqual(before - BACKDATE_MS - 1000);
  expect(notBefore).toBeLessThanOrEqual(after - BACKDATE_MS);
  expect(notAfter).toBeGreaterThanOrEqual(before + days * DAY_MS - 1000);
  expect(notAfter).toBeLessThanOrEqual(after + days * DAY_MS);
}

describe('CertificateAuthority.create', () => {
  it('creates a self-signed X.509 v3 CA certificate that verifies with its own key', async () => {
    const before = Date.now();
    const ca = await CertificateAuthority.create('test-ca');
    const cert = parseCertificate(ca.certPem);
    expect(cert.version).toBe(2);
    expect(toHex(cert.signatureAlgorithm)).toBe(ECDSA_WITH_SHA256);
    expect(toHex(cert.innerSignatureAlgorithm)).toBe(ECDSA_WITH_SHA256);
    expect(cert.subjectRdns).toEqual([[[OID.cn, UTF8, 'test-ca']]]);
    expect(toHex(cert.issuer)).toBe(toHex(cert.subject));
    expect(await verifySignature(cert, cert.subjectPublicKeyInfo)).toBe(true);
    expect(await keyMatches(ca.keyPem, cert)).toBe(true);
    expect(ca.certPem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/,
    );
    expect(ca.keyPem).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/,
    );
    // The default: a week from 5 minutes ago, in UTCTime until 2050.
    expectValidity(cert, before, 7);
    expect(cert.notBefore.tag).toBe(Tag.UTC_TIME);
  });

  it('marks the CA in critical basicConstraints and keyUsage, and identifies its key', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const cert = parseCertificate(ca.certPem);
    expect(cert.extensionOrder).toEqual([
      OID.basicConstraints,
      OID.keyUsage,
      OID.subjectKeyIdentifier,
    ]);
    // cA TRUE, pathLenConstraint 0 (RFC 5280 §4.2.1.9).
    expect(extensionHex(cert, OID.basicConstraints)).toEqual({
      critical: true,
      value: '30060101ff020100',
    });
    // digitalSignature, keyCertSign, cRLSign: bits 0, 5, 6, one unused bit (X.690 §11.2.2).
    expect(extensionHex(cert, OID.keyUsage)).toEqual({critical: true, value: '03020186'});
    expect(extensionHex(cert, OID.subjectKeyIdentifier)).toEqual({
      critical: false,
      value: `0414${await keyIdHex(cert.subjectPublicKeyInfo)}`,
    });
  });

  it('writes positive 16-octet serial numbers, a new one each time', async () => {
    const serials = await Promise.all(
      [1, 2, 3, 4].map(
        async () => parseCertificate((await CertificateAuthority.create('x')).certPem).serial,
      ),
    );
    for (const serial of serials) {
      expect(serial.length).toBe(16);
      expect((serial[0] ?? 0) & 0x80).toBe(0);
    }
    expect(new Set(serials.map(toHex)).size).toBe(4);
  });

  it('takes the validity in days', async () => {
    const before = Date.now();
    const ca = await CertificateAuthority.create('year-ca', {validityDays: 365});
    expectValidity(parseCertificate(ca.certPem), before, 365);
  });

  it.each([
    ['an empty name', '', {}, 'Invalid certificate request: commonName is empty'],
    [
      'a validity of 0 days',
      'x',
      {validityDays: 0},
      'Invalid certificate request: validityDays must be a positive number of days ending by the year 9999 (got 0)',
    ],
    [
      'a negative validity',
      'x',
      {validityDays: -1},
      'Invalid certificate request: validityDays must be a positive number of days ending by the year 9999 (got -1)',
    ],
    [
      'a validity of NaN days',
      'x',
      {validityDays: NaN},
      'Invalid certificate request: validityDays must be a positive number of days ending by the year 9999 (got NaN)',
    ],
    [
      'a validity past the year 9999',
      'x',
      {validityDays: 3_000_000},
      'Invalid certificate request: validityDays must be a positive number of days ending by the year 9999 (got 3000000)',
    ],
  ])('refuses %s with ERR_PKI_INVALID_REQUEST', async (_, name, options, message) => {
    await expect(CertificateAuthority.create(name, options)).rejects.toMatchObject({
      code: CODE,
      message,
    });
  });
});

describe('CertificateAuthority#issue', () => {
  it('issues a leaf whose issuer is the CA subject and whose signature verifies with the CA key', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const caCert = parseCertificate(ca.certPem);
    const before = Date.now();
    const leaf = await ca.issue({commonName: 'apiserver', hosts: ['localhost'], usage: 'server'});
    const cert = parseCertificate(leaf.certPem);
    expect(cert.version).toBe(2);
    expect(toHex(cert.signatureAlgorithm)).toBe(ECDSA_WITH_SHA256);
    expect(toHex(cert.issuer)).toBe(toHex(caCert.subject));
    expect(await verifySignature(cert, caCert.subjectPublicKeyInfo)).toBe(true);
    expect(await verifySignature(cert, cert.subjectPublicKeyInfo)).toBe(false);
    expect(await keyMatches(leaf.keyPem, cert)).toBe(true);
    expect(await keyMatches(ca.keyPem, cert)).toBe(false);
    expectValidity(cert, before, 7);
  });

  it('names the organizations, one RDN each, before the common name', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const leaf = await ca.issue({
      commonName: 'jane',
      organizations: ['system:masters', 'devs'],
      usage: 'client',
    });
    expect(parseCertificate(leaf.certPem).subjectRdns).toEqual([
      [[OID.o, UTF8, 'system:masters']],
      [[OID.o, UTF8, 'devs']],
      [[OID.cn, UTF8, 'jane']],
    ]);
  });

  it('writes a leaf’s extensions, ending with the key identifiers', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const caCert = parseCertificate(ca.certPem);
    const cert = parseCertificate(
      (await ca.issue({commonName: 'kwok', hosts: ['127.0.0.1'], usage: 'server'})).certPem,
    );
    expect(cert.extensionOrder).toEqual([
      OID.basicConstraints,
      OID.keyUsage,
      OID.extKeyUsage,
      OID.subjectAltName,
      OID.subjectKeyIdentifier,
      OID.authorityKeyIdentifier,
    ]);
    expect(extensionHex(cert, OID.basicConstraints)).toEqual({critical: true, value: '3000'});
    // digitalSignature alone: seven unused bits (X.690 §11.2.2).
    expect(extensionHex(cert, OID.keyUsage)).toEqual({critical: true, value: '03020780'});
    expect(extensionHex(cert, OID.subjectKeyIdentifier)).toEqual({
      critical: false,
      value: `0414${await keyIdHex(cert.subjectPublicKeyInfo)}`,
    });
    // keyIdentifier [0], equal to the CA's subjectKeyIdentifier (RFC 5280 §4.2.1.1).
    expect(extensionHex(cert, OID.authorityKeyIdentifier)).toEqual({
      critical: false,
      value: `30168014${await keyIdHex(caCert.subjectPublicKeyInfo)}`,
    });
  });

  it.each([
    ['server', '300a06082b06010505070301'],
    ['client', '300a06082b06010505070302'],
    ['server-and-client', '301406082b0601050507030106082b06010505070302'],
  ] as const)('gives a %s certificate the extended key usages %s', async (usage, value) => {
    const ca = await CertificateAuthority.create('test-ca');
    const cert = parseCertificate((await ca.issue({commonName: 'x', usage})).certPem);
    expect(extensionHex(cert, OID.extKeyUsage)).toEqual({critical: false, value});
  });

  it('puts DNS names and IPv4 and IPv6 addresses in the subjectAltName, in order', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const hosts = ['127.0.0.1', '::1', 'localhost', '2001:db8::1', '*.svc.example'];
    const cert = parseCertificate(
      (await ca.issue({commonName: 'x', hosts, usage: 'server'})).certPem,
    );
    const names = [
      '87047f000001', // iPAddress [7], 4 octets
      '871000000000000000000000000000000001', // iPAddress [7], 16 octets
      `8209${asciiHex('localhost')}`, // dNSName [2]
      '871020010db8000000000000000000000001',
      `820d${asciiHex('*.svc.example')}`,
    ].join('');
    expect(extensionHex(cert, OID.subjectAltName)).toEqual({
      critical: false,
      value: `30${(names.length / 2).toString(16)}${names}`,
    });
  });

  it('leaves out the subjectAltName when there are no hosts', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const noHosts = await ca.issue({commonName: 'x', usage: 'client'});
    const emptyHosts = await ca.issue({commonName: 'x', hosts: [], usage: 'client'});
    expect(parseCertificate(noHosts.certPem).extensions.has(OID.subjectAltName)).toBe(false);
    expect(parseCertificate(emptyHosts.certPem).extensions.has(OID.subjectAltName)).toBe(false);
  });

  it('writes GeneralizedTime for a notAfter from 2050 on (RFC 5280 §4.1.2.5)', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const before = Date.now();
    const validityDays = Math.ceil((Date.UTC(2051, 0, 1) - before) / DAY_MS);
    const cert = parseCertificate(
      (await ca.issue({commonName: 'x', usage: 'client', validityDays})).certPem,
    );
    expect(cert.notBefore.tag).toBe(Tag.UTC_TIME);
    expect(cert.notBefore.text).toMatch(/^\d{12}Z$/);
    expect(cert.notAfter.tag).toBe(Tag.GENERALIZED_TIME);
    expect(cert.notAfter.text).toMatch(/^205\d{11}Z$/);
    expectValidity(cert, before, validityDays);
  });

  it('takes the validity in days', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const before = Date.now();
    const cert = parseCertificate(
      (await ca.issue({commonName: 'x', usage: 'client', validityDays: 1})).certPem,
    );
    expectValidity(cert, before, 1);
  });

  it.each([
    [
      'an invalid IPv6 literal',
      {hosts: ['1::2::3']},
      'Invalid certificate request: host "1::2::3" is not a valid IPv6 address',
    ],
    [
      'an invalid IPv4 address',
      {hosts: ['localhost', '256.1.1.1']},
      'Invalid certificate request: host "256.1.1.1" is not a valid IPv4 address',
    ],
    [
      'a host with a port',
      {hosts: ['localhost:6443']},
      'Invalid certificate request: host "localhost:6443" is not a valid IPv6 address',
    ],
    [
      'an invalid DNS name',
      {hosts: ['bad_host']},
      'Invalid certificate request: host "bad_host" is not a DNS name or an IP address',
    ],
    [
      'an empty organization',
      {organizations: ['devs', '']},
      'Invalid certificate request: organization is empty',
    ],
    ['an empty common name', {commonName: ''}, 'Invalid certificate request: commonName is empty'],
    [
      'a validity of 0 days',
      {validityDays: 0},
      'Invalid certificate request: validityDays must be a positive number of days ending by the year 9999 (got 0)',
    ],
  ])('refuses %s with ERR_PKI_INVALID_REQUEST', async (_, fields, message) => {
    const ca = await CertificateAuthority.create('test-ca');
    await expect(ca.issue({commonName: 'x', usage: 'server', ...fields})).rejects.toMatchObject({
      code: CODE,
      message,
    });
  });
});

/**
 * A CA certificate as another tool might write it: PrintableString values, a multi-valued RDN,
 * no subjectKeyIdentifier. Its subject must reach the leaves' issuer byte for byte.
 */
async function foreignCa(options: {keyUsage?: readonly number[]; curve?: string} = {}) {
  const printable = (text: string) => tlv(Tag.PRINTABLE_STRING, new TextEncoder().encode(text));
  const attribute = (oid: string, value: Uint8Array) => sequence(objectIdentifier(oid), value);
  const name = sequence(
    setOf(attribute('2.5.4.6', printable('DE'))),
    setOf(attribute(OID.o, printable('Example')), attribute('2.5.4.11', utf8String('Ops'))),
    setOf(attribute(OID.cn, printable('Foreign CA'))),
  );
  const extensions = [extension(OID.basicConstraints, true, sequence(boolean(true)))];
  if (options.keyUsage) extensions.push(keyUsage(options.keyUsage));
  return {...(await selfSignedCa(name, extensions, options.curve)), name};
}

describe('CertificateAuthority.load', () => {
  it('restores a CA whose leaves verify with the original CA certificate', async () => {
    const original = await CertificateAuthority.create('persisted-ca', {validityDays: 365});
    const loaded = await CertificateAuthority.load(original.certPem, original.keyPem);
    expect(loaded.certPem).toBe(original.certPem);
    expect(loaded.keyPem).toBe(original.keyPem);
    const caCert = parseCertificate(original.certPem);
    const leaf = parseCertificate(
      (await loaded.issue({commonName: 'bridge', hosts: ['::1'], usage: 'server'})).certPem,
    );
    expect(toHex(leaf.issuer)).toBe(toHex(caCert.subject));
    expect(await verifySignature(leaf, caCert.subjectPublicKeyInfo)).toBe(true);
    expect(extensionHex(leaf, OID.authorityKeyIdentifier)?.value).toBe(
      `30168014${await keyIdHex(caCert.subjectPublicKeyInfo)}`,
    );
  });

  it('copies the subject of a foreign CA byte for byte into the issuer of its leaves', async () => {
    const foreign = await foreignCa();
    const ca = await CertificateAuthority.load(foreign.certPem, foreign.keyPem);
    const caCert = parseCertificate(foreign.certPem);
    const leaf = parseCertificate((await ca.issue({commonName: 'x', usage: 'client'})).certPem);
    expect(toHex(leaf.issuer)).toBe(toHex(foreign.name));
    expect(await verifySignature(leaf, caCert.subjectPublicKeyInfo)).toBe(true);
    // The CA has no subjectKeyIdentifier, so there is none to point to.
    expect(leaf.extensions.has(OID.authorityKeyIdentifier)).toBe(false);
    expect(leaf.extensions.has(OID.subjectKeyIdentifier)).toBe(true);
  });

  it('accepts PEM with CRLF line ends and text around the block', async () => {
    const original = await CertificateAuthority.create('crlf-ca');
    const crlf = (pem: string) => `Subject: CN=crlf-ca\r\n${pem.replace(/\n/g, '\r\n')}\r\n`;
    const loaded = await CertificateAuthority.load(crlf(original.certPem), crlf(original.keyPem));
    expect(loaded.certPem).toBe(original.certPem);
  });

  // Built once, on first use, for all the refusals below.
  let built: ReturnType<typeof buildCases> | undefined;
  const cases = () => (built ??= buildCases());
  async function buildCases() {
    const ca = await CertificateAuthority.create('test-ca');
    const other = await CertificateAuthority.create('other-ca');
    const leaf: CertifiedKey = await ca.issue({commonName: 'leaf', usage: 'server'});
    const der = pemBody(ca.certPem);
    const sec1 = ca.keyPem.replace(/PRIVATE KEY/g, 'EC PRIVATE KEY');
    const noCertSign = await foreignCa({keyUsage: [0, 6]});
    const p384 = await foreignCa({curve: 'P-384'});
    const junkKey = encodePem('PRIVATE KEY', octetString(hex('00112233')));
    return {ca, other, leaf, der, sec1, noCertSign, p384, junkKey};
  }

  it.each([
    [
      'text that is not PEM',
      async () => ['not a certificate', (await cases()).ca.keyPem],
      'expected a "CERTIFICATE" PEM block for the certificate, got no PEM block',
    ],
    [
      'a key where the certificate belongs',
      async () => {
        const {ca} = await cases();
        return [ca.keyPem, ca.keyPem];
      },
      'expected a "CERTIFICATE" PEM block for the certificate, got a "PRIVATE KEY" PEM block',
    ],
    [
      'a certificate chain',
      async () => {
        const {ca, other} = await cases();
        return [ca.certPem + other.certPem, ca.keyPem];
      },
      'expected a "CERTIFICATE" PEM block for the certificate, got several PEM blocks',
    ],
    [
      'a SEC 1 key',
      async () => {
        const {ca, sec1} = await cases();
        return [ca.certPem, sec1];
      },
      'expected a PKCS#8 "PRIVATE KEY" PEM block for the key, got a "EC PRIVATE KEY" PEM block',
    ],
    [
      'bad base64',
      async () => {
        const {ca} = await cases();
        return [ca.certPem.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!'), ca.keyPem];
      },
      'expected a "CERTIFICATE" PEM block for the certificate, got bad base64',
    ],
    [
      'a truncated certificate',
      async () => {
        const {ca, der} = await cases();
        return [encodePem('CERTIFICATE', der.subarray(0, der.length - 10)), ca.keyPem];
      },
      'the certificate is not a DER X.509 certificate',
    ],
    [
      'a leaf certificate and its key',
      async () => {
        const {leaf} = await cases();
        return [leaf.certPem, leaf.keyPem];
      },
      'the certificate is not a CA (basicConstraints cA is not TRUE)',
    ],
    [
      'a CA that may not sign certificates',
      async () => {
        const {noCertSign} = await cases();
        return [noCertSign.certPem, noCertSign.keyPem];
      },
      'the certificate may not sign certificates (keyUsage lacks keyCertSign)',
    ],
    [
      'a CA with a P-384 key',
      async () => {
        const {p384} = await cases();
        return [p384.certPem, p384.keyPem];
      },
      'the certificate key is not an ECDSA P-256 key',
    ],
    [
      'a key that is not PKCS#8',
      async () => {
        const {ca, junkKey} = await cases();
        return [ca.certPem, junkKey];
      },
      'the key is not a PKCS#8 ECDSA P-256 private key',
    ],
    [
      'another CA’s key',
      async () => {
        const {ca, other} = await cases();
        return [ca.certPem, other.keyPem];
      },
      'the key does not match the certificate',
    ],
  ])('refuses %s with ERR_PKI_INVALID_REQUEST', async (_, inputs, reason) => {
    const [certPem = '', keyPem = ''] = await inputs();
    const error: unknown = await CertificateAuthority.load(certPem, keyPem).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({code: CODE, message: `Cannot load CA: ${reason}`});
    // Never a line of the key in the message.
    for (const line of keyPem.split('\n').filter((l) => l.length > 16)) {
      expect((error as Error).message).not.toContain(line);
    }
  });
  it('keeps why the certificate could not be read as the cause', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const der = pemBody(ca.certPem);
    const truncated = encodePem('CERTIFICATE', der.subarray(0, der.length - 10));
    await expect(CertificateAuthority.load(truncated, ca.keyPem)).rejects.toMatchObject({
      code: CODE,
      cause: {
        name: 'DerDecodeError',
        message: 'Invalid DER: element at offset 0 runs past the end',
      },
    });
  });
});

describe('generateSigningKey', () => {
  it('returns a PKCS#8 private key and its SPKI public key, both ECDSA P-256', async () => {
    const {privateKeyPem, publicKeyPem} = await generateSigningKey();
    expect(privateKeyPem).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/,
    );
    expect(publicKeyPem).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/,
    );
    const algorithm = {name: 'ECDSA', namedCurve: 'P-256'};
    const privateKey = await crypto.subtle.importKey(
      'pkcs8',
      pemBody(privateKeyPem),
      algorithm,
      false,
      ['sign'],
    );
    const publicKey = await crypto.subtle.importKey(
      'spki',
      pemBody(publicKeyPem),
      algorithm,
      false,
      ['verify'],
    );
    const data = new TextEncoder().encode('service account token');
    const signature = await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, privateKey, data);
    expect(
      await crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, publicKey, signature, data),
    ).toBe(true);
  });
});

// Name-constrained CAs (RFC 5280 §4.2.1.10): the extension's bytes, what issue() refuses, and
// what load() reads back. OpenSSL, Node's TLS and Chromium check the same certificates in
// agent-bridge's and web's tests, which may start processes and open sockets.
import {describe, expect, it} from 'vitest';

import {CertificateAuthority} from '../../src/index.js';
import {basicConstraints, extension} from '../../src/pki/certificate.js';
import {readPermittedSubtrees} from '../../src/pki/certificate-reader.js';
import {
  Tag,
  concat,
  ia5Octets,
  implicit,
  objectIdentifier,
  sequence,
  setOf,
  tlv,
  utf8String,
} from '../../src/pki/der.js';
import {asciiHex, hex, parseCertificate, selfSignedCa, toHex} from './helpers.js';

const CODE = 'ERR_PKI_INVALID_REQUEST';
const NAME_CONSTRAINTS = '2.5.29.30';
const BRIDGE_HOSTS = ['127.0.0.1', '::1', 'localhost', 'bridge.porthole.internal'];

/** A GeneralSubtree with only its base: `30 len base`. */
function subtreeHex(base: string): string {
  const bytes = hex(base);
  return `30${bytes.length.toString(16).padStart(2, '0')}${toHex(bytes)}`;
}

// The bridge's permitted subtrees, as NameConstraints ::= SEQUENCE { permittedSubtrees [0] … }.
const BRIDGE_SUBTREES = [
  subtreeHex(`87 08 7f000001 ffffffff`),
  subtreeHex(`87 20 ${'00'.repeat(15)}01 ${'ff'.repeat(16)}`),
  subtreeHex(`82 09 ${asciiHex('localhost')}`),
  subtreeHex(`82 18 ${asciiHex('bridge.porthole.internal')}`),
].join('');
const BRIDGE_NAME_CONSTRAINTS = `305ba059${BRIDGE_SUBTREES}`;

/** A self-signed CA certificate with the given nameConstraints value, and its key. */
function constrainedCa(value: Uint8Array): Promise<{certPem: string; keyPem: string}> {
  const name = sequence(setOf(sequence(objectIdentifier('2.5.4.3'), utf8String('Foreign CA'))));
  return selfSignedCa(name, [basicConstraints(true), extension(NAME_CONSTRAINTS, true, value)]);
}

/** `[0] IMPLICIT GeneralSubtrees` or `[1]`, around GeneralSubtree SEQUENCEs. */
function subtrees(number: 0 | 1, ...bases: Uint8Array[]): Uint8Array {
  return tlv(Tag.CONTEXT | Tag.CONSTRUCTED | number, concat(...bases.map((b) => sequence(b))));
}

describe('CertificateAuthority.create with permittedHosts', () => {
  it('writes a critical nameConstraints extension with one permitted subtree per host', async () => {
    const ca = await CertificateAuthority.create('bridge-ca', {permittedHosts: BRIDGE_HOSTS});
    const cert = parseCertificate(ca.certPem);
    expect(cert.extensionOrder.at(-1)).toBe(NAME_CONSTRAINTS);
    const found = cert.extensions.get(NAME_CONSTRAINTS);
    expect(found && {critical: found.critical, value: toHex(found.value)}).toEqual({
      critical: true,
      value: BRIDGE_NAME_CONSTRAINTS,
    });
    expect(ca.permittedHosts).toEqual(BRIDGE_HOSTS);
  });

  it('writes IPv6 addresses in any form as their 16 octets and names them canonically', async () => {
    const ca = await CertificateAuthority.create('v6-ca', {
      permittedHosts: ['0:0:0:0:0:0:0:1', 'LOCALHOST', '2001:DB8::10'],
    });
    expect(ca.permittedHosts).toEqual(['::1', 'LOCALHOST', '2001:db8::10']);
  });

  it('leaves the extension out without permittedHosts', async () => {
    const ca = await CertificateAuthority.create('open-ca');
    expect(parseCertificate(ca.certPem).extensions.has(NAME_CONSTRAINTS)).toBe(false);
    expect(ca.permittedHosts).toBeUndefined();
  });

  it.each([
    [
      'a host that is not one',
      ['127.0.0.1', 'bad_host'],
      'Invalid certificate request: permitted host "bad_host" is not a DNS name or an IP address',
    ],
    [
      'a wildcard',
      ['127.0.0.1', '*.bridge.porthole.internal'],
      'Invalid certificate request: permitted host "*.bridge.porthole.internal" is a wildcard; the name after "*." permits its subdomains already',
    ],
    [
      'DNS names only',
      ['localhost'],
      'Invalid certificate request: permittedHosts must name both DNS names and IP addresses, or the form left out would be unconstrained',
    ],
    [
      'addresses only',
      ['127.0.0.1', '::1'],
      'Invalid certificate request: permittedHosts must name both DNS names and IP addresses, or the form left out would be unconstrained',
    ],
    [
      'an empty list',
      [],
      'Invalid certificate request: permittedHosts must name both DNS names and IP addresses, or the form left out would be unconstrained',
    ],
  ])('refuses %s with ERR_PKI_INVALID_REQUEST', async (_, permittedHosts, message) => {
    await expect(CertificateAuthority.create('x', {permittedHosts})).rejects.toMatchObject({
      code: CODE,
      message,
    });
  });
});

describe('CertificateAuthority#issue under name constraints', () => {
  // Made once, on first use.
  let made: Promise<CertificateAuthority> | undefined;
  const bridgeCa = () =>
    (made ??= CertificateAuthority.create('bridge-ca', {permittedHosts: BRIDGE_HOSTS}));

  it('issues for the permitted hosts, their subdomains and wildcards under them', async () => {
    const ca = await bridgeCa();
    const hosts = [
      '127.0.0.1',
      '::1',
      '0::1',
      'localhost',
      'Bridge.Porthole.Internal',
      'prod.bridge.porthole.internal',
      '*.bridge.porthole.internal',
      'a.localhost',
    ];
    const leaf = await ca.issue({commonName: 'bridge', hosts, usage: 'server'});
    expect(parseCertificate(leaf.certPem).extensions.has('2.5.29.17')).toBe(true);
  });

  it('issues a client certificate, which names no host', async () => {
    const ca = await bridgeCa();
    await expect(ca.issue({commonName: 'jane', usage: 'client'})).resolves.toBeDefined();
  });

  it.each([
    ['example.com'],
    ['porthole.internal'],
    ['*.porthole.internal'],
    ['evilbridge.porthole.internal'],
    ['bridge.porthole.internal.example.com'],
    ['127.0.0.2'],
    ['::2'],
    ['::ffff:127.0.0.1'],
    ['*.localhost.example'],
  ])('refuses %s with ERR_PKI_INVALID_REQUEST', async (host) => {
    const ca = await bridgeCa();
    await expect(
      ca.issue({commonName: 'x', hosts: ['localhost', host], usage: 'server'}),
    ).rejects.toMatchObject({
      code: CODE,
      message: `Invalid certificate request: host ${JSON.stringify(host)} is outside the CA's name constraints (permitted: 127.0.0.1, ::1, localhost, bridge.porthole.internal)`,
    });
  });
});

describe('CertificateAuthority.load with name constraints', () => {
  it('reads them back and refuses the same hosts as the CA it was created as', async () => {
    const original = await CertificateAuthority.create('bridge-ca', {
      permittedHosts: BRIDGE_HOSTS,
    });
    const loaded = await CertificateAuthority.load(original.certPem, original.keyPem);
    expect(loaded.permittedHosts).toEqual(BRIDGE_HOSTS);
    await expect(
      loaded.issue({commonName: 'x', hosts: ['x.bridge.porthole.internal'], usage: 'server'}),
    ).resolves.toBeDefined();
    await expect(
      loaded.issue({commonName: 'x', hosts: ['example.com'], usage: 'server'}),
    ).rejects.toMatchObject({
      code: CODE,
      message:
        'Invalid certificate request: host "example.com" is outside the CA\'s name constraints (permitted: 127.0.0.1, ::1, localhost, bridge.porthole.internal)',
    });
  });

  it('reads address ranges, and checks hosts against the dNSName and iPAddress subtrees only', async () => {
    const foreign = await constrainedCa(
      sequence(
        subtrees(
          0,
          implicit(7, hex('0a000000 ff000000')),
          implicit(2, ia5Octets('example.com')),
          // A directoryName and an rfc822Name: forms no host is checked against.
          tlv(Tag.CONTEXT | Tag.CONSTRUCTED | 4, sequence()),
          implicit(1, ia5Octets('example.com')),
        ),
        subtrees(1, implicit(2, ia5Octets('private.example.com'))),
      ),
    );
    const ca = await CertificateAuthority.load(foreign.certPem, foreign.keyPem);
    expect(ca.permittedHosts).toEqual(['10.0.0.0/255.0.0.0', 'example.com']);
    await expect(
      ca.issue({commonName: 'x', hosts: ['10.1.2.3', 'www.example.com'], usage: 'server'}),
    ).resolves.toBeDefined();
    await expect(
      ca.issue({commonName: 'x', hosts: ['11.0.0.1'], usage: 'server'}),
    ).rejects.toMatchObject({
      code: CODE,
      message:
        'Invalid certificate request: host "11.0.0.1" is outside the CA\'s name constraints (permitted: 10.0.0.0/255.0.0.0, example.com)',
    });
  });

  it('takes a CA with excluded subtrees only as one without permitted subtrees', async () => {
    const foreign = await constrainedCa(
      sequence(subtrees(1, implicit(2, ia5Octets('example.com')))),
    );
    const ca = await CertificateAuthority.load(foreign.certPem, foreign.keyPem);
    expect(ca.permittedHosts).toBeUndefined();
  });

  it('refuses name constraints it cannot read, keeping why as the cause', async () => {
    const foreign = await constrainedCa(sequence(subtrees(0, implicit(7, hex('7f000001 ffffff')))));
    await expect(CertificateAuthority.load(foreign.certPem, foreign.keyPem)).rejects.toMatchObject({
      code: CODE,
      message: 'Cannot load CA: the certificate has name constraints that cannot be read',
      cause: {
        name: 'DerDecodeError',
        message: 'Invalid DER: iPAddress constraint has 7 octets, not 8 or 32',
      },
    });
  });
});

describe('readPermittedSubtrees', () => {
  it('reads the bridge CA’s extension value', () => {
    const read = readPermittedSubtrees(hex(BRIDGE_NAME_CONSTRAINTS));
    expect(
      read?.map((subtree) =>
        subtree.type === 'dns'
          ? `dns ${subtree.name}`
          : `ip ${toHex(subtree.octets)}/${toHex(subtree.mask)}`,
      ),
    ).toEqual([
      'ip 7f000001/ffffffff',
      `ip ${'00'.repeat(15)}01/${'ff'.repeat(16)}`,
      'dns localhost',
      'dns bridge.porthole.internal',
    ]);
  });

  it('returns undefined for NameConstraints without permittedSubtrees', () => {
    expect(readPermittedSubtrees(hex('3000'))).toBeUndefined();
  });

  it.each([
    [
      'a value that is not a SEQUENCE',
      '0400',
      'Invalid DER: NameConstraints has tag 0x4, not 0x30',
    ],
    [
      'a GeneralSubtree without a base',
      '3004 a002 3000',
      'Invalid DER: GeneralSubtree base is missing',
    ],
    [
      'an iPAddress of 2 octets',
      '3008 a006 3004 8702 7f00',
      'Invalid DER: iPAddress constraint has 2 octets, not 8 or 32',
    ],
    [
      'a truncated GeneralSubtree',
      '3004 a002 3001',
      'Invalid DER: element at offset 0 runs past the end',
    ],
  ])('refuses %s', (_, value, message) => {
    expect(() => readPermittedSubtrees(hex(value))).toThrow(message);
  });
});

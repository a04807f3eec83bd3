// @porthole/core's certificates as Node's OpenSSL sees them: parsed by X509Certificate and
// used in real TLS handshakes. The cluster's Go components (etcd, the apiserver, kwok) check
// them again every time a test cluster starts.
import {once} from 'node:events';
import {X509Certificate, createPrivateKey, createPublicKey} from 'node:crypto';
import {createServer, request} from 'node:https';
import type {AddressInfo} from 'node:net';
import {TLSSocket, checkServerIdentity} from 'node:tls';
import {beforeAll, describe, expect, it, onTestFinished} from 'vitest';

import {CertificateAuthority, generateSigningKey} from '@porthole/core';
import type {CertifiedKey} from '@porthole/core';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let ca: CertificateAuthority;
let server: CertifiedKey;
let client: CertifiedKey;

beforeAll(async () => {
  ca = await CertificateAuthority.create('test-ca');
  server = await ca.issue({
    commonName: 'apiserver',
    hosts: ['127.0.0.1', '::1', 'localhost'],
    usage: 'server',
  });
  client = await ca.issue({
    commonName: 'jane',
    organizations: ['system:masters', 'devs'],
    usage: 'client',
  });
});

describe('CertificateAuthority', () => {
  it('is a self-signed CA', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=test-ca');
    expect(cert.issuer).toBe('CN=test-ca');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    expect(cert.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('issues a serving certificate for its hosts, IPv6 included, signed by the CA', () => {
    const cert = new X509Certificate(server.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.issuer).toBe('CN=test-ca');
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true);
    expect(cert.subjectAltName).toBe(
      'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost',
    );
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkIP('::2')).toBeUndefined();
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('example.com')).toBeUndefined();
    // X509Certificate#keyUsage lists the extended key usages.
    expect(cert.keyUsage).toEqual([SERVER_AUTH]);
  });

  it('checks an IPv6 host as a TLS client does', () => {
    const peer = new X509Certificate(server.certPem).toLegacyObject();
    expect(checkServerIdentity('::1', peer)).toBeUndefined();
    expect(checkServerIdentity('::2', peer)).toMatchObject({code: 'ERR_TLS_CERT_ALTNAME_INVALID'});
  });

  it('names the groups of a client certificate as organizations, one RDN each', () => {
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).toBe('O=system:masters\nO=devs\nCN=jane');
    expect(cert.subjectAltName).toBeUndefined();
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
  });

  it('gives a server-and-client certificate both extended key usages', async () => {
    const both = await ca.issue({commonName: 'etcd', usage: 'server-and-client'});
    expect(new X509Certificate(both.certPem).keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
  });

  it('refuses an invalid IPv6 host with ERR_PKI_INVALID_REQUEST', async () => {
    await expect(
      ca.issue({commonName: 'x', hosts: ['::1::'], usage: 'server'}),
    ).rejects.toMatchObject({
      code: 'ERR_PKI_INVALID_REQUEST',
      message: 'Invalid certificate request: host "::1::" is not a valid IPv6 address',
    });
  });

  it('takes the validity in days', async () => {
    const year = await CertificateAuthority.create('year-ca', {validityDays: 365});
    const cert = new X509Certificate(year.certPem);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    // 365 days from 5 minutes ago.
    expect(days).toBeCloseTo(365 + 5 / 1440, 3);
  });

  it('loads a persisted CA whose leaves verify with the original CA certificate', async () => {
    const loaded = await CertificateAuthority.load(ca.certPem, ca.keyPem);
    const leaf = new X509Certificate(
      (await loaded.issue({commonName: 'bridge', hosts: ['localhost'], usage: 'server'})).certPem,
    );
    const original = new X509Certificate(ca.certPem);
    expect(leaf.checkIssued(original)).toBe(true);
    expect(leaf.verify(original.publicKey)).toBe(true);
  });
});

describe('certificates in a real TLS handshake', () => {
  async function serve(
    identity: CertifiedKey = server,
    options: {requireClientCert?: boolean} = {},
  ): Promise<number> {
    const https = createServer(
      {
        cert: identity.certPem,
        key: identity.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: options.requireClientCert ?? false,
      },
      (req, res) => {
        const socket = req.socket;
        const authorized = socket instanceof TLSSocket && socket.authorized;
        res.end(
          authorized ? `client ${String(socket.getPeerCertificate().subject.CN)}` : 'anonymous',
        );
      },
    );
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    onTestFinished(() => {
      https.close();
    });
    return (https.address() as AddressInfo).port;
  }

  function get(
    port: number,
    options: {servername?: string; cert?: string; key?: string; ca?: string},
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({host: '127.0.0.1', port, ca: ca.certPem, ...options}, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => {
          resolve(body);
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('authenticates the server to a client that trusts the CA, and the client to the server', async () => {
    const port = await serve();
    expect(await get(port, {})).toBe('anonymous');
    expect(await get(port, {cert: client.certPem, key: client.keyPem})).toBe('client jane');
  });

  it('fails the handshake for a host the certificate does not name', async () => {
    const port = await serve();
    await expect(get(port, {servername: 'example.com'})).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('fails the handshake for a client that trusts another CA', async () => {
    const port = await serve();
    const other = await CertificateAuthority.create('other-ca');
    // The server sends its CA along (OpenSSL completes the chain from its store), which the
    // client then finds self-signed and untrusted.
    await expect(get(port, {ca: other.certPem})).rejects.toMatchObject({
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });

  it('serves and authenticates with certificates from a loaded CA, trusted as the original', async () => {
    const loaded = await CertificateAuthority.load(ca.certPem, ca.keyPem);
    const identity = await loaded.issue({
      commonName: 'bridge',
      hosts: ['localhost'],
      usage: 'server',
    });
    const port = await serve(identity, {requireClientCert: true});
    const user = await loaded.issue({commonName: 'joe', usage: 'client'});
    expect(await get(port, {servername: 'localhost', cert: user.certPem, key: user.keyPem})).toBe(
      'client joe',
    );
  });
  it('fails the handshake for a client without a certificate when the server requires one', async () => {
    const port = await serve(server, {requireClientCert: true});
    await expect(get(port, {})).rejects.toMatchObject({
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
  });
});

describe('generateSigningKey', () => {
  it('returns a matching PKCS#8 private key and SPKI public key', async () => {
    const {privateKeyPem, publicKeyPem} = await generateSigningKey();
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const privateKey = createPrivateKey(privateKeyPem);
    expect(privateKey.asymmetricKeyType).toBe('ec');
    expect(privateKey.asymmetricKeyDetails).toEqual({namedCurve: 'prime256v1'});
    expect(createPublicKey(privateKey).export({type: 'spki', format: 'pem'})).toBe(publicKeyPem);
  });
});

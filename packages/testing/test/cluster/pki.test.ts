import {once} from 'node:events';
import {X509Certificate, createPrivateKey} from 'node:crypto';
import {createServer, request} from 'node:https';
import type {AddressInfo} from 'node:net';
import {TLSSocket} from 'node:tls';
import {beforeAll, describe, expect, it, onTestFinished} from 'vitest';

import {CertificateAuthority, generateSigningKey} from '../../src/cluster/pki.js';
import type {CertifiedKey} from '../../src/cluster/pki.js';

let ca: CertificateAuthority;
let server: CertifiedKey;
let client: CertifiedKey;

beforeAll(async () => {
  ca = await CertificateAuthority.create('test-ca');
  server = await ca.issue({
    commonName: 'apiserver',
    hosts: ['127.0.0.1', 'localhost'],
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
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('issues a serving certificate for its hosts, signed by the CA', () => {
    const cert = new X509Certificate(server.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true);
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('names the groups of a client certificate as organizations', () => {
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).toBe('O=system:masters\nO=devs\nCN=jane');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('refuses IPv6 subject alternative names rather than encoding them wrongly', async () => {
    await expect(ca.issue({commonName: 'x', hosts: ['::1'], usage: 'server'})).rejects.toThrow(
      'IPv6 subject alternative names are not supported (got ::1)',
    );
  });
});

describe('certificates in a real TLS handshake', () => {
  async function serve(): Promise<number> {
    const https = createServer(
      {
        cert: server.certPem,
        key: server.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: false,
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
});

describe('generateSigningKey', () => {
  it('returns a matching PKCS#8 private key and SPKI public key', async () => {
    const {privateKeyPem, publicKeyPem} = await generateSigningKey();
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const {createPublicKey} = await import('node:crypto');
    expect(
      createPublicKey(createPrivateKey(privateKeyPem)).export({type: 'spki', format: 'pem'}),
    ).toBe(publicKeyPem);
  });
});

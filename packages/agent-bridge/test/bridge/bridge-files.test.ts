/**
 * The bridge's CA is one that people add to their browsers' trust stores (`porthole trust`),
 * so it is name-constrained to the bridge's own hosts: OpenSSL and Node's TLS accept the
 * serving certificate, and reject a certificate for any other site even when it is signed with
 * the CA's own key. A CA made by an older version, without the constraints, is replaced.
 */
import {execFile} from 'node:child_process';
import {X509Certificate} from 'node:crypto';
import {once} from 'node:events';
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {createServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {connect} from 'node:tls';
import {promisify} from 'node:util';
import {describe, expect, it, onTestFinished} from 'vitest';

import {CertificateAuthority} from '@porthole/core';

import {BRIDGE_SERVER_DOMAIN, ensureBridgeFiles} from '../../src/index.js';
import type {BridgeFiles} from '../../src/index.js';

const PERMITTED = ['127.0.0.1', '::1', 'localhost', BRIDGE_SERVER_DOMAIN];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'porthole-bridge-files-'));
  onTestFinished(() => rm(dir, {recursive: true, force: true}));
  return dir;
}

/** Runs openssl; resolves with its output whether it succeeds or not. */
async function openssl(args: readonly string[]): Promise<{ok: boolean; output: string}> {
  try {
    const {stdout, stderr} = await promisify(execFile)('openssl', args);
    return {ok: true, output: stdout + stderr};
  } catch (err) {
    const {stdout = '', stderr = ''} = err as {stdout?: string; stderr?: string};
    return {ok: false, output: stdout + stderr};
  }
}

/**
 * A certificate for `san` (an openssl subjectAltName, e.g. `DNS:example.com`) signed with the
 * bridge CA's key by openssl, which signs whatever it is asked to: what a stolen CA key could
 * make. Only a verifier's name-constraint check stands between it and the browser.
 */
async function forgedLeaf(
  files: BridgeFiles,
  san: string,
): Promise<{certPem: string; keyPem: string; path: string}> {
  const dir = await tempDir();
  const path = (name: string) => join(dir, name);
  await writeFile(path('ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  // prettier-ignore
  const request = await openssl([
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=forged', '-keyout', path('leaf.key'), '-out', path('leaf.csr'),
  ]);
  expect(request).toMatchObject({ok: true});
  // prettier-ignore
  const signed = await openssl([
    'x509', '-req', '-in', path('leaf.csr'), '-CA', files.caPath,
    '-CAkey', join(files.dir, 'ca.key'), '-set_serial', '1', '-days', '1',
    '-extfile', path('ext.cnf'), '-out', path('leaf.pem'),
  ]);
  expect(signed).toMatchObject({ok: true});
  return {
    certPem: await readFile(path('leaf.pem'), 'utf8'),
    keyPem: await readFile(path('leaf.key'), 'utf8'),
    path: path('leaf.pem'),
  };
}

/** An HTTPS server on 127.0.0.1, port 0, with the given certificate. */
async function serve(tls: {certPem: string; keyPem: string}): Promise<number> {
  const server = createServer({cert: tls.certPem, key: tls.keyPem}, (_, response) => {
    response.end('bridge');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A TLS handshake trusting only `ca`; resolves when it succeeds, rejects with why not. */
async function handshake(port: number, ca: string, servername?: string): Promise<void> {
  const socket = connect({host: '127.0.0.1', port, ca, ...(servername ? {servername} : {})});
  try {
    await once(socket, 'secureConnect');
  } finally {
    socket.destroy();
  }
}

describe('ensureBridgeFiles', () => {
  it('creates a CA with critical name constraints for the bridge’s hosts only', async () => {
    const files = await ensureBridgeFiles(await tempDir());
    expect(files.caPath).toBe(join(files.dir, 'ca.crt'));
    expect(await readFile(files.caPath, 'utf8')).toBe(files.caPem);
    expect((await stat(files.caPath)).mode & 0o777).toBe(0o600);
    expect(files.caPermittedHosts).toEqual(PERMITTED);
    const text = await openssl(['x509', '-in', files.caPath, '-noout', '-text']);
    expect(text.output).toContain('X509v3 Name Constraints: critical');
    expect(text.output.replace(/\s+/g, ' ')).toContain(
      'Permitted: IP:127.0.0.1/255.255.255.255 IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF DNS:localhost DNS:bridge.porthole.internal',
    );
  });

  it('issues a serving certificate that OpenSSL verifies for each bridge host', async () => {
    const files = await ensureBridgeFiles(await tempDir());
    const servingPath = join(files.dir, 'server.crt');
    for (const check of [
      ['-verify_ip', '127.0.0.1'],
      ['-verify_ip', '::1'],
      ['-verify_hostname', 'localhost'],
      ['-verify_hostname', `prod.${BRIDGE_SERVER_DOMAIN}`],
    ]) {
      expect(await openssl(['verify', '-CAfile', files.caPath, ...check, servingPath])).toEqual({
        ok: true,
        output: `${servingPath}: OK\n`,
      });
    }
  });

  it.each([['DNS:example.com'], [`DNS:${BRIDGE_SERVER_DOMAIN}.example.com`], ['IP:10.0.0.1']])(
    'makes OpenSSL refuse a certificate for %s signed with the CA key',
    async (san) => {
      const files = await ensureBridgeFiles(await tempDir());
      const forged = await forgedLeaf(files, san);
      const verdict = await openssl(['verify', '-CAfile', files.caPath, forged.path]);
      expect(verdict.ok).toBe(false);
      expect(verdict.output).toContain('permitted subtree violation');
    },
  );

  it('serves TLS that Node accepts for the bridge hosts and refuses for a forged site', async () => {
    const files = await ensureBridgeFiles(await tempDir());
    const port = await serve(files.tls);
    await handshake(port, files.caPem);
    await handshake(port, files.caPem, 'localhost');
    await handshake(port, files.caPem, `prod.${BRIDGE_SERVER_DOMAIN}`);
    const forged = await forgedLeaf(files, 'DNS:example.com');
    // Node has no code of its own for OpenSSL's X509_V_ERR_PERMITTED_VIOLATION.
    await expect(handshake(await serve(forged), files.caPem, 'example.com')).rejects.toMatchObject({
      code: 'UNSPECIFIED',
      message: 'permitted subtree violation',
    });
  });

  it('keeps its CA and serving certificate from one call to the next', async () => {
    const dir = await tempDir();
    const first = await ensureBridgeFiles(dir);
    const second = await ensureBridgeFiles(dir);
    expect(second.caPem).toBe(first.caPem);
    expect(second.tls).toEqual(first.tls);
    expect(second.controlSecret).toBe(first.controlSecret);
  });

  it('replaces a CA of an older version, without name constraints, and reissues from the new one', async () => {
    const dir = await tempDir();
    const first = await ensureBridgeFiles(dir);
    // What an older version kept: a CA without constraints, and a serving certificate from it.
    const old = await CertificateAuthority.create('Porthole bridge CA', {validityDays: 3650});
    const oldServing = await old.issue({
      commonName: 'Porthole bridge',
      hosts: ['127.0.0.1', 'localhost', '::1', `*.${BRIDGE_SERVER_DOMAIN}`],
      usage: 'server',
      validityDays: 365,
    });
    await writeFile(join(first.dir, 'ca.crt'), old.certPem);
    await writeFile(join(first.dir, 'ca.key'), old.keyPem);
    await writeFile(join(first.dir, 'server.crt'), oldServing.certPem);
    await writeFile(join(first.dir, 'server.key'), oldServing.keyPem);

    const files = await ensureBridgeFiles(dir);
    expect(files.caPem).not.toBe(old.certPem);
    expect(files.caPermittedHosts).toEqual(PERMITTED);
    expect(await readFile(files.caPath, 'utf8')).toBe(files.caPem);
    expect((await stat(join(files.dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect(files.tls.certPem).not.toBe(oldServing.certPem);
    const ca = new X509Certificate(files.caPem);
    expect(new X509Certificate(files.tls.certPem).verify(ca.publicKey)).toBe(true);
    expect(files.controlSecret).toBe(first.controlSecret);
    await handshake(await serve(files.tls), files.caPem, `prod.${BRIDGE_SERVER_DOMAIN}`);
  });
});

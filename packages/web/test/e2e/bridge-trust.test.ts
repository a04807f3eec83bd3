/**
 * `porthole trust`, proven in Debian's Chromium: once it has put the bridge CA in
 * `$HOME/.pki/nssdb`, a page served with the bridge's own certificate loads without a
 * certificate error — with no flag that loosens certificate checks — while a browser of a home
 * without it refuses the same page, and even the trusting browser refuses a certificate for
 * another site signed with the CA's key, because the CA is name-constrained.
 */
import {execFile} from 'node:child_process';
import {once} from 'node:events';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {describe, expect, it, onTestFinished} from 'vitest';
import {chromium} from 'playwright-core';

import {CHROMIUM} from './browser.js';
import {runPorthole} from './porthole-command.js';

/** A HOME and a PORTHOLE_HOME of their own; `trusted`: `porthole trust` has run for them. */
async function user(trusted: boolean): Promise<{home: string; bridgeDir: string}> {
  const dir = await mkdtemp(join(tmpdir(), 'porthole-bridge-trust-'));
  onTestFinished(() => rm(dir, {recursive: true, force: true}));
  const home = join(dir, 'home');
  await mkdir(home);
  const env = {HOME: home, PORTHOLE_HOME: join(dir, 'porthole')};
  // `--print` makes the bridge's files too, and leaves the browsers' trust alone.
  const result = await runPorthole(['trust', ...(trusted ? [] : ['--print'])], env);
  expect(result).toMatchObject({code: 0, stderr: ''});
  return {home, bridgeDir: join(env.PORTHOLE_HOME, 'bridge')};
}

/** An HTTPS server on 127.0.0.1, port 0, with the given certificate and key files. */
async function serve(certPath: string, keyPath: string): Promise<number> {
  const server = createServer(
    {cert: await readFile(certPath), key: await readFile(keyPath)},
    (_, response) => {
      response.setHeader('content-type', 'text/plain');
      response.end('served by the bridge');
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Opens `url` in Chromium run with `HOME=home`, where it finds its NSS database. Host names
 * of `hosts` resolve to 127.0.0.1. Resolves with the page's text, or with Chromium's error.
 */
async function browse(home: string, url: string, hosts: readonly string[] = []): Promise<string> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: {...process.env, HOME: home},
    args: hosts.length
      ? [`--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`]
      : [],
  });
  try {
    const page = await browser.newPage();
    const response = await page.goto(url);
    return `${response?.status() ?? 0} ${await page.innerText('body')}`;
  } catch (err) {
    return /net::ERR_[A-Z_]+/.exec((err as Error).message)?.[0] ?? (err as Error).message;
  } finally {
    await browser.close();
  }
}

/**
 * A server certificate for `host` signed with the bridge CA's key by openssl, which signs
 * whatever it is asked to: what a stolen CA key could make. The same steps for a name the CA
 * permits show that nothing but the name is wrong with it.
 *
 * @returns the certificate's and the key's files
 */
async function forge(bridgeDir: string, host: string): Promise<[string, string]> {
  const openssl = (args: readonly string[]) => promisify(execFile)('openssl', args);
  const path = (name: string) => join(bridgeDir, `forged.${name}`);
  await writeFile(path('cnf'), `subjectAltName=DNS:${host}\nextendedKeyUsage=serverAuth\n`);
  // prettier-ignore
  await openssl([
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', `/CN=${host}`, '-keyout', path('key'), '-out', path('csr'),
  ]);
  // prettier-ignore
  await openssl([
    'x509', '-req', '-in', path('csr'), '-CA', join(bridgeDir, 'ca.crt'),
    '-CAkey', join(bridgeDir, 'ca.key'), '-set_serial', '2', '-days', '1',
    '-extfile', path('cnf'), '-out', path('crt'),
  ]);
  return [path('crt'), path('key')];
}

describe('porthole trust in Chromium', () => {
  it('lets Chromium load a page served with the bridge certificate', async () => {
    const {home, bridgeDir} = await user(true);
    const port = await serve(join(bridgeDir, 'server.crt'), join(bridgeDir, 'server.key'));
    expect(await browse(home, `https://127.0.0.1:${port}/`)).toBe('200 served by the bridge');
    // A cluster's server name, as kubectl sends it, under the wildcard the CA permits.
    expect(
      await browse(home, `https://prod.bridge.porthole.internal:${port}/`, [
        'prod.bridge.porthole.internal',
      ]),
    ).toBe('200 served by the bridge');
  });

  it('leaves a browser of another home refusing the bridge certificate', async () => {
    const {home, bridgeDir} = await user(false);
    const port = await serve(join(bridgeDir, 'server.crt'), join(bridgeDir, 'server.key'));
    expect(await browse(home, `https://127.0.0.1:${port}/`)).toBe(
      'net::ERR_CERT_AUTHORITY_INVALID',
    );
  });

  it.each([
    ['another site', 'bank.example', 'net::ERR_CERT_INVALID'],
    ['a name the CA permits', 'forged.bridge.porthole.internal', '200 served by the bridge'],
  ])(
    'takes a certificate for %s forged with the CA key as its name constraints say',
    async (_, host, expected) => {
      const {home, bridgeDir} = await user(true);
      const port = await serve(...(await forge(bridgeDir, host)));
      expect(await browse(home, `https://${host}:${port}/`, [host])).toBe(expected);
    },
  );
});

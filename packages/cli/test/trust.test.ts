/**
 * `porthole trust` on Linux: the bridge CA goes into `$HOME/.pki/nssdb` through NSS's real
 * `certutil` (what Chromium and Chrome read; packages/web's bridge-trust test shows Chromium
 * taking it), once however often it runs, and out again with `--uninstall`.
 */
import {execFile} from 'node:child_process';
import {X509Certificate} from 'node:crypto';
import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {hostname, tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {describe, expect, it, onTestFinished} from 'vitest';

import {CertificateAuthority} from '@porthole/core';

import {manualTrustCommands} from '../src/commands/trust.js';
import {runCli} from './in-process-cli.js';

const NICKNAME = `Porthole bridge CA (${userInfo().username}@${hostname()})`;
const CONSTRAINED =
  'The CA is name-constrained to 127.0.0.1, ::1, localhost and bridge.porthole.internal, names including their subdomains (*.bridge.porthole.internal), so it cannot vouch for any other site.';

/** A fresh HOME and PORTHOLE_HOME, and the PATH of this process (where certutil is). */
async function environment(): Promise<{HOME: string; PORTHOLE_HOME: string; PATH: string}> {
  const dir = await mkdtemp(join(tmpdir(), 'porthole-trust-'));
  onTestFinished(() => rm(dir, {recursive: true, force: true}));
  await mkdir(join(dir, 'home'));
  return {
    HOME: join(dir, 'home'),
    PORTHOLE_HOME: join(dir, 'porthole'),
    PATH: process.env.PATH ?? '',
  };
}

function nssdb(env: {HOME: string}): string {
  return `sql:${join(env.HOME, '.pki', 'nssdb')}`;
}

async function certutil(args: readonly string[]): Promise<string> {
  return (await promisify(execFile)('certutil', args)).stdout;
}

/** The database's certificates of our nickname, with their trust flags, as `certutil -L` lists them. */
async function entries(env: {HOME: string}): Promise<string[][]> {
  const listing = await certutil(['-L', '-d', nssdb(env)]);
  return listing
    .split('\n')
    .filter((line) => line.startsWith(NICKNAME))
    .map((line) => [line.slice(0, NICKNAME.length), line.slice(NICKNAME.length).trim()]);
}

/** The certificates stored under our nickname, PEM. */
async function stored(env: {HOME: string}): Promise<X509Certificate[]> {
  const pem = await certutil(['-L', '-d', nssdb(env), '-n', NICKNAME, '-a']);
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)].map(
    ([block]) => new X509Certificate(block),
  );
}

async function bridgeCa(env: {
  PORTHOLE_HOME: string;
}): Promise<{path: string; cert: X509Certificate}> {
  const path = join(env.PORTHOLE_HOME, 'bridge', 'ca.crt');
  return {path, cert: new X509Certificate(await readFile(path, 'utf8'))};
}

describe('porthole trust', () => {
  it('adds the bridge CA to $HOME/.pki/nssdb, trusted for websites, and says which CA it is', async () => {
    const env = await environment();
    const result = await runCli(['trust'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ca = await bridgeCa(env);
    expect(result.stdout).toBe(
      [
        'Chromium and Chrome now trust the Porthole bridge CA:',
        `  CA:       ${ca.path}`,
        `  SHA-256:  ${ca.cert.fingerprint256}`,
        `  Added to: the NSS database ${nssdb(env)} as "${NICKNAME}", trusted for websites (C,,)`,
        CONSTRAINED,
        'Firefox keeps a certificate store per profile and was not changed: import the CA file there (Settings > Privacy & Security > View Certificates > Authorities) to use the bridge from it.',
        'Browsers that are running may need a restart to notice.',
        '',
      ].join('\n'),
    );
    expect(await entries(env)).toEqual([[NICKNAME, 'C,,']]);
    expect((await stored(env)).map((cert) => cert.fingerprint256)).toEqual([
      ca.cert.fingerprint256,
    ]);
    expect((await stat(join(env.HOME, '.pki', 'nssdb'))).mode & 0o777).toBe(0o700);
  });

  it('keeps one entry however often it runs, replacing an older CA of the same nickname', async () => {
    const env = await environment();
    expect((await runCli(['trust'], env)).code).toBe(0);
    const again = await runCli(['trust'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('It replaces the earlier entry of that name.\n');
    expect(await entries(env)).toEqual([[NICKNAME, 'C,,']]);

    // A CA an older porthole (or another PORTHOLE_HOME) put there under the same nickname.
    const older = await CertificateAuthority.create('Porthole bridge CA', {validityDays: 30});
    const olderPath = join(env.HOME, 'older-ca.crt');
    await writeFile(olderPath, older.certPem);
    await certutil(['-A', '-d', nssdb(env), '-n', NICKNAME, '-t', 'C,,', '-i', olderPath]);
    expect((await stored(env)).length).toBe(2);

    expect((await runCli(['trust'], env)).code).toBe(0);
    const ca = await bridgeCa(env);
    expect((await stored(env)).map((cert) => cert.fingerprint256)).toEqual([
      ca.cert.fingerprint256,
    ]);
  });

  it('takes the CA out again with --uninstall', async () => {
    const env = await environment();
    expect((await runCli(['trust'], env)).code).toBe(0);
    expect(await runCli(['trust', '--uninstall'], env)).toEqual({
      code: 0,
      stdout: `Removed "${NICKNAME}" from the NSS database ${nssdb(env)}: Chromium and Chrome no longer trust it.\n`,
      stderr: '',
    });
    expect(await entries(env)).toEqual([]);
    expect(await runCli(['trust', '--uninstall'], env)).toEqual({
      code: 0,
      stdout: `The NSS database ${nssdb(env)} has no "${NICKNAME}": nothing to remove.\n`,
      stderr: '',
    });
  });

  it('creates no NSS database to uninstall from', async () => {
    const env = await environment();
    expect((await runCli(['trust', '--uninstall'], env)).stdout).toBe(
      `The NSS database ${nssdb(env)} has no "${NICKNAME}": nothing to remove.\n`,
    );
    await expect(stat(join(env.HOME, '.pki'))).rejects.toMatchObject({code: 'ENOENT'});
  });

  it('prints the CA file and its SHA-256 fingerprint with --print, and changes nothing', async () => {
    const env = await environment();
    const result = await runCli(['trust', '--print'], env);
    const ca = await bridgeCa(env);
    expect(result).toEqual({
      code: 0,
      stdout: `CA certificate: ${ca.path}\nSHA-256 fingerprint: ${ca.cert.fingerprint256}\n`,
      stderr: '',
    });
    await expect(stat(join(env.HOME, '.pki'))).rejects.toMatchObject({code: 'ENOENT'});
  });

  it('fails with ERR_CLI_TRUST_TOOL_MISSING and how to install certutil when it is not on the PATH', async () => {
    const env = await environment();
    const result = await runCli(['trust'], {...env, PATH: env.HOME});
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error ERR_CLI_TRUST_TOOL_MISSING: certutil (NSS tools) is not installed: porthole trust needs it to change the NSS database that Chromium and Chrome read\n' +
        'hint: Install it: sudo apt-get install libnss3-tools (Debian, Ubuntu) or sudo dnf install nss-tools (Fedora, RHEL), then run porthole trust again.\n',
    });
  });

  it('refuses --uninstall with --print', async () => {
    const env = await environment();
    expect(await runCli(['trust', '--uninstall', '--print'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error ERR_CLI_USAGE: --uninstall and --print cannot go together\nhint: Run "porthole trust --help" for its options.\n',
    });
  });
});

describe('manualTrustCommands', () => {
  it('names the login keychain on macOS and the user Root store on Windows', async () => {
    const ca = new X509Certificate(
      (await CertificateAuthority.create('x', {permittedHosts: ['127.0.0.1', 'localhost']}))
        .certPem,
    );
    const sha1 = ca.fingerprint.replaceAll(':', '');
    expect(manualTrustCommands('darwin', "/Users/o'hara/My Files/ca.crt", ca, false)).toEqual([
      "security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db '/Users/o'\\''hara/My Files/ca.crt'",
    ]);
    expect(manualTrustCommands('darwin', '/Users/ada/.porthole/bridge/ca.crt', ca, true)).toEqual([
      'security remove-trusted-cert /Users/ada/.porthole/bridge/ca.crt',
      `security delete-certificate -Z ${sha1} ~/Library/Keychains/login.keychain-db`,
    ]);
    expect(
      manualTrustCommands('win32', 'C:\\Users\\Ada\\.porthole\\bridge\\ca.crt', ca, false),
    ).toEqual(['certutil -user -addstore Root "C:\\Users\\Ada\\.porthole\\bridge\\ca.crt"']);
    expect(manualTrustCommands('win32', 'C:\\ca.crt', ca, true)).toEqual([
      `certutil -user -delstore Root ${sha1}`,
    ]);
  });
});

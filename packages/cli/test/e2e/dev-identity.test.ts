/**
 * `porthole relay serve --dev-identity`: the relay with its embedded identity provider, and
 * `porthole login --dev-user` against it, as separate processes.
 */
import {stat, mkdtemp, readFile, rm} from 'node:fs/promises';
import {request} from 'node:https';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {LineProcess} from '@porthole/testing';

import {porthole} from './processes.js';

let home: string;
const started: LineProcess[] = [];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'porthole-dev-identity-'));
});
afterEach(async () => {
  for (const process of started.splice(0)) await process.stop();
  await rm(home, {recursive: true, force: true});
});

function serve(...args: string[]): LineProcess {
  const relay = porthole(
    ['relay', 'serve', '--listen', '127.0.0.1:0', '--data-dir', join(home, 'relay'), ...args],
    {PORTHOLE_HOME: home},
  );
  started.push(relay);
  return relay;
}

function getJson(url: string, ca: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request(url, {ca}, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    })
      .on('error', reject)
      .end();
  });
}

describe('porthole relay serve --dev-identity', () => {
  it('serves an identity provider whose directory is kept across restarts', async () => {
    const first = serve('--dev-identity', '--dev-identity-listen', '127.0.0.1:0');
    const [, issuer = ''] = await first.line(/^identity provider at (https:\S+)$/);
    const [, caPath = ''] = await first.line(/^identity provider CA: (\S+)$/);
    const ca = await readFile(caPath, 'utf8');
    expect(await getJson(`${issuer}/.well-known/openid-configuration`, ca)).toMatchObject({issuer});
    const directoryPath = join(home, 'relay', 'dev-identity', 'directory.json');
    expect((await stat(directoryPath)).mode & 0o777).toBe(0o600);
    const directory = JSON.parse(await readFile(directoryPath, 'utf8')) as {tenantId: string};
    expect(issuer).toMatch(
      new RegExp(`^https://127\\.0\\.0\\.1:\\d+/${directory.tenantId}/v2\\.0$`),
    );
    await first.stop();

    const second = serve('--dev-identity', '--dev-identity-listen', '127.0.0.1:0');
    const [, again = ''] = await second.line(/^identity provider at (https:\S+)$/);
    expect(new URL(again).pathname).toBe(`/${directory.tenantId}/v2.0`);
  });

  it('signs in its development user with porthole login --dev-user', async () => {
    const relay = serve('--dev-identity', '--dev-identity-listen', '127.0.0.1:0');
    const [, issuer = ''] = await relay.line(/^identity provider at (https:\S+)$/);
    const [, caPath = ''] = await relay.line(/^identity provider CA: (\S+)$/);
    const directory = JSON.parse(
      await readFile(join(home, 'relay', 'dev-identity', 'directory.json'), 'utf8'),
    ) as {
      api: {clientId: string};
      publicClients: {clientId: string}[];
      users: {objectId: string}[];
    };
    const login = porthole(
      [
        'login',
        '--authority',
        issuer,
        '--client-id',
        directory.publicClients[0]?.clientId ?? '',
        '--server-app',
        directory.api.clientId,
        '--dev-user',
        'dev',
      ],
      {PORTHOLE_HOME: home, NODE_EXTRA_CA_CERTS: caPath},
    );
    expect(await login.exit()).toBe(0);
    expect(login.lines[0]).toMatch(
      new RegExp(
        `^Signed in as dev@porthole\\.local \\(user ${directory.users[0]?.objectId ?? ''}, tenant `,
      ),
    );
    expect((await stat(join(home, 'sign-in', 'msal-cache.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a directory it cannot read, and its flags without --dev-identity', async () => {
    const missing = serve('--dev-identity', '--dev-identity-directory', join(home, 'missing.json'));
    expect(await missing.exit()).toBe(1);
    expect(missing.stderr).toMatch(
      /^error ERR_IDENTITY_SEED_INVALID: Cannot read the identity seed .*missing\.json$/m,
    );
    const stray = serve('--dev-identity-listen', '127.0.0.1:0');
    expect(await stray.exit()).toBe(2);
    expect(stray.stderr).toBe(
      'error ERR_CLI_USAGE: --dev-identity-listen needs --dev-identity\nhint: Run "porthole relay serve --help" for its options.\n',
    );
  });
});

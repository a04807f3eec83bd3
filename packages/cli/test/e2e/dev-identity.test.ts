/**
 * `porthole relay serve --dev-identity`: the relay with its embedded identity provider, and
 * `porthole login --dev-user` against it, as separate processes.
 */
import {stat, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {request} from 'node:https';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {LineProcess} from '@porthole/testing';

import {crowdedDirectory} from '../crowded-directory.js';
import {porthole, runPorthole} from './processes.js';

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

  /**
   * A relay over a directory whose user crowd is in 210 groups and whose Graph reader is
   * `readerName`; its administrator connects cluster demo and gives one of crowd's groups
   * Cluster User on it.
   */
  async function groupRoleRelay(readerName: string) {
    const {directory, crowd, group} = crowdedDirectory(readerName);
    const directoryPath = join(home, 'directory.json');
    await writeFile(directoryPath, JSON.stringify(directory));
    const relay = serve(
      '--dev-identity',
      '--dev-identity-listen',
      '127.0.0.1:0',
      '--dev-identity-directory',
      directoryPath,
    );
    const [, relayUrl = ''] = await relay.line(/^listening on (\S+)$/);
    const [, caPath = ''] = await relay.line(/^identity provider CA: (\S+)$/);
    // The directory's first user, admin, administers the relay.
    const asAdmin = {PORTHOLE_HOME: join(home, 'admin'), NODE_EXTRA_CA_CERTS: caPath};
    const asCrowd = {PORTHOLE_HOME: join(home, 'crowd'), NODE_EXTRA_CA_CERTS: caPath};
    for (const [user, env] of [
      ['admin', asAdmin],
      ['crowd', asCrowd],
    ] as const) {
      const login = await runPorthole(['login', '--relay', relayUrl, '--dev-user', user], env);
      expect(login, login.stderr).toMatchObject({code: 0});
    }
    expect(await runPorthole(['connect', '-n', 'demo'], asAdmin)).toMatchObject({code: 0});
    const granted = await runPorthole(
      [
        'role',
        'assignment',
        'create',
        '--cluster',
        'demo',
        '--role',
        'Cluster User',
        '--assignee',
        group,
        '--assignee-type',
        'Group',
      ],
      asAdmin,
    );
    expect(granted, granted.stderr).toMatchObject({code: 0});
    return {relay, directoryPath, crowd, asCrowd};
  }

  it('counts the groups of a user with group overage, read from its Graph as porthole-relay', async () => {
    const {relay, asCrowd} = await groupRoleRelay('porthole-relay');
    const listed = await runPorthole(['list', '-o', 'json'], asCrowd);
    expect(listed, listed.stderr).toMatchObject({code: 0});
    expect((JSON.parse(listed.stdout) as {name: string}[]).map(({name}) => name)).toEqual(['demo']);
    const shown = await runPorthole(['show', '-n', 'demo', '-o', 'json'], asCrowd);
    expect(shown, shown.stderr).toMatchObject({code: 0});
    expect(JSON.parse(shown.stdout)).toMatchObject({name: 'demo'});
    expect(relay.stderr).not.toContain('group overage');
  });

  it('says why it cannot count those groups when the directory has no porthole-relay', async () => {
    const {relay, directoryPath, crowd, asCrowd} = await groupRoleRelay('porthole-agent');
    const shown = await runPorthole(['show', '-n', 'demo'], asCrowd);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain(
      `error ERR_CONTROL_FORBIDDEN: Reading cluster demo needs the Cluster User role (or Viewer, Writer, Admin, Cluster Admin) on it, which ${crowd.objectId} does not hold`,
    );
    expect(relay.stderr).toContain(
      `relay: tokens with group overage count only their own object id: the directory ${directoryPath} has no service principal porthole-relay to read Graph as`,
    );
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

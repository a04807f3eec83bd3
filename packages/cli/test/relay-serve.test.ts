import {spawn} from 'node:child_process';
import type {ChildProcessByStdio} from 'node:child_process';
import {once} from 'node:events';
import {createServer} from 'node:net';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import type {Readable} from 'node:stream';
import {fileURLToPath} from 'node:url';
import {afterEach, beforeEach, describe, expect, it, onTestFinished} from 'vitest';
import {WebSocket} from 'ws';

import {connectSender, createSasToken, HybridConnectionListener} from '@porthole/core/protocol';
import type {WebSocketLike} from '@porthole/core/protocol';
import {DevIdentityProvider} from '@porthole/relay';

import {crowdedDirectory} from './crowded-directory.js';

const bin = fileURLToPath(new URL('../bin/porthole.js', import.meta.url));
const webSocket = (
  url: string,
  {protocols, headers}: {protocols: string[]; headers: Record<string, string>},
) => new WebSocket(url, protocols, {headers}) as unknown as WebSocketLike;

let dataDir: string;
const children: ChildProcessByStdio<null, Readable, Readable>[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'porthole-relay-serve-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await rm(dataDir, {recursive: true, force: true});
});

function serve(...args: string[]) {
  return serveWith({}, ...args);
}

function serveWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  const child = spawn(process.execPath, [bin, 'relay', 'serve', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, ...env},
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({input: child.stdout}).on('line', (line) => {
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`relay exited ${code}: ${stderr}`)));
  });
  // Tests of failures never wait for the line; their rejection is expected.
  listening.catch(() => undefined);
  return {child, listening, stderr: () => stderr};
}

async function token(url: string, path: string, rule = 'dev', key = 's3cret'): Promise<string> {
  return createSasToken({
    resource: `${url}/${path}`,
    keyName: rule,
    key,
    expiresAt: Math.floor(Date.now() / 1000) + 600,
  });
}

describe('porthole relay serve', () => {
  it('serves listeners and senders, prints its URL, and stops cleanly on SIGTERM', async () => {
    const relay = serve(
      '--listen',
      '127.0.0.1:0',
      '--hybrid-connection',
      'clusters/dev',
      '--sas-key',
      'dev=s3cret',
    );
    const url = await relay.listening;
    const ws = url.replace(/^http/, 'ws');
    const listener = await HybridConnectionListener.open({
      address: `${ws}/$hc/clusters/dev`,
      token: () => token(url, 'clusters/dev'),
      webSocket,
      onAccept: (offer) => {
        void offer.accept().then((socket) => {
          socket.addEventListener('message', (event: {data: string}) =>
            socket.send(`echo: ${event.data}`),
          );
        });
      },
    });
    const sender = await connectSender({
      address: `${ws}/$hc/clusters/dev`,
      token: await token(url, 'clusters/dev'),
      webSocket,
    });
    const reply = new Promise<string>((resolve) => {
      sender.addEventListener('message', (event: {data: string}) => resolve(event.data));
    });
    sender.send('hello');
    expect(await reply).toBe('echo: hello');

    relay.child.kill('SIGTERM');
    const [code] = (await once(relay.child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(await listener.closed).toEqual({code: 1001, reason: 'RelayShuttingDown'});
    expect(relay.stderr()).toContain('relay: stopping (SIGTERM)');
    expect(relay.stderr()).not.toContain('s3cret');
  });

  it('keeps its hybrid connections and keys in the data directory across restarts', async () => {
    const first = serve(
      '--listen',
      '127.0.0.1:0',
      '--hybrid-connection',
      'kept',
      '--sas-key',
      'dev=s3cret',
    );
    await first.listening;
    first.child.kill('SIGINT');
    await once(first.child, 'exit');

    const second = serve('--listen', '127.0.0.1:0');
    const url = await second.listening;
    const listener = await HybridConnectionListener.open({
      address: `${url.replace(/^http/, 'ws')}/$hc/kept`,
      token: () => token(url, 'kept'),
      webSocket,
    });
    listener.close();
  });

  it.each([
    [
      ['--listen', 'localhost'],
      'error ERR_CLI_USAGE: --listen must be HOST:PORT (got "localhost")',
    ],
    [
      ['--listen', '127.0.0.1:70000'],
      'error ERR_CLI_USAGE: --listen must be HOST:PORT (got "127.0.0.1:70000")',
    ],
    [['--tls-cert', 'a.pem'], 'error ERR_CLI_USAGE: --tls-cert and --tls-key go together'],
    [['--sas-key', 'no-equals-sign'], 'error ERR_CLI_USAGE: --sas-key must be RULE=KEY'],
    [['--bogus'], "error ERR_CLI_USAGE: Unknown option '--bogus'"],
  ])('exits 2 for %j', async (args, message) => {
    const {child} = serve(...args);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toMatch(
      new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  it('exits 1 with ERR_CLI_INPUT for unreadable TLS files and ERR_RELAY_LISTEN_FAILED for a taken port', async () => {
    const missing = serve(
      '--tls-cert',
      join(dataDir, 'no.crt'),
      '--tls-key',
      join(dataDir, 'no.key'),
    );
    const [code] = (await once(missing.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(missing.stderr()).toContain(
      `error ERR_CLI_INPUT: Cannot read --tls-cert ${join(dataDir, 'no.crt')}: ENOENT`,
    );

    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as {port: number}).port;
    const taken = serve('--listen', `127.0.0.1:${port}`);
    const [takenCode] = (await once(taken.child, 'exit')) as [number];
    blocker.close();
    expect(takenCode).toBe(1);
    expect(taken.stderr()).toContain(
      `error ERR_RELAY_LISTEN_FAILED: Cannot listen on 127.0.0.1:${port}`,
    );
  });

  it('signs the control plane in with the Entra settings given, and tells CLIs how to sign in', async () => {
    const tenant = '2b3c4d5e-0000-4000-8000-000000000001';
    const serverApp = '2b3c4d5e-0000-4000-8000-000000000002';
    const cliApp = '2b3c4d5e-0000-4000-8000-000000000003';
    const relay = serve(
      '--listen',
      '127.0.0.1:0',
      '--entra-tenant',
      tenant,
      '--entra-audience',
      serverApp,
      '--entra-client-id',
      cliApp,
      '--admin',
      '2b3c4d5e-0000-4000-8000-000000000004',
    );
    const url = await relay.listening;
    const metadata = await (await fetch(`${url}/api/v1/metadata`)).json();
    expect(metadata).toEqual({
      relay: url,
      apiVersion: 'v1',
      authentication: {
        authority: `https://login.microsoftonline.com/${tenant}`,
        tenantId: tenant,
        serverApp,
        clientId: cliApp,
      },
    });
    const allowlist = await fetch(`${url}/urls/allowlist?api-version=2020-01-01`);
    expect(await allowlist.json()).toEqual([
      '127.0.0.1',
      'login.microsoftonline.com',
      'sts.windows.net',
    ]);
    const anonymous = await fetch(`${url}/api/v1/clusters`);
    expect(anonymous.status).toBe(401);
  });

  it.each([
    [['--admin', 'ops'], '--admin takes object ids (GUIDs) (got "ops")'],
    [
      ['--entra-audience', '2b3c4d5e-0000-4000-8000-000000000002'],
      '--entra-audience needs --entra-tenant',
    ],
    [['--entra-tenant', '2b3c4d5e-0000-4000-8000-000000000001'], '--entra-audience is required'],
    [
      ['--entra-tenant', 'contoso', '--entra-audience', 'x'],
      '--entra-tenant must be a tenant id (got "contoso")',
    ],
    [
      ['--dev-identity', '--entra-tenant', '2b3c4d5e-0000-4000-8000-000000000001'],
      '--entra-tenant and --dev-identity exclude each other',
    ],
    [
      ['--graph-client-id', '2b3c4d5e-0000-4000-8000-000000000005'],
      '--graph-client-id needs --entra-tenant',
    ],
    [
      [
        '--entra-tenant',
        '2b3c4d5e-0000-4000-8000-000000000001',
        '--entra-audience',
        '2b3c4d5e-0000-4000-8000-000000000002',
        '--graph-client-id',
        '2b3c4d5e-0000-4000-8000-000000000005',
      ],
      '--graph-client-id needs its secret in PORTHOLE_GRAPH_CLIENT_SECRET (or --graph-client-secret)',
    ],
    [
      ['--dev-identity', '--graph-url', 'https://graph.example'],
      "--graph-url and --dev-identity exclude each other: the relay reads the embedded provider's Graph as its service principal porthole-relay",
    ],
    [['--offline-after', '0'], '--offline-after must be a whole number of seconds (got "0")'],
    [
      ['--sender-token-lifetime', '1h'],
      '--sender-token-lifetime must be a whole number of seconds (got "1h")',
    ],
    [
      ['--public-url', 'relay.example'],
      '--public-url must be http(s)://host[:port] (got "relay.example")',
    ],
  ])('exits 2 for control-plane flags %j', async (args, message) => {
    const refused = serve(...args);
    const [code] = (await once(refused.child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(refused.stderr()).toContain(`error ERR_CLI_USAGE: ${message}`);
  });

  it('reads the groups of tokens with group overage from the Graph its --graph-* flags name', async () => {
    const {directory, admin, crowd, group, graphReader} = crowdedDirectory('relay-graph-reader');
    const identity = await DevIdentityProvider.start({directory, log: () => undefined});
    onTestFinished(() => identity.close());
    const caPath = join(dataDir, 'identity-ca.pem');
    await writeFile(caPath, identity.caPem);
    const relay = serveWith(
      {NODE_EXTRA_CA_CERTS: caPath, PORTHOLE_GRAPH_CLIENT_SECRET: graphReader.secret},
      '--listen',
      '127.0.0.1:0',
      '--entra-tenant',
      directory.tenantId,
      '--entra-audience',
      directory.api.clientId,
      '--entra-issuer',
      identity.issuer,
      '--admin',
      admin.objectId,
      '--graph-url',
      identity.graphBaseUrl,
      '--graph-token-url',
      identity.tokenEndpoint,
      '--graph-client-id',
      graphReader.clientId,
    );
    const url = await relay.listening;
    const call = async (path: string, token: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : {'content-type': 'application/json'}),
        },
        ...(body === undefined ? {} : {body: JSON.stringify(body)}),
      });
      return {status: response.status, body: await response.json()};
    };
    const adminToken = (await identity.signIn(admin.name)).access_token;
    expect(await call('/api/v1/clusters', adminToken, {name: 'prod'})).toMatchObject({
      status: 201,
    });
    expect(
      await call('/api/v1/clusters/prod/roleAssignments', adminToken, {
        principalId: group,
        principalType: 'Group',
        role: 'Cluster User',
      }),
    ).toMatchObject({status: 201});

    const crowdToken = (await identity.signIn(crowd.name)).access_token;
    const claims = JSON.parse(
      Buffer.from(crowdToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({oid: crowd.objectId, _claim_names: {groups: 'src1'}});
    expect(await call('/api/v1/clusters/prod', crowdToken)).toMatchObject({
      status: 200,
      body: {name: 'prod'},
    });
    expect(relay.stderr()).not.toContain(graphReader.secret);
  });

  it("exits 1 with ERR_RELAY_STORE for a database it cannot use, never printing the URL's password", async () => {
    const wrongScheme = serve('--database-url', 'mysql://root:hunter2@127.0.0.1/relay');
    const [code] = (await once(wrongScheme.child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(wrongScheme.stderr()).toContain(
      'error ERR_RELAY_STORE: Unsupported database URL scheme "mysql:": use postgres:// or postgresql://',
    );

    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as {port: number}).port;
    blocker.close();
    await once(blocker, 'close');
    // From the environment, as a deployment would give it.
    const unreachable = serveWith({
      PORTHOLE_DATABASE_URL: `postgres://relay:hunter2@127.0.0.1:${port}/porthole`,
    });
    const [unreachableCode] = (await once(unreachable.child, 'exit')) as [number];
    expect(unreachableCode).toBe(1);
    expect(unreachable.stderr()).toContain(
      `error ERR_RELAY_STORE: Cannot open the relay store at postgres://relay@127.0.0.1:${port}/porthole`,
    );
    expect(wrongScheme.stderr() + unreachable.stderr()).not.toContain('hunter2');
  });
});

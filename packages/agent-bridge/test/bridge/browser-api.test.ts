/**
 * The bridge's browser API ("Use from kubectl") and its console session: who may call it, and
 * every refusal, against a real bridge on a loopback port.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {request} from 'node:https';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, describe, expect, it} from 'vitest';

import type {ConsoleSettings} from '@porthole/core/control-plane';

import {BridgeClient, BridgeDaemon} from '../../src/index.js';

const SETTINGS: ConsoleSettings = {
  relay: 'https://relay.example',
  authentication: {
    authority: 'https://login.example/tenant/v2.0',
    tenantId: 'tenant',
    serverApp: 'server-app',
    clientId: 'console-app',
  },
};

interface Answer {
  status: number;
  body: string;
  json: {code?: string; message?: string; hint?: string};
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A bridge on port 0, with a site that says which settings it was given. */
async function startBridge(options: Partial<Parameters<typeof BridgeDaemon.start>[0]> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'porthole-bridge-browser-'));
  const daemon = await BridgeDaemon.start({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    log: () => undefined,
    idleExitMs: 60_000,
    site: (request, response, settings) => {
      response.writeHead(200, {'content-type': 'application/json'});
      response.end(JSON.stringify({path: request.url, settings}));
      return Promise.resolve();
    },
    ...options,
  });
  stops.push(async () => {
    await daemon.stop();
    await rm(dataDir, {recursive: true, force: true});
  });
  const client = new BridgeClient(daemon.port, daemon.files);
  const origin = `https://127.0.0.1:${daemon.port}`;
  /** A call as a page would make it; every part can be changed. */
  const call = (
    path: string,
    options: {
      method?: string;
      origin?: string | null;
      host?: string;
      secret?: string | null;
      body?: string;
    } = {},
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string> = {host: options.host ?? `127.0.0.1:${daemon.port}`};
      const from = options.origin === undefined ? origin : options.origin;
      if (from !== null) headers.origin = from;
      if (options.secret !== undefined && options.secret !== null)
        headers.authorization = `Bearer ${options.secret}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: daemon.port,
          path,
          method: options.method ?? 'PUT',
          ca: daemon.files.caPem,
          // The certificate is checked for this name, whatever the Host header says.
          servername: 'localhost',
          headers,
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => {
            let json: Answer['json'] = {};
            try {
              json = JSON.parse(body) as Answer['json'];
            } catch {
              // Not JSON: the test looks at `body`.
            }
            resolve({status: response.statusCode ?? 0, body, json});
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });
  return {daemon, client, origin, call};
}

/** A hand-over body whose tokens last a minute. */
function handoff(fields: Record<string, unknown> = {}): string {
  const inAMinute = Math.floor(Date.now() / 1000) + 60;
  return JSON.stringify({
    relay: SETTINGS.relay,
    hybridConnectionName: 'clusters/prod',
    senderToken: 'SharedAccessSignature sr=x&sig=y&se=1&skn=z',
    senderExpiresAt: inAMinute,
    accessToken: 'eyJ.not-a-real-token.x',
    accessExpiresAt: inAMinute,
    ...fields,
  });
}

/** The secret in a console session's URL fragment. */
function secretOf(url: string): string {
  const secret = /#bridge-session=([A-Za-z0-9_-]+)$/.exec(url)?.[1];
  if (secret === undefined) throw new Error(`no session secret in ${url}`);
  return secret;
}

describe('the bridge console session', () => {
  it('serves the console only once porthole console opened a session, with its settings', async () => {
    const {client, origin, call} = await startBridge();
    const before = await call('/', {method: 'GET'});
    expect(before.status).toBe(404);
    expect(before.body).toContain('porthole console');

    const session = await client.openConsole(SETTINGS);
    expect(session.url).toMatch(new RegExp(`^${origin}/#bridge-session=[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(11 * 3600 * 1000);
    const page = await call('/index.html', {method: 'GET'});
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toEqual({path: '/index.html', settings: SETTINGS});
    // Clusters and the control API keep their paths.
    expect((await call('/clusters/prod/version', {method: 'GET'})).status).toBe(404);
    expect((await call('/porthole/v1/bridge', {method: 'GET'})).status).toBe(401);
  });

  it('opens sessions only through the control API, with its secret and no Origin', async () => {
    const {call} = await startBridge();
    const body = JSON.stringify(SETTINGS);
    const fromPage = await call('/porthole/v1/console-sessions', {method: 'POST', body});
    expect(fromPage.status).toBe(401);
    const guessed = await call('/porthole/v1/console-sessions', {
      method: 'POST',
      origin: null,
      secret: 'guessed',
      body,
    });
    expect(guessed.status).toBe(401);
  });

  it('refuses settings that are not a relay and a sign-in', async () => {
    const {client} = await startBridge();
    await expect(client.openConsole({...SETTINGS, relay: 'ftp://relay.example'})).rejects.toThrow(
      /"relay" is not an http\(s\) URL/,
    );
    await expect(
      client.openConsole({
        relay: SETTINGS.relay,
        authentication: {authority: 'https://login.example'} as ConsoleSettings['authentication'],
      }),
    ).rejects.toThrow(/"authentication.tenantId" is not a non-empty string/);
  });

  it('keeps the bridge running while a session lasts, and lets it go after', async () => {
    const {daemon, client} = await startBridge({
      idleExitMs: 100,
      browserLimits: {sessionTtlMs: 1500},
    });
    await client.openConsole(SETTINGS);
    let stopped = false;
    void daemon.stopped.then(() => (stopped = true));
    await sleep(800);
    expect(stopped).toBe(false);
    await sleep(1500);
    expect(stopped).toBe(true);
  });
});

describe('the browser API', () => {
  it('refuses pages of other origins, requests without one, and non-loopback host names', async () => {
    const {client, call} = await startBridge();
    const secret = secretOf((await client.openConsole(SETTINGS)).url);
    const path = '/porthole/v1/browser/handoffs/prod';
    for (const refused of [
      await call(path, {secret, origin: 'https://evil.example', body: handoff()}),
      await call(path, {secret, origin: null, body: handoff()}),
      await call(path, {secret, origin: 'http://127.0.0.1:1', body: handoff()}),
      // DNS rebinding: the page's origin is the attacker's name, resolved to 127.0.0.1.
      await call(path, {secret, host: 'rebound.example:443', body: handoff()}),
    ]) {
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe('ERR_BRIDGE_ORIGIN_REFUSED');
      expect(refused.json.hint).toBe('Open the console with: porthole console');
    }
  });

  it('needs a live session secret', async () => {
    const {client, call} = await startBridge({browserLimits: {sessionTtlMs: 300, maxSessions: 2}});
    const path = '/porthole/v1/browser/handoffs/prod';
    for (const secret of [null, 'x'.repeat(43)]) {
      const refused = await call(path, {secret, body: handoff()});
      expect(refused.status).toBe(401);
      expect(refused.json.code).toBe('ERR_BRIDGE_SESSION_INVALID');
    }
    const expiring = secretOf((await client.openConsole(SETTINGS)).url);
    // A live session gets past the check (and on to the agent, which is not there).
    expect((await call(path, {secret: expiring, body: '{'})).status).toBe(400);
    await sleep(400);
    const expired = await call(path, {secret: expiring, body: handoff()});
    expect(expired.status).toBe(401);
    expect(expired.json.message).toMatch(/expired/);
  });

  it('forgets the oldest session beyond its limit', async () => {
    const {client, call} = await startBridge({browserLimits: {maxSessions: 2}});
    const secrets = [];
    for (let i = 0; i < 3; i++) secrets.push(secretOf((await client.openConsole(SETTINGS)).url));
    const path = '/porthole/v1/browser/handoffs/prod';
    const statuses = [];
    for (const secret of secrets) statuses.push((await call(path, {secret, body: '{'})).status);
    expect(statuses).toEqual([401, 400, 400]);
  });

  it('refuses a hand-over that is not one, naming what is wrong', async () => {
    const {client, call} = await startBridge({browserLimits: {maxBodyBytes: 2048}});
    const secret = secretOf((await client.openConsole(SETTINGS)).url);
    const put = (body: string, cluster = 'prod') =>
      call(`/porthole/v1/browser/handoffs/${cluster}`, {secret, body});
    const cases: [Answer, number, RegExp][] = [
      [await put('not json'), 400, /not JSON/],
      [await put('[]'), 400, /not an object/],
      [await put(handoff({extra: 1})), 400, /unknown field "extra"/],
      [await put(handoff({accessToken: ''})), 400, /"accessToken" is not a non-empty string/],
      [await put(handoff({senderExpiresAt: '1'})), 400, /"senderExpiresAt" is not a time/],
      [await put(handoff({accessExpiresAt: 1000})), 400, /"accessExpiresAt" has passed/],
      [await put(handoff({accessToken: 'x'.repeat(3000)})), 413, /larger than 2048 bytes/],
      [await put(handoff(), '-bad'), 400, /"-bad" is not a cluster name/],
      [await put(handoff({relay: 'https://other.example'})), 400, /not the console's/],
    ];
    for (const [answer, status, message] of cases) {
      expect(answer.status).toBe(status);
      expect(answer.json.code).toBe('ERR_BRIDGE_HANDOFF_INVALID');
      expect(answer.json.message).toMatch(message);
    }
    // No token is ever quoted back.
    for (const [answer] of cases) expect(answer.body).not.toContain('eyJ.not-a-real-token');
  });

  it('answers unknown paths, other methods and clusters it was not handed', async () => {
    const {client, call} = await startBridge();
    const secret = secretOf((await client.openConsole(SETTINGS)).url);
    const unknown = await call('/porthole/v1/browser/other', {secret, method: 'POST'});
    expect(unknown.status).toBe(404);
    const get = await call('/porthole/v1/browser/handoffs/prod', {secret, method: 'POST'});
    expect(get.status).toBe(405);
    const release = await call('/porthole/v1/browser/handoffs/prod', {secret, method: 'DELETE'});
    expect(release.status).toBe(404);
    expect(release.json.message).toBe('The console did not hand prod to this bridge');
  });

  it('reports an agent that cannot be reached as a tunnel failure, and serves nothing', async () => {
    const {daemon, client, call} = await startBridge();
    const secret = secretOf(
      (await client.openConsole({...SETTINGS, relay: 'http://127.0.0.1:9'})).url,
    );
    const failed = await call('/porthole/v1/browser/handoffs/prod', {
      secret,
      body: handoff({relay: 'http://127.0.0.1:9'}),
    });
    expect(failed.status).toBe(502);
    expect(failed.json.code).toMatch(/^ERR_TUNNEL_/);
    expect((await new BridgeClient(daemon.port, daemon.files).status())?.clusters).toEqual([]);
  });
});

import {once} from 'node:events';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createServer, request} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {ConsoleSite, RelayServer, SqliteRelayStore} from '../../src/index.js';

let dir: string;
let relay: RelayServer;
let bare: RelayServer;
let origin: string;

/** A GET with the path exactly as written (fetch would normalise `..` away). */
function rawGet(
  url: string,
  path: string,
  method = 'GET',
): Promise<{status: number; headers: Record<string, unknown>; body: string}> {
  return new Promise((resolve, reject) => {
    const {hostname, port} = new URL(url);
    const outgoing = request({host: hostname, port, path, method}, (answer) => {
      let body = '';
      answer.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      answer.on('end', () =>
        resolve({status: answer.statusCode ?? 0, headers: answer.headers, body}),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-console-'));
  await mkdir(join(dir, 'site', 'assets'), {recursive: true});
  await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><title>Porthole</title>');
  await writeFile(join(dir, 'site', 'assets', 'app-1a2b3c.js'), 'console.log("app")');
  await writeFile(join(dir, 'secret.txt'), 'not for the web');
  relay = new RelayServer({
    store: SqliteRelayStore.open(':memory:'),
    log: () => undefined,
    // A trailing separator, as a shell's completion leaves it.
    console: {dir: `${join(dir, 'site')}/`},
    controlPlane: {
      entra: undefined,
      administrators: [],
      signIn: {
        authority: 'https://login.example/tenant/v2.0',
        tenantId: 'tenant',
        serverApp: 'server-app',
        clientId: 'cli-app',
        consoleClientId: 'console-app',
      },
      corsOrigins: ['https://portal.example'],
    },
  });
  ({url: origin} = await relay.listen({host: '127.0.0.1', port: 0}));
  bare = new RelayServer({store: SqliteRelayStore.open(':memory:'), log: () => undefined});
  await bare.listen({host: '127.0.0.1', port: 0});
});

afterAll(async () => {
  await relay.close();
  await bare.close();
  await rm(dir, {recursive: true, force: true});
});

describe('the console on the relay', () => {
  it('serves the app at /console/ with a strict policy, and its routes with index.html', async () => {
    const redirect = await fetch(`${origin}/console`, {redirect: 'manual'});
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    for (const path of ['/console/', '/console/clusters/prod', '/console/clusters/prod/pods']) {
      const page = await fetch(`${origin}${path}`);
      expect(page.status, path).toBe(200);
      expect(await page.text()).toContain('<title>Porthole</title>');
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain(
        `connect-src 'self' ${origin} ${origin.replace('http', 'ws')} https://login.example`,
      );
      expect(policy).toContain("frame-ancestors 'self'");
      expect(policy).toContain("frame-src 'self' https://login.example");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const asset = await fetch(`${origin}/console/assets/app-1a2b3c.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("app")');
  });

  it('tells the console this relay and how to sign in with the console client', async () => {
    const config = await fetch(`${origin}/console/config.json`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toEqual({
      relay: origin,
      authentication: {
        authority: 'https://login.example/tenant/v2.0',
        tenantId: 'tenant',
        serverApp: 'server-app',
        clientId: 'console-app',
      },
    });
  });

  it('serves nothing outside its directory, nothing missing, and only GET and HEAD', async () => {
    expect((await rawGet(origin, '/console/../secret.txt')).status).toBe(404);
    expect((await rawGet(origin, '/console/%2e%2e/secret.txt')).status).toBe(404);
    expect((await rawGet(origin, '/console/assets/missing.js')).status).toBe(404);
    expect((await rawGet(origin, '/console/%E0%A4%A')).status).toBe(400);
    const post = await rawGet(origin, '/console/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await rawGet(origin, '/console/', 'HEAD');
    expect(head).toMatchObject({status: 200, body: ''});
    const none = await fetch(`${bare.url}/console/`);
    expect(none.status).toBe(404);
    expect(await none.text()).toBe('No console is served here\n');
    // Its settings are served all the same: portals and `porthole console` read them.
    const settings = await fetch(`${bare.url}/console/config.json`);
    expect(settings.status).toBe(200);
    expect(await settings.json()).toEqual({relay: bare.url, authentication: null});
  });

  it('lets the portals named load the components and the config from another origin', async () => {
    const script = await fetch(`${origin}/console/assets/app-1a2b3c.js`, {
      headers: {origin: 'https://portal.example'},
    });
    expect(script.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    const config = await fetch(`${origin}/console/config.json`, {
      headers: {origin: 'https://evil.example'},
    });
    expect(config.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the API with CORS headers for the portals named, and only for them', async () => {
    const preflight = await fetch(`${origin}/api/v1/clusters`, {
      method: 'OPTIONS',
      headers: {origin: 'https://portal.example', 'access-control-request-method': 'GET'},
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const allowed = await fetch(`${origin}/api/v1/metadata`, {
      headers: {origin: 'https://portal.example'},
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    const other = await fetch(`${origin}/api/v1/metadata`, {
      headers: {origin: 'https://evil.example'},
    });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the consoles local bridges serve (https on loopback, any port), and no look-alike', async () => {
    const corsFor = async (from: string) =>
      (await fetch(`${origin}/api/v1/metadata`, {headers: {origin: from}})).headers.get(
        'access-control-allow-origin',
      );
    for (const bridge of [
      'https://127.0.0.1:47011',
      'https://localhost:50123',
      'https://[::1]:47011',
    ])
      expect(await corsFor(bridge), bridge).toBe(bridge);
    for (const other of [
      'http://127.0.0.1:47011',
      'https://127.0.0.2:47011',
      'https://127.0.0.1.evil.example',
      'https://localhost.evil.example:47011',
    ])
      expect(await corsFor(other), other).toBeNull();
  });
});

describe('the console mounted at / (as the bridge serves it)', () => {
  it('serves the same files and settings at the root, nothing outside its directory', async () => {
    const site = new ConsoleSite(join(dir, 'site'), {path: '/'});
    const server = createServer((request, response) => {
      void site.handle(request, response, {relay: 'https://relay.example', authentication: null});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const index = await fetch(`${root}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-security-policy')).toContain(
        "connect-src 'self' https://relay.example wss://relay.example",
      );
      expect(await (await fetch(`${root}/#/clusters/prod`)).text()).toBe(await index.text());
      expect(await (await fetch(`${root}/config.json`)).json()).toEqual({
        relay: 'https://relay.example',
        authentication: null,
      });
      expect((await rawGet(root, '/../secret.txt')).status).toBe(404);
      expect((await rawGet(root, '/%2e%2e/secret.txt')).status).toBe(404);
    } finally {
      server.close();
    }
  });
});

/**
 * `egressFetch` through a real tinyproxy to servers behind a gate only the proxy passes, as
 * the agent's control-plane client uses it: answers, bodies, aborts and redirects keep
 * `fetch`'s contract, and a proxy's refusal arrives as the cause of the client's own code.
 */
import {once} from 'node:events';
import {createServer as createHttpServer} from 'node:http';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {createServer as createHttpsServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import {describe, expect, it, onTestFinished} from 'vitest';

import {CertificateAuthority} from '@porthole/core';
import {startProxyOnlyGate} from '@porthole/testing';
import type {TestForwardProxy} from '@porthole/testing';

import {ControlPlaneClient, egressFetch} from '../../src/index.js';
import {tinyproxy, withCredentials} from './peers.js';

const PASSWORD = 'fetch-proxy-secret-7';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP(S) server on 127.0.0.1 that records requests and answers with `answer`. */
async function server(
  answer: (seen: Seen, response: ServerResponse) => void,
  tls?: {cert: string; key: string},
): Promise<{port: number; seen: Seen[]}> {
  const seen: Seen[] = [];
  const http = tls ? createHttpsServer(tls) : createHttpServer();
  http.on('request', (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      };
      seen.push(entry);
      answer(entry, response);
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  onTestFinished(async () => {
    http.closeAllConnections();
    http.close();
    await once(http, 'close');
  });
  return {port: (http.address() as AddressInfo).port, seen};
}

/** tinyproxy with credentials, and a gate in front of `port` that only it passes. */
async function proxied(port: number): Promise<{proxy: TestForwardProxy; gatePort: number}> {
  const proxy = await tinyproxy({basicAuth: {user: 'agent', password: PASSWORD}});
  const gate = await startProxyOnlyGate(port, proxy);
  onTestFinished(() => gate.close());
  return {proxy, gatePort: gate.port};
}

const env = (proxy: TestForwardProxy, password = PASSWORD) => ({
  HTTP_PROXY: withCredentials(proxy.url, 'agent', password),
  HTTPS_PROXY: withCredentials(proxy.url, 'agent', password),
  PORTHOLE_PROXY_LOOPBACK: '1',
});

describe('egressFetch', () => {
  it('sends a request and its body through the proxy, and streams the answer back', async () => {
    const target = await server((seen, response) => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.writeHead(201, 'Made', {'content-type': 'application/json'});
      response.end(JSON.stringify({echo: seen.body}));
    });
    const {proxy, gatePort} = await proxied(target.port);
    const response = await egressFetch({env: env(proxy)})(`http://127.0.0.1:${gatePort}/api?x=1`, {
      method: 'POST',
      headers: {'content-type': 'application/json', 'x-ms-correlation-request-id': 'c-1'},
      body: '{"n":1}',
    });
    expect(response).toMatchObject({status: 201, statusText: 'Made', ok: true});
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({echo: '{"n":1}'});
    expect(target.seen).toMatchObject([
      {
        method: 'POST',
        url: '/api?x=1',
        body: '{"n":1}',
        headers: {
          'content-type': 'application/json',
          'content-length': '7',
          'x-ms-correlation-request-id': 'c-1',
          host: `127.0.0.1:${gatePort}`,
        },
      },
    ]);
    expect(target.seen[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(proxy.connects()).toEqual([`127.0.0.1:${gatePort}`]);
  });

  it('speaks TLS to an https target inside the tunnel, trusting ca', async () => {
    const ca = await CertificateAuthority.create('egress-fetch-test-ca');
    const issued = await ca.issue({commonName: 'relay', hosts: ['127.0.0.1'], usage: 'server'});
    const target = await server((_, response) => response.end('secure'), {
      cert: issued.certPem,
      key: issued.keyPem,
    });
    const {proxy, gatePort} = await proxied(target.port);
    const fetchThrough = egressFetch({env: env(proxy), ca: ca.certPem});
    const response = await fetchThrough(`https://127.0.0.1:${gatePort}/healthz`);
    expect(await response.text()).toBe('secure');

    const untrusted = egressFetch({env: env(proxy)})(`https://127.0.0.1:${gatePort}/healthz`);
    await expect(untrusted).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: {code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'},
    });
  });

  it('answers 204 and HEAD without a body', async () => {
    const target = await server((seen, response) =>
      response.writeHead(seen.method === 'HEAD' ? 200 : 204, {'content-length': '0'}).end(),
    );
    const {proxy, gatePort} = await proxied(target.port);
    const fetchThrough = egressFetch({env: env(proxy)});
    const empty = await fetchThrough(`http://127.0.0.1:${gatePort}/`, {method: 'DELETE'});
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const head = await fetchThrough(`http://127.0.0.1:${gatePort}/`, {method: 'HEAD'});
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('rejects with the signal’s reason when it aborts, before or during the answer', async () => {
    const target = await server((seen, response) => {
      if (seen.url === '/slow-body') response.writeHead(200).write('partial');
    });
    const {proxy, gatePort} = await proxied(target.port);
    const fetchThrough = egressFetch({env: env(proxy)});
    await expect(
      fetchThrough(`http://127.0.0.1:${gatePort}/silent`, {signal: AbortSignal.timeout(200)}),
    ).rejects.toMatchObject({name: 'TimeoutError'});
    const controller = new AbortController();
    const response = await fetchThrough(`http://127.0.0.1:${gatePort}/slow-body`, {
      signal: controller.signal,
    });
    const text = response.text();
    controller.abort(new Error('stop'));
    await expect(text).rejects.toThrow('stop');
  });

  it('refuses a redirect under redirect: error, and hands it back otherwise', async () => {
    const target = await server((_, response) =>
      response.writeHead(302, {location: 'http://elsewhere.example/'}).end(),
    );
    const {proxy, gatePort} = await proxied(target.port);
    const fetchThrough = egressFetch({env: env(proxy)});
    await expect(
      fetchThrough(`http://127.0.0.1:${gatePort}/`, {redirect: 'error'}),
    ).rejects.toMatchObject({
      message: 'fetch failed',
      cause: {message: 'unexpected redirect (302)'},
    });
    const response = await fetchThrough(`http://127.0.0.1:${gatePort}/`, {redirect: 'manual'});
    expect(response.status).toBe(302);
  });

  it('rejects a refusal as fetch does a network error, with the ForwardProxyError as cause', async () => {
    const target = await server((_, response) => response.end());
    const {proxy, gatePort} = await proxied(target.port);
    const failed = egressFetch({env: env(proxy, 'wrong-password')})(
      `http://127.0.0.1:${gatePort}/`,
    );
    await expect(failed).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: {code: 'ERR_TUNNEL_PROXY_REFUSED', proxy: proxy.url},
    });
    expect(target.seen).toEqual([]);
  });

  it('is the global fetch when no proxy applies', async () => {
    const target = await server((_, response) => response.end('direct'));
    const proxy = await tinyproxy();
    const response = await egressFetch({env: {HTTP_PROXY: proxy.url}})(
      `http://127.0.0.1:${target.port}/`,
    );
    expect(await response.text()).toBe('direct');
    expect(proxy.connects()).toEqual([]);
  });
});

describe('ControlPlaneClient through a forward proxy', () => {
  const configuration = {
    cluster: 'prod',
    heartbeatIntervalSeconds: 30,
    credentialExpiresAt: null,
    entra: null,
  };

  it('reads its configuration through the proxy', async () => {
    const relay = await server((_, response) =>
      response
        .writeHead(200, {'content-type': 'application/json'})
        .end(JSON.stringify(configuration)),
    );
    const {proxy, gatePort} = await proxied(relay.port);
    const client = new ControlPlaneClient({
      relay: `http://127.0.0.1:${gatePort}`,
      cluster: 'prod',
      key: 'a2V5',
      fetch: egressFetch({env: env(proxy)}),
    });
    expect(await client.configuration()).toEqual(configuration);
    expect(relay.seen[0]?.url).toBe('/api/v1/clusters/prod/agent/configuration');
  });

  it('reports refused proxy credentials as ERR_AGENT_CONTROL_PLANE_UNREACHABLE, which the agent retries, with the proxy’s error as cause', async () => {
    const relay = await server((_, response) => response.end('{}'));
    const {proxy, gatePort} = await proxied(relay.port);
    const client = new ControlPlaneClient({
      relay: `http://127.0.0.1:${gatePort}`,
      cluster: 'prod',
      key: 'a2V5',
      fetch: egressFetch({env: env(proxy, 'wrong-password')}),
    });
    const err = await client.configuration().catch((caught: unknown) => caught);
    expect(err).toMatchObject({
      code: 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
      message: expect.stringMatching(
        new RegExp(
          `^Cannot reach the control plane at http://127\\.0\\.0\\.1:${gatePort} \\(ERR_TUNNEL_PROXY_REFUSED: The proxy ${proxy.url} refused CONNECT 127\\.0\\.0\\.1:${gatePort}: 40[17] `,
        ),
      ),
      hint: 'The proxy refused the user name or password in HTTP_PROXY: check them (percent-encode @, : and / in them).',
      cause: {code: 'ERR_TUNNEL_PROXY_REFUSED'},
    });
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('wrong-password');
    expect(relay.seen).toEqual([]);
  });
});

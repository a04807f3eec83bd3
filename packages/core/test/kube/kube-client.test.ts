import {describe, expect, it} from 'vitest';

import {KubeClient, resourcePath, withQuery} from '../../src/kube/index.js';
import type {KubeClientOptions, WatchEvent} from '../../src/kube/index.js';
import type {SeenRequest} from './helpers.js';
import {MemoryTransport, serveHttp, settle, utf8} from './helpers.js';

const PODS = {apiVersion: 'v1', resource: 'pods', namespace: 'web'} as const;

function json(status: number, value: unknown, extra = ''): string {
  const body = JSON.stringify(value);
  const reason = status === 200 ? 'OK' : status === 403 ? 'Forbidden' : 'Error';
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${utf8(body).length}\r\n${extra}\r\n${body}`;
}

/**
 * A client whose every connection is a memory transport served by `respond`; returns the
 * client, the transports it opened and the requests they saw.
 */
function clientWith(
  respond: (request: SeenRequest, transport: MemoryTransport) => string | undefined,
  options: Partial<KubeClientOptions> = {},
) {
  const transports: MemoryTransport[] = [];
  const requests: SeenRequest[] = [];
  const client = new KubeClient({
    connect: () => {
      const transport = new MemoryTransport();
      serveHttp(transport, (request, server) => {
        requests.push(request);
        return respond(request, server);
      });
      transports.push(transport);
      return Promise.resolve(transport);
    },
    token: () => Promise.resolve('token-1'),
    ...options,
  });
  return {client, transports, requests};
}

const FORBIDDEN = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message:
    'pods is forbidden: User "1a2b" cannot list resource "pods" in API group "" in the namespace "default"; no Porthole role assignment gives 1a2b Microsoft.Kubernetes/connectedClusters/pods/read',
  reason: 'Forbidden',
  details: {kind: 'pods'},
  code: 403,
};

describe('resourcePath', () => {
  it.each([
    [{apiVersion: 'v1', resource: 'pods'}, undefined, undefined, '/api/v1/pods'],
    [
      {apiVersion: 'v1', resource: 'pods', namespace: 'web'},
      'a',
      'log',
      '/api/v1/namespaces/web/pods/a/log',
    ],
    [
      {apiVersion: 'apps/v1', resource: 'deployments', namespace: 'x'},
      'd',
      undefined,
      '/apis/apps/v1/namespaces/x/deployments/d',
    ],
    [{apiVersion: 'v1', resource: 'nodes'}, 'n:1', undefined, '/api/v1/nodes/n%3A1'],
  ])('builds %j %s %s as %s', (ref, name, subresource, path) => {
    expect(resourcePath(ref, name, subresource)).toBe(path);
  });

  it.each([[''], ['..'], ['a/b']])('refuses the name %j with ERR_KUBE_REQUEST_INVALID', (name) => {
    expect(() => resourcePath(PODS, name)).toThrow(
      expect.objectContaining({code: 'ERR_KUBE_REQUEST_INVALID'}),
    );
  });

  it('repeats array parameters and leaves out undefined ones', () => {
    expect(
      withQuery('/exec', {command: ['sh', '-c', 'echo a&b'], container: undefined, tty: false}),
    ).toBe('/exec?command=sh&command=-c&command=echo%20a%26b&tty=false');
  });
});

describe('KubeClient', () => {
  it('lists and gets with the bearer token, reusing one kept-alive connection', async () => {
    const {client, transports, requests} = clientWith((request) =>
      request.target.endsWith('/pods/a')
        ? json(200, {kind: 'Pod', metadata: {name: 'a'}})
        : json(200, {
            kind: 'PodList',
            metadata: {resourceVersion: '7'},
            items: [{metadata: {name: 'a'}}],
          }),
    );
    const list = await client.list(PODS, {labelSelector: 'app=web', limit: 5});
    expect(list).toMatchObject({
      metadata: {resourceVersion: '7'},
      items: [{metadata: {name: 'a'}}],
    });
    expect(await client.get(PODS, 'a')).toMatchObject({kind: 'Pod'});
    expect(requests.map((request) => request.target)).toEqual([
      '/api/v1/namespaces/web/pods?labelSelector=app%3Dweb&limit=5',
      '/api/v1/namespaces/web/pods/a',
    ]);
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer token-1');
    expect(requests[0]?.headers.get('accept')).toBe('application/json');
    expect(transports).toHaveLength(1);
    expect(client.connections).toBe(1);
  });

  it('sends a JSON body with its content type', async () => {
    const {client, requests} = clientWith(() => json(200, {kind: 'ConfigMap'}));
    await client.request({
      method: 'PATCH',
      path: resourcePath({apiVersion: 'v1', resource: 'configmaps', namespace: 'web'}, 'c'),
      body: {data: {k: 'v'}},
      contentType: 'application/merge-patch+json',
    });
    expect(requests[0]).toMatchObject({method: 'PATCH'});
    expect(requests[0]?.headers.get('content-type')).toBe('application/merge-patch+json');
    expect(new TextDecoder().decode(requests[0]?.body)).toBe('{"data":{"k":"v"}}');
  });

  it('turns a 403 Status into ERR_KUBE_STATUS with its message exactly, status and reason', async () => {
    const {client} = clientWith(() => json(403, FORBIDDEN));
    await expect(
      client.list({apiVersion: 'v1', resource: 'pods', namespace: 'default'}),
    ).rejects.toMatchObject({
      code: 'ERR_KUBE_STATUS',
      message: FORBIDDEN.message,
      status: 403,
      reason: 'Forbidden',
      kubeStatus: FORBIDDEN,
    });
  });

  it('quotes a body that is not a Status, with the reason client-go would give', async () => {
    const {client} = clientWith(
      () => 'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 20\r\n\r\nno agent\non the line',
    );
    await expect(client.request({path: '/version'})).rejects.toMatchObject({
      code: 'ERR_KUBE_STATUS',
      message: '502 Bad Gateway: no agent\\x0aon the line',
      status: 502,
    });
    const notFound = clientWith(() => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    await expect(notFound.client.get(PODS, 'gone')).rejects.toMatchObject({
      message: '404 Not Found',
      reason: 'NotFound',
    });
  });

  it('reports a success body that is not JSON as ERR_KUBE_RESPONSE_INVALID, without the query', async () => {
    const {client} = clientWith(() => 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnope');
    await expect(
      client.request({path: '/x', query: {access_token: 'secret'}}),
    ).rejects.toMatchObject({
      code: 'ERR_KUBE_RESPONSE_INVALID',
      message: 'Invalid response: the body of GET /x is not JSON',
    });
  });

  it('refuses a body over maxBodyBytes with ERR_KUBE_BODY_TOO_LARGE', async () => {
    const {client} = clientWith(() => json(200, {items: 'x'.repeat(100)}), {maxBodyBytes: 64});
    await expect(client.request({path: '/big'})).rejects.toMatchObject({
      code: 'ERR_KUBE_BODY_TOO_LARGE',
      message: 'Body exceeds maxBodyBytes (64 bytes)',
    });
    const at = clientWith(() => json(200, {k: 'x'.repeat(54)}), {maxBodyBytes: 64});
    expect(await at.client.request({path: '/exact'})).toEqual({k: 'x'.repeat(54)});
  });

  it('watches: events as they arrive, ERROR events passed on, and return() ends the connection', async () => {
    let server: MemoryTransport | undefined;
    const {client, requests} = clientWith((_, transport) => {
      server = transport;
      return 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    });
    const events = await client.watch(PODS, {resourceVersion: '7', allowWatchBookmarks: true});
    expect(requests[0]?.target).toBe(
      '/api/v1/namespaces/web/pods?resourceVersion=7&allowWatchBookmarks=true&watch=true',
    );
    const added = JSON.stringify({type: 'ADDED', object: {metadata: {name: 'a'}}});
    const gone = JSON.stringify({
      type: 'ERROR',
      object: {kind: 'Status', code: 410, reason: 'Expired'},
    });
    const stream = `${added}\n${gone}\n`;
    // An event split across chunks, two in one chunk.
    for (const piece of [stream.slice(0, 10), stream.slice(10, 60), stream.slice(60)])
      server?.push(`${utf8(piece).length.toString(16)}\r\n${piece}\r\n`);
    const received: WatchEvent[] = [];
    for await (const event of events) {
      received.push(event);
      if (received.length === 2) break;
    }
    expect(received).toEqual([JSON.parse(added), JSON.parse(gone)]);
    expect(server?.closedByClient).toBe(true);
  });

  it('stops a watch that waits for events when it is closed', async () => {
    let server: MemoryTransport | undefined;
    const {client} = clientWith((_, transport) => {
      server = transport;
      return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    });
    const events = await client.watch(PODS);
    const next = events.next();
    await settle();
    await events.close();
    expect(await next).toEqual({done: true, value: undefined});
    expect(server?.closedByClient).toBe(true);
  });

  it('fails a watch on a line that is not an event with ERR_KUBE_RESPONSE_INVALID', async () => {
    const {client} = clientWith(
      () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n42\n\r\n0\r\n\r\n',
    );
    const events = await client.watch(PODS);
    await expect(events.next()).rejects.toMatchObject({
      code: 'ERR_KUBE_RESPONSE_INVALID',
      message: 'Invalid watch event: a watch event needs a known "type" and an "object"',
    });
  });

  it('fails a watch event over maxBodyBytes with ERR_KUBE_BODY_TOO_LARGE', async () => {
    const long = `{"type":"ADDED","object":{"k":"${'x'.repeat(100)}"}}\n`;
    const {client} = clientWith(
      () =>
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${long.length.toString(16)}\r\n${long}\r\n`,
      {maxBodyBytes: 64},
    );
    const events = await client.watch(PODS);
    await expect(events.next()).rejects.toMatchObject({code: 'ERR_KUBE_BODY_TOO_LARGE'});
  });

  it('streams logs as text, and cancelling the stream ends the connection', async () => {
    let server: MemoryTransport | undefined;
    const {client, requests} = clientWith((_, transport) => {
      server = transport;
      return 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';
    });
    const log = await client.logs('web-0', {
      namespace: 'web',
      follow: true,
      tailLines: 10,
      container: 'c',
    });
    expect(requests[0]?.target).toBe(
      '/api/v1/namespaces/web/pods/web-0/log?follow=true&tailLines=10&container=c',
    );
    // "ü" split between two chunks.
    server?.push(
      Uint8Array.from([
        ...utf8('7\r\nline 1\n\r\n1\r\n'),
        0xc3,
        ...utf8('\r\n1\r\n'),
        0xbc,
        ...utf8('\r\n'),
      ]),
    );
    const reader = log.getReader();
    const texts: string[] = [];
    while (texts.join('') !== 'line 1\nü') {
      const {value} = await reader.read();
      texts.push(value ?? '');
    }
    await reader.cancel();
    expect(server?.closedByClient).toBe(true);
  });

  it('opens another connection for a request while one streams, and keeps at most maxIdleConnections', async () => {
    const {client, transports} = clientWith(
      (request) =>
        request.target.includes('watch=true')
          ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
          : json(200, {}),
      {maxIdleConnections: 1},
    );
    const watch = await client.watch(PODS);
    await Promise.all([client.request({path: '/a'}), client.request({path: '/b'})]);
    expect(transports).toHaveLength(3);
    expect(transports.filter((transport) => transport.closedByClient)).toHaveLength(1);
    await watch.close();
    client.close();
    await settle();
    expect(client.connections).toBe(0);
    await expect(client.request({path: '/a'})).rejects.toMatchObject({
      code: 'ERR_KUBE_CONNECTION_CLOSED',
      message: 'Client is closed',
    });
  });

  it('retries a GET once on a new connection when a kept-alive one turns out closed', async () => {
    let calls = 0;
    const {client, transports} = clientWith((_, transport) => {
      calls++;
      // The second request lands on the kept-alive connection, which the server has dropped.
      if (calls === 2) {
        transport.end();
        return undefined;
      }
      return json(200, {n: calls});
    });
    expect(await client.request({path: '/one'})).toEqual({n: 1});
    expect(await client.request({path: '/two'})).toEqual({n: 3});
    expect(transports).toHaveLength(2);
  });

  it('does not retry a POST', async () => {
    let calls = 0;
    const {client} = clientWith((_, transport) => {
      calls++;
      if (calls === 2) {
        transport.end();
        return undefined;
      }
      return json(200, {});
    });
    await client.request({path: '/one'});
    await expect(client.request({method: 'POST', path: '/two', body: {}})).rejects.toMatchObject({
      code: 'ERR_KUBE_CONNECTION_CLOSED',
    });
  });

  it('asks the token provider for each request', async () => {
    let n = 0;
    const {client, requests} = clientWith(() => json(200, {}), {
      token: () => Promise.resolve(`token-${++n}`),
    });
    await client.request({path: '/a'});
    await client.request({path: '/b'});
    expect(requests.map((request) => request.headers.get('authorization'))).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('execs over a WebSocket on its own connection, with the command repeated in the query', async () => {
    const {client, requests} = clientWith(() =>
      json(403, {...FORBIDDEN, message: 'pods "web" is forbidden: exec'}),
    );
    await expect(
      client.exec('web', {namespace: 'ns', command: ['echo', 'hi'], container: 'c', stdin: true}),
    ).rejects.toMatchObject({
      code: 'ERR_KUBE_STATUS',
      status: 403,
      message: 'pods "web" is forbidden: exec',
    });
    expect(requests[0]?.target).toBe(
      '/api/v1/namespaces/ns/pods/web/exec?command=echo&command=hi&container=c&stdin=true&stdout=true&stderr=true&tty=false',
    );
    expect(requests[0]?.headers.get('upgrade')).toBe('websocket');
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer token-1');
  });
});

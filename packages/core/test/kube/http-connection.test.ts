import {describe, expect, it} from 'vitest';

import {HttpConnection} from '../../src/kube/index.js';
import {MemoryTransport, readText, serveHttp, settle, text} from './helpers.js';

const ok = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('HttpConnection', () => {
  it('sends requests one after another on one stream (keep-alive)', async () => {
    const transport = new MemoryTransport();
    const seen = serveHttp(transport, (request) => ok(`answer to ${request.target}`));
    let idle = 0;
    const connection = new HttpConnection(transport, {onIdle: () => idle++});
    for (const target of ['/one', '/two', '/three']) {
      const response = await connection.request({method: 'GET', target});
      expect(response.status).toBe(200);
      expect(await readText(response.body)).toBe(`answer to ${target}`);
    }
    expect(seen.map((request) => request.target)).toEqual(['/one', '/two', '/three']);
    expect(seen[0]?.headers.get('host')).toBe('kubernetes');
    expect(connection).toMatchObject({state: 'idle', requests: 3});
    expect(idle).toBe(3);
    expect(transport.closedByClient).toBe(false);
  });

  it('holds a second request until the first response has ended', async () => {
    const transport = new MemoryTransport();
    const seen = serveHttp(transport, () => undefined);
    const connection = new HttpConnection(transport);
    const first = connection.request({method: 'GET', target: '/first'});
    const second = connection.request({method: 'GET', target: '/second'});
    await settle();
    expect(seen.map((request) => request.target)).toEqual(['/first']);
    transport.push('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n');
    const body = (await first).body.getReader();
    expect(text((await body.read()).value ?? new Uint8Array())).toBe('one');
    await settle();
    expect(seen).toHaveLength(1);
    transport.push('0\r\n\r\n');
    expect(await body.read()).toEqual({done: true, value: undefined});
    await settle();
    expect(seen.map((request) => request.target)).toEqual(['/first', '/second']);
    transport.push(ok('two'));
    expect(await readText((await second).body)).toBe('two');
  });

  it('ends the connection after Connection: close, and refuses further requests', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => ok('bye', 'Connection: close\r\n'));
    const connection = new HttpConnection(transport);
    const response = await connection.request({method: 'GET', target: '/'});
    expect(await readText(response.body)).toBe('bye');
    expect(connection.state).toBe('closed');
    expect(transport.closedByClient).toBe(true);
    await expect(connection.request({method: 'GET', target: '/'})).rejects.toMatchObject({
      code: 'ERR_KUBE_CONNECTION_CLOSED',
      message: 'Connection is closed',
    });
  });

  it('exposes the trailers of a chunked body', async () => {
    const transport = new MemoryTransport();
    serveHttp(
      transport,
      () =>
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Sum: 42\r\n\r\n',
    );
    const response = await new HttpConnection(transport).request({method: 'GET', target: '/'});
    expect(await readText(response.body)).toBe('hi');
    expect((await response.trailers).get('x-sum')).toBe('42');
  });

  it('pauses the transport while the reader lags, and resumes as it reads', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const connection = new HttpConnection(transport, {bodyHighWaterMark: 8});
    const response = await connection.request({method: 'GET', target: '/watch'});
    transport.push('5\r\nfirst\r\n');
    expect(transport.pauses).toBe(0);
    transport.push('5\r\nsecnd\r\n');
    expect(transport).toMatchObject({paused: true, pauses: 1});
    const reader = response.body.getReader();
    expect(text((await reader.read()).value ?? new Uint8Array())).toBe('first');
    await settle();
    expect(transport).toMatchObject({paused: false, resumes: 1});
    transport.push('0\r\n\r\n');
    expect(text((await reader.read()).value ?? new Uint8Array())).toBe('secnd');
    expect((await reader.read()).done).toBe(true);
  });

  it('ends the connection when the reader cancels the body', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    const connection = new HttpConnection(transport);
    const response = await connection.request({method: 'GET', target: '/logs?follow=true'});
    await response.body.cancel();
    expect(transport.closedByClient).toBe(true);
    expect(connection.state).toBe('closed');
    await connection.closed;
  });

  it('rejects with ERR_KUBE_CONNECTION_CLOSED when the stream ends before the head', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, (_, server) => {
      server.end();
      return undefined;
    });
    const connection = new HttpConnection(transport);
    await expect(connection.request({method: 'GET', target: '/'})).rejects.toMatchObject({
      code: 'ERR_KUBE_CONNECTION_CLOSED',
      message: 'Connection closed before the response head ended',
    });
  });

  it('errors the body with ERR_KUBE_CONNECTION_CLOSED when the stream ends inside it, keeping the cause', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => ok('0123456789').slice(0, -5));
    const response = await new HttpConnection(transport).request({method: 'GET', target: '/'});
    const cause = new Error('relay went away');
    transport.end(cause);
    await expect(readText(response.body)).rejects.toMatchObject({
      code: 'ERR_KUBE_CONNECTION_CLOSED',
      message: 'Connection closed with 5 body bytes still to come',
      cause,
    });
  });

  it('fails the response with the parser error, and ends the connection', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => 'HTTP/1.1 200 OK\r\nX-Pad: ' + 'x'.repeat(100));
    const connection = new HttpConnection(transport, {maxHeaderBytes: 64});
    await expect(connection.request({method: 'GET', target: '/'})).rejects.toMatchObject({
      code: 'ERR_KUBE_HEADERS_TOO_LARGE',
    });
    expect(transport.closedByClient).toBe(true);
  });

  it('aborts: before the head the request rejects, after it the body errors, with ERR_KUBE_ABORTED', async () => {
    const before = new MemoryTransport();
    serveHttp(before, () => undefined);
    const controller = new AbortController();
    const pending = new HttpConnection(before).request(
      {method: 'GET', target: '/'},
      {signal: controller.signal},
    );
    await settle();
    const reason = new Error('navigated away');
    controller.abort(reason);
    await expect(pending).rejects.toMatchObject({
      code: 'ERR_KUBE_ABORTED',
      message: 'Request aborted',
      cause: reason,
    });
    expect(before.closedByClient).toBe(true);

    const after = new MemoryTransport();
    serveHttp(after, () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const later = new AbortController();
    const response = await new HttpConnection(after).request(
      {method: 'GET', target: '/'},
      {signal: later.signal},
    );
    later.abort();
    await expect(readText(response.body)).rejects.toMatchObject({code: 'ERR_KUBE_ABORTED'});
    expect(after.closedByClient).toBe(true);
  });

  it('sends nothing for a request aborted before its turn, and stays usable', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => ok('fine'));
    const connection = new HttpConnection(transport);
    await expect(
      connection.request({method: 'GET', target: '/'}, {signal: AbortSignal.abort()}),
    ).rejects.toMatchObject({code: 'ERR_KUBE_ABORTED'});
    expect(transport.sent).toEqual([]);
    expect(connection.state).toBe('idle');
  });

  it('sends nothing for an invalid request, and stays usable', async () => {
    const transport = new MemoryTransport();
    serveHttp(transport, () => ok('fine'));
    const connection = new HttpConnection(transport);
    await expect(
      connection.request({method: 'GET', target: '/', headers: {'X-Bad': 'a\nb'}}),
    ).rejects.toMatchObject({code: 'ERR_KUBE_REQUEST_INVALID'});
    expect(transport.sent).toEqual([]);
    expect(await readText((await connection.request({method: 'GET', target: '/'})).body)).toBe(
      'fine',
    );
  });

  it('hands the stream after a 101 to the new protocol, bytes that came with the head first', async () => {
    const transport = new MemoryTransport();
    const seen = serveHttp(
      transport,
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nearly',
    );
    const connection = new HttpConnection(transport);
    const response = await connection.request(
      {method: 'GET', target: '/exec', headers: {Upgrade: 'websocket'}},
      {upgrade: true},
    );
    expect(seen[0]?.headers.get('connection')).toBe('Upgrade');
    expect(response.status).toBe(101);
    expect(connection.state).toBe('upgraded');
    const upgraded = response.upgraded;
    if (upgraded === undefined) throw new Error('no upgraded transport');
    const received: string[] = [];
    let ended = false;
    upgraded.listen({onData: (data) => received.push(text(data)), onClose: () => (ended = true)});
    transport.push('later');
    upgraded.send(new Uint8Array([1, 2]));
    expect(received).toEqual(['early', 'later']);
    expect(transport.sent.at(-1)).toEqual(new Uint8Array([1, 2]));
    await expect(connection.request({method: 'GET', target: '/'})).rejects.toMatchObject({
      code: 'ERR_KUBE_CONNECTION_CLOSED',
      message: 'Connection was upgraded to another protocol',
    });
    transport.end();
    expect(ended).toBe(true);
    expect(connection.state).toBe('closed');
  });
});

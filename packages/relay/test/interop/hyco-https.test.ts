/**
 * Microsoft's hyco-https 1.4.5 listener against our relay in HTTP mode (hybrid-connections.md
 * §1.4, §3 F), driven by plain Node HTTP requests, over http and https.
 */
import {request as httpRequest} from 'node:http';
import type {IncomingHttpHeaders} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {afterAll, afterEach, describe, expect, it} from 'vitest';

import {startHycoListener} from '../fixtures/hyco-peers.js';
import {Peer} from '../fixtures/peer.js';
import {removeTestPki, startTestRelay} from '../fixtures/test-relay.js';
import type {TestRelay} from '../fixtures/test-relay.js';

let relay: TestRelay;
const peers: Peer[] = [];

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
  await relay.close();
});
afterAll(removeTestPki);

interface Reply {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a fresh connection (`Connection: close`): hyco-https never reads requests
 * that follow a large response on the same rendezvous (hybrid-connections.md §2.3 #8).
 */
function send(
  path: string,
  options: {method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[]} = {},
): Promise<Reply> {
  const url = new URL(path, relay.httpOrigin);
  const requester = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requester(
      url,
      {
        method: options.method ?? 'GET',
        headers: {Connection: 'close', ...options.headers},
        agent: false,
        ...(relay.caPem ? {ca: relay.caPem} : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (Array.isArray(options.body)) {
      for (const chunk of options.body) req.write(chunk);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

async function startListener(): Promise<Peer> {
  const peer = startHycoListener(relay, 'hyco-https', 'hycohttp');
  peers.push(peer);
  await peer.waitFor((e) => e.event === 'listening');
  return peer;
}

function pattern(size: number): Buffer {
  return Buffer.from(Array.from({length: size}, (_, i) => i % 251));
}

describe.each([
  {transport: 'http', tls: false},
  {transport: 'https', tls: true},
])('hyco-https over $transport', ({tls}) => {
  it('relays GET, small POST, multi-write, large and chunked bodies, and 201 with a description', async () => {
    relay = await startTestRelay({tls});
    await startListener();
    const token = await relay.token('hycohttp');
    const auth = {ServiceBusAuthorization: token};

    const inspect = await send(`/hycohttp/inspect?q=1&sb-hc-token=${encodeURIComponent(token)}`);
    expect(inspect.status).toBe(200);
    const seen = JSON.parse(inspect.body.toString()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
    };
    expect(seen).toMatchObject({method: 'GET', url: '/hycohttp/inspect?q=1'});
    expect(seen.headers.via).toBe(`1.1 127.0.0.1:${relay.port}`);
    expect(inspect.headers.via).toBe(`1.1 127.0.0.1:${relay.port}`);

    const small = await send('/hycohttp/echo', {
      method: 'POST',
      headers: auth,
      body: Buffer.from('ten bytes!'),
    });
    expect(small).toMatchObject({status: 200, body: Buffer.from('ten bytes!')});

    const multi = await send('/hycohttp/multi', {headers: auth});
    expect(multi.body.toString()).toBe('one,two,three');

    const big = await send('/hycohttp/big?size=102400', {headers: auth});
    expect(big.status).toBe(200);
    expect(big.body.equals(pattern(102400))).toBe(true);

    const seventy = pattern(70 * 1024);
    const large = await send('/hycohttp/echo', {method: 'POST', headers: auth, body: seventy});
    expect(large.status).toBe(200);
    expect(large.body.equals(seventy)).toBe(true);

    const chunks = [pattern(1000), pattern(5000), pattern(20)];
    const chunked = await send('/hycohttp/echo', {
      method: 'POST',
      headers: {...auth, 'Transfer-Encoding': 'chunked'},
      body: chunks,
    });
    expect(chunked.status).toBe(200);
    expect(chunked.body.equals(Buffer.concat(chunks))).toBe(true);

    // §1.4: the 100 KB response, the 70 KB request and the chunked one each took a rendezvous.
    expect(
      relay.log.filter((e) => e.event === 'http.rendezvous').map((e) => e.requestOverRendezvous),
    ).toEqual([false, true, true]);

    const created = await send('/hycohttp/created', {method: 'POST', headers: auth});
    expect(created).toMatchObject({status: 201, statusMessage: 'Created Just Now'});
    expect(created.headers.location).toBe('/hycohttp/things/1');
  });

  it('strips the credential headers and adds Via, whichever header carried the token', async () => {
    relay = await startTestRelay({tls});
    const listener = await startListener();
    const token = await relay.token('hycohttp');
    for (const headers of [{ServiceBusAuthorization: token}, {Authorization: token}]) {
      const reply = await send('/hycohttp/inspect', {headers: {...headers, 'X-Trace': 'abc'}});
      expect(reply.status).toBe(200);
      const seen = JSON.parse(reply.body.toString()) as {headers: Record<string, string>};
      expect(seen.headers).toMatchObject({'x-trace': 'abc', via: `1.1 127.0.0.1:${relay.port}`});
      expect(Object.keys(seen.headers)).not.toContain('servicebusauthorization');
      expect(Object.keys(seen.headers)).not.toContain('authorization');
    }
    expect(listener.events.filter((e) => e.event === 'request')).toHaveLength(2);
  });

  it('answers 504 when the listener stays silent, and 502 when no listener is connected', async () => {
    relay = await startTestRelay({tls, limits: {responseTimeoutMs: 1500}});
    const token = await relay.token('hycohttp');
    const none = await send('/hycohttp/echo', {headers: {ServiceBusAuthorization: token}});
    expect(none.status).toBe(502);
    expect(none.body.toString()).toMatch(
      /^BadGateway: no listener is connected for hycohttp TrackingId:[0-9a-f-]{36}\n$/,
    );
    expect(none.headers.via).toBeUndefined();

    await startListener();
    const silent = await send('/hycohttp/silent', {headers: {ServiceBusAuthorization: token}});
    expect(silent.status).toBe(504);
    expect(silent.body.toString()).toMatch(/^GatewayTimeout: the listener did not respond in time/);
    expect(silent.headers.via).toBeUndefined();
  });

  it('keeps 50 parallel small requests and their bodies apart on one control channel', async () => {
    relay = await startTestRelay({tls});
    await startListener();
    const token = await relay.token('hycohttp');
    const replies = await Promise.all(
      Array.from({length: 50}, (_, i) =>
        send('/hycohttp/echo', {
          method: 'POST',
          headers: {ServiceBusAuthorization: token},
          body: Buffer.from(`request number ${i}`),
        }),
      ),
    );
    expect(replies.map((reply) => reply.body.toString())).toEqual(
      Array.from({length: 50}, (_, i) => `request number ${i}`),
    );
  });
});

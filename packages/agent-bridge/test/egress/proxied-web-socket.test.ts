/**
 * `nodeWebSocketFactory` through a real tinyproxy: the server sits behind a gate that only the
 * proxy's connections pass, so a socket that opens went through the proxy. Also the ways
 * around it (NO_PROXY, the loopback rule), and a refusal as the tunnel reports it.
 */
import {once} from 'node:events';
import {createServer as createHttpServer} from 'node:http';
import {createServer as createHttpsServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import {describe, expect, it, onTestFinished} from 'vitest';
import {WebSocketServer} from 'ws';

import {CertificateAuthority, HybridConnectionError} from '@porthole/core';
import {freePort, startProxyOnlyGate} from '@porthole/testing';

import {ForwardProxyError, nodeWebSocketFactory, TunnelDialer} from '../../src/index.js';
import type {EgressEnvironment} from '../../src/index.js';
import {tunnelError} from '../../src/tunnel/tunnel-errors.js';
import {tinyproxy, withCredentials} from './peers.js';

const PASSWORD = 'ws-proxy-secret-42';

/** An echo WebSocket server on 127.0.0.1 (TLS with a fresh CA when `secure`). */
async function echoWebSocketServer(secure: boolean): Promise<{port: number; ca?: string}> {
  let tls: {cert: string; key: string} | undefined;
  let caPem: string | undefined;
  if (secure) {
    const ca = await CertificateAuthority.create('egress-ws-test-ca');
    const issued = await ca.issue({commonName: 'relay', hosts: ['127.0.0.1'], usage: 'server'});
    tls = {cert: issued.certPem, key: issued.keyPem};
    caPem = ca.certPem;
  }
  const server = tls ? createHttpsServer(tls) : createHttpServer();
  const wss = new WebSocketServer({server});
  wss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    for (const client of wss.clients) client.terminate();
    server.close();
    await once(server, 'close');
  });
  return {port: (server.address() as AddressInfo).port, ...(caPem ? {ca: caPem} : {})};
}

async function roundTrip(
  url: string,
  options: {env: EgressEnvironment; ca?: string | undefined},
): Promise<string> {
  const socket = nodeWebSocketFactory({
    env: options.env,
    ...(options.ca === undefined ? {} : {ca: options.ca}),
  })(url, {protocols: [], headers: {}});
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject as (event: never) => void);
  });
  const reply = new Promise<string>((resolve) => {
    socket.addEventListener('message', (event: {data: Buffer}) => resolve(event.data.toString()));
  });
  socket.send('ping');
  const text = await reply;
  socket.close();
  return text;
}

describe('nodeWebSocketFactory through a forward proxy', () => {
  it.each([
    ['wss', 'HTTPS_PROXY'],
    ['ws', 'HTTP_PROXY'],
  ] as const)('reaches a %s server only through %s, with credentials', async (scheme, name) => {
    const server = await echoWebSocketServer(scheme === 'wss');
    const proxy = await tinyproxy({basicAuth: {user: 'agent', password: PASSWORD}});
    const gate = await startProxyOnlyGate(server.port, proxy);
    onTestFinished(() => gate.close());
    const env = {
      [name]: withCredentials(proxy.url, 'agent', PASSWORD),
      PORTHOLE_PROXY_LOOPBACK: '1',
    };
    expect(await roundTrip(`${scheme}://127.0.0.1:${gate.port}/`, {env, ca: server.ca})).toBe(
      'ping',
    );
    expect(proxy.connects()).toEqual([`127.0.0.1:${gate.port}`]);
    expect(gate).toMatchObject({passed: 1, refused: 0});
  });

  it('goes direct to a host NO_PROXY lists, and to loopback without PORTHOLE_PROXY_LOOPBACK', async () => {
    const server = await echoWebSocketServer(true);
    const proxy = await tinyproxy();
    const url = `wss://127.0.0.1:${server.port}/`;
    const env = {HTTPS_PROXY: proxy.url};
    expect(await roundTrip(url, {env, ca: server.ca})).toBe('ping');
    expect(
      await roundTrip(url, {
        env: {...env, PORTHOLE_PROXY_LOOPBACK: '1', NO_PROXY: 'example.com,127.0.0.1'},
        ca: server.ca,
      }),
    ).toBe('ping');
    expect(proxy.connects()).toEqual([]);
  });

  it('fails the handshake with the ForwardProxyError when the proxy refuses', async () => {
    const proxy = await tinyproxy({basicAuth: {user: 'agent', password: PASSWORD}});
    const socket = nodeWebSocketFactory({
      env: {HTTP_PROXY: proxy.url, PORTHOLE_PROXY_LOOPBACK: '1'},
    })(`ws://127.0.0.1:${await freePort()}/`, {protocols: [], headers: {}});
    const [event] = (await once(socket as never, 'error')) as [ForwardProxyError];
    expect(event).toBeInstanceOf(ForwardProxyError);
    expect(event).toMatchObject({code: 'ERR_TUNNEL_PROXY_REFUSED', status: 407});
  });
});

describe('tunnelError', () => {
  const target = {origin: 'wss://relay.example', entity: 'clusters/prod', credential: {token: 't'}};

  it('returns the proxy’s own error from under a failed handshake, not ERR_TUNNEL_RELAY_UNREACHABLE', () => {
    const refused = new ForwardProxyError('ERR_TUNNEL_PROXY_REFUSED', 'refused: 403', 'policy', {
      proxy: 'http://proxy.example:3128',
      status: 403,
    });
    const handshake = new HybridConnectionError('ERR_HC_HANDSHAKE_FAILED', 'connect failed', {
      cause: refused,
    });
    expect(tunnelError(handshake, target, 'connect')).toBe(refused);
  });

  it('reports a proxy that refuses the credentials from TunnelDialer.connect as ERR_TUNNEL_PROXY_REFUSED', async () => {
    const proxy = await tinyproxy({basicAuth: {user: 'bridge', password: PASSWORD}});
    const wrong = withCredentials(proxy.url, 'bridge', 'not-the-password');
    const dialer = new TunnelDialer({
      target: {
        origin: `ws://127.0.0.1:${await freePort()}`,
        entity: 'clusters/prod',
        credential: {token: 'unused'},
      },
      mode: 'websocket',
      webSocket: nodeWebSocketFactory({env: {HTTP_PROXY: wrong, PORTHOLE_PROXY_LOOPBACK: '1'}}),
    });
    onTestFinished(() => dialer.close());
    const err = await dialer.connect().catch((caught: unknown) => caught);
    expect(err).toMatchObject({
      code: 'ERR_TUNNEL_PROXY_REFUSED',
      proxy: proxy.url,
      message: expect.stringMatching(/refused CONNECT 127\.0\.0\.1:\d+: 40[17] /),
    });
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('not-the-password');
  });
});

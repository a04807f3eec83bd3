/**
 * `CONNECT` tunnels through a real tinyproxy, and through raw peers that answer the way broken
 * and hostile proxies do: each failure has its code, names the proxy without credentials, and
 * never carries the password.
 */
import {once} from 'node:events';
import type {Socket} from 'node:net';
import {describe, expect, it} from 'vitest';

import {CertificateAuthority} from '@porthole/core';
import {freePort} from '@porthole/testing';

import {openProxyTunnel, ProxySelection} from '../../src/index.js';
import type {ForwardProxy, ProxyTunnelOptions} from '../../src/index.js';
import {echoServer, rawPeer, recordingProxy, tinyproxy, withCredentials} from './peers.js';

const PASSWORD = 'pw-0123456789-secret';

/** The proxy `HTTPS_PROXY=url` names for a wss:// relay. */
function proxyOf(url: string): ForwardProxy {
  const proxy = ProxySelection.fromEnv({HTTPS_PROXY: url}).proxyFor('wss://relay.example');
  if (!proxy) throw new Error('no proxy');
  return proxy;
}

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString();
}

function tunnel(proxy: ForwardProxy, port: number, options?: ProxyTunnelOptions) {
  return openProxyTunnel(proxy, {host: '127.0.0.1', port}, options);
}

/** Everything an error shows: message, hint, fields, and its causes'. */
function shown(err: unknown): string {
  let text = '';
  for (let current = err as Error | undefined; current; current = current.cause as Error) {
    text += `${current.message} ${JSON.stringify(current)} ${String((current as {hint?: unknown}).hint)}\n`;
  }
  return text;
}

describe('openProxyTunnel', () => {
  it('opens a byte stream to the target through tinyproxy', async () => {
    const echo = await echoServer();
    const proxy = await tinyproxy({connectPorts: [echo]});
    const socket = await tunnel(proxyOf(proxy.url), echo);
    expect(await roundTrip(socket, 'hello')).toBe('hello');
    expect(proxy.connects()).toEqual([`127.0.0.1:${echo}`]);
  });

  it('sends CONNECT with Host and the percent-decoded credentials as Proxy-Authorization', async () => {
    const echo = await echoServer();
    const recorder = await recordingProxy();
    const socket = await tunnel(
      proxyOf(`http://d%C3%A9v:p%40ss%3Aword@127.0.0.1:${recorder.port}`),
      echo,
    );
    expect(await roundTrip(socket, 'x')).toBe('x');
    expect(recorder.heads).toEqual([
      [
        `CONNECT 127.0.0.1:${echo} HTTP/1.1`,
        `Host: 127.0.0.1:${echo}`,
        `Proxy-Authorization: Basic ${Buffer.from('dév:p@ss:word').toString('base64')}`,
      ].join('\r\n'),
    ]);
  });

  it('brackets an IPv6 target in CONNECT and Host', async () => {
    const recorder = await recordingProxy();
    await expect(
      openProxyTunnel(proxyOf(`http://127.0.0.1:${recorder.port}`), {host: '::1', port: 1}),
    ).rejects.toMatchObject({code: 'ERR_TUNNEL_PROXY_UNREACHABLE'});
    expect(recorder.heads[0]).toBe('CONNECT [::1]:1 HTTP/1.1\r\nHost: [::1]:1');
  });

  it('hands over the bytes that arrived in one read with the 200', async () => {
    const port = await rawPeer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nearly bytes'));
    });
    const socket = await tunnel(proxyOf(`http://127.0.0.1:${port}`), 1);
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('early bytes');
    socket.destroy();
  });

  it('goes over TLS to an https:// proxy, trusting proxyCa', async () => {
    const ca = await CertificateAuthority.create('egress-test-ca');
    const {certPem, keyPem} = await ca.issue({
      commonName: 'proxy',
      hosts: ['127.0.0.1'],
      usage: 'server',
    });
    const echo = await echoServer();
    const recorder = await recordingProxy({cert: certPem, key: keyPem});
    const proxy = proxyOf(`https://127.0.0.1:${recorder.port}`);
    const socket = await tunnel(proxy, echo, {proxyCa: ca.certPem});
    expect(await roundTrip(socket, 'over tls')).toBe('over tls');
    expect(recorder.heads).toHaveLength(1);

    const failed = tunnel(proxy, echo);
    await expect(failed).rejects.toMatchObject({
      code: 'ERR_TUNNEL_PROXY_UNREACHABLE',
      message: `Cannot reach the proxy https://127.0.0.1:${recorder.port} (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
      hint: "Trust the proxy's CA with NODE_EXTRA_CA_CERTS=<ca.pem>, or check the host in HTTPS_PROXY.",
    });
    await expect(failed).rejects.toHaveProperty('cause.code', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  describe('refusals', () => {
    it('reports 407 from a proxy that needs credentials, and says how to give them', async () => {
      const echo = await echoServer();
      const proxy = await tinyproxy({basicAuth: {user: 'porthole', password: PASSWORD}});
      await expect(tunnel(proxyOf(proxy.url), echo)).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_REFUSED',
        status: 407,
        proxy: proxy.url,
        message: `The proxy ${proxy.url} refused CONNECT 127.0.0.1:${echo}: 407 Proxy Authentication Required`,
        hint: `The proxy needs credentials: give them in HTTPS_PROXY as http://USER:PASSWORD@127.0.0.1:${proxy.port}.`,
      });
    });

    it('reports wrong credentials as refused, naming the status and never the password', async () => {
      const echo = await echoServer();
      const proxy = await tinyproxy({basicAuth: {user: 'porthole', password: PASSWORD}});
      const wrong = withCredentials(proxy.url, 'porthole', `${PASSWORD}-wrong`);
      const err = await tunnel(proxyOf(wrong), echo).catch((caught: unknown) => caught);
      // tinyproxy before 1.11.2 answers a wrong password with 401 (tinyproxy/tinyproxy#532).
      const {status} = err as {status: number};
      expect([401, 407]).toContain(status);
      expect(err).toMatchObject({
        code: 'ERR_TUNNEL_PROXY_REFUSED',
        message: expect.stringMatching(
          new RegExp(`^The proxy ${proxy.url} refused CONNECT 127\\.0\\.0\\.1:${echo}: ${status} `),
        ),
        hint: 'The proxy refused the user name or password in HTTPS_PROXY: check them (percent-encode @, : and / in them).',
      });
      expect(shown(err)).not.toContain(PASSWORD);
      expect(shown(err)).not.toContain(
        Buffer.from(`porthole:${PASSWORD}-wrong`).toString('base64'),
      );

      const right = withCredentials(proxy.url, 'porthole', PASSWORD);
      expect(await roundTrip(await tunnel(proxyOf(right), echo), 'in')).toBe('in');
    });

    it('reports 403 for a port the proxy does not allow, pointing at its policy and NO_PROXY', async () => {
      const echo = await echoServer();
      const proxy = await tinyproxy({connectPorts: [443]});
      await expect(tunnel(proxyOf(proxy.url), echo)).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_REFUSED',
        status: 403,
        message: `The proxy ${proxy.url} refused CONNECT 127.0.0.1:${echo}: 403 Access violation`,
        hint: `The proxy does not allow connections to 127.0.0.1:${echo}: ask its administrators to allow that host and port, or list the host in NO_PROXY if it can be reached directly.`,
      });
    });

    it('reports the proxy’s 5xx when it cannot reach the target', async () => {
      const closed = await freePort();
      const proxy = await tinyproxy();
      await expect(tunnel(proxyOf(proxy.url), closed)).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_REFUSED',
        status: 500,
        hint: `The proxy could not reach 127.0.0.1:${closed}: check the address, and that the proxy may connect to it.`,
      });
    });
  });

  describe('failures to reach the proxy', () => {
    it('names the system code when nothing listens', async () => {
      const port = await freePort();
      const failed = tunnel(proxyOf(`http://porthole:${PASSWORD}@127.0.0.1:${port}`), 1);
      await expect(failed).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_UNREACHABLE',
        message: `Cannot reach the proxy http://127.0.0.1:${port} (ECONNREFUSED)`,
        hint: "Check HTTPS_PROXY (the proxy's host and port) and that this machine can reach the proxy.",
      });
      await expect(failed).rejects.toHaveProperty('cause.code', 'ECONNREFUSED');
      expect(shown(await failed.catch((err: unknown) => err))).not.toContain(PASSWORD);
    });

    it('gives up after proxyTimeoutMs on a proxy that never answers', async () => {
      const port = await rawPeer(() => undefined);
      await expect(
        tunnel(proxyOf(`http://127.0.0.1:${port}`), 1, {proxyTimeoutMs: 200}),
      ).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_UNREACHABLE',
        message: `Cannot reach the proxy http://127.0.0.1:${port} (timeout: 200ms)`,
      });
    });

    it('reports a proxy that closes before answering', async () => {
      const port = await rawPeer((socket) => socket.once('data', () => socket.end()));
      await expect(tunnel(proxyOf(`http://127.0.0.1:${port}`), 7)).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_UNREACHABLE',
        message: `The proxy http://127.0.0.1:${port} closed the connection before answering CONNECT 127.0.0.1:7`,
      });
    });

    it('refuses an answer that is not HTTP/1.x with ERR_TUNNEL_PROXY_PROTOCOL', async () => {
      const port = await rawPeer((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
      await expect(tunnel(proxyOf(`http://127.0.0.1:${port}`), 7)).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_PROTOCOL',
        message: `The proxy http://127.0.0.1:${port} answered CONNECT 127.0.0.1:7 with something other than HTTP/1.x`,
      });
    });

    it('stops reading a head longer than maxProxyHeadBytes, split or not', async () => {
      const port = await rawPeer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\n');
        for (let i = 0; i < 40; i++) socket.write(`X-Filler-${i}: ${'a'.repeat(40)}\r\n`);
      });
      await expect(
        tunnel(proxyOf(`http://127.0.0.1:${port}`), 7, {maxProxyHeadBytes: 1024}),
      ).rejects.toMatchObject({
        code: 'ERR_TUNNEL_PROXY_PROTOCOL',
        message: `The proxy http://127.0.0.1:${port} answered CONNECT 127.0.0.1:7 with a head over maxProxyHeadBytes (1024)`,
      });
    });
  });
});

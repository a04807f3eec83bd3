import {connect as netConnect, isIP, isIPv6} from 'node:net';
import type {Socket} from 'node:net';
import {connect as tlsConnect} from 'node:tls';

import {ForwardProxyError} from '../errors.js';
import type {ForwardProxy} from './proxy-selection.js';

/** Limits and trust for the connection to a forward proxy; every one has a default. */
export interface ProxyTunnelOptions {
  /**
   * How long reaching the proxy (TCP, and TLS for an `https://` proxy) and reading its answer
   * to `CONNECT` may take. Default {@link PROXY_TUNNEL_DEFAULTS}: 10 s.
   */
  proxyTimeoutMs?: number;
  /** The largest answer head to `CONNECT` read before giving up. Default 16 KiB. */
  maxProxyHeadBytes?: number;
  /**
   * CA certificates (PEM) that an `https://` proxy's certificate must chain to, instead of
   * Node's (the system's roots and `NODE_EXTRA_CA_CERTS`).
   */
  proxyCa?: string;
}

/** The defaults of {@link ProxyTunnelOptions}. */
export const PROXY_TUNNEL_DEFAULTS = {proxyTimeoutMs: 10_000, maxProxyHeadBytes: 16_384} as const;

const TLS_CODES = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|ERR_SSL_)/;

/**
 * Opens a byte stream to `target` through `proxy` with `CONNECT` (RFC 9110 §9.3.6): a TCP
 * connection to the proxy (TLS for an `https://` proxy), `CONNECT host:port HTTP/1.1` with
 * `Host` and, when the proxy's URL had credentials, `Proxy-Authorization`; any 2xx answer
 * hands over the connection, positioned after the answer's head. TLS to the target, if any,
 * is the caller's.
 *
 * @example
 *   const socket = await openProxyTunnel(proxy, {host: 'relay.example', port: 443});
 *   const secure = tls.connect({socket, host: 'relay.example', servername: 'relay.example'});
 * @throws ForwardProxyError `ERR_TUNNEL_PROXY_UNREACHABLE` (no connection, TLS to the proxy
 *   failed, closed or silent past `proxyTimeoutMs`), `ERR_TUNNEL_PROXY_REFUSED` (a status
 *   other than 2xx: 407 credentials, 403 policy, 5xx the proxy could not reach the target),
 *   `ERR_TUNNEL_PROXY_PROTOCOL` (not HTTP/1.x, or a head over `maxProxyHeadBytes`)
 */
export function openProxyTunnel(
  proxy: ForwardProxy,
  target: {host: string; port: number},
  options: ProxyTunnelOptions = {},
): Promise<Socket> {
  const timeoutMs = options.proxyTimeoutMs ?? PROXY_TUNNEL_DEFAULTS.proxyTimeoutMs;
  const maxHeadBytes = options.maxProxyHeadBytes ?? PROXY_TUNNEL_DEFAULTS.maxProxyHeadBytes;
  const authority = `${isIPv6(target.host) ? `[${target.host}]` : target.host}:${target.port}`;
  const failure = proxyFailures(proxy, authority);
  return new Promise((resolve, reject) => {
    const socket: Socket =
      proxy.protocol === 'https:'
        ? tlsConnect({
            host: proxy.host,
            port: proxy.port,
            ALPNProtocols: ['http/1.1'],
            ...(isIP(proxy.host) === 0 ? {servername: proxy.host} : {}),
            ...(options.proxyCa === undefined ? {} : {ca: options.proxyCa}),
          })
        : netConnect({host: proxy.host, port: proxy.port});
    let head: Buffer = Buffer.alloc(0);
    const settle = (err: ForwardProxyError | undefined) => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('end', onClosed);
      socket.off('close', onClosed);
      if (err === undefined) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(err);
    };
    const onError = (err: NodeJS.ErrnoException) => settle(failure.unreachable(err));
    const onClosed = () => settle(failure.closed());
    const onReadable = () => {
      for (
        let chunk = socket.read() as Buffer | null;
        chunk;
        chunk = socket.read() as Buffer | null
      ) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1 ? head.length > maxHeadBytes : end + 4 > maxHeadBytes) {
          settle(failure.protocol(`a head over maxProxyHeadBytes (${maxHeadBytes})`));
          return;
        }
        if (end === -1) continue;
        const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        const answer = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
        if (!answer) {
          settle(failure.protocol('something other than HTTP/1.x'));
          return;
        }
        const status = Number(answer[1]);
        if (status < 200 || status > 299) {
          settle(failure.refused(status, answer[2] ?? ''));
          return;
        }
        // Bytes past the head are the target's already: they go back for the next reader.
        const rest = head.subarray(end + 4);
        if (rest.length > 0) socket.unshift(rest);
        settle(undefined);
        return;
      }
    };
    const timer = setTimeout(
      () => settle(failure.unreachable({code: `timeout: ${timeoutMs}ms`})),
      timeoutMs,
    );
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('end', onClosed);
    socket.on('close', onClosed);
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    if (proxy.authorization !== undefined)
      lines.push(`Proxy-Authorization: ${proxy.authorization}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** The errors of one tunnel: each names the proxy without credentials, and what to do. */
function proxyFailures(proxy: ForwardProxy, authority: string) {
  const {address, variable} = proxy;
  const error = (
    code: ConstructorParameters<typeof ForwardProxyError>[0],
    message: string,
    hint: string,
    options: {status?: number; cause?: unknown} = {},
  ) => new ForwardProxyError(code, message, hint, {proxy: address, ...options});
  return {
    unreachable: (err: {code?: string | undefined; message?: string}) => {
      const why = err.code ?? err.message ?? 'error';
      return error(
        'ERR_TUNNEL_PROXY_UNREACHABLE',
        `Cannot reach the proxy ${address} (${why})`,
        TLS_CODES.test(why)
          ? `Trust the proxy's CA with NODE_EXTRA_CA_CERTS=<ca.pem>, or check the host in ${variable}.`
          : `Check ${variable} (the proxy's host and port) and that this machine can reach the proxy.`,
        err instanceof Error ? {cause: err} : {},
      );
    },
    closed: () =>
      error(
        'ERR_TUNNEL_PROXY_UNREACHABLE',
        `The proxy ${address} closed the connection before answering CONNECT ${authority}`,
        `Check that ${variable} names an HTTP proxy, and the proxy's log.`,
      ),
    protocol: (what: string) =>
      error(
        'ERR_TUNNEL_PROXY_PROTOCOL',
        `The proxy ${address} answered CONNECT ${authority} with ${what}`,
        `Check that ${variable} names an HTTP proxy (http:// or https://, and its port).`,
      ),
    refused: (status: number, reason: string) => {
      const phrase = reason.replace(/[^\x20-\x7e]/g, '').slice(0, 80);
      return error(
        'ERR_TUNNEL_PROXY_REFUSED',
        `The proxy ${address} refused CONNECT ${authority}: ${status}${phrase ? ` ${phrase}` : ''}`,
        refusalHint(proxy, authority, status),
        {status},
      );
    },
  };
}

function refusalHint(proxy: ForwardProxy, authority: string, status: number): string {
  // 407 is the proxy's refusal of the credentials (RFC 9110 §15.5.8). Some proxies answer
  // 401 instead: tinyproxy before 1.11.2 does for a wrong password (tinyproxy/tinyproxy#532).
  if (status === 407 || status === 401) {
    return proxy.authorization === undefined
      ? `The proxy needs credentials: give them in ${proxy.variable} as ${proxy.protocol}//USER:PASSWORD@${proxy.address.replace(/^https?:\/\//, '')}.`
      : `The proxy refused the user name or password in ${proxy.variable}: check them (percent-encode @, : and / in them).`;
  }
  if (status === 403) {
    return `The proxy does not allow connections to ${authority}: ask its administrators to allow that host and port, or list the host in NO_PROXY if it can be reached directly.`;
  }
  if (status >= 500) {
    return `The proxy could not reach ${authority}: check the address, and that the proxy may connect to it.`;
  }
  return `Check ${proxy.variable} and the proxy's policy for ${authority}.`;
}

import {Agent as HttpAgent} from 'node:http';
import type {AgentOptions as HttpAgentOptions, ClientRequestArgs} from 'node:http';
import {Agent as HttpsAgent} from 'node:https';
import type {AgentOptions as HttpsAgentOptions, RequestOptions} from 'node:https';
import {isIP} from 'node:net';
import type {Duplex} from 'node:stream';
import {connect as tlsConnect} from 'node:tls';
import type {ConnectionOptions} from 'node:tls';

import type {EgressEnvironment, ForwardProxy} from './proxy-selection.js';
import {ProxySelection} from './proxy-selection.js';
import {openProxyTunnel} from './proxy-tunnel.js';
import type {ProxyTunnelOptions} from './proxy-tunnel.js';

/** What {@link proxyAgentFor} reads and how its tunnels behave. */
export interface EgressOptions extends ProxyTunnelOptions {
  /**
   * Where `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (and their lower-case forms) and
   * `PORTHOLE_PROXY_LOOPBACK` are read. Default `process.env`.
   */
  env?: EgressEnvironment;
}

type Callback = (err: Error | null, stream: Duplex) => void;

/**
 * An `http.Agent` whose every connection is a `CONNECT` tunnel through `proxy`, for `ws://`
 * and `http://` targets: plain HTTP goes through the tunnel too, rather than as an
 * absolute-form request, as browsers send `ws://` (so the proxy must allow `CONNECT` to the
 * target's port).
 *
 * @example
 *   const agent = new ProxyAgent(proxy);
 *   http.get('http://relay.example:8080/healthz', {agent}, onAnswer);
 */
export class ProxyAgent extends HttpAgent {
  readonly proxy: ForwardProxy;
  readonly #tunnel: ProxyTunnelOptions;

  /**
   * @param tunnel the limits of each tunnel (defaults: `PROXY_TUNNEL_DEFAULTS`)
   * @param agent Node's agent options (`keepAlive`, `maxSockets`…)
   */
  constructor(proxy: ForwardProxy, tunnel: ProxyTunnelOptions = {}, agent: HttpAgentOptions = {}) {
    super(agent);
    this.proxy = proxy;
    this.#tunnel = tunnel;
  }

  override createConnection(options: ClientRequestArgs, callback?: Callback): undefined {
    openProxyTunnel(this.proxy, targetOf(options, 80), this.#tunnel).then(
      (socket) => callback?.(null, socket),
      (err: unknown) => callback?.(err as Error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * An `https.Agent` whose every connection is a `CONNECT` tunnel through `proxy` with TLS to
 * the target inside it, for `wss://` and `https://` targets. The request's TLS options — `ca`,
 * `servername`, client certificates, `rejectUnauthorized` — apply to the target, and its
 * certificate is checked against the target's host, never the proxy's.
 *
 * @example
 *   const agent = new TlsProxyAgent(proxy);
 *   new WebSocket('wss://relay.example/$hc/clusters/prod', {agent, ca});
 */
export class TlsProxyAgent extends HttpsAgent {
  readonly proxy: ForwardProxy;
  readonly #tunnel: ProxyTunnelOptions;

  /**
   * @param tunnel the limits of each tunnel (defaults: `PROXY_TUNNEL_DEFAULTS`)
   * @param agent Node's agent options (`keepAlive`, `maxSockets`…)
   */
  constructor(proxy: ForwardProxy, tunnel: ProxyTunnelOptions = {}, agent: HttpsAgentOptions = {}) {
    super(agent);
    this.proxy = proxy;
    this.#tunnel = tunnel;
  }

  override createConnection(options: RequestOptions, callback?: Callback): undefined {
    const target = targetOf(options, 443);
    openProxyTunnel(this.proxy, target, this.#tunnel).then(
      (socket) => {
        // Node's https.Agent leaves `servername` empty for an IP address (no SNI then).
        const servername = options.servername || (isIP(target.host) === 0 ? target.host : '');
        const secure = tlsConnect({
          ...tlsOptions(options),
          socket,
          // The identity check uses `host` when there is no server name: the target's.
          host: target.host,
          ...(servername ? {servername} : {}),
        });
        callback?.(null, secure);
      },
      (err: unknown) => callback?.(err as Error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * The agent for a connection to `url`: a {@link TlsProxyAgent} or {@link ProxyAgent} when a
 * proxy applies ({@link ProxySelection}), else `undefined` (Node's default, direct).
 *
 * @param url a `ws:`, `wss:`, `http:` or `https:` URL
 * @throws ForwardProxyError `ERR_TUNNEL_PROXY_INVALID` for a proxy variable that is not a URL
 */
export function proxyAgentFor(
  url: string | URL,
  options: EgressOptions = {},
): ProxyAgent | TlsProxyAgent | undefined {
  const target = typeof url === 'string' ? new URL(url) : url;
  const proxy = ProxySelection.fromEnv(options.env).proxyFor(target);
  if (!proxy) return undefined;
  return target.protocol === 'wss:' || target.protocol === 'https:'
    ? new TlsProxyAgent(proxy, options)
    : new ProxyAgent(proxy, options);
}

function targetOf(options: ClientRequestArgs, defaultPort: number): {host: string; port: number} {
  const host = (options.hostname ?? options.host ?? 'localhost').replace(/^\[(.*)\]$/, '$1');
  return {host, port: Number(options.port ?? options.defaultPort ?? defaultPort)};
}

/** The TLS settings of a request, without its connection settings (`host`, `path`, `timeout`…). */
function tlsOptions(options: RequestOptions): ConnectionOptions {
  const picked: Record<string, unknown> = {};
  for (const name of TLS_OPTION_NAMES) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

const TLS_OPTION_NAMES = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'crl',
  'ciphers',
  'ecdhCurve',
  'minVersion',
  'maxVersion',
  'secureOptions',
  'secureProtocol',
  'secureContext',
  'sessionIdContext',
  'rejectUnauthorized',
  'checkServerIdentity',
  'ALPNProtocols',
  'session',
] as const;

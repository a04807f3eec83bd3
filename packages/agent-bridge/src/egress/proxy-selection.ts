import {ForwardProxyError} from '../errors.js';
import {isLoopbackHost, NoProxy} from './no-proxy.js';

/** Environment variables, as `process.env` holds them. */
export type EgressEnvironment = Readonly<Record<string, string | undefined>>;

/** A forward proxy that a connection goes through, as read from the environment. */
export interface ForwardProxy {
  /** How the connection to the proxy itself is made: plain TCP, or TLS. */
  readonly protocol: 'http:' | 'https:';
  /** Host name or IP address (an IPv6 address without brackets). */
  readonly host: string;
  readonly port: number;
  /** `http://host:port`: the proxy without its credentials, for messages and logs. */
  readonly address: string;
  /** The variable that named it (`HTTPS_PROXY`, `https_proxy`, `HTTP_PROXY`, `http_proxy`). */
  readonly variable: string;
  /**
   * The `Proxy-Authorization` value (`Basic …`) from the URL's user name and password,
   * percent-decoded; a secret, never to be logged.
   */
  readonly authorization: string | undefined;
}

/**
 * Set to `1` (or `true`) to send connections to this machine's loopback through the proxy
 * too; see {@link ProxySelection}.
 */
export const PROXY_LOOPBACK_VARIABLE = 'PORTHOLE_PROXY_LOOPBACK';

/**
 * Which proxy, if any, a connection takes — the rules of curl and Go's `httpproxy`:
 *
 * - `wss://` and `https://` targets use `HTTPS_PROXY` (else `https_proxy`); `ws://` and
 *   `http://` targets use `HTTP_PROXY` (else `http_proxy`). There is no fallback from one to the
 *   other, and no `ALL_PROXY`. An empty variable is unset. The upper-case `HTTP_PROXY` is
 *   ignored when `REQUEST_METHOD` is set, as Go does: under CGI a client's `Proxy:` header
 *   arrives as `HTTP_PROXY` (httpoxy, CVE-2016-5386).
 * - A proxy is a URL, `http://` or `https://` (TLS to the proxy itself); without a scheme it
 *   is `http://`. Its default port is 80 or 443, as in Go (curl's is 1080). User name and
 *   password, percent-encoded in the URL, become `Proxy-Authorization: Basic`.
 * - `NO_PROXY` (else `no_proxy`) lists hosts that go direct ({@link NoProxy}).
 * - Loopback targets — `localhost`, 127.0.0.0/8, `::1` as in Go, and names under `.localhost`
 *   (RFC 6761 §6.3) — always go direct: a proxy elsewhere cannot reach this machine's loopback,
 *   and a relay run locally for development should not need `NO_PROXY=localhost`. `PORTHOLE_PROXY_LOOPBACK=1` lifts the
 *   exemption, so that loopback targets follow `HTTPS_PROXY`/`NO_PROXY` like any other host:
 *   for a proxy on this machine that should see everything, and for tests whose relay can
 *   only listen on 127.0.0.1.
 *
 * @example
 *   const selection = ProxySelection.fromEnv(process.env);
 *   const proxy = selection.proxyFor('wss://relay.example/$hc/clusters/prod');
 *   if (proxy) log('egress.proxy', {proxy: proxy.address}); // never proxy.authorization
 */
export class ProxySelection {
  readonly #env: EgressEnvironment;
  readonly #noProxy: NoProxy;
  readonly #proxyLoopback: boolean;

  private constructor(env: EgressEnvironment) {
    this.#env = env;
    this.#noProxy = NoProxy.parse(variable(env, 'NO_PROXY', 'no_proxy')?.value);
    this.#proxyLoopback = /^(?:1|true)$/i.test(env[PROXY_LOOPBACK_VARIABLE]?.trim() ?? '');
  }

  /** The proxy settings of `env` (default `process.env`). */
  static fromEnv(env: EgressEnvironment = process.env): ProxySelection {
    return new ProxySelection(env);
  }

  /**
   * The proxy for a connection to `target`, or `undefined` when it goes direct.
   *
   * @param target a `ws:`, `wss:`, `http:` or `https:` URL
   * @throws ForwardProxyError `ERR_TUNNEL_PROXY_INVALID` when the variable that applies is
   *   not a usable proxy URL (the message names the variable, never its value)
   */
  proxyFor(target: string | URL): ForwardProxy | undefined {
    const url = typeof target === 'string' ? new URL(target) : target;
    const secure = url.protocol === 'wss:' || url.protocol === 'https:';
    const setting = secure
      ? variable(this.#env, 'HTTPS_PROXY', 'https_proxy')
      : variable(
          this.#env,
          this.#env.REQUEST_METHOD === undefined ? 'HTTP_PROXY' : undefined,
          'http_proxy',
        );
    if (!setting) return undefined;
    const host = url.hostname;
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    if (!this.#proxyLoopback && isLoopbackHost(host)) return undefined;
    if (this.#noProxy.matches(host, port)) return undefined;
    return parseForwardProxy(setting.name, setting.value);
  }
}

/** The first of the variables that is set and not empty. */
function variable(
  env: EgressEnvironment,
  ...names: (string | undefined)[]
): {name: string; value: string} | undefined {
  for (const name of names) {
    const value = name === undefined ? undefined : env[name]?.trim();
    if (name !== undefined && value) return {name, value};
  }
  return undefined;
}

/**
 * The proxy a URL names, as an environment variable or a flag gives it.
 *
 * @param name the variable or flag, for the message (`HTTPS_PROXY`, `--proxy-https`)
 * @throws ForwardProxyError `ERR_TUNNEL_PROXY_INVALID`, naming `name` and never the password
 */
export function parseForwardProxy(name: string, value: string): ForwardProxy {
  const invalid = (why: string) =>
    new ForwardProxyError(
      'ERR_TUNNEL_PROXY_INVALID',
      `${name} ${why}`,
      `Set ${name} to the proxy's URL, e.g. http://proxy.example:3128 (with user:password@ if it needs them), or unset it.`,
      {proxy: undefined},
    );
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw invalid('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`names a ${url.protocol.slice(0, -1)} proxy; Porthole speaks to HTTP(S) proxies`);
  if (url.hostname === '') throw invalid('has no host');
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const port = url.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(url.port);
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    let credentials: string;
    try {
      credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw invalid('has a user name or password that is not valid percent-encoding');
    }
    authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }
  return {
    protocol,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    address: `${protocol}//${url.hostname}:${port}`,
    variable: name,
    authorization,
  };
}

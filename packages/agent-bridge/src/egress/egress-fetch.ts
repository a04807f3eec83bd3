import type {Agent, IncomingMessage} from 'node:http';
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {Readable} from 'node:stream';

import {proxyAgentFor} from './proxy-agent.js';
import type {EgressOptions} from './proxy-agent.js';

/** What {@link egressFetch} needs. */
export interface EgressFetchOptions extends EgressOptions {
  /**
   * CA certificates (PEM) that `https:` targets must chain to, instead of Node's roots: a
   * development relay's CA, say. Calls with it are made with `node:https`.
   */
  ca?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A `fetch` that goes through the proxy the environment names (`HTTPS_PROXY`, `HTTP_PROXY`,
 * `NO_PROXY`, as {@link ProxySelection} reads them), for the agent's and the CLI's calls to
 * the control plane. A call that goes direct, without `ca`, is the global `fetch`'s, unchanged;
 * otherwise it is made with `node:http(s)` through a {@link TlsProxyAgent} or
 * {@link ProxyAgent}. That path keeps `fetch`'s contract where the callers rely on it — a
 * network failure rejects with `TypeError('fetch failed')` whose `cause` is the error (a
 * `ForwardProxyError` for the proxy's), an abort rejects with the signal's reason,
 * `redirect: 'error'` refuses a redirect — but it never follows a redirect nor decodes a
 * `Content-Encoding` (it asks for none).
 *
 * @example
 *   const client = new ControlPlaneClient({relay, cluster, key, fetch: egressFetch()});
 */
export function egressFetch(options: EgressFetchOptions = {}): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    let agent: Agent | undefined;
    try {
      agent = proxyAgentFor(url, options);
    } catch (err) {
      throw new TypeError('fetch failed', {cause: err});
    }
    if (agent === undefined && options.ca === undefined) return fetch(input, init);
    return fetchOverNode(new Request(input, init), agent, options.ca);
  };
}

async function fetchOverNode(
  request: Request,
  agent: Agent | undefined,
  ca: string | undefined,
): Promise<Response> {
  const {signal} = request;
  signal.throwIfAborted();
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answer: IncomingMessage | undefined;
    const onAbort = () => {
      if (answer) answer.destroy(signal.reason as Error);
      else outgoing.destroy();
      reject(signal.reason as Error);
    };
    const send = secure ? httpsRequest : httpRequest;
    const outgoing = send(
      url,
      {
        method: request.method,
        headers,
        ...(agent === undefined ? {} : {agent}),
        ...(secure && ca !== undefined ? {ca} : {}),
      },
      (incoming) => {
        answer = incoming;
        incoming.once('close', () => signal.removeEventListener('abort', onAbort));
        const status = incoming.statusCode ?? 0;
        if (request.redirect === 'error' && REDIRECTS.has(status)) {
          incoming.destroy();
          reject(
            new TypeError('fetch failed', {cause: new Error(`unexpected redirect (${status})`)}),
          );
          return;
        }
        const responseHeaders = new Headers();
        const raw = incoming.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2)
          responseHeaders.append(raw[i] ?? '', raw[i + 1] ?? '');
        // Fetch § 2.2.3: these answers have no body, whatever the connection carries.
        const nullBody =
          request.method === 'HEAD' || status === 204 || status === 205 || status === 304;
        try {
          resolve(
            new Response(nullBody ? null : Readable.toWeb(incoming), {
              status,
              statusText: incoming.statusMessage ?? '',
              headers: responseHeaders,
            }),
          );
        } catch (err) {
          incoming.destroy();
          reject(new TypeError('fetch failed', {cause: err}));
          return;
        }
        if (nullBody) incoming.resume();
      },
    );
    outgoing.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(
        signal.aborted ? (signal.reason as Error) : new TypeError('fetch failed', {cause: err}),
      );
    });
    signal.addEventListener('abort', onAbort, {once: true});
    outgoing.end(body);
  });
}

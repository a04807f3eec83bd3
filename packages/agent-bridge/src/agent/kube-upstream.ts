import {once} from 'node:events';
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https';
import type {IncomingMessage, OutgoingHttpHeaders, ServerResponse} from 'node:http';
import {connect as http2Connect, constants as http2Constants} from 'node:http2';
import type {
  ClientHttp2Session,
  ClientHttp2Stream,
  IncomingHttpHeaders as Http2Headers,
} from 'node:http2';
import type {Duplex, Readable} from 'node:stream';

import {AgentBridgeError} from '../errors.js';
import {explainedForbidden} from '../http/forbidden.js';
import {forwardResponseHeaders, kubeStatus} from '../http/headers.js';
import {splice} from '../http/splice.js';
import {endpointAddress, endpointTls} from './kube-endpoint.js';
import type {KubeEndpoint} from './kube-endpoint.js';

/** What a request carries upstream besides its headers. */
export interface UpstreamRequest {
  method: string;
  /** Path and query, e.g. `/api/v1/pods?watch=true`. */
  path: string;
  headers: OutgoingHttpHeaders;
  /** Added to the message of the apiserver's 403 `Status`, when given. */
  explainForbidden?: string;
}

interface PooledSession {
  session: ClientHttp2Session;
  active: number;
}

/** HTTP/2 streams per apiserver connection when the server does not say (RFC 9113 §6.5.2 suggests at least 100). */
const DEFAULT_MAX_STREAMS = 100;

/**
 * The agent's connections to the apiserver: requests over HTTP/2 when the apiserver offers it
 * (a few kept-alive TLS connections carry every request; more open as streams fill them) and
 * HTTP/1.1 otherwise; upgrades (exec, attach, port-forward) always over HTTP/1.1 on a
 * connection of their own, spliced byte for byte after the 101. Responses stream through
 * with no time-out: a watch or `logs -f` lasts as long as the client keeps it.
 *
 * These connections present no client credential: the caller's own `Authorization` is what
 * the apiserver judges.
 */
export class KubeUpstream {
  readonly #endpoint: KubeEndpoint;
  readonly #sessions: PooledSession[] = [];
  readonly #http1: HttpsAgent;
  #http2: 'unknown' | 'yes' | 'no' = 'unknown';
  /** The connection being opened, shared by every request that found the pool full. */
  #opening: Promise<void> | undefined;

  constructor(endpoint: KubeEndpoint) {
    this.#endpoint = endpoint;
    this.#http1 = new HttpsAgent({keepAlive: true, ...this.#tls()});
  }

  /** Forwards a request and streams the response into `response`. */
  async forward(
    request: IncomingMessage,
    upstream: UpstreamRequest,
    response: ServerResponse,
  ): Promise<void> {
    if (this.#http2 !== 'no') {
      const pooled = await this.#acquireStream().catch(() => undefined);
      if (pooled) {
        this.#forwardHttp2(pooled, request, upstream, response);
        return;
      }
    }
    this.#forwardHttp1(request, upstream, response);
  }

  /**
   * Forwards an upgrade and, on the apiserver's 101, splices the two connections. Any other
   * answer is passed back and ends the connection.
   */
  upgrade(upstream: UpstreamRequest, client: Duplex, head: Buffer): void {
    const outgoing = httpsRequest({
      ...this.#origin(),
      ...this.#tls(),
      agent: false,
      method: upstream.method,
      path: upstream.path,
      headers: upstream.headers,
    });
    outgoing.on('upgrade', (answer: IncomingMessage, server: Duplex, serverHead: Buffer) => {
      client.write(rawResponseHead(answer));
      if (serverHead.length > 0) client.write(serverHead);
      if (head.length > 0) server.write(head);
      splice(server, client);
    });
    outgoing.on('response', (answer: IncomingMessage) => {
      client.write(rawResponseHead(answer, true));
      if (answer.statusCode === 403 && upstream.explainForbidden !== undefined) {
        void explainedForbidden(
          answer,
          answer.headers['content-encoding'],
          upstream.explainForbidden,
        ).then(
          ({body, whole}) => {
            if (whole) {
              client.end(body);
              return;
            }
            client.write(body);
            answer.pipe(client);
          },
          () => client.destroy(),
        );
        return;
      }
      answer.pipe(client);
    });
    outgoing.on('error', (err) => {
      const body = kubeStatus(
        502,
        'ServiceUnavailable',
        `porthole agent: the apiserver is unreachable (${(err as NodeJS.ErrnoException).code ?? err.message})`,
      );
      client.end(
        `HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    client.on('error', () => outgoing.destroy());
    outgoing.end();
  }

  /** Closes every connection to the apiserver. */
  close(): void {
    for (const {session} of this.#sessions.splice(0)) session.close();
    this.#http1.destroy();
  }

  #forwardHttp2(
    pooled: PooledSession,
    request: IncomingMessage,
    upstream: UpstreamRequest,
    response: ServerResponse,
  ): void {
    const headers: Record<string, string | string[]> = {
      [http2Constants.HTTP2_HEADER_METHOD]: upstream.method,
      [http2Constants.HTTP2_HEADER_PATH]: upstream.path,
    };
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = pooled.session.request(headers);
    } catch (err) {
      pooled.active--;
      failResponse(response, err);
      return;
    }
    stream.once('close', () => pooled.active--);
    stream.on('response', (answer: Http2Headers) => {
      const status = Number(answer[http2Constants.HTTP2_HEADER_STATUS] ?? 502);
      if (status === 403 && upstream.explainForbidden !== undefined) {
        void sendExplained(
          stream,
          forwardResponseHeaders(answer),
          upstream.explainForbidden,
          response,
        );
        return;
      }
      response.writeHead(status, forwardResponseHeaders(answer));
      // Headers go out at once: a watch may say nothing more for minutes.
      response.flushHeaders();
      stream.pipe(response);
    });
    stream.on('error', (err) => failResponse(response, err));
    request.pipe(stream);
    response.once('close', () => {
      if (!stream.closed) stream.close(http2Constants.NGHTTP2_CANCEL);
    });
  }

  #forwardHttp1(
    request: IncomingMessage,
    upstream: UpstreamRequest,
    response: ServerResponse,
  ): void {
    const outgoing = httpsRequest({
      ...this.#origin(),
      agent: this.#http1,
      method: upstream.method,
      path: upstream.path,
      headers: upstream.headers,
    });
    outgoing.on('response', (answer: IncomingMessage) => {
      if (answer.statusCode === 403 && upstream.explainForbidden !== undefined) {
        void sendExplained(
          answer,
          forwardResponseHeaders(answer.headers),
          upstream.explainForbidden,
          response,
        );
        return;
      }
      response.writeHead(answer.statusCode ?? 502, forwardResponseHeaders(answer.headers));
      response.flushHeaders();
      answer.pipe(response);
    });
    outgoing.on('error', (err) => failResponse(response, err));
    request.pipe(outgoing);
    response.once('close', () => {
      if (!outgoing.writableFinished || !response.writableFinished) outgoing.destroy();
    });
  }

  /**
   * Reserves a stream on a pooled HTTP/2 connection, opening a connection when every one is
   * full. The reservation is made before any await: requests arriving together must not all
   * see the same free slot, or those over the apiserver's stream limit would queue behind
   * watches that never end.
   */
  async #acquireStream(): Promise<PooledSession> {
    for (;;) {
      const pooled = this.#freeSession();
      if (pooled) {
        pooled.active++;
        return pooled;
      }
      this.#opening ??= this.#openSession().finally(() => {
        this.#opening = undefined;
      });
      await this.#opening;
    }
  }

  #freeSession(): PooledSession | undefined {
    for (let i = this.#sessions.length - 1; i >= 0; i--) {
      const pooled = this.#sessions[i];
      if (!pooled || pooled.session.closed || pooled.session.destroyed) {
        this.#sessions.splice(i, 1);
        continue;
      }
      const limit = pooled.session.remoteSettings.maxConcurrentStreams ?? DEFAULT_MAX_STREAMS;
      if (pooled.active < limit) return pooled;
    }
    return undefined;
  }

  async #openSession(): Promise<void> {
    const session = http2Connect(this.#endpoint.server.origin, this.#tls());
    session.on('error', () => undefined); // Reported to the streams; a dead session leaves the pool.
    try {
      await Promise.race([
        once(session, 'remoteSettings'),
        once(session, 'error').then(([err]: unknown[]) => {
          throw err;
        }),
      ]);
    } catch (err) {
      session.destroy();
      // An apiserver without h2 (ALPN) fails here: HTTP/1.1 from now on.
      if (this.#http2 === 'unknown') this.#http2 = 'no';
      throw new AgentBridgeError(
        'ERR_AGENT_UPSTREAM',
        'Cannot open an HTTP/2 connection to the apiserver',
        'The agent falls back to HTTP/1.1.',
        {cause: err},
      );
    }
    this.#http2 = 'yes';
    session.unref();
    this.#sessions.push({session, active: 0});
  }

  #origin(): {host: string; port: string; servername?: string} {
    return endpointAddress(this.#endpoint);
  }

  #tls(): {ca?: string; servername?: string} {
    return endpointTls(this.#endpoint);
  }
}

/** The status line and headers of a response, as they came (upgrades pass them through). */
function rawResponseHead(answer: IncomingMessage, close = false): string {
  const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
    const name = answer.rawHeaders[i] ?? '';
    // Closing the connection ends the body: the body is passed on decoded, so its framing goes.
    if (close && /^(connection|keep-alive|transfer-encoding|content-length)$/i.test(name)) continue;
    lines.push(`${name}: ${answer.rawHeaders[i + 1] ?? ''}`);
  }
  if (close) lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Sends the apiserver's 403 with the explanation added to its `Status` message; a long or
 * compressed body goes unchanged.
 */
async function sendExplained(
  answer: Readable,
  headers: OutgoingHttpHeaders,
  explanation: string,
  response: ServerResponse,
): Promise<void> {
  let read;
  try {
    read = await explainedForbidden(answer, headers['content-encoding'], explanation);
  } catch (err) {
    failResponse(response, err);
    return;
  }
  const {body: out, whole} = read;
  const rest = {...headers};
  delete rest['content-length'];
  response.writeHead(403, whole ? {...rest, 'content-length': out.length} : rest);
  if (whole) response.end(out);
  else {
    response.write(out);
    answer.pipe(response);
  }
}

function failResponse(response: ServerResponse, err: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const body = kubeStatus(
    502,
    'ServiceUnavailable',
    `porthole agent: the apiserver is unreachable (${code})`,
  );
  response.writeHead(502, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

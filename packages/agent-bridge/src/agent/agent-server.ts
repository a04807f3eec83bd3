import {createServer} from 'node:http';
import type {IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse} from 'node:http';
import type {Duplex} from 'node:stream';

import {CORRELATION_HEADER, forwardRequestHeaders, isUpgrade, kubeStatus} from '../http/headers.js';
import type {AuthDecision, Authenticator} from './authenticator.js';
import type {KubeUpstream} from './kube-upstream.js';

/** A request the agent handled, for its log: never a header value. */
export interface AgentRequestLog {
  method: string;
  path: string;
  status: number;
  upgrade: boolean;
  ms: number;
  /** The caller's `x-ms-correlation-request-id` (`porthole … --debug`), when it sent one. */
  correlationId?: string;
}

/** The caller's correlation id, when it is one: a short token of safe characters. */
function correlationOf(request: IncomingMessage): {correlationId?: string} {
  const value = request.headers[CORRELATION_HEADER];
  return typeof value === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(value)
    ? {correlationId: value}
    : {};
}

/**
 * Serves tunnelled connections as HTTP/1.1 connections (keep-alive, upgrades), one Node HTTP
 * server for all of them: each request goes through the authentication stage and then to the
 * apiserver. Nothing times out on its own: watches and `logs -f` end when the client ends them.
 */
export class AgentServer {
  readonly #server: Server;
  readonly #connections = new Set<Duplex>();
  readonly #upstream: KubeUpstream;
  readonly #authenticator: Authenticator;
  readonly #onRequest: ((entry: AgentRequestLog) => void) | undefined;

  constructor(options: {
    upstream: KubeUpstream;
    authenticator: Authenticator;
    /** How long a connection may wait for its next request (Node's `keepAliveTimeout`). */
    idleTimeoutMs: number;
    onRequest?: (entry: AgentRequestLog) => void;
  }) {
    this.#upstream = options.upstream;
    this.#authenticator = options.authenticator;
    this.#onRequest = options.onRequest;
    this.#server = createServer({
      requestTimeout: 0,
      headersTimeout: 60_000,
      keepAliveTimeout: options.idleTimeoutMs,
    });
    this.#server.timeout = 0;
    this.#server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void this.#handle(request, response);
    });
    this.#server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#handleUpgrade(request, socket, head);
    });
    this.#server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  }

  /** Takes a tunnelled connection. */
  serve(stream: Duplex): void {
    this.#connections.add(stream);
    stream.once('close', () => this.#connections.delete(stream));
    stream.on('error', () => stream.destroy());
    this.#server.emit('connection', stream);
  }

  /** Tunnelled connections still open. */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * Waits for in-flight connections to finish, closing idle keep-alive ones at once, and ends
   * whatever is left after `timeoutMs`.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      this.#server.closeIdleConnections();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const connection of this.#connections) connection.destroy();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    response.once('close', () => {
      this.#onRequest?.({
        method,
        path: pathOnly(path),
        status: response.statusCode,
        upgrade: false,
        ms: Date.now() - started,
        ...correlationOf(request),
      });
    });
    const forwarded = forwardRequestHeaders(request.headers, false);
    const decision = await this.#decide(method, path, forwarded);
    if (decision.kind === 'deny') {
      const body = kubeStatus(decision.status, decision.reason, decision.message);
      response.writeHead(decision.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
      return;
    }
    const headers = {...forwarded, ...decision.set};
    const {explainForbidden} = decision;
    await this.#upstream.forward(
      request,
      {method, path, headers, ...(explainForbidden === undefined ? {} : {explainForbidden})},
      response,
    );
  }

  async #handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = Date.now();
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    if (!isUpgrade(request.headers)) {
      socket.destroy();
      return;
    }
    const forwarded = forwardRequestHeaders(request.headers, true);
    const decision = await this.#decide(method, path, forwarded);
    this.#onRequest?.({
      method,
      path: pathOnly(path),
      status: decision.kind === 'deny' ? decision.status : 101,
      upgrade: true,
      ms: Date.now() - started,
      ...correlationOf(request),
    });
    if (decision.kind === 'deny') {
      const body = kubeStatus(decision.status, decision.reason, decision.message);
      socket.end(
        `HTTP/1.1 ${decision.status} ${decision.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const headers = {...forwarded, ...decision.set};
    const {explainForbidden} = decision;
    this.#upstream.upgrade(
      {method, path, headers, ...(explainForbidden === undefined ? {} : {explainForbidden})},
      socket,
      head,
    );
  }

  async #decide(method: string, path: string, headers: OutgoingHttpHeaders): Promise<AuthDecision> {
    try {
      return await this.#authenticator.authenticate({method, path, headers});
    } catch {
      return {
        kind: 'deny',
        status: 401,
        reason: 'Unauthorized',
        message: 'porthole agent: the request could not be authenticated',
      };
    }
  }
}

/** The path without its query, which may carry tokens (e.g. `?access_token=`). */
function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}

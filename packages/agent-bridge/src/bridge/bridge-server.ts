import {timingSafeEqual} from 'node:crypto';
import {once} from 'node:events';
import {Agent as HttpAgent, request as httpRequest} from 'node:http';
import type {ClientRequestArgs, IncomingMessage, ServerResponse} from 'node:http';
import {createSecureServer} from 'node:http2';
import type {Http2SecureServer, Http2ServerRequest, Http2ServerResponse} from 'node:http2';
import type {AddressInfo} from 'node:net';
import type {Duplex} from 'node:stream';

import type {WebSocketFactory} from '@porthole/core/protocol';

import {AgentBridgeError} from '../errors.js';
import {
  CORRELATION_HEADER,
  forwardRequestHeaders,
  forwardResponseHeaders,
  kubeStatus,
} from '../http/headers.js';
import {splice} from '../http/splice.js';
import type {Logger} from '../log.js';
import type {RelayTarget, TunnelMode} from '../tunnel/relay-target.js';
import {TunnelDialer} from '../tunnel/tunnel-dialer.js';
import {nodeWebSocketFactory} from '../web-socket.js';
import {clusterServerName} from './bridge-files.js';
import {BROWSER_API_PREFIX} from './browser-api.js';
import type {HandedOverCredential} from './handed-over-credential.js';

/** A cluster the bridge serves at `/clusters/<name>/`. */
export interface ClusterRegistration {
  name: string;
  relay: RelayTarget;
  mode: TunnelMode;
  /**
   * Sent as `x-ms-correlation-request-id` with every request that has none (`porthole proxy
   * --debug`), so that the agent's log shows the same id as the CLI and the relay.
   */
  correlationId?: string;
  /**
   * For a cluster the console handed over: kubectl's context holds this credential's local
   * token, swapped here for the user's access token.
   */
  handedOver?: HandedOverCredential;
}

/** What {@link BridgeServer.listen} needs. */
export interface BridgeServerOptions {
  host: string;
  port: number;
  /** The bridge's serving certificate and key (PEM), issued by its per-user CA. */
  tls: {certPem: string; keyPem: string};
  /** The secret the local control API requires (`Authorization: Bearer …`). */
  controlSecret: string;
  /** Handles `/porthole/v1/…` once the secret has been checked. */
  control: RequestHandler;
  /** Handles `/porthole/v1/browser/…`, which checks its callers itself (the console page). */
  browser?: RequestHandler;
  /** Handles every other path that no cluster owns: the web console's files. */
  site?: RequestHandler;
  webSocket?: WebSocketFactory;
  log: Logger;
}

type RequestHandler = (request: Http2ServerRequest, response: Http2ServerResponse) => Promise<void>;

interface ClusterRoute {
  registration: ClusterRegistration;
  dialer: TunnelDialer;
  agent: TunnelAgent;
}

/** The prefix of every cluster's API on the bridge (Arc's proxy uses the same shape). */
const CLUSTER_PATH = /^\/clusters\/([^/?]+)(\/[^?]*)?(\?.*)?$/;

/**
 * The localhost endpoint kubectl talks to: `https://127.0.0.1:<port>/clusters/<name>/…`, over
 * HTTP/2 or HTTP/1.1. Each request travels to the cluster's agent through the relay as
 * HTTP/1.1 on a tunnelled connection, kept alive and reused; upgrades (exec, attach,
 * port-forward, cp) get a connection of their own, spliced byte for byte.
 */
export class BridgeServer {
  readonly #server: Http2SecureServer;
  readonly #routes = new Map<string, ClusterRoute>();
  /** kubectl's connections, ended by `close()` (an HTTP/2 server otherwise waits for them). */
  readonly #connections = new Set<Duplex>();
  readonly #options: BridgeServerOptions;
  readonly #secret: Buffer;

  private constructor(server: Http2SecureServer, options: BridgeServerOptions) {
    this.#server = server;
    this.#options = options;
    this.#secret = Buffer.from(options.controlSecret);
  }

  /**
   * Starts the bridge.
   *
   * @throws AgentBridgeError `ERR_BRIDGE_PORT_TAKEN` when another program holds the port
   */
  static async listen(options: BridgeServerOptions): Promise<BridgeServer> {
    const server = createSecureServer({
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      allowHTTP1: true,
    });
    const bridge = new BridgeServer(server, options);
    server.on('request', (request: Http2ServerRequest, response: Http2ServerResponse) => {
      void bridge.#onRequest(request, response);
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      void bridge.#onUpgrade(request, socket, head);
    });
    server.on('secureConnection', (socket: Duplex) => {
      bridge.#connections.add(socket);
      socket.once('close', () => bridge.#connections.delete(socket));
    });
    server.listen(options.port, options.host);
    try {
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([err]: unknown[]) => {
          throw err;
        }),
      ]);
    } catch (err) {
      const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      throw new AgentBridgeError(
        taken ? 'ERR_BRIDGE_PORT_TAKEN' : 'ERR_BRIDGE_CONTROL',
        taken
          ? `Port ${options.port} on ${options.host} is taken by another program`
          : `Cannot listen on ${options.host}:${options.port}`,
        taken ? 'Pick another port with --port.' : 'Check the address and your permissions.',
        {cause: err},
      );
    }
    return bridge;
  }

  /** The port the bridge listens on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The clusters served now. */
  get clusters(): ClusterRegistration[] {
    return [...this.#routes.values()].map((route) => route.registration);
  }

  /** Serves a cluster (replacing an earlier registration of the same name). */
  addCluster(registration: ClusterRegistration): void {
    this.removeCluster(registration.name);
    const dialer = new TunnelDialer({
      target: registration.relay,
      mode: registration.mode,
      webSocket: this.#options.webSocket ?? nodeWebSocketFactory(),
      onEvent: (event) => {
        this.#options.log(`bridge.tunnel-${event.type}`, {cluster: registration.name, ...event});
      },
    });
    this.#routes.set(registration.name, {registration, dialer, agent: new TunnelAgent(dialer)});
    this.#options.log('bridge.cluster-added', {
      cluster: registration.name,
      relay: registration.relay.origin,
      entity: registration.relay.entity,
    });
  }

  /**
   * Checks the whole path to a cluster's agent with `GET /version` (any answer from the
   * apiserver will do), so that `porthole proxy` can say what is wrong before kubectl tries.
   *
   * @throws AgentBridgeError `ERR_TUNNEL_RELAY_UNREACHABLE`, `ERR_TUNNEL_CERTIFICATE`,
   *   `ERR_TUNNEL_CREDENTIAL_REJECTED` or `ERR_TUNNEL_NO_AGENT`
   */
  async probe(name: string, timeoutMs = 15_000): Promise<void> {
    const route = this.#routes.get(name);
    if (!route)
      throw new AgentBridgeError(
        'ERR_BRIDGE_CONTROL',
        `No cluster ${name} on this bridge`,
        'Register it with porthole proxy.',
      );
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(
        {agent: route.agent, method: 'GET', path: '/version', timeout: timeoutMs},
        (answer) => {
          answer.resume();
          answer.once('end', resolve);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs}ms`)));
      outgoing.on('error', (err) => reject(asTunnelFailure(err, route.registration)));
      outgoing.end();
    });
  }

  /**
   * Gives a served cluster a new relay credential (a renewed sender token) without touching
   * its open connections.
   *
   * @returns false when the cluster is not served
   */
  renewCredential(name: string, credential: ClusterRegistration['relay']['credential']): boolean {
    const route = this.#routes.get(name);
    if (!route) return false;
    route.dialer.renewCredential(credential);
    route.registration = {
      ...route.registration,
      relay: {...route.registration.relay, credential},
    };
    this.#options.log('bridge.credential-renewed', {cluster: name});
    return true;
  }

  /** Stops serving a cluster; its open connections end. */
  removeCluster(name: string): boolean {
    const route = this.#routes.get(name);
    if (!route) return false;
    this.#routes.delete(name);
    route.agent.destroy();
    route.dialer.close();
    this.#options.log('bridge.cluster-removed', {cluster: name});
    return true;
  }

  /** Stops the bridge and every tunnelled connection. */
  async close(): Promise<void> {
    for (const name of [...this.#routes.keys()]) this.removeCluster(name);
    const closed = once(this.#server, 'close');
    this.#server.close();
    for (const connection of this.#connections) connection.destroy();
    await closed;
  }

  async #onRequest(request: Http2ServerRequest, response: Http2ServerResponse): Promise<void> {
    const url = request.url;
    if (url.startsWith(BROWSER_API_PREFIX) && this.#options.browser) {
      await this.#options.browser(request, response);
      return;
    }
    if (url.startsWith('/porthole/v1/')) {
      if (!this.#authorizedControl(request)) {
        respondStatus(
          response,
          401,
          'Unauthorized',
          'porthole bridge: the control API needs the bridge secret',
        );
        return;
      }
      await this.#options.control(request, response);
      return;
    }
    const found = this.#route(url, request.socket);
    if (!found && this.#options.site && !CLUSTER_PATH.test(url)) {
      await this.#options.site(request, response);
      return;
    }
    if (!found) {
      respondStatus(
        response,
        404,
        'NotFound',
        `porthole bridge: no cluster at ${url.split('?')[0] ?? url}; clusters here: ${[...this.#routes.keys()].join(', ') || 'none'}`,
      );
      return;
    }
    const {route, path} = found;
    const exchange = route.registration.handedOver?.exchange(request.headers.authorization);
    if (exchange?.kind === 'refuse') {
      respondStatus(response, 401, 'Unauthorized', `porthole bridge: ${exchange.message}`);
      return;
    }
    const upstream = httpRequest({
      agent: route.agent,
      method: request.method,
      path,
      headers: {
        ...(route.registration.correlationId === undefined
          ? {}
          : {[CORRELATION_HEADER]: route.registration.correlationId}),
        ...forwardRequestHeaders(request.headers, false),
        ...(exchange?.kind === 'forward' ? {authorization: exchange.authorization} : {}),
        host: `porthole-${route.registration.name}`,
      },
    } satisfies ClientRequestArgs);
    upstream.on('response', (answer: IncomingMessage) => {
      response.writeHead(answer.statusCode ?? 502, forwardResponseHeaders(answer.headers));
      // kubectl must see a watch's headers before its first event. (HTTP/2 sends them with
      // writeHead; an HTTP/1.1 response holds them back until asked.)
      if ('flushHeaders' in response && typeof response.flushHeaders === 'function')
        (response as unknown as ServerResponse).flushHeaders();
      answer.pipe(response);
      answer.on('error', () => response.destroy());
    });
    upstream.on('error', (err) => {
      const failure = asTunnelFailure(err, route.registration);
      this.#options.log('bridge.request-failed', {
        cluster: route.registration.name,
        code: failure.code,
      });
      if (response.headersSent) response.destroy();
      else
        respondStatus(
          response,
          502,
          'ServiceUnavailable',
          `porthole: ${failure.message} (${failure.code}). ${failure.hint}`,
        );
    });
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  }

  /**
   * An upgrade (HTTP/1.1 only): the request head goes down a new tunnelled connection as it
   * came, path rewritten, and from then on bytes pass both ways untouched — the agent answers
   * with the apiserver's 101 or its refusal.
   */
  async #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const found = this.#route(request.url ?? '/', request.socket);
    if (!found) {
      writeRawStatus(
        socket,
        404,
        'NotFound',
        `porthole bridge: no cluster at ${request.url ?? ''}`,
      );
      return;
    }
    const {route, path} = found;
    const exchange = route.registration.handedOver?.exchange(request.headers.authorization);
    if (exchange?.kind === 'refuse') {
      writeRawStatus(socket, 401, 'Unauthorized', `porthole bridge: ${exchange.message}`);
      return;
    }
    let tunnel: Duplex;
    try {
      tunnel = await route.dialer.connect();
    } catch (err) {
      const failure = asTunnelFailure(err, route.registration);
      writeRawStatus(
        socket,
        502,
        'ServiceUnavailable',
        `porthole: ${failure.message} (${failure.code}). ${failure.hint}`,
      );
      return;
    }
    const lines = [`${request.method ?? 'GET'} ${path} HTTP/1.1`];
    for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i] ?? '';
      const value =
        exchange?.kind === 'forward' && name.toLowerCase() === 'authorization'
          ? exchange.authorization
          : (request.rawHeaders[i + 1] ?? '');
      lines.push(`${name}: ${value}`);
    }
    tunnel.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) tunnel.write(head);
    splice(tunnel, socket);
  }

  /**
   * The cluster a request is for, and its path there: `/clusters/<name>/…`, or — for the
   * requests kubectl sends without the server URL's path (`get --raw`) — the cluster whose
   * TLS server name the connection was opened for.
   */
  #route(url: string, socket: unknown): {route: ClusterRoute; path: string} | undefined {
    const match = CLUSTER_PATH.exec(url);
    if (match) {
      const route = this.#routes.get(decodeURIComponent(match[1] ?? ''));
      return route ? {route, path: `${match[2] ?? '/'}${match[3] ?? ''}`} : undefined;
    }
    const servername = (socket as {servername?: unknown}).servername;
    if (typeof servername !== 'string') return undefined;
    const route = [...this.#routes.values()].find(
      (candidate) => clusterServerName(candidate.registration.name) === servername.toLowerCase(),
    );
    return route ? {route, path: url} : undefined;
  }

  #authorizedControl(request: Http2ServerRequest): boolean {
    // A page in a browser must not drive the bridge: it would send an Origin header.
    if (request.headers.origin !== undefined) return false;
    const presented = Buffer.from(
      /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '',
    );
    return presented.length === this.#secret.length && timingSafeEqual(presented, this.#secret);
  }
}

/**
 * How long an idle tunnelled connection stays in the pool when the agent announces no
 * keep-alive time; the agent's announcement (`Keep-Alive: timeout=60`) shortens it to one
 * second less than that.
 */
const POOL_IDLE_MS = 120_000;

/**
 * Node's HTTP client pooling tunnelled connections: a request takes an idle one or a new one
 * from the dialer (a new mux stream costs half a round trip), and keep-alive returns it to the
 * pool afterwards. Idle ones leave the pool before the agent would close them, and at once if
 * it closes them anyway (a restarted agent, a relay that went away).
 */
class TunnelAgent extends HttpAgent {
  readonly #dialer: TunnelDialer;

  constructor(dialer: TunnelDialer) {
    // Node applies a server's keep-alive hint only when it is shorter than `timeout`.
    super({keepAlive: true, maxSockets: Infinity, maxFreeSockets: 64, timeout: POOL_IDLE_MS});
    this.#dialer = dialer;
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.#dialer.connect().then(
      (stream) => {
        // Like a TCP socket without half-open: the agent's end of the connection is its close.
        // The pool notices only `close`, and a WebSocket's stream does not emit it on its own.
        stream.once('end', () => stream.destroy());
        callback?.(null, stream);
      },
      (err: unknown) => callback?.(err as Error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** The tunnel failure behind a request error, in the terms of its cluster. */
function asTunnelFailure(err: unknown, registration: ClusterRegistration): AgentBridgeError {
  if (err instanceof AgentBridgeError) return err;
  // Over the mux, a stream the relay could not place comes back reset (PROTOCOL.md §6.5).
  const text = (err as Error).message;
  if (
    /NO_LISTENER|LISTENER_GONE/.test(text) ||
    /NO_LISTENER|LISTENER_GONE/.test(String((err as {cause?: Error}).cause?.message))
  ) {
    return new AgentBridgeError(
      'ERR_TUNNEL_NO_AGENT',
      `No agent is listening on ${registration.relay.origin}/$hc/${registration.relay.entity}`,
      `Start one with: porthole agent run --relay ${registration.relay.origin} --hybrid-connection ${registration.relay.entity}`,
      {cause: err},
    );
  }
  return new AgentBridgeError(
    'ERR_TUNNEL_RELAY_UNREACHABLE',
    `The connection to the agent failed (${(err as NodeJS.ErrnoException).code ?? text})`,
    'Retry; if it persists, check the relay and the agent.',
    {cause: err},
  );
}

function respondStatus(
  response: Http2ServerResponse | ServerResponse,
  status: number,
  reason: string,
  message: string,
): void {
  const body = kubeStatus(status, reason, message);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function writeRawStatus(socket: Duplex, status: number, reason: string, message: string): void {
  const body = kubeStatus(status, reason, message);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

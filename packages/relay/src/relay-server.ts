import {randomUUID} from 'node:crypto';
import {once} from 'node:events';
import {createServer as createHttpServer} from 'node:http';
import type {IncomingMessage, Server, ServerResponse} from 'node:http';
import {createServer as createHttpsServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import type {Duplex} from 'node:stream';

import {
  HcAction,
  HcCloseCode,
  HEADER_SIZE,
  MUX_SUBPROTOCOL,
  MUX_SUBPROTOCOL_V2,
  muxVersionOf,
  parseHcTarget,
  parseHttpTarget,
  SERVICE_BUS_AUTHORIZATION,
} from '@porthole/core/protocol';
import type {HcTarget, MuxVersion} from '@porthole/core/protocol';
import type {WebSocket} from 'ws';

import {SasAuthorizer} from './auth/sas-authorizer.js';
import {RelayError} from './errors.js';
import {ConsoleSite} from './console/console-site.js';
import {ControlPlane} from './control/control-plane.js';
import type {ControlPlaneOptions} from './control/control-options.js';
import {ControlChannel, isControlChannel} from './hc/control-channel.js';
import {HttpRelay} from './hc/http-relay.js';
import {ListenerRegistry} from './hc/listener-registry.js';
import {Upgrader} from './hc/upgrader.js';
import {WebSocketRendezvous} from './hc/websocket-rendezvous.js';
import {isMuxConnection, MuxConnection} from './mux/mux-connection.js';
import type {MuxRenewalCheck} from './mux/mux-connection.js';
import {MuxSwitch} from './mux/mux-switch.js';
import {rejectHandshake, requestHost, statusLineReason} from './http/handshake.js';
import {DEFAULT_RELAY_LIMITS, stderrLogger} from './options.js';
import type {RelayLimits, RelayLogger} from './options.js';
import {AccessRight} from './store/entity-store.js';
import type {HybridConnection} from './store/entity-store.js';
import type {RelayStore} from './store/relay-store.js';

/** What a {@link RelayServer} is built from. */
export interface RelayServerOptions {
  store: RelayStore;
  limits?: Partial<RelayLimits>;
  log?: RelayLogger;
  /** The current time in milliseconds; injected so that tests control token expiry. */
  now?: () => number;
  /**
   * The control plane under `/api/v1` and `/urls/allowlist`. Without sign-in settings its user
   * API answers 503; agents' calls work either way.
   */
  controlPlane?: ControlPlaneOptions;
  /**
   * The web console's built files, served at `/console/`; without it only
   * `/console/config.json` is (for portals and `porthole console`).
   */
  console?: {dir: string};
  /**
   * Whether mux clients may renew their token in place: the relay then selects
   * `porthole.mux.v2` when offered (PROTOCOL.md §1.1, §3.7). Default true. False answers like a
   * relay that predates RENEW, which clients meet by replacing their connections before the
   * token expires (§6.5): for a staged rollout, and for tests of that fallback.
   */
  muxRenewal?: boolean;
}

/** Counts of what the relay holds, from {@link RelayServer.stats}. */
export interface RelayStats {
  listeners: number;
  pendingAccepts: number;
  pendingRequestRendezvous: number;
  muxStreams: number;
  openWebSockets: number;
}

/** Where and how the relay listens. */
export interface RelayListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate chain and key; without them the relay speaks plain ws/http. */
  tls?: {cert: string; key: string};
}

/**
 * A Hybrid Connections–compatible relay (hybrid-connections.md §1): listeners dial in on
 * `/$hc/{entity}?sb-hc-action=listen`, senders on `...=connect` or plain HTTP, and the relay
 * pairs them. Entities and rules come from the store.
 *
 * @example
 *   const relay = new RelayServer({store: SqliteRelayStore.open(dataDir)});
 *   const {url} = await relay.listen({host: '127.0.0.1', port: 0});
 */
export class RelayServer {
  readonly #store: RelayStore;
  readonly #limits: RelayLimits;
  readonly #log: RelayLogger;
  readonly #authorizer: SasAuthorizer;
  readonly #now: () => number;
  readonly #listeners = new ListenerRegistry<ControlChannel | MuxConnection>();
  readonly #sockets = new Set<WebSocket>();
  readonly #controlUpgrader: Upgrader;
  readonly #dataUpgrader: Upgrader;
  readonly #muxUpgrader: Upgrader;
  readonly #mux: MuxSwitch;
  readonly #rendezvous: WebSocketRendezvous;
  readonly #http: HttpRelay;
  readonly #control: ControlPlane;
  readonly #console: ConsoleSite;
  readonly #muxVersions: readonly string[];
  #server: Server | undefined;
  #secure = false;
  #closing = false;

  constructor(options: RelayServerOptions) {
    this.#store = options.store;
    this.#limits = {...DEFAULT_RELAY_LIMITS, ...options.limits};
    this.#log = options.log ?? stderrLogger;
    this.#now = options.now ?? Date.now;
    this.#authorizer = new SasAuthorizer(this.#store, this.#now);
    // PROTOCOL.md §1.1: the newest version offered that the relay speaks.
    this.#muxVersions =
      options.muxRenewal === false ? [MUX_SUBPROTOCOL] : [MUX_SUBPROTOCOL_V2, MUX_SUBPROTOCOL];
    this.#controlUpgrader = new Upgrader(
      this.#limits.maxControlMessageBytes,
      this.#sockets,
      this.#log,
    );
    this.#dataUpgrader = new Upgrader(this.#limits.maxMessageBytes, this.#sockets, this.#log);
    this.#muxUpgrader = new Upgrader(
      this.#limits.muxMaxFrameSize + HEADER_SIZE,
      this.#sockets,
      this.#log,
    );
    this.#mux = new MuxSwitch({
      listeners: this.#listeners,
      maxStreams: this.#limits.muxMaxStreamsPerConnection,
    });
    this.#rendezvous = new WebSocketRendezvous({
      upgrader: this.#dataUpgrader,
      limits: this.#limits,
      log: this.#log,
    });
    this.#control = new ControlPlane(
      options.controlPlane ?? {entra: undefined, administrators: []},
      {
        store: this.#store,
        authorizer: this.#authorizer,
        now: this.#now,
        log: this.#log,
        secure: () => this.#secure,
        disconnectListeners: (name, reason) => {
          for (const listener of this.#listeners.all(name))
            listener.close(HcCloseCode.GOING_AWAY, reason);
        },
      },
    );
    this.#console = new ConsoleSite(options.console?.dir, {
      ...(options.controlPlane?.corsOrigins === undefined
        ? {}
        : {corsOrigins: options.controlPlane.corsOrigins}),
    });
    this.#http = new HttpRelay({
      upgrader: new Upgrader(
        this.#limits.maxHttpBodyBytes + this.#limits.maxControlMessageBytes,
        this.#sockets,
        this.#log,
      ),
      limits: this.#limits,
      log: this.#log,
    });
  }

  /**
   * Starts listening.
   *
   * @returns the relay's base URL (`http://` or `https://`; WebSocket clients use `ws`/`wss`)
   * @throws RelayError `ERR_RELAY_LISTEN_FAILED` when the address cannot be bound
   */
  async listen(options: RelayListenOptions): Promise<{url: string}> {
    const serverOptions = {
      maxHeaderSize: this.#limits.maxHeaderBytes,
      headersTimeout: this.#limits.headersTimeoutMs,
      // Enforce headersTimeout within a second instead of Node's default 30 s sweep.
      connectionsCheckingInterval: 1000,
    };
    const server = options.tls
      ? createHttpsServer({...serverOptions, cert: options.tls.cert, key: options.tls.key})
      : createHttpServer(serverOptions);
    this.#secure = options.tls !== undefined;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.#onRequest(request, response).catch((err: unknown) => {
        this.#log('relay.request-failed', {error: (err as Error).message});
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      this.#onUpgrade(request, socket, head).catch((err: unknown) => {
        this.#log('relay.upgrade-failed', {error: (err as Error).message});
        rejectHandshake(socket, 500, 'InternalError', randomUUID());
      });
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
      throw new RelayError(
        'ERR_RELAY_LISTEN_FAILED',
        `Cannot listen on ${options.host}:${options.port}`,
        {cause: err},
      );
    }
    this.#server = server;
    return {url: this.url};
  }

  /** The base URL the relay listens on. */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('The relay is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${this.#secure ? 'https' : 'http'}://${host}:${address.port}`;
  }

  /** What the relay holds right now: for health checks, metrics, and tests that floods leave nothing behind. */
  stats(): RelayStats {
    return {
      listeners: this.#listeners
        .entities()
        .reduce((sum, entity) => sum + this.#listeners.count(entity), 0),
      pendingAccepts: this.#rendezvous.pending,
      pendingRequestRendezvous: this.#http.pending,
      muxStreams: this.#mux.streamCount,
      openWebSockets: this.#sockets.size,
    };
  }

  /**
   * Deletes a hybrid connection: its listeners are closed with 1001 (§1.6), its rules go too.
   *
   * @returns whether it existed
   */
  async deleteHybridConnection(name: string): Promise<boolean> {
    for (const listener of this.#listeners.all(name))
      listener.close(HcCloseCode.GOING_AWAY, 'EntityDeleted');
    return this.#store.deleteHybridConnection(name);
  }

  /**
   * Stops: no new connections, every open WebSocket closed with 1001, waiting senders
   * answered 503, idle HTTP connections closed.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const server = this.#server;
    this.#rendezvous.close();
    for (const socket of this.#sockets) socket.close(HcCloseCode.GOING_AWAY, 'RelayShuttingDown');
    if (!server) return;
    const closed = once(server, 'close');
    server.close();
    server.closeIdleConnections();
    // Peers that do not answer the close handshake promptly are cut.
    const deadline = setTimeout(() => {
      for (const socket of this.#sockets) socket.terminate();
      server.closeAllConnections();
    }, 2000);
    await closed;
    clearTimeout(deadline);
    this.#server = undefined;
  }

  async #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const id = randomUUID();
    if (this.#closing) {
      rejectHandshake(socket, 503, 'ServiceUnavailable: the relay is shutting down', id);
      return;
    }
    let target: HcTarget;
    try {
      target = parseHcTarget(request.url ?? '/');
    } catch (err) {
      rejectHandshake(
        socket,
        (err as {status?: number}).status ?? 400,
        `BadRequest: ${(err as Error).message}`,
        id,
      );
      return;
    }
    switch (target.action) {
      case HcAction.ACCEPT:
        this.#rendezvous.accept(request, socket, head, target);
        return;
      case HcAction.REQUEST:
        this.#http.rendezvous(request, socket, head, target);
        return;
      case HcAction.LISTEN:
      case HcAction.CONNECT:
        break;
      default: {
        const unexpected: never = target.action;
        throw new Error(`Unexpected action ${String(unexpected)}`);
      }
    }
    const entity = await this.#resolveEntity(target);
    if (!entity) {
      rejectHandshake(socket, 404, `EntityNotFound: no hybrid connection at ${target.rawPath}`, id);
      return;
    }
    const token = header(request, SERVICE_BUS_AUTHORIZATION) ?? target.token;
    const host = requestHost(request.headers.host);

    const right = target.action === HcAction.LISTEN ? AccessRight.LISTEN : AccessRight.SEND;
    let expiresAt = Infinity;
    // §1.1: a listener always needs a token; a sender unless the entity waives client authorization.
    const needsToken = right === AccessRight.LISTEN || entity.requiresClientAuthorization;
    if (needsToken) {
      const granted = await this.#authorizer.authorize({token, host, entity: entity.name, right});
      if ('status' in granted) {
        rejectHandshake(socket, granted.status, granted.description, id);
        return;
      }
      expiresAt = granted.expiresAt;
    }
    // PROTOCOL.md §3.7: a RENEW is checked as this handshake was, for the same entity, host and
    // right; a connection that needed no token has nothing to renew.
    const renew: MuxRenewalCheck = needsToken
      ? async (credential) => {
          const granted = await this.#authorizer.authorize({
            token: credential,
            host,
            entity: entity.name,
            right,
          });
          return 'status' in granted ? {description: granted.description} : granted;
        }
      : () => Promise.resolve({expiresAt: Infinity});
    const muxSubprotocol = this.#selectMux(request);

    if (target.action === HcAction.LISTEN) {
      if (this.#listeners.count(entity.name) >= this.#limits.maxListenersPerEntity) {
        rejectHandshake(
          socket,
          403,
          `QuotaExceeded: ${entity.name} already has ${this.#limits.maxListenersPerEntity} listeners`,
          id,
        );
        return;
      }
      if (muxSubprotocol !== undefined) {
        this.#muxUpgrader.upgrade(request, socket, head, muxSubprotocol, (webSocket) => {
          this.#addMuxConnection(webSocket, {
            role: 'listener',
            request,
            entity: entity.name,
            trackingId: id,
            expiresAt,
            version: muxVersionOf(muxSubprotocol) ?? 1,
            renew,
          });
        });
        return;
      }
      this.#controlUpgrader.upgrade(request, socket, head, undefined, (webSocket) => {
        this.#addListener(webSocket, entity.name, id, expiresAt, this.#origin(request));
      });
      return;
    }

    // A sender that offers the mux gets it when a mux listener is there to switch its streams
    // to; otherwise it takes the classic rendezvous like any Hybrid Connections sender.
    if (muxSubprotocol !== undefined && this.#listeners.pick(entity.name, isMuxConnection)) {
      this.#muxUpgrader.upgrade(request, socket, head, muxSubprotocol, (webSocket) => {
        this.#addMuxConnection(webSocket, {
          role: 'client',
          request,
          entity: entity.name,
          trackingId: id,
          expiresAt,
          version: muxVersionOf(muxSubprotocol) ?? 1,
          renew,
        });
      });
      return;
    }
    const listener = this.#listeners.pick(entity.name, isControlChannel);
    if (!listener) {
      rejectHandshake(socket, 404, `NoListener: no listener is connected for ${entity.name}`, id);
      return;
    }
    this.#rendezvous.connect({request, socket, head}, {id, target, entity: entity.name, listener});
  }

  #addListener(
    webSocket: WebSocket,
    entity: string,
    trackingId: string,
    expiresAt: number,
    origin: string,
  ): void {
    const host = origin.replace(/^wss?:\/\//, '');
    const listener = new ControlChannel({
      socket: webSocket,
      entity,
      trackingId,
      origin,
      expiresAt,
      keepAliveIntervalMs: this.#limits.keepAliveIntervalMs,
      log: this.#log,
      now: this.#now,
      renew: async (token) => {
        const granted = await this.#authorizer.authorize({
          token,
          host: requestHost(host),
          entity,
          right: AccessRight.LISTEN,
        });
        return 'status' in granted ? {description: granted.description} : granted;
      },
    });
    this.#listeners.add(entity, listener);
    this.#log('listener.connected', {trackingId, entity});
    void listener.closed.then(() => {
      this.#listeners.remove(entity, listener);
      this.#log('listener.disconnected', {trackingId, entity});
    });
  }

  #addMuxConnection(
    webSocket: WebSocket,
    accepted: {
      role: 'listener' | 'client';
      request: IncomingMessage;
      entity: string;
      trackingId: string;
      expiresAt: number;
      version: MuxVersion;
      renew: MuxRenewalCheck;
    },
  ): void {
    const {role, request, entity, trackingId, expiresAt, version, renew} = accepted;
    const connection = new MuxConnection({
      socket: webSocket,
      role,
      entity,
      trackingId,
      remoteEndpoint: {
        address: request.socket.remoteAddress ?? '',
        port: request.socket.remotePort ?? 0,
      },
      maxFrameSize: this.#limits.muxMaxFrameSize,
      maxOpenPropertiesBytes: this.#limits.muxMaxOpenPropertiesBytes,
      maxRenewBytes: this.#limits.muxMaxRenewBytes,
      version,
      renew,
      maxQueuedBytes: this.#limits.muxMaxQueuedBytes,
      keepAliveIntervalMs: this.#limits.keepAliveIntervalMs,
      expiresAt,
      drainTimeoutMs: this.#limits.muxDrainTimeoutMs,
      now: this.#now,
      handler: {
        onFrame: (from, frame) => this.#mux.onFrame(from, frame),
        onClosed: (closed) => {
          this.#mux.onClosed(closed);
          if (role === 'listener') this.#listeners.remove(entity, closed);
          this.#log(`mux.${role}-disconnected`, {trackingId, entity});
        },
      },
      log: this.#log,
    });
    if (role === 'listener') this.#listeners.add(entity, connection);
    this.#log(`mux.${role}-connected`, {trackingId, entity, version});
  }

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = randomUUID();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' || path === '/readyz') {
      response
        .writeHead(this.#closing ? 503 : 200, {'Content-Type': 'text/plain'})
        .end(this.#closing ? 'closing\n' : 'ok\n');
      return;
    }
    if (ControlPlane.owns(path)) {
      await this.#control.handle(request, response);
      return;
    }
    if (ConsoleSite.owns(path)) {
      await this.#console.handle(request, response, this.#control.consoleConfig(request));
      return;
    }
    const fail = (status: number, description: string) => {
      response.writeHead(status, statusLineReason(description), {
        'Content-Type': 'text/plain; charset=utf-8',
        TrackingId: id,
      });
      response.end(`${description} TrackingId:${id}\n`);
    };
    if (path.startsWith('/$hc/')) {
      fail(400, 'BadRequest: a /$hc/ address needs a WebSocket upgrade');
      return;
    }
    let target: HcTarget;
    try {
      target = parseHttpTarget(request.url ?? '/');
    } catch (err) {
      fail((err as {status?: number}).status ?? 400, `BadRequest: ${(err as Error).message}`);
      return;
    }
    const entity = await this.#resolveEntity(target);
    if (!entity) {
      fail(404, `EntityNotFound: no hybrid connection at /${target.rawPath}`);
      return;
    }
    const host = requestHost(request.headers.host);
    const explicit = header(request, SERVICE_BUS_AUTHORIZATION) ?? target.token;
    // §1.1: `Authorization` carries the token only when neither of the others does.
    const tokenInAuthorization =
      entity.requiresClientAuthorization &&
      explicit === undefined &&
      request.headers.authorization !== undefined;
    if (entity.requiresClientAuthorization) {
      const token = explicit ?? request.headers.authorization;
      const granted = await this.#authorizer.authorize({
        token,
        host,
        entity: entity.name,
        right: AccessRight.SEND,
      });
      if ('status' in granted) {
        fail(granted.status, granted.description);
        return;
      }
    }
    const listener = this.#listeners.pick(entity.name, isControlChannel);
    if (!listener) {
      fail(502, `BadGateway: no listener is connected for ${entity.name}`);
      return;
    }
    await this.#http.handle(request, response, {
      id,
      entity: entity.name,
      listener,
      host: request.headers.host ?? host,
      requestTarget: `/${target.rawPath}${target.appQuery === '' ? '' : `?${target.appQuery}`}`,
      rawPath: target.rawPath,
      appQuery: target.appQuery,
      tokenInAuthorization,
    });
  }

  /** The entity a target names: the longest prefix of its path segments that is a hybrid connection. */
  #resolveEntity(target: HcTarget): Promise<HybridConnection | undefined> {
    // At most 16 segments make an entity name (isValidEntityName): no longer prefix can match.
    const prefixes = target.segments
      .slice(0, 16)
      .map((_, i, segments) => segments.slice(0, i + 1).join('/'));
    return this.#store.longestHybridConnection(prefixes);
  }

  /**
   * The mux subprotocol to select for a handshake: the newest version it offers that this relay
   * speaks (PROTOCOL.md §1.1), whatever the order of the offer; `undefined` when it offers none.
   */
  #selectMux(request: IncomingMessage): string | undefined {
    const offered = new Set(
      (request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((protocol) => protocol.trim()),
    );
    return this.#muxVersions.find((protocol) => offered.has(protocol));
  }

  #origin(request: IncomingMessage): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    const host = request.headers.host ?? `127.0.0.1:${address?.port ?? 0}`;
    return `${this.#secure ? 'wss' : 'ws'}://${host}`;
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

import type {Duplex} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';

import {HybridConnectionListener, openMuxListener} from '@porthole/core/protocol';
import type {MuxSession, WebSocketFactory} from '@porthole/core/protocol';
import type {WebSocket} from 'ws';

import type {AgentBridgeError} from '../errors.js';
import {AGENT_BACKOFF, Backoff} from './backoff.js';
import type {BackoffOptions} from './backoff.js';
import type {RelayTarget, TunnelMode} from './relay-target.js';
import {renewalDelayMs, TUNNEL_MUX_LIMITS, tokenExpiryMs, tokenSource} from './relay-target.js';
import {streamOf} from './streams.js';
import {tunnelError} from './tunnel-errors.js';

/** Where a tunnelled connection came from, for logs. */
export interface TunnelOrigin {
  via: 'mux' | 'websocket';
  /** The sender's address as the relay saw it. */
  remote: string;
  trackingId: string;
}

/** Events of a {@link TunnelListener}, for logs and status. */
export type TunnelEvent =
  | {type: 'listening'; via: 'mux' | 'websocket'}
  | {type: 'disconnected'; via: 'mux' | 'websocket'; retryInMs: number; error?: string}
  | {
      type: 'renewed';
      via: 'mux';
      reason: 'schedule' | 'requested' | 'relay-goaway';
      /**
       * `in-place`: the token renewed with RENEW (PROTOCOL.md §3.7); `replaced`: a new connection
       * took over, with `error` saying why renewing in place failed, when it was tried.
       */
      how: 'in-place' | 'replaced';
      error?: string;
    }
  | {type: 'mux-declined'};

/** What a {@link TunnelListener} needs. */
export interface TunnelListenerOptions {
  target: RelayTarget;
  mode: TunnelMode;
  webSocket: WebSocketFactory;
  /** Each tunnelled connection, as a byte stream. */
  onConnection: (stream: Duplex, origin: TunnelOrigin) => void;
  onEvent?: (event: TunnelEvent) => void;
  /** How often the agent pings the relay on a classic control channel (the mux pings by itself). */
  pingIntervalMs?: number;
  backoff?: BackoffOptions;
}

/**
 * The agent's side of the relay: it keeps a listener connected — the Porthole mux when the
 * relay offers it, and a Hybrid Connections control channel for senders that use one
 * WebSocket per connection — reconnecting with jittered exponential backoff, renewing its
 * token before it expires, and pinging so that a dead path is noticed within two intervals.
 */
export class TunnelListener {
  readonly #options: TunnelListenerOptions;
  readonly #token: () => Promise<string>;
  readonly #sessions = new Set<MuxSession>();
  readonly #listeners = new Set<HybridConnectionListener>();
  #stopping = false;
  #stopped: AbortController = new AbortController();
  #ready: {resolve: () => void; reject: (err: unknown) => void} | undefined;
  /** The mux connection new streams arrive on; the ones it replaced only drain. */
  #currentMux: MuxSession | undefined;
  /** Settles when the mux connection should be replaced before its schedule says. */
  #renewMux = signal<'requested' | 'relay-goaway'>();

  constructor(options: TunnelListenerOptions) {
    this.#options = options;
    this.#token = tokenSource(options.target);
  }

  /**
   * Connects and keeps connecting. Resolves once one listener is up; the first failure that
   * cannot be retried usefully (a refused credential, an unusable proxy) rejects it, though
   * retries go on.
   */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.#ready = {resolve, reject};
    });
    const {mode} = this.#options;
    if (mode !== 'websocket') void this.#muxLoop();
    if (mode !== 'mux') void this.#classicLoop();
    return ready;
  }

  /**
   * Stops taking new connections — GOAWAY on the mux (PROTOCOL.md §6.3), the control channel
   * closed — and resolves once no new one can arrive. Connections already handed out go on.
   */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#stopped.abort();
    for (const listener of this.#listeners) listener.close();
    await Promise.all(
      [...this.#sessions].map((session) => session.goAway().catch(() => undefined)),
    );
  }

  /**
   * Re-authenticates with a freshly minted token now rather than on schedule — after the
   * credential's key was rotated, say. The mux connection renews its token in place when the
   * relay supports it (PROTOCOL.md §3.7); otherwise a new one takes over and the old one drains
   * (its streams run to their end). The control channel renews its token in place. Nothing open
   * is cut.
   */
  renew(): void {
    this.#renewMux.fire('requested');
    for (const listener of this.#listeners) void listener.renewToken();
  }

  /** Whether a listener connection is up now: the mux, the control channel, or both. */
  get listening(): boolean {
    return this.#currentMux !== undefined || this.#listeners.size > 0;
  }

  /** Closes everything now, tunnelled connections included. */
  stop(): void {
    this.#stopping = true;
    this.#stopped.abort();
    for (const listener of this.#listeners) listener.close();
    for (const session of this.#sessions) session.close();
  }

  /**
   * Keeps a mux listener connected. Before its token expires it renews the token in place when
   * the relay supports RENEW, so that the streams it carries — watches, log follows, exec
   * sessions — outlive the token; otherwise, or when that fails, a new connection takes over and
   * the old one drains (PROTOCOL.md §6.5).
   */
  async #muxLoop(): Promise<void> {
    const backoff = new Backoff(this.#options.backoff ?? AGENT_BACKOFF);
    while (!this.#stopping) {
      let failure: unknown;
      try {
        // A fresh connection answers any renewal asked for before it.
        this.#renewMux = signal();
        let current = await this.#openMux();
        backoff.reset();
        this.#emit({type: 'listening', via: 'mux'});
        this.#ready?.resolve();
        for (;;) {
          const renewInMs = renewalDelayMs(current.expiresAt, Date.now());
          const closed = current.session.closed.then(
            () => 'closed' as const,
            () => 'closed' as const,
          );
          const raced = new AbortController();
          const scheduled = sleep(renewInMs, 'schedule' as const, {
            signal: AbortSignal.any([this.#stopped.signal, raced.signal]),
          }).catch(() => 'closed' as const);
          const why = await Promise.race([closed, scheduled, this.#renewMux.fired]);
          raced.abort(); // the timer of a renewal that came early goes with it
          if (why === 'closed' || this.#isStopping()) break;
          this.#renewMux = signal();
          // A connection the relay drains takes no new streams: only a new one will do.
          const renewed =
            why === 'relay-goaway' ? undefined : await this.#renewInPlace(current.session);
          if (renewed !== undefined && 'expiresAt' in renewed) {
            current.expiresAt = renewed.expiresAt;
            this.#emit({type: 'renewed', via: 'mux', reason: why, how: 'in-place'});
            continue;
          }
          if (this.#isStopping()) break;
          // The refusal of a RENEW is a GOAWAY: it is answered here, by the new connection.
          this.#renewMux = signal();
          const next = await this.#openMux();
          void current.session.goAway().catch(() => undefined);
          current = next;
          this.#emit({
            type: 'renewed',
            via: 'mux',
            reason: why,
            how: 'replaced',
            ...(renewed === undefined ? {} : {error: renewed.error}),
          });
        }
      } catch (err) {
        failure = err;
        if (declinedMux(err)) {
          // No mux on this relay (an Azure Relay namespace, say): the control channel serves.
          this.#emit({type: 'mux-declined'});
          if (this.#options.mode === 'auto') return;
        }
        this.#failReady(err);
      }
      if (this.#isStopping()) return;
      const retryInMs = backoff.next();
      this.#emit({
        type: 'disconnected',
        via: 'mux',
        retryInMs,
        ...(failure ? {error: describe(failure)} : {}),
      });
      await this.#pause(retryInMs);
    }
  }

  /**
   * Renews the mux connection's token with RENEW (PROTOCOL.md §3.7).
   *
   * @returns the new expiry; why it failed; or `undefined` when the relay does not support it
   */
  async #renewInPlace(
    session: MuxSession,
  ): Promise<{expiresAt: number} | {error: string} | undefined> {
    if (!session.renewable) return undefined;
    try {
      const token = await this.#token();
      await session.renewToken(token);
      return {expiresAt: tokenExpiryMs(token) ?? Date.now() + 3_600_000};
    } catch (err) {
      return {error: describe(err)};
    }
  }

  async #openMux(): Promise<{session: MuxSession; expiresAt: number}> {
    const token = await this.#token();
    // Set once the connection is current; a GOAWAY before that has nothing to replace yet.
    const opened: {session?: MuxSession} = {};
    const session = await openMuxListener({
      ...TUNNEL_MUX_LIMITS,
      address: this.#address(),
      token,
      webSocket: this.#options.webSocket,
      // The relay drains a connection whose token or key lapsed, or before it restarts
      // (PROTOCOL.md §6.3): a new one takes the new streams at once.
      onGoAway: () => {
        if (opened.session !== undefined && opened.session === this.#currentMux)
          this.#renewMux.fire('relay-goaway');
      },
      onStream: (stream) => {
        this.#options.onConnection(streamOf(stream), {
          via: 'mux',
          remote: endpointOf(stream.properties.remoteEndpoint),
          trackingId:
            typeof stream.properties.trackingId === 'string' ? stream.properties.trackingId : '',
        });
      },
    });
    if (this.#stopping) {
      session.close();
      throw new Error('stopping');
    }
    opened.session = session;
    this.#currentMux = session;
    this.#sessions.add(session);
    void session.closed
      .finally(() => {
        this.#sessions.delete(session);
        if (this.#currentMux === session) this.#currentMux = undefined;
      })
      .catch(() => undefined);
    // A token we cannot read: the relay says when it lapses.
    return {session, expiresAt: tokenExpiryMs(token) ?? Date.now() + 3_600_000};
  }

  async #classicLoop(): Promise<void> {
    const backoff = new Backoff(this.#options.backoff ?? AGENT_BACKOFF);
    while (!this.#stopping) {
      let failure: unknown;
      try {
        const listener = await HybridConnectionListener.open({
          address: this.#address(),
          token: this.#token,
          webSocket: withHeartbeat(this.#options.webSocket, this.#options.pingIntervalMs ?? 20_000),
          onAccept: (offer) => {
            // The sender's own subprotocol, if any, is the agent's to refuse: it speaks HTTP.
            void offer.accept().then(
              (socket) => {
                this.#options.onConnection(streamOf(socket), {
                  via: 'websocket',
                  remote: endpointOf(offer.remoteEndpoint),
                  trackingId: offer.id,
                });
              },
              () => undefined,
            );
          },
        });
        this.#listeners.add(listener);
        backoff.reset();
        this.#emit({type: 'listening', via: 'websocket'});
        this.#ready?.resolve();
        await listener.closed;
        this.#listeners.delete(listener);
      } catch (err) {
        failure = err;
        this.#failReady(err);
      }
      if (this.#isStopping()) return;
      const retryInMs = backoff.next();
      this.#emit({
        type: 'disconnected',
        via: 'websocket',
        retryInMs,
        ...(failure ? {error: describe(failure)} : {}),
      });
      await this.#pause(retryInMs);
    }
  }

  /** Read through a method: the loops await between checks, so the flag may change under them. */
  #isStopping(): boolean {
    return this.#stopping;
  }

  #failReady(err: unknown): void {
    const error = tunnelError(err, this.#options.target, 'listen');
    if (hopeless(error)) this.#ready?.reject(error);
  }

  #address(): string {
    return `${this.#options.target.origin}/$hc/${this.#options.target.entity}`;
  }

  #emit(event: TunnelEvent): void {
    this.#options.onEvent?.(event);
  }

  async #pause(ms: number): Promise<void> {
    await sleep(ms, undefined, {signal: this.#stopped.signal}).catch(() => undefined);
  }
}

/**
 * Pings every control channel the factory opens: a relay or a NAT that silently dropped the
 * connection is noticed after two missed pongs, and the listener reconnects.
 */
function withHeartbeat(factory: WebSocketFactory, intervalMs: number): WebSocketFactory {
  return (url, options) => {
    const socket = factory(url, options);
    if (!url.includes('sb-hc-action=listen')) return socket;
    const ws = socket as unknown as WebSocket;
    let missed = 0;
    const timer = setInterval(() => {
      if (missed >= 2) {
        ws.terminate();
        return;
      }
      missed++;
      if (ws.readyState === ws.OPEN) ws.ping();
    }, intervalMs);
    timer.unref();
    ws.on('pong', () => (missed = 0));
    ws.on('ping', () => (missed = 0));
    ws.on('close', () => clearInterval(timer));
    return socket;
  };
}

/**
 * Whether retrying cannot help until someone changes something: the relay refused the
 * credential, the proxy setting is not a URL, or the proxy refused its credentials (407, or
 * 401 from some) or the relay's host (403).
 */
function hopeless(error: AgentBridgeError): boolean {
  switch (error.code) {
    case 'ERR_TUNNEL_CREDENTIAL_REJECTED':
    case 'ERR_TUNNEL_PROXY_INVALID':
      return true;
    case 'ERR_TUNNEL_PROXY_REFUSED': {
      const {status} = error as {status?: unknown};
      return status === 401 || status === 403 || status === 407;
    }
    default:
      return false;
  }
}

/** A one-shot event a loop can race against; a new one replaces it once it has fired. */
function signal<T>(): {fired: Promise<T>; fire: (value: T) => void} {
  let fire: (value: T) => void = () => undefined;
  const fired = new Promise<T>((resolve) => (fire = resolve));
  return {fired, fire};
}

function declinedMux(err: unknown): boolean {
  const {code, status, message} = err as {code?: string; status?: number; message?: string};
  return (
    code === 'ERR_HC_HANDSHAKE_FAILED' &&
    status === undefined &&
    /did not select/.test(message ?? '')
  );
}

function endpointOf(value: unknown): string {
  const endpoint = value as {address?: unknown; port?: unknown} | undefined;
  return typeof endpoint?.address === 'string' && endpoint.address !== ''
    ? `${endpoint.address}:${String(endpoint.port)}`
    : '';
}

function describe(err: unknown): string {
  const error = err as {code?: string; message?: string};
  return `${error.code ?? 'Error'}: ${error.message ?? String(err)}`;
}

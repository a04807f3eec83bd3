import type {Duplex} from 'node:stream';

import {connectMuxSender, connectSender, SessionState} from '@porthole/core/protocol';
import type {MuxSession, WebSocketFactory} from '@porthole/core/protocol';

import {AgentBridgeError} from '../errors.js';
import type {RelayTarget, TunnelMode} from './relay-target.js';
import {TUNNEL_MUX_LIMITS, tokenSource} from './relay-target.js';
import {streamOf} from './streams.js';
import {tunnelError} from './tunnel-errors.js';

/** What a {@link TunnelDialer} needs. */
export interface TunnelDialerOptions {
  target: RelayTarget;
  mode: TunnelMode;
  webSocket: WebSocketFactory;
  /** How long `auto` keeps to WebSockets after the relay declined the mux, before trying again. */
  muxRetryMs?: number;
  now?: () => number;
}

/**
 * The bridge's way to the agent: each `connect()` is a new byte stream to it, which the agent
 * treats as an HTTP connection. Over the mux, streams share one WebSocket and open in half a
 * round trip; otherwise each is a Hybrid Connections WebSocket of its own.
 */
export class TunnelDialer {
  readonly #options: TunnelDialerOptions;
  #token: () => Promise<string>;
  readonly #now: () => number;
  #session: Promise<MuxSession> | undefined;
  #sessionToken: {expiresAt: number} | undefined;
  #noMuxUntil = 0;

  constructor(options: TunnelDialerOptions) {
    this.#options = options;
    this.#token = tokenSource(options.target, options.now);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens a byte stream to the agent.
   *
   * @throws AgentBridgeError `ERR_TUNNEL_RELAY_UNREACHABLE`, `ERR_TUNNEL_CERTIFICATE`,
   *   `ERR_TUNNEL_CREDENTIAL_REJECTED`, or `ERR_TUNNEL_NO_AGENT`
   */
  async connect(): Promise<Duplex> {
    const {mode} = this.#options;
    if (mode === 'mux' || (mode === 'auto' && this.#now() >= this.#noMuxUntil)) {
      try {
        const session = await this.#muxSession();
        return streamOf(session.openStream());
      } catch (err) {
        // The relay answers a mux offer without the mux when no mux listener is connected, or
        // when it is an Azure Relay namespace: one WebSocket per connection works there.
        if (mode === 'mux' || !declinedMux(err))
          throw tunnelError(err, this.#options.target, 'connect');
        this.#noMuxUntil = this.#now() + (this.#options.muxRetryMs ?? 30_000);
      }
    }
    try {
      const socket = await connectSender({
        address: `${this.#options.target.origin}/$hc/${this.#options.target.entity}`,
        token: await this.#token(),
        webSocket: this.#options.webSocket,
      });
      return streamOf(socket);
    } catch (err) {
      throw tunnelError(err, this.#options.target, 'connect');
    }
  }

  /**
   * Uses `credential` from now on: new connections, and the next mux connection, present its
   * tokens. Open connections keep going — a relay checks a sender's token when it connects —
   * and a mux connection near its token's expiry is replaced as usual.
   */
  renewCredential(credential: RelayTarget['credential']): void {
    this.#token = tokenSource({...this.#options.target, credential}, this.#options.now);
  }

  /** Closes the mux connection; streams still open on it fail. */
  close(): void {
    const session = this.#session;
    this.#session = undefined;
    void session?.then((open) => open.close()).catch(() => undefined);
  }

  /**
   * The mux connection, opened on first use and again when it has closed, drains, or nears
   * the expiry of its token (the relay then sends GOAWAY, PROTOCOL.md §6.5).
   */
  async #muxSession(): Promise<MuxSession> {
    const current = this.#session;
    if (current) {
      const session = await current.catch(() => undefined);
      const fresh =
        this.#sessionToken === undefined || this.#sessionToken.expiresAt - this.#now() > 60_000;
      if (session && session.state === SessionState.OPEN && fresh) return session;
      if (session && session.state === SessionState.OPEN)
        void session.goAway().catch(() => undefined);
      if (this.#session === current) this.#session = undefined;
    }
    this.#session ??= this.#openSession();
    return this.#session;
  }

  async #openSession(): Promise<MuxSession> {
    const token = await this.#token();
    const expiresAt = /[&\s]se=(\d+)/.exec(token)?.[1];
    this.#sessionToken =
      expiresAt === undefined ? undefined : {expiresAt: Number(expiresAt) * 1000};
    try {
      return await connectMuxSender({
        ...TUNNEL_MUX_LIMITS,
        address: `${this.#options.target.origin}/$hc/${this.#options.target.entity}`,
        token,
        webSocket: this.#options.webSocket,
      });
    } catch (err) {
      this.#session = undefined;
      throw err;
    }
  }
}

/** Whether a failed mux connect means "no mux here" rather than "no way at all". */
function declinedMux(err: unknown): boolean {
  if (err instanceof AgentBridgeError) return false;
  const {code, status, message} = err as {code?: string; status?: number; message?: string};
  return (
    code === 'ERR_HC_HANDSHAKE_FAILED' &&
    status === undefined &&
    /subprotocol|did not select/.test(message ?? '')
  );
}

import type {Duplex} from 'node:stream';

import {connectMuxSender, connectSender, SessionState} from '@porthole/core/protocol';
import type {MuxSession, WebSocketFactory} from '@porthole/core/protocol';

import {AgentBridgeError} from '../errors.js';
import type {RelayTarget, TunnelMode} from './relay-target.js';
import {renewalDelayMs, TUNNEL_MUX_LIMITS, tokenExpiryMs, tokenSource} from './relay-target.js';
import {streamOf} from './streams.js';
import {tunnelError} from './tunnel-errors.js';

/** Events of a {@link TunnelDialer}'s mux connection, for logs. */
export type TunnelDialerEvent =
  | {type: 'renewed'; via: 'mux'; how: 'in-place'}
  | {type: 'renewal-failed'; via: 'mux'; error: string};

/** What a {@link TunnelDialer} needs. */
export interface TunnelDialerOptions {
  target: RelayTarget;
  mode: TunnelMode;
  webSocket: WebSocketFactory;
  /** How long `auto` keeps to WebSockets after the relay declined the mux, before trying again. */
  muxRetryMs?: number;
  now?: () => number;
  onEvent?: (event: TunnelDialerEvent) => void;
}

/** The mux connection's token: when it lapses, and from when new streams go to a new connection. */
interface SessionCredential {
  expiresAt: number;
  replaceAt: number;
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
  /** The token of the mux connection; `undefined` when it cannot be read. */
  #sessionToken: SessionCredential | undefined;
  /** Due when the mux connection should renew its token in place (PROTOCOL.md §3.7). */
  #renewal: NodeJS.Timeout | undefined;
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
   * tokens. Open connections keep going — a relay checks a sender's token when it connects. The
   * mux connection renews in place with a token of the new credential when the relay supports it
   * (PROTOCOL.md §3.7), so that the relay holds it, and its long-lived streams, to the new
   * expiry; otherwise it is replaced near its token's expiry, as usual.
   */
  renewCredential(credential: RelayTarget['credential']): void {
    this.#token = tokenSource({...this.#options.target, credential}, this.#options.now);
    const current = this.#session;
    void current
      ?.then((session) => this.#renewInPlace(current, session, {whateverExpiry: true}))
      .catch(() => undefined);
  }

  /** Closes the mux connection; streams still open on it fail. */
  close(): void {
    const session = this.#session;
    this.#session = undefined;
    clearTimeout(this.#renewal);
    void session?.then((open) => open.close()).catch(() => undefined);
  }

  /**
   * The mux connection, opened on first use and again when it has closed, drains, or nears
   * the expiry of a token it could not renew in place (the relay then sends GOAWAY,
   * PROTOCOL.md §6.5).
   */
  async #muxSession(): Promise<MuxSession> {
    const current = this.#session;
    if (current) {
      const session = await current.catch(() => undefined);
      const fresh = this.#sessionToken === undefined || this.#now() < this.#sessionToken.replaceAt;
      if (session && session.state === SessionState.OPEN && fresh) return session;
      if (session && session.state === SessionState.OPEN)
        void session.goAway().catch(() => undefined);
      if (this.#session === current) {
        this.#session = undefined;
        clearTimeout(this.#renewal);
      }
    }
    return (this.#session ??= this.#openSession());
  }

  #openSession(): Promise<MuxSession> {
    const opening: Promise<MuxSession> = this.#connectMux().then(
      ({session, token}) => {
        if (this.#session === opening) this.#hold(opening, session, token);
        return session;
      },
      (err: unknown) => {
        if (this.#session === opening) this.#session = undefined;
        throw err;
      },
    );
    return opening;
  }

  async #connectMux(): Promise<{session: MuxSession; token: string}> {
    const token = await this.#token();
    const session = await connectMuxSender({
      ...TUNNEL_MUX_LIMITS,
      address: `${this.#options.target.origin}/$hc/${this.#options.target.entity}`,
      token,
      webSocket: this.#options.webSocket,
    });
    return {session, token};
  }

  /**
   * Notes the token the mux connection now holds, and schedules its renewal in place when the
   * relay supports RENEW (PROTOCOL.md §3.7). New streams move to a new connection once a tenth
   * of the token's time is left (at most a minute), which only happens when it was not renewed.
   */
  #hold(current: Promise<MuxSession>, session: MuxSession, token: string): void {
    clearTimeout(this.#renewal);
    const now = this.#now();
    const expiresAt = tokenExpiryMs(token);
    this.#sessionToken =
      expiresAt === undefined
        ? undefined
        : {expiresAt, replaceAt: expiresAt - Math.min(60_000, (expiresAt - now) / 10)};
    if (expiresAt === undefined || !session.renewable) return;
    this.#renewal = setTimeout(
      () => {
        void this.#renewInPlace(current, session, {whateverExpiry: false});
      },
      renewalDelayMs(expiresAt, now),
    );
    this.#renewal.unref();
  }

  /**
   * Renews the mux connection's token in place with a fresh one. On failure — the relay refused
   * it or did not answer — new streams go to a new connection from now on (PROTOCOL.md §6.5).
   * A token no later than the one held is not worth sending unless the credential changed: a
   * ready token (`{token}`) waits for {@link renewCredential}.
   */
  async #renewInPlace(
    current: Promise<MuxSession>,
    session: MuxSession,
    options: {whateverExpiry: boolean},
  ): Promise<void> {
    if (this.#session !== current || !session.renewable) return;
    if (session.state === SessionState.CLOSED) return;
    let token: string;
    try {
      token = await this.#token();
    } catch (err) {
      this.#renewalFailed(current, err);
      return;
    }
    const expiresAt = tokenExpiryMs(token);
    const held = this.#sessionToken?.expiresAt;
    if (!options.whateverExpiry && expiresAt !== undefined && held !== undefined) {
      if (expiresAt <= held) return;
    }
    try {
      await session.renewToken(token);
    } catch (err) {
      this.#renewalFailed(current, err);
      return;
    }
    if (this.#session !== current) return;
    this.#hold(current, session, token);
    this.#options.onEvent?.({type: 'renewed', via: 'mux', how: 'in-place'});
  }

  #renewalFailed(current: Promise<MuxSession>, err: unknown): void {
    if (this.#session !== current) return;
    if (this.#sessionToken) this.#sessionToken.replaceAt = 0;
    const {code, message} = err as {code?: string; message?: string};
    this.#options.onEvent?.({
      type: 'renewal-failed',
      via: 'mux',
      error: `${code ?? 'Error'}: ${message ?? String(err)}`,
    });
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

import {MuxError} from '../../errors.js';
import type {Resolvers} from '../../lib/settled-promise.js';
import {withResolvers} from '../../lib/settled-promise.js';
import {unreachable} from '../../lib/unreachable.js';
import {utf8Truncate} from '../../lib/utf8.js';
import type {MuxLimits, MuxVersion} from './constants.js';
import {
  INITIAL_WINDOW,
  MAX_REASON_BYTES,
  MAX_STREAM_ID,
  MUX_DEFAULTS,
  MUX_SUBPROTOCOL,
  MuxCloseCode,
  MuxErrorCode,
} from './constants.js';
import type {Frame} from './frame.js';
import {FrameDecoder} from './frame-decoder.js';
import {encodeFrame} from './frame-encoder.js';
import type {MuxStream, StreamHost} from './stream.js';
import {StreamChannel} from './stream.js';
import {
  connectionError,
  describeMuxErrorCode,
  goAwayCodeFor,
  muxCloseCode,
  protocolError,
  quotedReason,
} from './wire-errors.js';

/** The WebSocket a session runs over: it sends binary messages and closes. */
export interface MuxTransport {
  /** Sends one binary message. */
  send(bytes: Uint8Array): void;
  /** Closes the WebSocket with a close code and a reason of at most 123 bytes. */
  close(code: number, reason: string): void;
}

/** Time, injectable so that tests control keepalive and RTT. Defaults to the global timers. */
export interface MuxClock {
  /** Milliseconds, monotonic enough for intervals. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of a {@link MuxSession}; every limit defaults to `MUX_DEFAULTS` (PROTOCOL.md §8). */
export interface MuxSessionOptions extends Partial<MuxLimits> {
  /** `dialer` if this endpoint dialed the WebSocket, else `acceptor` (PROTOCOL.md §1.1). */
  role: 'dialer' | 'acceptor';
  /**
   * Receives each stream the peer opens. Without it the peer's OPENs are refused with
   * `REFUSED_STREAM`. If it throws, the stream is reset with `INTERNAL_ERROR`.
   */
  onStream?: (stream: MuxStream) => void;
  /** Called when the peer sends GOAWAY: open no more streams here (PROTOCOL.md §6.3). */
  onGoAway?: (code: number, reason: string) => void;
  /**
   * The mux version the handshake selected (PROTOCOL.md §1.1). Version 2 lets the dialer renew
   * its credential in place ({@link MuxSession.renewToken}, §3.7). Default 1.
   */
  version?: MuxVersion;
  /**
   * Acceptor, version 2: checks the credential of the dialer's RENEW as the handshake's was
   * checked (PROTOCOL.md §3.7). Resolve to accept it: the session answers ACK, and moving the
   * connection's expiry is the caller's. Reject to refuse it: the session answers GOAWAY
   * `UNAUTHORIZED` with the error's message as the reason, so that message must not quote the
   * credential. Without it every RENEW is refused (fail closed).
   */
  onRenew?: (credential: string) => Promise<void> | void;
  clock?: MuxClock;
}

/** Where a session is in its life (PROTOCOL.md §6). */
export const SessionState = {
  /** Streams open both ways. */
  OPEN: 'open',
  /** A GOAWAY was sent or received: existing streams continue, no new ones open (PROTOCOL.md §6.3). */
  DRAINING: 'draining',
  /** The WebSocket is closed, or closing; every stream has failed or finished. */
  CLOSED: 'closed',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** RFC 6455 §5.5.1: a close frame's reason fits in 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;
/** PROTOCOL.md §6.2: PINGs are counted per window of one second. */
const PING_FLOOD_WINDOW_MS = 1000;

const systemClock: MuxClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface PendingPing {
  sentAt: number;
  resolve: (rtt: number) => void;
  reject: (error: MuxError) => void;
}

/** One call of {@link MuxSession.renewToken}: its RENEW, and its caller until it gives up. */
interface PendingRenewal {
  frame: Uint8Array;
  timer: unknown;
  /** The caller has its answer (or its time-out); the RENEW may still be on the wire. */
  settled: boolean;
  resolve: () => void;
  reject: (error: MuxError) => void;
}

/**
 * One endpoint of a Porthole mux connection (PROTOCOL.md): many flow-controlled streams over one
 * WebSocket. The application feeds it the WebSocket's messages and its close; the session sends
 * frames through the transport. It is platform-neutral: the WebSocket is the caller's.
 *
 * @example
 *   const ws = new WebSocket(url, [MUX_SUBPROTOCOL]);
 *   ws.binaryType = 'arraybuffer';
 *   const session = new MuxSession(
 *     {send: (bytes) => ws.send(bytes), close: (code, reason) => ws.close(code, reason)},
 *     {role: 'dialer', onStream: (stream) => serve(stream)},
 *   );
 *   ws.onmessage = (event) =>
 *     session.receive(typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
 *   ws.onclose = (event) => session.transportClosed(event.code, event.reason);
 *   const stream = session.openStream({target: 'kube-apiserver'});
 */
export class MuxSession {
  /**
   * Settles when the session is over: resolves after an orderly close (ours, or the peer's with
   * 1000), rejects with the `MuxError` that ended it otherwise. Rejections are handled, so
   * awaiting it is optional.
   */
  readonly closed: Promise<void>;
  readonly #transport: MuxTransport;
  readonly #role: 'dialer' | 'acceptor';
  readonly #limits: MuxLimits;
  readonly #clock: MuxClock;
  readonly #onStream: ((stream: MuxStream) => void) | undefined;
  readonly #onGoAway: ((code: number, reason: string) => void) | undefined;
  readonly #version: MuxVersion;
  readonly #onRenew: ((credential: string) => Promise<void> | void) | undefined;
  readonly #decoder: FrameDecoder;
  readonly #host: StreamHost;
  readonly #settleClosed: Resolvers<undefined>;

  #state: SessionState = SessionState.OPEN;
  #error: MuxError | undefined;

  // PROTOCOL.md §4.1: our next identifier, and the last one the peer opened.
  #nextLocalId: number;
  #lastPeerId = 0;
  readonly #streams = new Map<number, StreamChannel>();
  #localStreams = 0;
  #peerStreams = 0;

  // PROTOCOL.md §6.3: our drain (GOAWAY + PING), whether its PING came back, the peer's GOAWAY.
  #drain: Promise<void> | undefined;
  #drainAcked = false;
  #peerGoAway: {code: number; reason: string} | undefined;

  // PROTOCOL.md §3.5, §6.1, §6.2.
  readonly #pings = new Map<number, PendingPing>();
  /** Smoothed round-trip time from PING ACKs, for window growth (PROTOCOL.md §5.2). */
  #rtt: number | undefined;
  #rttProbe = false;
  #pingCounter = 0;
  #pingWindowStart = 0;
  #pingsInWindow = 0;
  #lastReceivedAt: number;
  #lastPingAt: number;
  #keepalive: unknown;

  // PROTOCOL.md §3.7: the dialer's renewals waiting to go out, the one on the wire (answered or
  // not, its caller may have timed out), and whether the acceptor is still checking one.
  readonly #renewals: PendingRenewal[] = [];
  #renewalOnWire: PendingRenewal | undefined;
  #checkingRenewal = false;

  /**
   * @param transport sends this side's binary messages and closes the WebSocket
   * @param options the role, limits, `onStream` for the peer's streams, and the clock
   */
  constructor(transport: MuxTransport, options: MuxSessionOptions) {
    this.#transport = transport;
    this.#role = options.role;
    this.#limits = {
      maxFrameSize: options.maxFrameSize ?? MUX_DEFAULTS.maxFrameSize,
      maxOpenPropertiesBytes: options.maxOpenPropertiesBytes ?? MUX_DEFAULTS.maxOpenPropertiesBytes,
      maxRenewBytes: options.maxRenewBytes ?? MUX_DEFAULTS.maxRenewBytes,
      maxStreams: options.maxStreams ?? MUX_DEFAULTS.maxStreams,
      maxConnectionWindow: options.maxConnectionWindow ?? MUX_DEFAULTS.maxConnectionWindow,
      maxStreamWindow: options.maxStreamWindow ?? MUX_DEFAULTS.maxStreamWindow,
      maxPingsPerSecond: options.maxPingsPerSecond ?? MUX_DEFAULTS.maxPingsPerSecond,
      pingIntervalMs: options.pingIntervalMs ?? MUX_DEFAULTS.pingIntervalMs,
      idleTimeoutMs: options.idleTimeoutMs ?? MUX_DEFAULTS.idleTimeoutMs,
      renewTimeoutMs: options.renewTimeoutMs ?? MUX_DEFAULTS.renewTimeoutMs,
    };
    this.#clock = options.clock ?? systemClock;
    this.#onStream = options.onStream;
    this.#onGoAway = options.onGoAway;
    this.#version = options.version ?? 1;
    this.#onRenew = options.onRenew;
    this.#nextLocalId = this.#role === 'dialer' ? 1 : 2;
    this.#decoder = new FrameDecoder(
      {
        onFrame: (frame) => {
          this.#onFrame(frame);
        },
        onError: (error) => {
          this.#fail(error);
        },
      },
      this.#limits,
    );
    this.#host = {
      send: (frame) => {
        this.#send(frame);
      },
      release: (channel) => {
        this.#release(channel);
      },
      maxStreamWindow: this.#limits.maxStreamWindow,
      mayCommit: (bytes) => this.#committed() + bytes <= this.#limits.maxConnectionWindow,
      now: () => this.#clock.now(),
      rtt: () => this.#measuredRtt(),
    };
    this.#settleClosed = withResolvers<undefined>({handled: true});
    this.closed = this.#settleClosed.promise;
    const now = this.#clock.now();
    this.#lastReceivedAt = now;
    this.#lastPingAt = now;
    this.#pingWindowStart = now;
    this.#scheduleKeepalive();
  }

  /** Where the session is in its life. */
  get state(): SessionState {
    return this.#state;
  }

  /** The mux version the handshake selected (PROTOCOL.md §1.1). */
  get version(): MuxVersion {
    return this.#version;
  }

  /**
   * Whether {@link renewToken} can work here: this endpoint dialed, and the peer selected
   * version 2 (PROTOCOL.md §3.7). When it cannot, a credential is renewed by replacing the
   * connection (§6.5).
   */
  get renewable(): boolean {
    return this.#role === 'dialer' && this.#version === 2;
  }

  /**
   * Feeds one WebSocket message from the peer. Binary messages are bytes of the frame stream,
   * however they split frames (PROTOCOL.md §1.2); a text message is a protocol error. The session
   * keeps views of `data` for readers: do not write to it afterwards.
   *
   * @param data a binary message's payload, or a text message's string
   */
  receive(data: Uint8Array | string): void {
    if (this.#state === SessionState.CLOSED) return;
    this.#lastReceivedAt = this.#clock.now();
    if (typeof data === 'string') {
      this.#fail(protocolError('Invalid mux message: text message (binary only)'));
      return;
    }
    this.#decoder.push(data);
  }

  /**
   * Tells the session that the WebSocket closed. Streams still open fail with
   * `ERR_MUX_SESSION_CLOSED`; `closed` resolves for 1000, rejects otherwise (PROTOCOL.md §6.4).
   *
   * @param code the close code received; 1006 (abnormal) when there was none
   * @param reason the close reason received
   */
  transportClosed(code = 1006, reason = ''): void {
    if (this.#state === SessionState.CLOSED) return;
    const peer = this.#peerGoAway;
    // PROTOCOL.md §7.2: a GOAWAY with an error announced why the peer is closing.
    const message =
      peer !== undefined && peer.code !== MuxErrorCode.NO_ERROR
        ? `Mux session closed by peer: ${describeMuxErrorCode(peer.code)}${quotedReason(peer.reason)}`
        : `Mux transport closed: ${code}${quotedReason(reason)}`;
    this.#transition(
      SessionState.CLOSED,
      new MuxError('ERR_MUX_SESSION_CLOSED', message, {closeCode: code}),
    );
  }

  /**
   * Opens a stream (PROTOCOL.md §4.2). It is usable at once: OPEN and the first DATA go out
   * without waiting for the peer, whose refusal, if any, arrives as `ERR_MUX_STREAM_REFUSED` on
   * the stream.
   *
   * @param properties the open properties, a JSON object (PROTOCOL.md §3.2)
   * @throws MuxError `ERR_MUX_SESSION_CLOSED` once draining or closed; `ERR_MUX_STREAM_REFUSED`
   *   over `maxStreams` or `maxConnectionWindow` (PROTOCOL.md §5.3); `ERR_MUX_PROTOCOL` or
   *   `ERR_MUX_FRAME_TOO_LARGE` for properties that are not a JSON object of allowed size
   * @example
   *   const stream = session.openStream({target: 'kube-apiserver', user: 'alice'});
   */
  openStream(properties: Record<string, unknown> = {}): MuxStream {
    if (this.#state !== SessionState.OPEN) throw this.#noNewStreams();
    const id = this.#nextLocalId;
    if (id > MAX_STREAM_ID) {
      throw new MuxError('ERR_MUX_STREAM_REFUSED', 'Mux stream refused: stream ids exhausted');
    }
    const {maxStreams, maxConnectionWindow} = this.#limits;
    if (this.#localStreams >= maxStreams) {
      throw new MuxError(
        'ERR_MUX_STREAM_REFUSED',
        `Mux stream refused: ${this.#localStreams} streams open (maxStreams ${maxStreams})`,
      );
    }
    const committed = this.#committed();
    if (committed + INITIAL_WINDOW > maxConnectionWindow) {
      throw new MuxError(
        'ERR_MUX_STREAM_REFUSED',
        `Mux stream refused: ${committed} bytes of window committed (maxConnectionWindow ${maxConnectionWindow})`,
      );
    }
    // Encoded before anything changes, so that invalid properties leave no trace.
    const open = encodeFrame({type: 'OPEN', streamId: id, properties}, this.#limits);
    this.#nextLocalId += 2;
    const channel = this.#register(id, properties);
    this.#sendBytes(open);
    return channel.stream;
  }

  /**
   * Measures the round trip with a PING (PROTOCOL.md §3.5).
   *
   * @returns the milliseconds until the peer's ACK
   * @throws MuxError `ERR_MUX_SESSION_CLOSED` (rejects) if the session ends first
   * @example
   *   console.log(`rtt ${await session.ping()}ms`);
   */
  ping(): Promise<number> {
    if (this.#state === SessionState.CLOSED) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      this.#sendPing({sentAt: this.#clock.now(), resolve, reject});
    });
  }

  /**
   * Renews the credential that authorises this connection, in place (PROTOCOL.md §3.7): sends
   * RENEW and resolves once the acceptor answers ACK, when the connection's expiry is the new
   * credential's. Whatever the outcome, the session and its streams carry on; after a failure
   * the caller replaces the connection instead (§6.5). Renewals go out one at a time, in the
   * order of the calls; a draining session may renew, to keep its open streams.
   *
   * @param credential the new credential, such as a fresh SAS token; no message or error quotes it
   * @throws MuxError (rejects) `ERR_MUX_RENEW_UNSUPPORTED` on a version 1 connection or on the
   *   acceptor; `ERR_MUX_RENEW_REFUSED` when the acceptor answers GOAWAY `UNAUTHORIZED` (the
   *   message quotes its reason); `ERR_MUX_RENEW_TIMEOUT` with no answer within
   *   `renewTimeoutMs`; `ERR_MUX_PROTOCOL` for an empty credential, `ERR_MUX_FRAME_TOO_LARGE`
   *   for one over `maxRenewBytes` (nothing is sent); `ERR_MUX_SESSION_CLOSED` if the session
   *   ends first
   * @example
   *   if (session.renewable) await session.renewToken(await mintToken());
   */
  renewToken(credential: string): Promise<void> {
    if (this.#state === SessionState.CLOSED) return Promise.reject(this.#closedError());
    if (!this.renewable) {
      return Promise.reject(
        new MuxError(
          'ERR_MUX_RENEW_UNSUPPORTED',
          this.#role === 'acceptor'
            ? 'Mux renewal: only the dialer renews its credential'
            : `Mux renewal: the peer selected ${MUX_SUBPROTOCOL}, which has no RENEW`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      // Encoded first, so that a credential of the wrong size sends nothing (this throw rejects).
      const frame = encodeFrame({type: 'RENEW', ack: false, credential}, this.#limits);
      const renewal: PendingRenewal = {frame, timer: undefined, settled: false, resolve, reject};
      const {renewTimeoutMs} = this.#limits;
      if (renewTimeoutMs > 0) {
        renewal.timer = this.#clock.setTimeout(() => {
          renewal.timer = undefined;
          this.#settleRenewal(
            renewal,
            new MuxError(
              'ERR_MUX_RENEW_TIMEOUT',
              `Mux renewal: no answer within ${renewTimeoutMs}ms (renewTimeoutMs)`,
            ),
          );
        }, renewTimeoutMs);
      }
      this.#renewals.push(renewal);
      this.#sendNextRenewal();
    });
  }

  /**
   * Starts a graceful drain (PROTOCOL.md §6.3): sends GOAWAY, then a PING, and resolves once the
   * PING's ACK proves that the peer has seen the GOAWAY, so no new stream can arrive. Streams that
   * are open continue; OPENs that crossed the GOAWAY are refused with `REFUSED_STREAM` (safe to
   * retry). Call {@link close} when the streams are done. Later calls settle with the first.
   *
   * @param code `NO_ERROR` for an orderly shutdown
   * @param reason for the peer's logs; cut to 256 UTF-8 bytes
   * @throws MuxError (rejects) `ERR_MUX_SESSION_CLOSED` if the session ends before the ACK;
   *   `ERR_MUX_PROTOCOL` if `code` is not a `u32`
   * @example
   *   await session.goAway();
   *   await Promise.allSettled(streams.map((stream) => stream.closed));
   *   session.close();
   */
  async goAway(code: number = MuxErrorCode.NO_ERROR, reason = ''): Promise<void> {
    if (this.#state === SessionState.CLOSED) throw this.#closedError();
    this.#drain ??= this.#startDrain(code, reason);
    return this.#drain;
  }

  /**
   * Closes the session now (PROTOCOL.md §6.4). Streams still open fail with
   * `ERR_MUX_SESSION_CLOSED`; for a graceful end, {@link goAway} first and wait for them.
   *
   * ```
   *   this endpoint                                        peer
   *     │── GOAWAY NO_ERROR (unless goAway() sent one) ──▶│ opens no more streams
   *     │── WebSocket close 1000 ────────────────────────▶│ transportClosed(1000)
   *     │   state CLOSED; open streams fail               │ its open streams fail
   * ```
   */
  close(): void {
    if (this.#state === SessionState.CLOSED) return;
    if (this.#drain === undefined) {
      this.#send({type: 'GOAWAY', code: MuxErrorCode.NO_ERROR, reason: ''});
    }
    this.#closeTransport(MuxCloseCode.NORMAL, '');
    this.#transition(
      SessionState.CLOSED,
      new MuxError('ERR_MUX_SESSION_CLOSED', 'Mux session closed'),
    );
  }

  /** PROTOCOL.md §6.3 steps 1 and 3: GOAWAY, then a PING whose ACK ends the crossing window. */
  #startDrain(code: number, reason: string): Promise<void> {
    // Sent first: a code that is not a u32 throws here, before anything changed.
    this.#send({type: 'GOAWAY', code, reason: utf8Truncate(reason, MAX_REASON_BYTES)});
    this.#transition(SessionState.DRAINING);
    return new Promise((resolve, reject) => {
      this.#sendPing({
        sentAt: this.#clock.now(),
        resolve: () => {
          // Set in the same turn as the ACK, before any frame that follows it is handled.
          this.#drainAcked = true;
          resolve();
        },
        reject,
      });
    });
  }

  /** The only place where the state changes (STYLE §6). */
  #transition(next: Exclude<SessionState, 'open'>, error?: MuxError): void {
    switch (next) {
      case SessionState.DRAINING:
        if (this.#state === SessionState.OPEN) this.#state = SessionState.DRAINING;
        return;
      case SessionState.CLOSED: {
        if (this.#state === SessionState.CLOSED) return;
        const reason = error ?? new MuxError('ERR_MUX_SESSION_CLOSED', 'Mux session closed');
        this.#state = SessionState.CLOSED;
        this.#error = reason;
        if (this.#keepalive !== undefined) this.#clock.clearTimeout(this.#keepalive);
        this.#keepalive = undefined;
        const failure = this.#closedError();
        for (const channel of [...this.#streams.values()]) channel.abort(failure);
        for (const ping of this.#pings.values()) ping.reject(failure);
        this.#pings.clear();
        const renewals = [...this.#renewals.splice(0), this.#renewalOnWire];
        this.#renewalOnWire = undefined;
        for (const renewal of renewals) if (renewal) this.#settleRenewal(renewal, failure);
        if (
          reason.code === 'ERR_MUX_SESSION_CLOSED' &&
          muxCloseCode(reason) === MuxCloseCode.NORMAL
        ) {
          this.#settleClosed.resolve(undefined);
        } else {
          this.#settleClosed.reject(reason);
        }
        return;
      }
      default:
        unreachable(next);
    }
  }

  /** A connection error (PROTOCOL.md §7.2): GOAWAY with its code, then close with its close code. */
  #fail(error: MuxError): void {
    if (this.#state === SessionState.CLOSED) return;
    this.#send({
      type: 'GOAWAY',
      code: goAwayCodeFor(error),
      reason: utf8Truncate(error.message, MAX_REASON_BYTES),
    });
    this.#closeTransport(muxCloseCode(error), error.message);
    this.#transition(SessionState.CLOSED, error);
  }

  #onFrame(frame: Frame): void {
    // Frames that follow a connection error in the same message are ignored.
    if (this.#state === SessionState.CLOSED) return;
    try {
      this.#dispatch(frame);
    } catch (error) {
      this.#fail(
        error instanceof MuxError
          ? error
          : new MuxError('ERR_MUX_SESSION_CLOSED', 'Mux session failed: internal error', {
              cause: error,
              closeCode: MuxCloseCode.INTERNAL_ERROR,
            }),
      );
    }
  }

  #dispatch(frame: Frame): void {
    switch (frame.type) {
      case 'DATA':
        this.#route(frame.streamId, frame.type)?.receiveData(frame.payload, frame.fin);
        return;
      case 'WINDOW':
        this.#route(frame.streamId, frame.type)?.receiveWindow(frame.increment);
        return;
      case 'RST':
        this.#route(frame.streamId, frame.type)?.receiveReset(frame.code, frame.reason);
        return;
      case 'OPEN':
        this.#accept(frame.streamId, frame.properties);
        return;
      case 'PING':
        this.#onPing(frame.ack, frame.opaque);
        return;
      case 'GOAWAY':
        this.#onGoAwayFrame(frame.code, frame.reason);
        return;
      case 'RENEW':
        this.#onRenewFrame(frame.ack, frame.credential);
        return;
      default:
        unreachable(frame);
    }
  }

  /** The stream a DATA, WINDOW or RST is for; `undefined` when it is over (PROTOCOL.md §4.4). */
  #route(streamId: number, type: 'DATA' | 'WINDOW' | 'RST'): StreamChannel | undefined {
    const channel = this.#streams.get(streamId);
    if (channel !== undefined) return channel;
    const opened = this.#isLocal(streamId)
      ? streamId < this.#nextLocalId
      : streamId <= this.#lastPeerId;
    if (opened) return undefined;
    throw protocolError(
      `Mux protocol error: ${type} on stream ${streamId}, which was never opened`,
    );
  }

  /** The peer's OPEN (PROTOCOL.md §4.1, §4.2, §6.3). */
  #accept(id: number, properties: Record<string, unknown>): void {
    if (this.#isLocal(id)) {
      const peer = this.#role === 'dialer' ? 'acceptor' : 'dialer';
      throw protocolError(
        `Mux protocol error: the ${peer} opened ${id % 2 === 1 ? 'odd' : 'even'} stream ${id}`,
      );
    }
    if (id <= this.#lastPeerId) {
      throw protocolError(
        `Mux protocol error: OPEN stream ${id} does not increase (last ${this.#lastPeerId})`,
      );
    }
    this.#lastPeerId = id;
    if (this.#peerGoAway !== undefined) {
      throw protocolError(`Mux protocol error: OPEN stream ${id} after the peer's GOAWAY`);
    }
    if (this.#drainAcked) throw protocolError(`Mux protocol error: OPEN stream ${id} after GOAWAY`);
    const refusal = this.#refusal();
    if (refusal !== undefined) {
      this.#send({type: 'RST', streamId: id, code: MuxErrorCode.REFUSED_STREAM, reason: refusal});
      return;
    }
    const channel = this.#register(id, properties);
    try {
      this.#onStream?.(channel.stream);
    } catch {
      channel.reset(MuxErrorCode.INTERNAL_ERROR, 'stream handler failed');
    }
  }

  /** Why the peer's next OPEN is refused with REFUSED_STREAM, if it is (PROTOCOL.md §4.2). */
  #refusal(): string | undefined {
    const {maxStreams, maxConnectionWindow} = this.#limits;
    if (this.#onStream === undefined) return 'not accepting streams';
    // PROTOCOL.md §6.3 step 2: the OPEN may have crossed our GOAWAY; the peer may retry elsewhere.
    if (this.#drain !== undefined) return 'going away';
    if (this.#peerStreams >= maxStreams) return `maxStreams ${maxStreams}`;
    if (this.#committed() + INITIAL_WINDOW > maxConnectionWindow) {
      return `maxConnectionWindow ${maxConnectionWindow}`;
    }
    return undefined;
  }

  #onPing(ack: boolean, opaque: Uint8Array): void {
    if (ack) {
      const view = new DataView(opaque.buffer, opaque.byteOffset, opaque.byteLength);
      const key = view.getUint32(0) === 0 ? view.getUint32(4) : -1;
      const pending = this.#pings.get(key);
      if (pending === undefined) return;
      this.#pings.delete(key);
      const sample = this.#clock.now() - pending.sentAt;
      // RFC 6298 §2 smoothing: one noisy sample moves the estimate an eighth of the way.
      this.#rtt = this.#rtt === undefined ? sample : this.#rtt + (sample - this.#rtt) / 8;
      pending.resolve(sample);
      return;
    }
    // PROTOCOL.md §6.2: count PINGs per second; past the limit the peer is cut off.
    const now = this.#clock.now();
    if (now - this.#pingWindowStart >= PING_FLOOD_WINDOW_MS) {
      this.#pingWindowStart = now;
      this.#pingsInWindow = 0;
    }
    this.#pingsInWindow++;
    const max = this.#limits.maxPingsPerSecond;
    if (this.#pingsInWindow > max) {
      throw connectionError(
        'ERR_MUX_FLOOD',
        `Mux peer flood: ${this.#pingsInWindow} PINGs within ${PING_FLOOD_WINDOW_MS}ms (maxPingsPerSecond ${max})`,
      );
    }
    this.#send({type: 'PING', ack: true, opaque});
  }

  #onGoAwayFrame(code: number, reason: string): void {
    this.#peerGoAway = {code, reason};
    this.#transition(SessionState.DRAINING);
    // PROTOCOL.md §3.7: GOAWAY UNAUTHORIZED answers our RENEW on the wire, if there is one.
    if (code === MuxErrorCode.UNAUTHORIZED && this.#role === 'dialer') {
      this.#answerRenewal(
        new MuxError(
          'ERR_MUX_RENEW_REFUSED',
          `Mux renewal refused by peer: ${describeMuxErrorCode(code)}${quotedReason(reason)}`,
        ),
      );
    }
    try {
      this.#onGoAway?.(code, reason);
    } catch {
      // The application's callback cannot break the session.
    }
  }

  /** A RENEW from the peer: an answer to ours (dialer), or a credential to check (acceptor). */
  #onRenewFrame(ack: boolean, credential: string): void {
    // PROTOCOL.md §2.3 rule 1: version 1 has no RENEW.
    if (this.#version === 1) {
      throw protocolError(`Mux protocol error: RENEW on a ${MUX_SUBPROTOCOL} connection`);
    }
    if (this.#role === 'dialer') {
      if (!ack) throw protocolError('Mux protocol error: RENEW from the acceptor');
      if (!this.#answerRenewal()) {
        throw protocolError('Mux protocol error: RENEW ACK without a RENEW on the wire');
      }
      return;
    }
    if (ack) throw protocolError('Mux protocol error: RENEW ACK from the dialer');
    if (this.#checkingRenewal) {
      throw protocolError('Mux protocol error: RENEW before the previous one was answered');
    }
    this.#checkingRenewal = true;
    void this.#checkRenewal(credential);
  }

  /** PROTOCOL.md §3.7, acceptor: `onRenew` decides; the answer is ACK or GOAWAY UNAUTHORIZED. */
  async #checkRenewal(credential: string): Promise<void> {
    let refusal: string | undefined;
    try {
      if (this.#onRenew === undefined) throw new Error('NotSupported: no credential check here');
      await this.#onRenew(credential);
    } catch (error) {
      refusal = error instanceof Error && error.message !== '' ? error.message : 'Unauthorized';
    }
    this.#checkingRenewal = false;
    if (this.#state === SessionState.CLOSED) return;
    if (refusal === undefined) {
      this.#send({type: 'RENEW', ack: true, credential: ''});
      return;
    }
    const reason = utf8Truncate(refusal, MAX_REASON_BYTES);
    // A drain under way keeps going; the refusal is a second GOAWAY (PROTOCOL.md §3.6).
    if (this.#drain === undefined) {
      this.goAway(MuxErrorCode.UNAUTHORIZED, reason).catch(() => undefined);
    } else {
      this.#send({type: 'GOAWAY', code: MuxErrorCode.UNAUTHORIZED, reason});
    }
  }

  /** Sends the oldest waiting RENEW, unless one is on the wire (PROTOCOL.md §3.7: one at a time). */
  #sendNextRenewal(): void {
    if (this.#renewalOnWire !== undefined) return;
    let next = this.#renewals.shift();
    while (next?.settled === true) next = this.#renewals.shift();
    if (next === undefined) return;
    this.#renewalOnWire = next;
    this.#sendBytes(next.frame);
  }

  /**
   * The peer answered the RENEW on the wire: ACK (`error` undefined) or GOAWAY UNAUTHORIZED.
   *
   * @returns false when no RENEW of ours was on the wire
   */
  #answerRenewal(error?: MuxError): boolean {
    const renewal = this.#renewalOnWire;
    if (renewal === undefined) return false;
    this.#renewalOnWire = undefined;
    this.#settleRenewal(renewal, error);
    this.#sendNextRenewal();
    return true;
  }

  #settleRenewal(renewal: PendingRenewal, error?: MuxError): void {
    if (renewal.settled) return;
    renewal.settled = true;
    if (renewal.timer !== undefined) this.#clock.clearTimeout(renewal.timer);
    renewal.timer = undefined;
    if (error === undefined) renewal.resolve();
    else renewal.reject(error);
  }

  /** PING with a fresh opaque: 4 zero bytes, then a counter (PROTOCOL.md §3.5). */
  #sendPing(pending: PendingPing): void {
    this.#pingCounter = (this.#pingCounter + 1) >>> 0;
    const opaque = new Uint8Array(8);
    new DataView(opaque.buffer).setUint32(4, this.#pingCounter);
    this.#pings.set(this.#pingCounter, pending);
    this.#send({type: 'PING', ack: false, opaque});
  }

  /** PROTOCOL.md §6.1: one timer, due at the next keepalive PING or the idle deadline. */
  #scheduleKeepalive(): void {
    const {pingIntervalMs, idleTimeoutMs} = this.#limits;
    const due: number[] = [];
    if (pingIntervalMs > 0) due.push(this.#lastPingAt + pingIntervalMs);
    if (idleTimeoutMs > 0) due.push(this.#lastReceivedAt + idleTimeoutMs);
    if (due.length === 0) return;
    const delay = Math.max(0, Math.min(...due) - this.#clock.now());
    this.#keepalive = this.#clock.setTimeout(() => {
      this.#onKeepalive();
    }, delay);
  }

  #onKeepalive(): void {
    this.#keepalive = undefined;
    if (this.#state === SessionState.CLOSED) return;
    const {pingIntervalMs, idleTimeoutMs} = this.#limits;
    const now = this.#clock.now();
    const idle = now - this.#lastReceivedAt;
    if (idleTimeoutMs > 0 && idle >= idleTimeoutMs) {
      this.#fail(
        connectionError(
          'ERR_MUX_IDLE_TIMEOUT',
          `Mux session idle: nothing received for ${idle}ms (idleTimeoutMs ${idleTimeoutMs})`,
        ),
      );
      return;
    }
    if (pingIntervalMs > 0 && now - this.#lastPingAt >= pingIntervalMs) {
      this.#lastPingAt = now;
      this.#sendPing({sentAt: now, resolve: () => undefined, reject: () => undefined});
    }
    this.#scheduleKeepalive();
  }

  #register(id: number, properties: Record<string, unknown>): StreamChannel {
    const channel = new StreamChannel(id, properties, this.#host);
    this.#streams.set(id, channel);
    if (this.#isLocal(id)) this.#localStreams++;
    else this.#peerStreams++;
    return channel;
  }

  #release(channel: StreamChannel): void {
    if (!this.#streams.delete(channel.id)) return;
    if (this.#isLocal(channel.id)) this.#localStreams--;
    else this.#peerStreams--;
  }

  /**
   * The smoothed round-trip time, or `undefined` before any PING came back; the first call
   * sends one, so that a stream's first grants start the measurement its window growth needs
   * (PROTOCOL.md §5.2) without waiting for the keepalive.
   */
  #measuredRtt(): number | undefined {
    if (this.#rtt === undefined && !this.#rttProbe && this.#state === SessionState.OPEN) {
      this.#rttProbe = true;
      this.#sendPing({
        sentAt: this.#clock.now(),
        resolve: () => undefined,
        reject: () => undefined,
      });
    }
    return this.#rtt;
  }

  /** PROTOCOL.md §5.3: the credit committed across all streams. */
  #committed(): number {
    let total = 0;
    for (const channel of this.#streams.values()) total += channel.committed;
    return total;
  }

  /** PROTOCOL.md §4.1: the dialer's ids are odd, the acceptor's even. */
  #isLocal(streamId: number): boolean {
    return (streamId % 2 === 1) === (this.#role === 'dialer');
  }

  #send(frame: Frame): void {
    if (this.#state === SessionState.CLOSED) return;
    this.#sendBytes(encodeFrame(frame, this.#limits));
  }

  #sendBytes(bytes: Uint8Array): void {
    if (this.#state === SessionState.CLOSED) return;
    try {
      this.#transport.send(bytes);
    } catch (cause) {
      // The WebSocket is gone; there is nobody left to tell.
      this.#transition(
        SessionState.CLOSED,
        new MuxError('ERR_MUX_SESSION_CLOSED', 'Mux transport failed to send', {
          cause,
          closeCode: MuxCloseCode.INTERNAL_ERROR,
        }),
      );
    }
  }

  #closeTransport(code: number, reason: string): void {
    try {
      this.#transport.close(code, utf8Truncate(reason, MAX_CLOSE_REASON_BYTES));
    } catch {
      // Already closed: the outcome is the same.
    }
  }

  #noNewStreams(): MuxError {
    if (this.#state === SessionState.CLOSED) return this.#closedError();
    return new MuxError(
      'ERR_MUX_SESSION_CLOSED',
      this.#peerGoAway === undefined
        ? 'Mux session draining: no new streams after GOAWAY'
        : `Mux session draining: peer sent GOAWAY ${describeMuxErrorCode(this.#peerGoAway.code)}`,
    );
  }

  /** What streams and calls fail with once the session is over. */
  #closedError(): MuxError {
    const reason = this.#error;
    if (reason === undefined || reason.code === 'ERR_MUX_SESSION_CLOSED') {
      return reason ?? new MuxError('ERR_MUX_SESSION_CLOSED', 'Mux session closed');
    }
    return new MuxError('ERR_MUX_SESSION_CLOSED', `Mux session failed: ${reason.message}`, {
      cause: reason,
    });
  }
}

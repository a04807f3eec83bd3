import {
  encodeFrame,
  FrameDecoder,
  goAwayCodeFor,
  MUX_SUBPROTOCOL,
  MuxCloseCode,
  muxCloseCode,
  MuxErrorCode,
} from '@porthole/core/protocol';
import {MuxError} from '@porthole/core';
import type {Frame, MuxVersion} from '@porthole/core/protocol';
import type {WebSocket} from 'ws';

import type {RelayLogger} from '../options.js';
import {KeepAlive} from '../hc/keep-alive.js';
import type {Listener} from '../hc/listener-registry.js';

/** What the switch is told about a connection's frames. */
export interface MuxConnectionHandler {
  onFrame(connection: MuxConnection, frame: Frame): void;
  /** The connection is gone; its streams must be reset on the other side. */
  onClosed(connection: MuxConnection): void;
}

/**
 * Checks the credential of a RENEW as the handshake's token was checked (PROTOCOL.md §3.7):
 * when it is accepted, the Unix seconds at which what it opens lapses; else why not, in words
 * that never quote it.
 */
export type MuxRenewalCheck = (
  credential: string,
) => Promise<{expiresAt: number} | {description: string}>;

/** What a {@link MuxConnection} needs. */
export interface MuxConnectionOptions {
  socket: WebSocket;
  /** `listener`: an agent's connection; `client`: a sender's. */
  role: 'listener' | 'client';
  entity: string;
  trackingId: string;
  remoteEndpoint: {address: string; port: number};
  maxFrameSize: number;
  maxOpenPropertiesBytes: number;
  maxRenewBytes: number;
  /** The version the handshake selected (PROTOCOL.md §1.1); 2 takes RENEW. */
  version: MuxVersion;
  /** Checks a RENEW's credential for this connection's entity, host and right. */
  renew: MuxRenewalCheck;
  /** Bytes queued towards this peer beyond which it is cut (it ignores flow control or stalls). */
  maxQueuedBytes: number;
  keepAliveIntervalMs: number;
  /** When the connection's token expires, in Unix seconds; `Infinity` when it had none. */
  expiresAt: number;
  /** How long a connection whose token expired may finish its streams before it is closed. */
  drainTimeoutMs: number;
  now: () => number;
  handler: MuxConnectionHandler;
  log: RelayLogger;
}

/**
 * One Porthole mux WebSocket at the relay (PROTOCOL.md §1). The relay is the acceptor of every
 * mux connection (§1.1): it opens even stream ids, its peers odd ones. This class decodes and
 * encodes frames, answers PINGs and RENEWs itself (they are per hop), tracks GOAWAY, and holds
 * the connection to its credential's expiry; the switch decides where the other frames go.
 */
export class MuxConnection implements Listener {
  readonly role: 'listener' | 'client';
  readonly entity: string;
  readonly trackingId: string;
  readonly remoteEndpoint: {address: string; port: number};
  /** The highest stream id the peer has opened, and the highest the relay has (§4.1). */
  highestPeerStream = 0;
  highestOwnStream = 0;
  readonly version: MuxVersion;
  #draining = false;
  readonly #socket: WebSocket;
  readonly #maxQueuedBytes: number;
  readonly #keepAlive: KeepAlive;
  readonly #renew: MuxRenewalCheck;
  readonly #drainTimeoutMs: number;
  readonly #now: () => number;
  readonly #log: RelayLogger;
  /** When the credential lapses, in Unix seconds; `Infinity` when there was none. */
  #expiresAt: number;
  /** The timer of the expiry, then of the drain's close once it has passed. */
  #expiry: NodeJS.Timeout | undefined;
  /** A RENEW is being checked; the next may only come after its answer (PROTOCOL.md §3.7). */
  #checkingRenewal = false;

  constructor(options: MuxConnectionOptions) {
    this.#socket = options.socket;
    this.role = options.role;
    this.entity = options.entity;
    this.trackingId = options.trackingId;
    this.remoteEndpoint = options.remoteEndpoint;
    this.version = options.version;
    this.#maxQueuedBytes = options.maxQueuedBytes;
    this.#renew = options.renew;
    this.#drainTimeoutMs = options.drainTimeoutMs;
    this.#now = options.now;
    this.#log = options.log;
    this.#expiresAt = options.expiresAt;
    const {handler, log} = options;
    const decoder = new FrameDecoder(
      {
        onFrame: (frame) => {
          switch (frame.type) {
            case 'PING':
              if (!frame.ack) this.send({type: 'PING', ack: true, opaque: frame.opaque});
              return;
            case 'GOAWAY':
              // PROTOCOL.md §6.3: no new streams towards a peer that is draining.
              this.#draining = true;
              log('mux.goaway', {
                trackingId: this.trackingId,
                code: frame.code,
                reason: frame.reason,
              });
              return;
            case 'RENEW':
              this.#onRenew(frame.ack, frame.credential);
              return;
            default:
              handler.onFrame(this, frame);
          }
        },
        onError: (error: MuxError) => {
          log('mux.protocol-error', {
            trackingId: this.trackingId,
            code: error.code,
            error: error.message,
          });
          this.fail(error);
        },
      },
      {
        maxFrameSize: options.maxFrameSize,
        maxOpenPropertiesBytes: options.maxOpenPropertiesBytes,
        maxRenewBytes: options.maxRenewBytes,
      },
    );
    this.#socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) decoder.push(data);
      else this.close(MuxCloseCode.PROTOCOL_ERROR, 'Text message on a mux connection'); // §1.2
    });
    this.#keepAlive = new KeepAlive(this.#socket, options.keepAliveIntervalMs, () => {
      log('mux.dead', {trackingId: this.trackingId});
    });
    this.#socket.once('close', () => {
      this.#keepAlive.stop();
      clearTimeout(this.#expiry);
      handler.onClosed(this);
    });
    this.#scheduleExpiry();
  }

  /**
   * A mux connection outlives many streams, so its credential is held to its expiry
   * (PROTOCOL.md §6.5): then the relay sends GOAWAY (no new streams, §6.3), lets the streams run
   * for `drainTimeoutMs`, and closes with 1008. Clients renew before that, in place with RENEW
   * (§3.7), or by replacing the connection. Each call starts over from `#expiresAt`, so a renewal
   * also calls off a drain under way.
   */
  #scheduleExpiry(): void {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    const expiresAt = this.#expiresAt;
    if (!Number.isFinite(expiresAt)) return;
    // setTimeout takes at most 2^31-1 ms; a later expiry is re-armed when that fires.
    const delay = Math.min(Math.max(expiresAt * 1000 - this.#now(), 0), 2 ** 31 - 1);
    this.#expiry = setTimeout(() => {
      if (expiresAt * 1000 > this.#now()) {
        this.#scheduleExpiry();
        return;
      }
      this.#log('mux.token-expired', {trackingId: this.trackingId});
      this.#draining = true;
      this.send({type: 'GOAWAY', code: MuxErrorCode.NO_ERROR, reason: 'ExpiredToken'});
      this.#expiry = setTimeout(
        () => this.close(MuxCloseCode.POLICY_VIOLATION, 'ExpiredToken'),
        this.#drainTimeoutMs,
      );
      this.#expiry.unref();
    }, delay);
    this.#expiry.unref();
  }

  /** PROTOCOL.md §3.7: a RENEW from the peer, the dialer. It is answered here, never forwarded. */
  #onRenew(ack: boolean, credential: string): void {
    const broken = (reason: string) => {
      this.#log('mux.protocol-error', {
        trackingId: this.trackingId,
        code: 'ERR_MUX_PROTOCOL',
        error: reason,
      });
      this.fail(new MuxError('ERR_MUX_PROTOCOL', reason));
    };
    if (this.version === 1) {
      broken(`Invalid mux frame: RENEW on a ${MUX_SUBPROTOCOL} connection`);
      return;
    }
    if (ack) {
      broken('Invalid mux frame: RENEW ACK from the dialer');
      return;
    }
    if (this.#checkingRenewal) {
      broken('Invalid mux frame: RENEW before the previous one was answered');
      return;
    }
    this.#checkingRenewal = true;
    void this.#checkRenewal(credential);
  }

  async #checkRenewal(credential: string): Promise<void> {
    let verdict: {expiresAt: number} | {description: string};
    try {
      verdict = await this.#renew(credential);
    } catch (err) {
      // The store failed: refused, as a handshake would be (fail closed).
      this.#log('mux.renewal-failed', {trackingId: this.trackingId, error: (err as Error).message});
      verdict = {description: 'RenewalFailed: the relay cannot check the token now'};
    }
    this.#checkingRenewal = false;
    if (!this.open) return;
    if ('description' in verdict) {
      // Nothing else changes: the streams go on until the expiry the connection already had.
      this.#log('mux.renewal-refused', {
        trackingId: this.trackingId,
        role: this.role,
        entity: this.entity,
        reason: verdict.description,
      });
      this.#draining = true;
      this.send({
        type: 'GOAWAY',
        code: MuxErrorCode.UNAUTHORIZED,
        reason: verdict.description.slice(0, 200),
      });
      return;
    }
    this.#expiresAt = verdict.expiresAt;
    this.#scheduleExpiry();
    this.#log('mux.renewed', {
      trackingId: this.trackingId,
      role: this.role,
      entity: this.entity,
      expiresAt: verdict.expiresAt,
    });
    this.send({type: 'RENEW', ack: true, credential: ''});
  }

  /** Whether the connection takes no new streams: the peer sent GOAWAY, or its token expired. */
  get draining(): boolean {
    return this.#draining;
  }

  get open(): boolean {
    return this.#socket.readyState === this.#socket.OPEN;
  }

  /** The next even stream id for a stream the relay opens on this connection (§4.1). */
  nextOwnStreamId(): number {
    this.highestOwnStream = this.highestOwnStream === 0 ? 2 : this.highestOwnStream + 2;
    return this.highestOwnStream;
  }

  /**
   * Sends one frame. A peer that lets more than `maxQueuedBytes` pile up is not reading what
   * its own credit let through, or cannot: it is cut rather than allowed to hold the relay's
   * memory (PROTOCOL.md §5.3).
   */
  send(frame: Frame): void {
    if (!this.open) return;
    this.#socket.send(encodeFrame(frame), {binary: true});
    if (this.#socket.bufferedAmount > this.#maxQueuedBytes) {
      this.close(MuxCloseCode.POLICY_VIOLATION, 'Peer does not read');
    }
  }

  /** Sends GOAWAY and closes with the error's close code (PROTOCOL.md §7.2). */
  fail(error: MuxError): void {
    this.send({type: 'GOAWAY', code: goAwayCodeFor(error), reason: error.message.slice(0, 200)});
    this.close(muxCloseCode(error), error.message.slice(0, 120));
  }

  close(code: number, reason: string): void {
    if (
      this.#socket.readyState === this.#socket.OPEN ||
      this.#socket.readyState === this.#socket.CONNECTING
    ) {
      this.#socket.close(code, reason);
    }
  }
}

/** Narrows a listener to a mux connection, for {@link ListenerRegistry.pick}. */
export function isMuxConnection(listener: Listener): listener is MuxConnection {
  return listener instanceof MuxConnection;
}

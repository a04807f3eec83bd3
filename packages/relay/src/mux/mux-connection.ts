import {
  encodeFrame,
  FrameDecoder,
  goAwayCodeFor,
  MuxCloseCode,
  muxCloseCode,
  MuxErrorCode,
} from '@porthole/core/protocol';
import type {MuxError} from '@porthole/core';
import type {Frame} from '@porthole/core/protocol';
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
 * encodes frames, answers PINGs itself (they are per hop), and tracks GOAWAY; the switch
 * decides where the other frames go.
 */
export class MuxConnection implements Listener {
  readonly role: 'listener' | 'client';
  readonly entity: string;
  readonly trackingId: string;
  readonly remoteEndpoint: {address: string; port: number};
  /** The highest stream id the peer has opened, and the highest the relay has (§4.1). */
  highestPeerStream = 0;
  highestOwnStream = 0;
  #draining = false;
  readonly #socket: WebSocket;
  readonly #maxQueuedBytes: number;
  readonly #keepAlive: KeepAlive;
  #expiry: NodeJS.Timeout | undefined;

  constructor(options: MuxConnectionOptions) {
    this.#socket = options.socket;
    this.role = options.role;
    this.entity = options.entity;
    this.trackingId = options.trackingId;
    this.remoteEndpoint = options.remoteEndpoint;
    this.#maxQueuedBytes = options.maxQueuedBytes;
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
      {maxFrameSize: options.maxFrameSize, maxOpenPropertiesBytes: options.maxOpenPropertiesBytes},
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
    if (Number.isFinite(options.expiresAt))
      this.#scheduleExpiry(options.expiresAt, options.drainTimeoutMs, options.now, log);
  }

  /**
   * A mux connection outlives many streams, so its credential is held to its expiry: then the
   * relay sends GOAWAY (no new streams, PROTOCOL.md §6.3), lets the streams run for
   * `drainTimeoutMs`, and closes with 1008. Clients reconnect with a fresh token before that.
   */
  #scheduleExpiry(
    expiresAt: number,
    drainTimeoutMs: number,
    now: () => number,
    log: RelayLogger,
  ): void {
    const delay = Math.min(Math.max(expiresAt * 1000 - now(), 0), 2 ** 31 - 1);
    this.#expiry = setTimeout(() => {
      if (expiresAt * 1000 > now()) {
        this.#scheduleExpiry(expiresAt, drainTimeoutMs, now, log);
        return;
      }
      log('mux.token-expired', {trackingId: this.trackingId});
      this.#draining = true;
      this.send({type: 'GOAWAY', code: MuxErrorCode.NO_ERROR, reason: 'ExpiredToken'});
      this.#expiry = setTimeout(
        () => this.close(MuxCloseCode.POLICY_VIOLATION, 'ExpiredToken'),
        drainTimeoutMs,
      );
      this.#expiry.unref();
    }, delay);
    this.#expiry.unref();
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

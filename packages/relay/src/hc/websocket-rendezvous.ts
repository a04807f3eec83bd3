import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';

import {
  formatRendezvousAddress,
  HcAction,
  SERVICE_BUS_AUTHORIZATION,
} from '@porthole/core/protocol';
import type {HcTarget} from '@porthole/core/protocol';
import type {WebSocket} from 'ws';

import {rejectHandshake, statusLineReason} from '../http/handshake.js';
import type {RelayLimits, RelayLogger} from '../options.js';
import type {ControlChannel} from './control-channel.js';
import {relayWebSockets} from './pipe.js';
import type {Upgrader} from './upgrader.js';

/** A sender whose handshake waits for a listener to meet it at the rendezvous address. */
interface PendingAccept {
  id: string;
  entity: string;
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  timer: NodeJS.Timeout;
}

/** A sender's handshake, held until a listener meets it. */
export interface HeldHandshake {
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

/** Where a sender goes: its parsed target, the entity, the chosen listener. */
export interface SenderRoute {
  /** The tracking id, also the rendezvous id. */
  id: string;
  target: HcTarget;
  entity: string;
  listener: ControlChannel;
}

/** What a {@link WebSocketRendezvous} needs. */
export interface WebSocketRendezvousOptions {
  upgrader: Upgrader;
  limits: RelayLimits;
  log: RelayLogger;
}

/**
 * The WebSocket path of Hybrid Connections (hybrid-connections.md §1.2–1.3): a sender's
 * `connect` becomes an `accept` command to one listener; the listener opens the rendezvous
 * address, or rejects there with a status; only then does the sender get its 101 (or the
 * listener's status), and the two sockets are relayed message for message.
 */
export class WebSocketRendezvous {
  readonly #pending = new Map<string, PendingAccept>();
  readonly #perEntity = new Map<string, number>();
  readonly #upgrader: Upgrader;
  readonly #limits: RelayLimits;
  readonly #log: RelayLogger;

  constructor(options: WebSocketRendezvousOptions) {
    this.#upgrader = options.upgrader;
    this.#limits = options.limits;
    this.#log = options.log;
  }

  /** Holds a sender's handshake open and asks the route's listener to accept it. */
  connect(sender: HeldHandshake, route: SenderRoute): void {
    const {request, socket, head} = sender;
    const {id, target, entity, listener} = route;
    const waiting = this.#perEntity.get(entity) ?? 0;
    if (waiting >= this.#limits.maxPendingAcceptsPerEntity) {
      rejectHandshake(
        socket,
        503,
        `ServerBusy: ${waiting} senders already wait for a listener of ${entity}`,
        id,
      );
      return;
    }
    const timer = setTimeout(() => {
      if (this.#take(id)) {
        this.#log('rendezvous.timeout', {trackingId: id, entity});
        rejectHandshake(
          socket,
          504,
          'GatewayTimeout: the listener did not accept the connection in time',
          id,
        );
      }
    }, this.#limits.rendezvousTimeoutMs);
    timer.unref();
    this.#pending.set(id, {id, entity, request, socket, head, timer});
    this.#perEntity.set(entity, waiting + 1);
    socket.once('close', () => {
      if (this.#take(id)) this.#log('rendezvous.sender-gone', {trackingId: id, entity});
    });
    listener.sendAccept({
      address: formatRendezvousAddress({
        origin: listener.origin,
        rawPath: target.rawPath,
        appQuery: target.appQuery,
        action: HcAction.ACCEPT,
        id,
      }),
      id,
      connectHeaders: connectHeaders(request),
      remoteEndpoint: {
        address: request.socket.remoteAddress ?? '',
        port: request.socket.remotePort ?? 0,
      },
    });
    this.#log('rendezvous.offered', {trackingId: id, entity, listener: listener.trackingId});
  }

  /**
   * The listener's side: it opened the rendezvous address to accept the sender, or to reject
   * it with `sb-hc-statusCode` (then it gets 410 Gone and the sender gets that status).
   */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer, target: HcTarget): void {
    const id = target.id ?? '';
    const pending = this.#take(id);
    if (!pending) {
      rejectHandshake(
        socket,
        404,
        'RendezvousNotFound: the rendezvous address is unknown or has expired',
        id,
      );
      return;
    }
    if (target.statusCode !== undefined) {
      const status = Number(target.statusCode);
      const valid = Number.isInteger(status) && status >= 400 && status <= 599;
      const description =
        statusLineReason(target.statusDescription ?? '') || 'Rejected by the listener';
      rejectHandshake(socket, 410, 'Gone: the sender was rejected', id);
      if (valid) rejectHandshake(pending.socket, status, description, id);
      else
        rejectHandshake(
          pending.socket,
          502,
          `BadGateway: the listener rejected with an invalid status ${JSON.stringify(target.statusCode)}`,
          id,
        );
      this.#log('rendezvous.rejected', {trackingId: id, status});
      return;
    }
    if (pending.socket.destroyed) {
      rejectHandshake(socket, 410, 'Gone: the sender has left', id);
      return;
    }
    // §1.2: the listener answers with one of the sender's subprotocols; the sender's 101
    // carries the same choice.
    const chosen = request.headers['sec-websocket-protocol']?.split(',')[0]?.trim();
    const offered = (pending.request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const protocol = chosen !== undefined && offered.includes(chosen) ? chosen : undefined;
    this.#upgrader.upgrade(request, socket, head, protocol, (listenerSocket: WebSocket) => {
      if (pending.socket.destroyed) {
        listenerSocket.close(1001, 'SenderGone');
        return;
      }
      this.#upgrader.upgrade(
        pending.request,
        pending.socket,
        pending.head,
        protocol,
        (senderSocket: WebSocket) => {
          relayWebSockets(senderSocket, listenerSocket, this.#limits.highWaterMarkBytes);
          this.#log('rendezvous.connected', {
            trackingId: id,
            entity: pending.entity,
            protocol: protocol ?? null,
          });
        },
      );
    });
  }

  /** Senders waiting for a listener's rendezvous. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Fails every waiting sender with 503: the relay is shutting down. */
  close(): void {
    for (const id of [...this.#pending.keys()]) {
      const pending = this.#take(id);
      if (pending)
        rejectHandshake(pending.socket, 503, 'ServiceUnavailable: the relay is shutting down', id);
    }
  }

  #take(id: string): PendingAccept | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    const waiting = (this.#perEntity.get(pending.entity) ?? 1) - 1;
    if (waiting === 0) this.#perEntity.delete(pending.entity);
    else this.#perEntity.set(pending.entity, waiting);
    return pending;
  }
}

/**
 * Every header of the sender's handshake with its original spelling — hyco-ws looks up
 * `Sec-WebSocket-Key` exactly so and crashes without it (hybrid-connections.md §2.3 #1) —
 * except the sender's credential, which the listener has no use for.
 */
function connectHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (name.toLowerCase() === SERVICE_BUS_AUTHORIZATION.toLowerCase()) continue;
    const value = raw[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name] ?? ''}, ${value}` : value;
  }
  return headers;
}

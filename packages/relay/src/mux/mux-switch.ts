import {MuxError} from '@porthole/core';
import {INITIAL_WINDOW, MAX_WINDOW, MuxErrorCode} from '@porthole/core/protocol';
import type {Frame} from '@porthole/core/protocol';

import type {ListenerRegistry, Listener} from '../hc/listener-registry.js';
import {isMuxConnection} from './mux-connection.js';
import type {MuxConnection} from './mux-connection.js';

/** One side of a switched stream: a connection, the stream's id there, and the credit that side may still send. */
interface StreamEnd {
  connection: MuxConnection;
  id: number;
  /** Bytes this side may send before the other grants more (PROTOCOL.md §5.1). */
  sendWindow: number;
  finished: boolean;
  peer: StreamEnd;
}

/**
 * Switches Porthole mux streams between clients and listeners (PROTOCOL.md §1.1: the relay
 * is the acceptor of both). A client's OPEN becomes an OPEN with a relay-chosen even id on a
 * listener's connection; afterwards DATA, WINDOW, FIN and RST cross over with the ids
 * translated. Credit stays end to end: the relay forwards WINDOW frames and checks that
 * neither side sends beyond what the other granted, so what it holds for any stream is bounded
 * by that stream's window, and a slow reader stalls only its own stream.
 */
export class MuxSwitch {
  readonly #streams = new WeakMap<MuxConnection, Map<number, StreamEnd>>();
  readonly #listeners: ListenerRegistry<Listener>;
  readonly #maxStreams: number;
  #pairs = 0;

  constructor(options: {listeners: ListenerRegistry<Listener>; maxStreams: number}) {
    this.#listeners = options.listeners;
    this.#maxStreams = options.maxStreams;
  }

  /** Called by each connection for every frame but PING, GOAWAY and RENEW. */
  onFrame(connection: MuxConnection, frame: Frame): void {
    switch (frame.type) {
      case 'OPEN':
        this.#open(connection, frame.streamId, frame.properties);
        return;
      case 'DATA': {
        const end = this.#end(connection, frame.streamId);
        if (!end) return;
        end.sendWindow -= frame.payload.length;
        if (end.sendWindow < 0) {
          connection.fail(
            new MuxError(
              'ERR_MUX_FLOW_CONTROL',
              `Mux stream ${frame.streamId} sent ${-end.sendWindow} bytes beyond its window`,
            ),
          );
          return;
        }
        end.peer.connection.send({
          type: 'DATA',
          streamId: end.peer.id,
          fin: frame.fin,
          payload: frame.payload,
        });
        if (frame.fin) {
          end.finished = true;
          if (end.peer.finished) this.#unlink(end);
        }
        return;
      }
      case 'WINDOW': {
        const end = this.#end(connection, frame.streamId);
        if (!end) return;
        // The window this side grants is the credit its peer may send.
        end.peer.sendWindow += frame.increment;
        if (end.peer.sendWindow > MAX_WINDOW) {
          connection.fail(
            new MuxError(
              'ERR_MUX_FLOW_CONTROL',
              `Mux stream ${frame.streamId} window above 2^31-1`,
            ),
          );
          return;
        }
        end.peer.connection.send({
          type: 'WINDOW',
          streamId: end.peer.id,
          increment: frame.increment,
        });
        return;
      }
      case 'RST': {
        const end = this.#end(connection, frame.streamId);
        if (!end) return;
        end.peer.connection.send({
          type: 'RST',
          streamId: end.peer.id,
          code: frame.code,
          reason: frame.reason,
        });
        this.#unlink(end);
        return;
      }
      case 'PING':
      case 'GOAWAY':
      case 'RENEW':
        return; // Per hop: the connection handles them.
      default: {
        const unexpected: never = frame;
        throw new Error(`Unexpected frame ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /** A connection closed: every stream it carried is reset on the other side. */
  onClosed(connection: MuxConnection): void {
    const streams = this.#streams.get(connection);
    if (!streams) return;
    const code = connection.role === 'listener' ? MuxErrorCode.LISTENER_GONE : MuxErrorCode.CANCEL;
    for (const end of [...streams.values()]) {
      end.peer.connection.send({
        type: 'RST',
        streamId: end.peer.id,
        code,
        reason: 'Peer connection closed',
      });
      this.#unlink(end);
    }
    this.#streams.delete(connection);
  }

  /** Streams currently switched, counted once per pair. */
  get streamCount(): number {
    return this.#pairs;
  }

  #open(client: MuxConnection, clientId: number, properties: Record<string, unknown>): void {
    // §4.1: peers open odd ids, each above the last.
    if (clientId % 2 === 0 || clientId <= client.highestPeerStream) {
      client.fail(
        new MuxError(
          'ERR_MUX_PROTOCOL',
          `Invalid mux stream id ${clientId}: peers open increasing odd ids`,
        ),
      );
      return;
    }
    client.highestPeerStream = clientId;
    if (client.role === 'listener') {
      // Listeners answer streams; they do not open them through the relay.
      client.send({
        type: 'RST',
        streamId: clientId,
        code: MuxErrorCode.REFUSED_STREAM,
        reason: 'Listeners cannot open streams',
      });
      return;
    }
    if (client.draining) {
      client.send({
        type: 'RST',
        streamId: clientId,
        code: MuxErrorCode.REFUSED_STREAM,
        reason: 'The connection is draining',
      });
      return;
    }
    if (this.#table(client).size >= this.#maxStreams) {
      client.send({
        type: 'RST',
        streamId: clientId,
        code: MuxErrorCode.REFUSED_STREAM,
        reason: `Over ${this.#maxStreams} streams`,
      });
      return;
    }
    const listener = this.#listeners.pick(client.entity, isMuxConnection);
    if (!listener) {
      client.send({
        type: 'RST',
        streamId: clientId,
        code: MuxErrorCode.NO_LISTENER,
        reason: `No listener is connected for ${client.entity}`,
      });
      return;
    }
    const listenerId = listener.nextOwnStreamId();
    const clientEnd = {
      connection: client,
      id: clientId,
      sendWindow: INITIAL_WINDOW,
      finished: false,
    } as StreamEnd;
    const listenerEnd: StreamEnd = {
      connection: listener,
      id: listenerId,
      sendWindow: INITIAL_WINDOW,
      finished: false,
      peer: clientEnd,
    };
    clientEnd.peer = listenerEnd;
    this.#table(client).set(clientId, clientEnd);
    this.#table(listener).set(listenerId, listenerEnd);
    this.#pairs++;
    listener.send({
      type: 'OPEN',
      streamId: listenerId,
      // Like accept.remoteEndpoint (hybrid-connections.md §1.2): who is on the other end.
      properties: {
        ...properties,
        remoteEndpoint: client.remoteEndpoint,
        trackingId: client.trackingId,
      },
    });
  }

  /**
   * The stream end a frame is for. A frame for a stream that has ended is ignored (it may
   * have crossed an RST, PROTOCOL.md §4.4); one for an id never opened is a protocol error.
   */
  #end(connection: MuxConnection, id: number): StreamEnd | undefined {
    const end = this.#table(connection).get(id);
    if (end) return end;
    const opened = id % 2 === 1 ? connection.highestPeerStream : connection.highestOwnStream;
    if (id > opened)
      connection.fail(
        new MuxError('ERR_MUX_PROTOCOL', `Invalid mux frame: stream ${id} was never opened`),
      );
    return undefined;
  }

  #unlink(end: StreamEnd): void {
    const removed = this.#table(end.connection).delete(end.id);
    this.#table(end.peer.connection).delete(end.peer.id);
    if (removed) this.#pairs--;
  }

  #table(connection: MuxConnection): Map<number, StreamEnd> {
    let table = this.#streams.get(connection);
    if (!table) {
      table = new Map();
      this.#streams.set(connection, table);
    }
    return table;
  }
}

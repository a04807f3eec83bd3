import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';

import {WebSocketServer} from 'ws';
import type {WebSocket} from 'ws';

/**
 * Completes WebSocket handshakes that the relay has already authorised and routed, answering
 * with a subprotocol chosen per connection. Compression is never negotiated: the relay passes
 * messages through, and hyco clients never offer it on rendezvous sockets (§1.2).
 */
export class Upgrader {
  readonly #server: WebSocketServer;
  readonly #protocols = new WeakMap<IncomingMessage, string>();
  readonly #open: Set<WebSocket>;

  /**
   * @param maxPayload the largest message accepted on these sockets (close 1009 beyond)
   * @param open every socket is kept here while it is open, so the relay can close them all
   */
  constructor(maxPayload: number, open: Set<WebSocket>) {
    this.#open = open;
    this.#server = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (_offered, request) => this.#protocols.get(request) ?? false,
    });
  }

  /** Sends the 101 (with `protocol`, when given) and hands over the open socket. */
  upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    protocol: string | undefined,
    done: (socket: WebSocket) => void,
  ): void {
    if (protocol !== undefined) this.#protocols.set(request, protocol);
    this.#server.handleUpgrade(request, socket, head, (webSocket) => {
      this.#open.add(webSocket);
      webSocket.once('close', () => this.#open.delete(webSocket));
      done(webSocket);
    });
  }
}

import type {IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';

import {WebSocketServer} from 'ws';
import type {WebSocket} from 'ws';

import type {RelayLogger} from '../options.js';

/**
 * Completes WebSocket handshakes that the relay has already authorised and routed, answering
 * with a subprotocol chosen per connection. Compression is never negotiated: the relay passes
 * messages through, and hyco clients never offer it on rendezvous sockets (§1.2).
 */
export class Upgrader {
  readonly #server: WebSocketServer;
  readonly #protocols = new WeakMap<IncomingMessage, string>();
  readonly #open: Set<WebSocket>;
  readonly #log: RelayLogger;

  /**
   * @param maxPayload the largest message accepted on these sockets (close 1009 beyond)
   * @param open every socket is kept here while it is open, so the relay can close them all
   * @param log where protocol errors of a peer (oversized or invalid frames) are reported
   */
  constructor(maxPayload: number, open: Set<WebSocket>, log: RelayLogger) {
    this.#open = open;
    this.#log = log;
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
      // ws has already answered with the close code (1002, 1007, 1009) when it reports this.
      webSocket.on('error', (err: Error & {code?: string}) => {
        this.#log('websocket.error', {code: err.code ?? 'unknown', error: err.message});
      });
      done(webSocket);
    });
  }
}

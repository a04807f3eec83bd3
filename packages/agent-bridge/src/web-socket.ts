import {randomFillSync} from 'node:crypto';

import type {WebSocketFactory, WebSocketLike} from '@porthole/core/protocol';
import {WebSocket} from 'ws';

/** Options of {@link nodeWebSocketFactory}. */
export interface NodeWebSocketOptions {
  /** Extra CA certificates (PEM) to trust, e.g. a development relay's. */
  ca?: string;
}

/**
 * Core's Hybrid Connections and mux clients on Node's `ws`.
 *
 * Over TLS, frames are masked with a zero key. RFC 6455 §5.3 masks client frames so that a
 * browser's script cannot put chosen bytes on the wire to a caching proxy; inside TLS no proxy
 * sees them, and our clients are not browsers. Masking in JavaScript otherwise caps one stream
 * near 140 MB/s on a 2-core machine, while a zero key lets `ws` skip the XOR entirely. Plain
 * `ws://` keeps random keys.
 */
export function nodeWebSocketFactory(options: NodeWebSocketOptions = {}): WebSocketFactory {
  return (url, {protocols, headers}) => {
    const secure = url.startsWith('wss:');
    const socket = new WebSocket(url, protocols, {
      headers,
      perMessageDeflate: false,
      generateMask: secure ? zeroMask : randomMask,
      ...(options.ca === undefined ? {} : {ca: options.ca}),
    });
    // A browser delivers each WebSocket event as a task of its own, so code that goes on from
    // `open` through promises has its listeners in place before the first message. `ws` can
    // emit that message in the same turn as `open` — when the peer's first bytes arrive in one
    // read with the 101, as a rendezvous under load does — and it is lost to a listener added a
    // few promises later. Holding the socket until the next turn keeps the browser's order.
    socket.once('open', () => {
      socket.pause();
      setImmediate(() => socket.resume());
    });
    // `ws` implements the WHATWG surface core uses; its types spell the listeners differently.
    return socket as unknown as WebSocketLike;
  };
}

function zeroMask(mask: Uint8Array): void {
  mask.fill(0);
}

function randomMask(mask: Uint8Array): void {
  randomFillSync(mask);
}

import {randomFillSync} from 'node:crypto';

import type {WebSocketFactory, WebSocketLike} from '@porthole/core/protocol';
import {WebSocket} from 'ws';

import {proxyAgentFor} from './egress/proxy-agent.js';
import type {EgressOptions} from './egress/proxy-agent.js';

/**
 * Options of {@link nodeWebSocketFactory}: the proxy settings' environment (`env`, default
 * `process.env`) and the proxy tunnel's limits come from {@link EgressOptions}.
 */
export interface NodeWebSocketOptions extends EgressOptions {
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
 *
 * Each connection goes through the forward proxy that `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
 * in `options.env` name for its URL ({@link ProxySelection}), in a `CONNECT` tunnel; a proxy
 * failure is the socket's `error`, a `ForwardProxyError` with an `ERR_TUNNEL_PROXY_*` code.
 */
export function nodeWebSocketFactory(options: NodeWebSocketOptions = {}): WebSocketFactory {
  return (url, {protocols, headers}) => {
    const secure = url.startsWith('wss:');
    // A proxy variable that is not a URL throws here, as the handshake's own failure would.
    const agent = proxyAgentFor(url, options);
    const socket = new WebSocket(url, protocols, {
      headers,
      perMessageDeflate: false,
      generateMask: secure ? zeroMask : randomMask,
      ...(options.ca === undefined ? {} : {ca: options.ca}),
      ...(agent === undefined ? {} : {agent}),
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

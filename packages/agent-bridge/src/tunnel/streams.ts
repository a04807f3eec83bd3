import {Duplex} from 'node:stream';

import type {MuxStream, WebSocketLike} from '@porthole/core/protocol';
import {createWebSocketStream} from 'ws';
import type {WebSocket} from 'ws';

/**
 * A tunnelled connection as a Node byte stream, whichever way it travels: a mux stream (its
 * WHATWG streams) or a whole WebSocket (binary messages carry the bytes).
 */
export function streamOf(tunnel: MuxStream | WebSocketLike): Duplex {
  const stream =
    'readable' in tunnel && 'writable' in tunnel
      ? Duplex.fromWeb({readable: tunnel.readable, writable: tunnel.writable})
      : // Core's sockets are `ws` instances on Node (nodeWebSocketFactory).
        createWebSocketStream(tunnel as unknown as WebSocket);
  return socketLike(stream);
}

/**
 * Gives a byte stream the few `net.Socket` methods Node's HTTP client and server call on
 * their connections. `setTimeout` emits `timeout` once the time has passed since the call —
 * Node arms it only on idle keep-alive connections and disarms it with 0 when they are used.
 */
function socketLike(stream: Duplex): Duplex {
  let timer: NodeJS.Timeout | undefined;
  const itself = () => stream;
  Object.assign(stream, {
    setTimeout(ms: number, callback?: () => void) {
      clearTimeout(timer);
      if (callback) stream.once('timeout', callback);
      if (ms > 0) {
        timer = setTimeout(() => stream.emit('timeout'), ms);
        timer.unref();
      }
      return stream;
    },
    setNoDelay: itself,
    setKeepAlive: itself,
    ref: itself,
    unref: itself,
  });
  stream.once('close', () => clearTimeout(timer));
  return stream;
}

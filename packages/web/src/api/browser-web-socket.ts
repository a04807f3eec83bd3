import type {WebSocketFactory, WebSocketLike} from '@porthole/core/protocol';

/**
 * The browser's WebSocket as core's clients take it. Browsers cannot send handshake headers,
 * so the sender token travels in the query (`tokenPlacement: 'query'`) and `headers` is unused.
 */
export const browserWebSocket: WebSocketFactory = (url, {protocols}): WebSocketLike =>
  // The DOM's `send` leaves out views of a SharedArrayBuffer, which core never sends (its
  // frames and bodies are fresh ArrayBuffer-backed bytes); otherwise the types agree.
  new WebSocket(url, protocols) as WebSocketLike & WebSocket;

import {HybridConnectionError} from '../../errors.js';

/**
 * The part of the WHATWG WebSocket API the clients use, so that they run on browsers' and
 * Deno's WebSocket and on Node's `ws` alike.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: never) => void,
  ): void;
  removeEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: never) => void,
  ): void;
}

/**
 * Opens a WebSocket. Headers are a Node/Deno extension; browsers cannot send them, so there
 * the token travels in the `sb-hc-token` query instead ({@link TokenPlacement}).
 */
export type WebSocketFactory = (
  url: string,
  options: {protocols: string[]; headers: Record<string, string>},
) => WebSocketLike;

/** Where a client puts its SAS token: the `ServiceBusAuthorization` header, or the query. */
export type TokenPlacement = 'header' | 'query';

/** `readyState` values (WHATWG). */
export const WebSocketState = {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3} as const;

/** A received message: text, or binary bytes. */
export type Message = string | Uint8Array;

interface MessageEventLike {
  data: unknown;
}
interface CloseEventLike {
  code: number;
  reason: string;
}
interface ErrorEventLike {
  message?: string;
  error?: unknown;
}

/**
 * Waits for a socket to open.
 *
 * @throws HybridConnectionError `ERR_HC_HANDSHAKE_FAILED`, with the HTTP status when the
 *   platform reports it (Node's `ws` does: "Unexpected server response: 401")
 */
export function whenOpen(
  socket: WebSocketLike,
  what: string,
  timeoutMs: number,
): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('error', onError);
      socket.removeEventListener('close', onClose);
    };
    const fail = (message: string, status?: number, cause?: unknown) => {
      cleanup();
      socket.close();
      reject(
        new HybridConnectionError('ERR_HC_HANDSHAKE_FAILED', `${what} failed: ${message}`, {
          cause,
          ...(status === undefined ? {} : {status}),
        }),
      );
    };
    const onOpen = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (event: ErrorEventLike) => {
      const text =
        event.message ?? (event.error instanceof Error ? event.error.message : 'connection error');
      const status = /Unexpected server response: (\d{3})/.exec(text)?.[1];
      fail(text, status === undefined ? undefined : Number(status), event.error);
    };
    const onClose = (event: CloseEventLike) => fail(`closed with ${event.code} before opening`);
    const timer = setTimeout(() => fail(`no answer in ${timeoutMs}ms`), timeoutMs);
    socket.addEventListener('open', onOpen);
    socket.addEventListener('error', onError);
    socket.addEventListener('close', onClose);
  });
}

/** Calls `onMessage` with each message as a string (text) or bytes (binary). */
export function onMessages(socket: WebSocketLike, onMessage: (message: Message) => void): void {
  preferBytes(socket);
  socket.addEventListener('message', (event: MessageEventLike) => {
    const {data} = event;
    if (typeof data === 'string') onMessage(data);
    else if (data instanceof ArrayBuffer) onMessage(new Uint8Array(data));
    else if (ArrayBuffer.isView(data))
      onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
}

/**
 * Has binary messages arrive as bytes rather than Blobs (the browser default). Node's `ws`
 * already gives Buffers, which are Uint8Arrays; switching it to `arraybuffer` would copy each
 * message, so it is left alone.
 */
export function preferBytes(socket: WebSocketLike): void {
  if (socket.binaryType === 'blob') socket.binaryType = 'arraybuffer';
}

/** Settles when the socket closes, with its code and reason. */
export function whenClosed(socket: WebSocketLike): Promise<{code: number; reason: string}> {
  return new Promise((resolve) => {
    socket.addEventListener('close', (event: CloseEventLike) =>
      resolve({code: event.code, reason: event.reason}),
    );
  });
}

/** Appends `sb-hc-*` parameters to an address, after the sender's own query. */
export function withReservedQuery(address: string, parameters: Record<string, string>): string {
  const url = new URL(address);
  const extra = Object.entries(parameters)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  url.search = url.search === '' ? `?${extra}` : `${url.search}&${extra}`;
  return url.toString();
}

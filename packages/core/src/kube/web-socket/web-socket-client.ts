import {KubeError} from '../../errors.js';
import {withResolvers} from '../../lib/settled-promise.js';
import {unreachable} from '../../lib/unreachable.js';
import {utf8Decode, utf8Truncate} from '../../lib/utf8.js';
import type {KubeLimits} from '../constants.js';
import {CloseCode, KUBE_DEFAULTS, Opcode} from '../constants.js';
import type {KubeTransport} from '../transport.js';
import type {WebSocketFrame} from './frame.js';
import {webSocketProtocolError} from './frame.js';
import {WebSocketFrameDecoder} from './frame-decoder.js';
import {encodeFrame} from './frame-encoder.js';

/** Where a {@link WebSocketClient} delivers messages and its end. */
export interface WebSocketHandler {
  /** One whole message: `binary`, or text already checked to be UTF-8 (RFC 6455 §5.6). */
  onMessage(data: Uint8Array, binary: boolean): void;
  /** The WebSocket is closed, once; see {@link WebSocketClient.closed}. */
  onClose(event: WebSocketCloseEvent): void;
}

/** How a WebSocket ended. */
export interface WebSocketCloseEvent {
  /** The peer's close code; 1005 when its close frame had none, 1006 when none came (RFC 6455 §7.1.5). */
  code: number;
  reason: string;
  /** Why it ended abnormally: a protocol error (its `closeCode` was sent), or a stream that ended without a close frame. */
  error: KubeError | undefined;
}

/** Options of a {@link WebSocketClient}; limits default to `KUBE_DEFAULTS`. */
export interface WebSocketClientOptions extends Partial<
  Pick<KubeLimits, 'maxMessageSize' | 'closeTimeoutMs'>
> {
  /** The subprotocol the server selected, if any. */
  protocol?: string;
  /** Messages longer than this are sent in fragments of this size (RFC 6455 §5.4); default: never. */
  fragmentSize?: number;
}

/** Where a WebSocket is in its life (RFC 6455 §4, §7). The handshake is over before a client exists. */
export const WebSocketClientState = {
  /** Messages flow both ways. */
  OPEN: 'open',
  /** A close frame was sent or received; waiting for the close handshake to end. */
  CLOSING: 'closing',
  /** The stream has ended. */
  CLOSED: 'closed',
} as const;
export type WebSocketClientState = (typeof WebSocketClientState)[keyof typeof WebSocketClientState];

/** RFC 6455 §7.4: codes a close frame may carry (1004–1006 and 1015 never go on the wire). */
function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

/** RFC 6455 §5.5.1: two bytes of code leave 123 for the reason. */
const MAX_CLOSE_REASON_BYTES = 123;

const encoder = new TextEncoder();

/**
 * The client end of a WebSocket (RFC 6455) over a byte stream whose opening handshake is done
 * — see `openWebSocket`. It answers pings, reassembles fragments, enforces `maxMessageSize`,
 * and runs the close handshake:
 *
 * ```
 *  we close                                 the server closes
 *  client                  server           client                  server
 *    | ── Close(code) ────────▶ |             | ◀──────── Close(code) ── |  CLOSING
 *    |   CLOSING, timer starts  |             | ── Close(code) ────────▶ |  echoed at once
 *    | ◀──────── Close(code) ── |             |                          |
 *    | ◀════ stream ends ══════ |  CLOSED     | ◀════ stream ends ══════ |  CLOSED
 * ```
 *
 * The server ends the stream (RFC 6455 §7.1.1); when it has not within `closeTimeoutMs`, the
 * client ends it. A protocol error fails the connection at once (§7.1.7): a close frame with
 * the error's code, then the end of the stream.
 *
 * @example
 *   const socket = new WebSocketClient(upgraded, {onMessage, onClose}, {protocol: 'v5.channel.k8s.io'});
 *   socket.send(new Uint8Array([0, 0x68, 0x69]));
 *   socket.close();
 */
export class WebSocketClient {
  /** The subprotocol the server selected; empty if none. */
  readonly protocol: string;
  /** Settles, never rejecting, once the stream has ended. */
  readonly closed: Promise<WebSocketCloseEvent>;
  readonly #transport: KubeTransport;
  readonly #handler: WebSocketHandler;
  readonly #closeTimeoutMs: number;
  readonly #fragmentSize: number;
  readonly #decoder: WebSocketFrameDecoder;
  readonly #settleClosed = withResolvers<WebSocketCloseEvent>();
  #state: WebSocketClientState = WebSocketClientState.OPEN;
  #fragments: Uint8Array[] = [];
  #fragmentBytes = 0;
  #messageOpcode: Opcode = Opcode.BINARY;
  #closeSent = false;
  #received: {code: number; reason: string} | undefined;
  #error: KubeError | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param transport the stream after the 101; the client becomes its receiver
   * @param handler receives messages and the end
   * @param options the selected `protocol`, limits and `fragmentSize`
   */
  constructor(
    transport: KubeTransport,
    handler: WebSocketHandler,
    options: WebSocketClientOptions = {},
  ) {
    this.#transport = transport;
    this.#handler = handler;
    this.protocol = options.protocol ?? '';
    this.#closeTimeoutMs = options.closeTimeoutMs ?? KUBE_DEFAULTS.closeTimeoutMs;
    this.#fragmentSize = options.fragmentSize ?? Number.POSITIVE_INFINITY;
    this.closed = this.#settleClosed.promise;
    this.#decoder = new WebSocketFrameDecoder(
      {
        onFrame: (frame) => {
          this.#onFrame(frame);
        },
        onError: (error) => {
          this.#fail(error);
        },
      },
      options,
    );
    transport.listen({
      onData: (bytes) => {
        if (this.#state !== WebSocketClientState.CLOSED) this.#decoder.push(bytes);
      },
      onClose: (error) => {
        this.#onTransportClosed(error);
      },
    });
  }

  /** Where the WebSocket is in its life. */
  get state(): WebSocketClientState {
    return this.#state;
  }

  /** Bytes sent but not yet written out, where the transport tells; else 0. */
  get bufferedAmount(): number {
    return this.#transport.bufferedAmount ?? 0;
  }

  /**
   * Sends one message: binary for bytes, text for a string.
   *
   * @throws KubeError `ERR_KUBE_CONNECTION_CLOSED` once a close frame has been sent or received
   */
  send(data: Uint8Array | string): void {
    if (this.#state !== WebSocketClientState.OPEN)
      throw new KubeError('ERR_KUBE_CONNECTION_CLOSED', `WebSocket is ${this.#state}`);
    const binary = typeof data !== 'string';
    const payload = binary ? data : encoder.encode(data);
    let opcode: Opcode = binary ? Opcode.BINARY : Opcode.TEXT;
    let offset = 0;
    // RFC 6455 §5.4: the first fragment carries the opcode, the others CONTINUATION.
    do {
      const end = Math.min(payload.length, offset + this.#fragmentSize);
      this.#transport.send(
        encodeFrame({fin: end === payload.length, opcode, payload: payload.subarray(offset, end)}),
      );
      opcode = Opcode.CONTINUATION;
      offset = end;
    } while (offset < payload.length);
  }

  /** Sends a ping (RFC 6455 §5.5.2); the server answers with a pong. Ignored unless open. */
  ping(payload: Uint8Array = new Uint8Array(0)): void {
    if (this.#state === WebSocketClientState.OPEN)
      this.#sendControl(Opcode.PING, payload.subarray(0, 125));
  }

  /** Stops delivery for now, where the transport can (backpressure). */
  pause(): void {
    this.#transport.pause?.();
  }

  /** Resumes delivery after {@link pause}. */
  resume(): void {
    this.#transport.resume?.();
  }

  /**
   * Starts the close handshake (see the class diagram). Does nothing once it has started.
   *
   * @param code default 1000
   * @param reason cut to 123 UTF-8 bytes
   */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.#state !== WebSocketClientState.OPEN) return;
    this.#sendClose(code, reason);
    this.#closing();
  }

  #onFrame(frame: WebSocketFrame): void {
    switch (frame.opcode) {
      case Opcode.TEXT:
      case Opcode.BINARY:
        this.#messageOpcode = frame.opcode;
        this.#fragments = [];
        this.#fragmentBytes = 0;
        this.#onFragment(frame);
        return;
      case Opcode.CONTINUATION:
        this.#onFragment(frame);
        return;
      case Opcode.PING:
        // RFC 6455 §5.5.3: answer with the same payload, unless our Close has gone out.
        if (!this.#closeSent) this.#sendControl(Opcode.PONG, frame.payload);
        return;
      case Opcode.PONG:
        return;
      case Opcode.CLOSE:
        this.#onCloseFrame(frame.payload);
        return;
      default:
        unreachable(frame.opcode);
    }
  }

  #onFragment(frame: WebSocketFrame): void {
    if (frame.payload.length > 0) {
      this.#fragments.push(frame.payload);
      this.#fragmentBytes += frame.payload.length;
    }
    if (!frame.fin) return;
    const data = join(this.#fragments, this.#fragmentBytes);
    this.#fragments = [];
    this.#fragmentBytes = 0;
    const binary = this.#messageOpcode === Opcode.BINARY;
    // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection with 1007.
    if (!binary && utf8Decode(data) === undefined) {
      this.#fail(webSocketProtocolError('text message is not UTF-8', CloseCode.INVALID_PAYLOAD));
      return;
    }
    if (this.#state === WebSocketClientState.CLOSED) return;
    this.#handler.onMessage(data, binary);
  }

  /** RFC 6455 §5.5.1: an optional 2-byte code, then a UTF-8 reason. */
  #onCloseFrame(payload: Uint8Array): void {
    let code: number = CloseCode.NO_STATUS;
    let reason = '';
    if (payload.length === 1) {
      this.#fail(webSocketProtocolError('close frame of 1 byte'));
      return;
    }
    if (payload.length >= 2) {
      code = ((payload[0] ?? 0) << 8) | (payload[1] ?? 0);
      if (!isValidCloseCode(code)) {
        this.#fail(webSocketProtocolError(`invalid close code ${code}`));
        return;
      }
      const text = utf8Decode(payload.subarray(2));
      if (text === undefined) {
        this.#fail(webSocketProtocolError('close reason is not UTF-8', CloseCode.INVALID_PAYLOAD));
        return;
      }
      reason = text;
    }
    this.#received = {code, reason};
    // RFC 6455 §5.5.1: echo the code, then wait for the server to end the stream.
    if (!this.#closeSent) this.#sendClose(code === CloseCode.NO_STATUS ? undefined : code, '');
    this.#closing();
  }

  #sendControl(opcode: Opcode, payload: Uint8Array): void {
    this.#transport.send(encodeFrame({fin: true, opcode, payload}));
  }

  #sendClose(code: number | undefined, reason: string): void {
    this.#closeSent = true;
    if (code === undefined) {
      this.#sendControl(Opcode.CLOSE, new Uint8Array(0));
      return;
    }
    const text = encoder.encode(utf8Truncate(reason, MAX_CLOSE_REASON_BYTES));
    const payload = new Uint8Array(2 + text.length);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(text, 2);
    this.#sendControl(Opcode.CLOSE, payload);
  }

  /** OPEN → CLOSING: the stream must end within `closeTimeoutMs`. */
  #closing(): void {
    if (this.#state !== WebSocketClientState.OPEN) return;
    this.#state = WebSocketClientState.CLOSING;
    this.#closeTimer = setTimeout(() => {
      this.#transport.close();
    }, this.#closeTimeoutMs);
  }

  /** RFC 6455 §7.1.7: fail the WebSocket connection. */
  #fail(error: KubeError): void {
    if (this.#state === WebSocketClientState.CLOSED || this.#error !== undefined) return;
    this.#error = error;
    if (!this.#closeSent)
      this.#sendClose(error.closeCode ?? CloseCode.PROTOCOL_ERROR, error.message);
    this.#state = WebSocketClientState.CLOSING;
    this.#transport.close();
  }

  /** → CLOSED, the one place the WebSocket ends. */
  #onTransportClosed(error: Error | undefined): void {
    if (this.#state === WebSocketClientState.CLOSED) return;
    this.#state = WebSocketClientState.CLOSED;
    clearTimeout(this.#closeTimer);
    let failure = this.#error;
    if (failure === undefined && this.#received === undefined) {
      failure = new KubeError(
        'ERR_KUBE_CONNECTION_CLOSED',
        'WebSocket ended without a close frame',
        {closeCode: CloseCode.ABNORMAL, ...(error === undefined ? {} : {cause: error})},
      );
    }
    const event: WebSocketCloseEvent = {
      code: this.#received?.code ?? failure?.closeCode ?? CloseCode.ABNORMAL,
      reason: this.#received?.reason ?? '',
      error: failure,
    };
    this.#settleClosed.resolve(event);
    this.#handler.onClose(event);
  }
}

function join(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] ?? new Uint8Array(0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

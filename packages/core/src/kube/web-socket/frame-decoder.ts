import {KubeError} from '../../errors.js';
import {unreachable} from '../../lib/unreachable.js';
import {CloseCode, KUBE_DEFAULTS, MAX_CONTROL_PAYLOAD, Opcode} from '../constants.js';
import type {WebSocketFrame} from './frame.js';
import {webSocketProtocolError} from './frame.js';

/** Where a {@link WebSocketFrameDecoder} reports (STYLE §5). */
export interface WebSocketFrameHandler {
  /**
   * One complete, valid frame; data frames arrive in a valid fragment order. The payload may
   * be a view of a pushed chunk.
   */
  onFrame(frame: WebSocketFrame): void;
  /** The first error; the decoder ignores every byte after it. `error.closeCode` is set. */
  onError(error: KubeError): void;
}

const DecoderState = {
  /** Waiting for the two fixed header bytes. */
  HEADER: 0,
  /** Waiting for the 16- or 64-bit extended payload length. */
  LENGTH: 1,
  /** The header is valid; waiting for `#length` payload bytes. */
  PAYLOAD: 2,
  /** An error was reported; input is ignored. */
  FAILED: 3,
} as const;
type DecoderState = (typeof DecoderState)[keyof typeof DecoderState];

const KNOWN_OPCODES: ReadonlySet<number> = new Set(Object.values(Opcode));
const EMPTY = new Uint8Array(0);

/**
 * An incremental decoder of the frames a server sends a client (RFC 6455 §5): feed it the
 * stream's bytes in any split, and it reports each frame. It checks what can be checked from
 * frames alone — reserved bits, opcodes, control frame rules, server frames unmasked (§5.1),
 * fragment order (§5.4) — and `maxMessageSize` across a message's fragments, from each header
 * before buffering any payload.
 *
 * Zero-length fragments cost nothing to hold, so they need no limit of their own (ws #2329).
 *
 * @example
 *   const decoder = new WebSocketFrameDecoder({onFrame, onError}, {maxMessageSize: 1 << 20});
 *   transport.listen({onData: (bytes) => decoder.push(bytes), onClose});
 */
export class WebSocketFrameDecoder {
  readonly #handler: WebSocketFrameHandler;
  readonly #maxMessageSize: number;
  #state: DecoderState = DecoderState.HEADER;
  readonly #header = new Uint8Array(10);
  #headerFill = 0;
  #headerSize = 2;
  #fin = false;
  #opcode: Opcode = Opcode.BINARY;
  #length = 0;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;
  /** Whether a fragmented message is in progress, and its bytes so far. */
  #inMessage = false;
  #messageBytes = 0;

  /**
   * @param handler receives frames and the first error
   * @param limits `maxMessageSize`; `KUBE_DEFAULTS` otherwise
   */
  constructor(handler: WebSocketFrameHandler, limits: {maxMessageSize?: number} = {}) {
    this.#handler = handler;
    this.#maxMessageSize = limits.maxMessageSize ?? KUBE_DEFAULTS.maxMessageSize;
  }

  /**
   * Decodes the next bytes. Errors go to `handler.onError`, never out of `push` (an exception
   * thrown by the handler itself propagates, and stops the decoder). Payloads wholly inside
   * `chunk` are views of it: the caller must not write to `chunk` afterwards.
   */
  push(chunk: Uint8Array): void {
    let offset = 0;
    for (;;) {
      let next: number | undefined;
      switch (this.#state) {
        case DecoderState.HEADER:
        case DecoderState.LENGTH:
          next = this.#getHeader(chunk, offset);
          break;
        case DecoderState.PAYLOAD:
          next = this.#getPayload(chunk, offset);
          break;
        case DecoderState.FAILED:
          return;
        default:
          unreachable(this.#state);
      }
      if (next === undefined) return;
      offset = next;
    }
  }

  /** Gathers the header; returns where the payload starts, or `undefined` to wait (or on error). */
  #getHeader(chunk: Uint8Array, offset: number): number | undefined {
    const take = Math.min(this.#headerSize - this.#headerFill, chunk.length - offset);
    this.#header.set(chunk.subarray(offset, offset + take), this.#headerFill);
    this.#headerFill += take;
    offset += take;
    if (this.#headerFill < this.#headerSize) return undefined;
    if (this.#state === DecoderState.HEADER) {
      if (!this.#checkFixedHeader()) return undefined;
      if (this.#headerSize > 2) {
        this.#state = DecoderState.LENGTH;
        return offset;
      }
    } else if (!this.#readExtendedLength()) return undefined;
    if (!this.#checkMessageSize()) return undefined;
    this.#headerFill = 0;
    this.#headerSize = 2;
    this.#state = DecoderState.PAYLOAD;
    return offset;
  }

  /** RFC 6455 §5.2 first two bytes; sets `#headerSize` for an extended length. */
  #checkFixedHeader(): boolean {
    const first = this.#header[0] ?? 0;
    const second = this.#header[1] ?? 0;
    const opcode = first & 0x0f;
    const fin = (first & 0x80) !== 0;
    const length = second & 0x7f;
    if ((first & 0x70) !== 0) return this.#fail(webSocketProtocolError('reserved bits set'));
    if (!KNOWN_OPCODES.has(opcode))
      return this.#fail(webSocketProtocolError(`unknown opcode 0x${opcode.toString(16)}`));
    // RFC 6455 §5.1: a client closes the connection on a masked frame from the server.
    if ((second & 0x80) !== 0) return this.#fail(webSocketProtocolError('masked server frame'));
    const control = opcode >= Opcode.CLOSE;
    if (control) {
      // RFC 6455 §5.5: control frames are short and never fragmented.
      if (!fin) return this.#fail(webSocketProtocolError('fragmented control frame'));
      if (length > MAX_CONTROL_PAYLOAD)
        return this.#fail(webSocketProtocolError('control frame payload over 125 bytes'));
    } else if (opcode === Opcode.CONTINUATION) {
      if (!this.#inMessage)
        return this.#fail(webSocketProtocolError('continuation frame outside a message'));
    } else if (this.#inMessage) {
      return this.#fail(webSocketProtocolError('new message before the last one ended'));
    }
    this.#fin = fin;
    this.#opcode = opcode as Opcode;
    this.#length = length;
    this.#headerSize = length === 126 ? 4 : length === 127 ? 10 : 2;
    return true;
  }

  #readExtendedLength(): boolean {
    const view = new DataView(this.#header.buffer);
    if (this.#headerSize === 4) {
      this.#length = view.getUint16(2);
      return true;
    }
    const high = view.getUint32(2);
    // RFC 6455 §5.2: the most significant bit of a 64-bit length is 0.
    if (high >= 0x8000_0000) return this.#fail(webSocketProtocolError('payload length over 2^63'));
    // Anything from 2^53 on is far over any limit; keep the number exact below it.
    this.#length =
      high >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : high * 0x1_0000_0000 + view.getUint32(6);
    return true;
  }

  /** `maxMessageSize` over the whole message, judged from the header (ws `maxPayload`). */
  #checkMessageSize(): boolean {
    const opcode = this.#opcode;
    if (opcode >= Opcode.CLOSE) return true;
    const total = (opcode === Opcode.CONTINUATION ? this.#messageBytes : 0) + this.#length;
    if (total > this.#maxMessageSize) {
      return this.#fail(
        new KubeError(
          'ERR_KUBE_MESSAGE_TOO_LARGE',
          `WebSocket message exceeds maxMessageSize (${this.#maxMessageSize} bytes)`,
          {closeCode: CloseCode.MESSAGE_TOO_BIG},
        ),
      );
    }
    this.#messageBytes = total;
    this.#inMessage = !this.#fin;
    return true;
  }

  #getPayload(chunk: Uint8Array, offset: number): number | undefined {
    const length = this.#length;
    const available = chunk.length - offset;
    if (this.#payload === undefined) {
      if (available >= length) {
        this.#emit(length === 0 ? EMPTY : chunk.subarray(offset, offset + length));
        return offset + length;
      }
      if (available === 0) return undefined;
      this.#payload = new Uint8Array(length);
      this.#payloadFill = 0;
    }
    const take = Math.min(length - this.#payloadFill, available);
    this.#payload.set(chunk.subarray(offset, offset + take), this.#payloadFill);
    this.#payloadFill += take;
    if (this.#payloadFill < length) return undefined;
    const payload = this.#payload;
    this.#payload = undefined;
    this.#emit(payload);
    return offset + take;
  }

  #emit(payload: Uint8Array): void {
    this.#state = DecoderState.HEADER;
    try {
      this.#handler.onFrame({fin: this.#fin, opcode: this.#opcode, payload});
    } catch (error) {
      this.#state = DecoderState.FAILED;
      throw error;
    }
  }

  #fail(error: KubeError): false {
    this.#state = DecoderState.FAILED;
    this.#payload = undefined;
    this.#handler.onError(error);
    return false;
  }
}

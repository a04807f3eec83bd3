import {MuxError} from '../../errors.js';
import {unreachable} from '../../lib/unreachable.js';
import {utf8Decode} from '../../lib/utf8.js';
import type {DecoderLimits, FrameTypeName} from './constants.js';
import {FrameFlag, HEADER_SIZE, MUX_DEFAULTS} from './constants.js';
import type {Frame, FrameHeader} from './frame.js';
import {checkHeader, jsonKind} from './frame.js';
import {protocolError} from './wire-errors.js';

/** Where a {@link FrameDecoder} receives what it decodes (undici's `#handler`, STYLE §5). */
export interface FrameHandler {
  /**
   * One complete, valid frame. Payload bytes (`DATA.payload`, `PING.opaque`) may be views of a
   * chunk given to {@link FrameDecoder.push}: see there for how long they stay valid.
   */
  onFrame(frame: Frame): void;
  /** The first connection error; the decoder ignores every byte after it. `error.closeCode` is set. */
  onError(error: MuxError): void;
}

const DecoderState = {
  /** Waiting for the 10 header bytes. */
  HEADER: 0,
  /** The header is valid; waiting for `length` payload bytes. */
  PAYLOAD: 1,
  /** A connection error was reported; input is ignored. */
  FAILED: 2,
} as const;
type DecoderState = (typeof DecoderState)[keyof typeof DecoderState];

/**
 * An incremental decoder of the mux byte stream (PROTOCOL.md §1.2): feed it WebSocket message
 * payloads in order, however they split frames, and it reports each frame to its handler.
 *
 * Memory is bounded: between pushes it holds at most one partial header and one partial payload
 * of at most `maxFrameSize` bytes, and it rejects an oversized frame from its header alone,
 * before buffering any of its payload (PROTOCOL.md §2.3).
 *
 * @example
 *   const decoder = new FrameDecoder({
 *     onFrame: (frame) => route(frame),
 *     onError: (error) => socket.close(muxCloseCode(error), error.message),
 *   });
 *   // PROTOCOL.md §1.2: binary messages only.
 *   socket.on('message', (data, isBinary) => (isBinary ? decoder.push(data) : socket.close(1002)));
 */
export class FrameDecoder {
  readonly #handler: FrameHandler;
  readonly #limits: DecoderLimits;
  #state: DecoderState = DecoderState.HEADER;
  // A header split across chunks is gathered here; a whole one is read in place.
  readonly #headerBytes = new Uint8Array(HEADER_SIZE);
  #headerFill = 0;
  #header: FrameHeader = {type: 0, flags: 0, streamId: 0, length: 0};
  #name: FrameTypeName = 'DATA';
  // A payload split across chunks is assembled here, copied once.
  #payload: Uint8Array | undefined;
  #payloadFill = 0;

  /**
   * @param handler receives frames and the first error
   * @param limits `maxFrameSize`, `maxOpenPropertiesBytes` and `maxRenewBytes`; `MUX_DEFAULTS` otherwise
   */
  constructor(handler: FrameHandler, limits: Partial<DecoderLimits> = {}) {
    this.#handler = handler;
    this.#limits = {
      maxFrameSize: limits.maxFrameSize ?? MUX_DEFAULTS.maxFrameSize,
      maxOpenPropertiesBytes: limits.maxOpenPropertiesBytes ?? MUX_DEFAULTS.maxOpenPropertiesBytes,
      maxRenewBytes: limits.maxRenewBytes ?? MUX_DEFAULTS.maxRenewBytes,
    };
  }

  /**
   * Bytes held for an incomplete frame between pushes (a partial header plus the buffer of a
   * partial payload). Never more than `HEADER_SIZE + maxFrameSize`.
   */
  get bufferedBytes(): number {
    return this.#headerFill + (this.#payload?.length ?? 0);
  }

  /**
   * Decodes the next bytes of the stream. Errors go to `handler.onError`, never out of `push`
   * (an exception thrown by the handler itself propagates, and stops the decoder).
   *
   * Zero copy: a payload that lies wholly inside `chunk` is handed over as a view of it, so the
   * caller must not write to `chunk` afterwards (WebSocket message buffers are never reused, so
   * the session and the relay keep views as they are). The decoder itself never writes to
   * `chunk` nor keeps it once `push` returns. A payload split across chunks is a new buffer.
   *
   * @param chunk the next bytes, for example one binary message
   */
  push(chunk: Uint8Array): void {
    let offset = 0;
    // ws `getInfo` style: each state consumes what it needs, or returns until more bytes arrive.
    for (;;) {
      let next: number | undefined;
      switch (this.#state) {
        case DecoderState.HEADER:
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

  /** Reads the header; returns where the payload starts, or `undefined` to wait for bytes. */
  #getHeader(chunk: Uint8Array, offset: number): number | undefined {
    if (offset === chunk.length) return undefined;
    let bytes: Uint8Array;
    if (this.#headerFill === 0 && chunk.length - offset >= HEADER_SIZE) {
      bytes = chunk.subarray(offset, offset + HEADER_SIZE);
      offset += HEADER_SIZE;
    } else {
      const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - offset);
      this.#headerBytes.set(chunk.subarray(offset, offset + take), this.#headerFill);
      this.#headerFill += take;
      offset += take;
      if (this.#headerFill < HEADER_SIZE) return undefined;
      this.#headerFill = 0;
      bytes = this.#headerBytes;
    }
    const view = dataView(bytes);
    this.#header = {
      type: view.getUint8(0),
      flags: view.getUint8(1),
      streamId: view.getUint32(2),
      length: view.getUint32(6),
    };
    // PROTOCOL.md §2.3: judge the header before buffering a byte of its payload.
    const checked = checkHeader(this.#header, this.#limits);
    if (checked instanceof MuxError) {
      this.#fail(checked);
    } else {
      this.#name = checked;
      this.#state = DecoderState.PAYLOAD;
    }
    return offset;
  }

  /** Reads the payload and emits the frame; returns where the next frame starts, or `undefined` to wait. */
  #getPayload(chunk: Uint8Array, offset: number): number | undefined {
    const {length} = this.#header;
    const available = chunk.length - offset;
    if (this.#payload === undefined) {
      if (available >= length) {
        this.#emit(chunk.subarray(offset, offset + length));
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
    const frame = decodePayload(this.#name, this.#header, payload);
    if (frame instanceof MuxError) {
      this.#fail(frame);
      return;
    }
    try {
      this.#handler.onFrame(frame);
    } catch (error) {
      // Where the handler stopped, the stream position is lost: decode nothing more.
      this.#state = DecoderState.FAILED;
      throw error;
    }
  }

  #fail(error: MuxError): void {
    this.#state = DecoderState.FAILED;
    this.#payload = undefined;
    this.#headerFill = 0;
    this.#handler.onError(error);
  }
}

/** Builds the frame from a header that passed `checkHeader` and its complete payload (PROTOCOL.md §3). */
function decodePayload(
  name: FrameTypeName,
  header: FrameHeader,
  payload: Uint8Array,
): Frame | MuxError {
  const {flags, streamId} = header;
  switch (name) {
    case 'DATA':
      return {type: 'DATA', streamId, fin: (flags & FrameFlag.FIN) !== 0, payload};
    case 'OPEN':
      return decodeOpen(streamId, payload);
    case 'WINDOW': {
      const increment = dataView(payload).getUint32(0);
      // PROTOCOL.md §3.3: an increment of 0 is a protocol error.
      if (increment === 0) {
        return protocolError(`Invalid mux frame: WINDOW increment 0 on stream ${streamId}`);
      }
      return {type: 'WINDOW', streamId, increment};
    }
    case 'RST':
    case 'GOAWAY': {
      const code = dataView(payload).getUint32(0);
      const reason = utf8Decode(payload.subarray(4));
      if (reason === undefined) {
        return protocolError(`Invalid mux frame: ${name} reason is not valid UTF-8`);
      }
      return name === 'RST'
        ? {type: 'RST', streamId, code, reason}
        : {type: 'GOAWAY', code, reason};
    }
    case 'PING':
      return {type: 'PING', ack: (flags & FrameFlag.ACK) !== 0, opaque: payload};
    case 'RENEW': {
      // PROTOCOL.md §3.7. The message never quotes the credential, which is a secret.
      const credential = utf8Decode(payload);
      if (credential === undefined) {
        return protocolError('Invalid mux frame: RENEW credential is not valid UTF-8');
      }
      return {type: 'RENEW', ack: (flags & FrameFlag.ACK) !== 0, credential};
    }
    default:
      return unreachable(name);
  }
}

/** PROTOCOL.md §3.2: the payload is UTF-8 JSON whose value is an object. */
function decodeOpen(streamId: number, payload: Uint8Array): Frame | MuxError {
  const text = utf8Decode(payload);
  if (text === undefined) {
    return protocolError('Invalid mux frame: OPEN properties are not valid UTF-8');
  }
  let properties: unknown;
  try {
    properties = JSON.parse(text);
  } catch (cause) {
    return protocolError('Invalid mux frame: OPEN properties are not valid JSON', cause);
  }
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    return protocolError(
      `Invalid mux frame: OPEN properties must be a JSON object (got ${jsonKind(properties)})`,
    );
  }
  return {type: 'OPEN', streamId, properties: properties as Record<string, unknown>};
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

import type {MuxError} from '../../errors.js';
import {unreachable} from '../../lib/unreachable.js';
import type {DecoderLimits, FrameTypeName} from './constants.js';
import {FrameFlag, FrameType, MAX_REASON_BYTES} from './constants.js';
import {connectionError, protocolError} from './wire-errors.js';

/**
 * One mux frame, decoded (PROTOCOL.md §3). `PING`, `GOAWAY` and `RENEW` belong to the connection
 * (stream 0); the others name a stream. Codes are the `u32` values of `MuxErrorCode`. A RENEW
 * with `ack` has an empty `credential`.
 *
 * @example
 *   const frame: Frame = {type: 'DATA', streamId: 1, fin: true, payload: new Uint8Array([104, 105])};
 */
export type Frame =
  | {type: 'DATA'; streamId: number; fin: boolean; payload: Uint8Array}
  | {type: 'OPEN'; streamId: number; properties: Record<string, unknown>}
  | {type: 'WINDOW'; streamId: number; increment: number}
  | {type: 'RST'; streamId: number; code: number; reason: string}
  | {type: 'PING'; ack: boolean; opaque: Uint8Array}
  | {type: 'GOAWAY'; code: number; reason: string}
  | {type: 'RENEW'; ack: boolean; credential: string};

/** The header fields of a frame as they appear on the wire (PROTOCOL.md §2.1). */
export interface FrameHeader {
  type: number;
  flags: number;
  streamId: number;
  length: number;
}

// PROTOCOL.md §2.2: the flags, stream-id rule and payload size of each type.
const RULES: Record<
  FrameTypeName,
  {flags: number; onStream: boolean; minLength: number; maxLength: number}
> = {
  DATA: {flags: FrameFlag.FIN, onStream: true, minLength: 0, maxLength: Infinity},
  OPEN: {flags: 0, onStream: true, minLength: 0, maxLength: Infinity},
  WINDOW: {flags: 0, onStream: true, minLength: 4, maxLength: 4},
  RST: {flags: 0, onStream: true, minLength: 4, maxLength: 4 + MAX_REASON_BYTES},
  PING: {flags: FrameFlag.ACK, onStream: false, minLength: 8, maxLength: 8},
  GOAWAY: {flags: 0, onStream: false, minLength: 4, maxLength: 4 + MAX_REASON_BYTES},
  // Its size depends on ACK: see checkHeader.
  RENEW: {flags: FrameFlag.ACK, onStream: false, minLength: 0, maxLength: Infinity},
};

const TYPE_NAMES = Object.keys(FrameType) as FrameTypeName[];

/** The name of the frame type `type`, or `undefined` for an unknown type. */
export function frameTypeName(type: number): FrameTypeName | undefined {
  return TYPE_NAMES.find((name) => FrameType[name] === type);
}

/**
 * Checks a frame header against PROTOCOL.md §2.3, in its order, before any payload is read.
 * Shared by the decoder and the encoder so that both say the same thing about the same frame.
 *
 * @returns the name of the frame's type when the header is valid, else the connection error
 */
export function checkHeader(header: FrameHeader, limits: DecoderLimits): FrameTypeName | MuxError {
  const {type, flags, streamId, length} = header;
  const name = frameTypeName(type);
  if (name === undefined) return protocolError(`Invalid mux frame: unknown type ${hex(type)}`);
  const rule = RULES[name];
  const unknownFlags = flags & ~rule.flags;
  if (unknownFlags !== 0) {
    return protocolError(`Invalid mux frame: unknown flags ${hex(unknownFlags)} on ${name}`);
  }
  if (rule.onStream && streamId === 0) {
    return protocolError(`Invalid mux frame: ${name} on stream 0`);
  }
  if (!rule.onStream && streamId !== 0) {
    return protocolError(`Invalid mux frame: ${name} on stream ${streamId} (must be 0)`);
  }
  if (length > limits.maxFrameSize) {
    return connectionError(
      'ERR_MUX_FRAME_TOO_LARGE',
      `Mux frame too large: ${length} bytes (maxFrameSize ${limits.maxFrameSize})`,
    );
  }
  if (length < rule.minLength || length > rule.maxLength) {
    const size =
      rule.minLength === rule.maxLength
        ? `${rule.minLength}`
        : `${rule.minLength} to ${rule.maxLength}`;
    return protocolError(
      `Invalid mux frame: ${name} payload must be ${size} bytes (got ${length})`,
    );
  }
  switch (name) {
    case 'DATA':
      // PROTOCOL.md §2.3 rule 6: empty frames count (ws#2329); only FIN may be empty.
      if (length === 0 && (flags & FrameFlag.FIN) === 0) {
        return protocolError(`Invalid mux frame: empty DATA without FIN on stream ${streamId}`);
      }
      return name;
    case 'OPEN':
      if (length > limits.maxOpenPropertiesBytes) {
        return connectionError(
          'ERR_MUX_FRAME_TOO_LARGE',
          `Mux open properties too large: ${length} bytes (maxOpenPropertiesBytes ${limits.maxOpenPropertiesBytes})`,
        );
      }
      return name;
    case 'RENEW':
      return checkRenew(flags, length, limits);
    case 'WINDOW':
    case 'RST':
    case 'PING':
    case 'GOAWAY':
      return name;
    default:
      return unreachable(name);
  }
}

/** PROTOCOL.md §2.3 rules 4 and 5 for RENEW: a credential of 1 to `maxRenewBytes`, or an empty ACK. */
function checkRenew(flags: number, length: number, limits: DecoderLimits): 'RENEW' | MuxError {
  if ((flags & FrameFlag.ACK) !== 0) {
    return length === 0
      ? 'RENEW'
      : protocolError(`Invalid mux frame: RENEW ACK payload must be 0 bytes (got ${length})`);
  }
  if (length === 0) return protocolError('Invalid mux frame: RENEW without a credential');
  if (length > limits.maxRenewBytes) {
    return connectionError(
      'ERR_MUX_FRAME_TOO_LARGE',
      `Mux renew credential too large: ${length} bytes (maxRenewBytes ${limits.maxRenewBytes})`,
    );
  }
  return 'RENEW';
}

/** What a JSON value is, for messages: `object`, `array`, `null`, `string`, `number`, `boolean`. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** `0x7f`: a byte as two hex digits, the way the spec writes opcodes. */
function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

import {MuxError} from '../../errors.js';
import {utf8EncodeInto, utf8Length} from '../../lib/utf8.js';
import type {DecoderLimits} from './constants.js';
import {FrameFlag, FrameType, HEADER_SIZE, MUX_DEFAULTS} from './constants.js';
import type {Frame} from './frame.js';
import {checkHeader, jsonKind} from './frame.js';
import {protocolError} from './wire-errors.js';

/**
 * Encodes one frame into a single new buffer, header and payload (PROTOCOL.md §2.1). It refuses
 * every frame the decoder would reject, with the decoder's error, so a peer never sees a frame
 * of ours fail.
 *
 * @param frame the frame; its payload bytes are copied, never kept
 * @param limits the limits of the receiver, when they differ from `MUX_DEFAULTS`
 * @returns the bytes to send, one frame
 * @throws MuxError `ERR_MUX_PROTOCOL` or `ERR_MUX_FRAME_TOO_LARGE`
 * @example
 *   socket.send(encodeFrame({type: 'OPEN', streamId: 1, properties: {target: 'kube-apiserver'}}));
 *   socket.send(encodeFrame({type: 'DATA', streamId: 1, fin: true, payload: body}));
 */
export function encodeFrame(frame: Frame, limits: Partial<DecoderLimits> = {}): Uint8Array {
  const checked: DecoderLimits = {
    maxFrameSize: limits.maxFrameSize ?? MUX_DEFAULTS.maxFrameSize,
    maxOpenPropertiesBytes: limits.maxOpenPropertiesBytes ?? MUX_DEFAULTS.maxOpenPropertiesBytes,
    maxRenewBytes: limits.maxRenewBytes ?? MUX_DEFAULTS.maxRenewBytes,
  };
  switch (frame.type) {
    case 'DATA': {
      const flags = frame.fin ? FrameFlag.FIN : 0;
      const bytes = allocate(FrameType.DATA, flags, frame.streamId, frame.payload.length, checked);
      bytes.set(frame.payload, HEADER_SIZE);
      return bytes;
    }
    case 'OPEN': {
      const json = openPropertiesJson(frame.properties);
      const bytes = allocate(FrameType.OPEN, 0, frame.streamId, utf8Length(json), checked);
      utf8EncodeInto(json, bytes.subarray(HEADER_SIZE));
      return bytes;
    }
    case 'WINDOW': {
      if (!isU32(frame.increment)) {
        throw protocolError(`Invalid mux frame: WINDOW increment ${frame.increment} out of range`);
      }
      // PROTOCOL.md §3.3: the decoder rejects a zero increment; so do we.
      if (frame.increment === 0) {
        throw protocolError(`Invalid mux frame: WINDOW increment 0 on stream ${frame.streamId}`);
      }
      const bytes = allocate(FrameType.WINDOW, 0, frame.streamId, 4, checked);
      view(bytes).setUint32(HEADER_SIZE, frame.increment);
      return bytes;
    }
    case 'RST':
      return codeAndReason(FrameType.RST, 'RST', frame.streamId, frame.code, frame.reason, checked);
    case 'PING': {
      const bytes = allocate(
        FrameType.PING,
        frame.ack ? FrameFlag.ACK : 0,
        0,
        frame.opaque.length,
        checked,
      );
      bytes.set(frame.opaque, HEADER_SIZE);
      return bytes;
    }
    case 'GOAWAY':
      return codeAndReason(FrameType.GOAWAY, 'GOAWAY', 0, frame.code, frame.reason, checked);
    case 'RENEW': {
      // PROTOCOL.md §3.7: the checks are the decoder's, by length; an ACK carries nothing.
      const flags = frame.ack ? FrameFlag.ACK : 0;
      const bytes = allocate(FrameType.RENEW, flags, 0, utf8Length(frame.credential), checked);
      utf8EncodeInto(frame.credential, bytes.subarray(HEADER_SIZE));
      return bytes;
    }
    default: {
      // Exhaustive: only a caller without types gets here (`{type: 'FOO'}`).
      const unknown: never = frame;
      const type = (unknown as {type: unknown}).type;
      throw protocolError(`Invalid mux frame: unknown type ${JSON.stringify(type)}`);
    }
  }
}

/** A new buffer for a frame whose header is valid, with the header written. */
function allocate(
  type: FrameType,
  flags: number,
  streamId: number,
  length: number,
  limits: DecoderLimits,
): Uint8Array {
  if (!isU32(streamId)) {
    throw protocolError(`Invalid mux frame: stream id ${streamId} out of range`);
  }
  const checked = checkHeader({type, flags, streamId, length}, limits);
  if (checked instanceof MuxError) throw checked;
  const bytes = new Uint8Array(HEADER_SIZE + length);
  const header = view(bytes);
  header.setUint8(0, type);
  header.setUint8(1, flags);
  header.setUint32(2, streamId);
  header.setUint32(6, length);
  return bytes;
}

/** RST and GOAWAY: a `u32` code, then the UTF-8 reason (PROTOCOL.md §3.4, §3.6). */
function codeAndReason(
  type: FrameType,
  name: 'RST' | 'GOAWAY',
  streamId: number,
  code: number,
  reason: string,
  limits: DecoderLimits,
): Uint8Array {
  if (!isU32(code)) throw protocolError(`Invalid mux frame: ${name} code ${code} out of range`);
  const bytes = allocate(type, 0, streamId, 4 + utf8Length(reason), limits);
  view(bytes).setUint32(HEADER_SIZE, code);
  utf8EncodeInto(reason, bytes.subarray(HEADER_SIZE + 4));
  return bytes;
}

/** PROTOCOL.md §3.2: the open properties are a JSON object, whatever `toJSON` says. */
function openPropertiesJson(properties: Record<string, unknown>): string {
  // `unknown`: JSON.stringify returns undefined for a function, say, whatever its types claim.
  let json: unknown;
  try {
    json = JSON.stringify(properties);
  } catch (cause) {
    throw protocolError('Invalid mux frame: OPEN properties are not JSON-serializable', cause);
  }
  if (typeof json !== 'string' || !json.startsWith('{')) {
    const got = typeof json === 'string' ? jsonKind(JSON.parse(json)) : 'undefined';
    throw protocolError(`Invalid mux frame: OPEN properties must be a JSON object (got ${got})`);
  }
  return json;
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

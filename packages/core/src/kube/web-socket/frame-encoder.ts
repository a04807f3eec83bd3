import type {WebSocketFrame} from './frame.js';

/**
 * Encodes a client frame (RFC 6455 §5.2): always masked with a fresh key from
 * `crypto.getRandomValues`, as a client must (RFC 6455 §5.3), so that a browser's script can
 * never choose the bytes a proxy on the path sees.
 *
 * @param frame the frame; control frames must carry at most 125 bytes
 * @param maskKey four bytes; tests pass a fixed key, everyone else leaves it out
 * @example
 *   transport.send(encodeFrame({fin: true, opcode: Opcode.BINARY, payload}));
 */
export function encodeFrame(frame: WebSocketFrame, maskKey?: Uint8Array): Uint8Array {
  const {payload} = frame;
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 0x1_0000 ? 2 : 8;
  const headerSize = 2 + extended + 4;
  const bytes = new Uint8Array(headerSize + length);
  bytes[0] = (frame.fin ? 0x80 : 0) | frame.opcode;
  const view = new DataView(bytes.buffer);
  if (extended === 0) bytes[1] = 0x80 | length;
  else if (extended === 2) {
    bytes[1] = 0x80 | 126;
    view.setUint16(2, length);
  } else {
    bytes[1] = 0x80 | 127;
    // RFC 6455 §5.2: 64 bits, most significant bit 0; lengths here stay below 2^53.
    view.setUint32(2, Math.floor(length / 0x1_0000_0000));
    view.setUint32(6, length >>> 0);
  }
  const mask = bytes.subarray(2 + extended, headerSize);
  if (maskKey === undefined) crypto.getRandomValues(mask);
  else mask.set(maskKey.subarray(0, 4));
  for (let i = 0; i < length; i++) bytes[headerSize + i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return bytes;
}

import {KubeError} from '../../errors.js';
import type {Opcode} from '../constants.js';
import {CloseCode} from '../constants.js';

/** One WebSocket frame (RFC 6455 §5.2), unmasked. */
export interface WebSocketFrame {
  /** The last frame of its message (control frames always are). */
  fin: boolean;
  opcode: Opcode;
  payload: Uint8Array;
}

/** A protocol violation by the peer: close with 1002 (RFC 6455 §7.4.1). */
export function webSocketProtocolError(
  what: string,
  closeCode: number = CloseCode.PROTOCOL_ERROR,
): KubeError {
  return new KubeError('ERR_KUBE_WEBSOCKET_PROTOCOL', `Invalid WebSocket frame: ${what}`, {
    closeCode,
  });
}

import {MuxError} from '../../errors.js';
import {MuxCloseCode, MuxErrorCode} from './constants.js';

type MuxErrorCodeName = keyof typeof MuxErrorCode;

// PROTOCOL.md §7.2: what each kind of connection error means on the wire. Stream-level and
// renewal codes (§7.3, §7.4) never close a connection; should one reach a close, it was a failure
// of ours (1011).
const WIRE_MEANING: Record<MuxError['code'], {closeCode: number; goAway: MuxErrorCode}> = {
  ERR_MUX_PROTOCOL: {closeCode: MuxCloseCode.PROTOCOL_ERROR, goAway: MuxErrorCode.PROTOCOL_ERROR},
  ERR_MUX_FLOW_CONTROL: {
    closeCode: MuxCloseCode.PROTOCOL_ERROR,
    goAway: MuxErrorCode.FLOW_CONTROL_ERROR,
  },
  ERR_MUX_FRAME_TOO_LARGE: {
    closeCode: MuxCloseCode.MESSAGE_TOO_BIG,
    goAway: MuxErrorCode.FRAME_TOO_LARGE,
  },
  ERR_MUX_FLOOD: {closeCode: MuxCloseCode.POLICY_VIOLATION, goAway: MuxErrorCode.ENHANCE_YOUR_CALM},
  ERR_MUX_IDLE_TIMEOUT: {closeCode: MuxCloseCode.POLICY_VIOLATION, goAway: MuxErrorCode.NO_ERROR},
  ERR_MUX_SESSION_CLOSED: {closeCode: MuxCloseCode.NORMAL, goAway: MuxErrorCode.NO_ERROR},
  ERR_MUX_STREAM_REFUSED: {
    closeCode: MuxCloseCode.INTERNAL_ERROR,
    goAway: MuxErrorCode.INTERNAL_ERROR,
  },
  ERR_MUX_STREAM_RESET: {
    closeCode: MuxCloseCode.INTERNAL_ERROR,
    goAway: MuxErrorCode.INTERNAL_ERROR,
  },
  ERR_MUX_RENEW_UNSUPPORTED: {
    closeCode: MuxCloseCode.INTERNAL_ERROR,
    goAway: MuxErrorCode.INTERNAL_ERROR,
  },
  ERR_MUX_RENEW_REFUSED: {
    closeCode: MuxCloseCode.INTERNAL_ERROR,
    goAway: MuxErrorCode.INTERNAL_ERROR,
  },
  ERR_MUX_RENEW_TIMEOUT: {
    closeCode: MuxCloseCode.INTERNAL_ERROR,
    goAway: MuxErrorCode.INTERNAL_ERROR,
  },
};

/**
 * The WebSocket close code that a connection error closes the connection with (PROTOCOL.md
 * §7.2): 1002 protocol or flow-control error, 1009 frame too large, 1008 flood or idle timeout,
 * 1011 internal failure, 1000 orderly close. An explicit `error.closeCode` wins.
 *
 * @param error the error that ends the session
 * @example
 *   decoderError.closeCode === muxCloseCode(decoderError); // true: decoder errors carry it
 *   socket.close(muxCloseCode(error), error.message);
 */
export function muxCloseCode(error: MuxError): number {
  return error.closeCode ?? WIRE_MEANING[error.code].closeCode;
}

/** The GOAWAY error code that announces `error` to the peer before the close (PROTOCOL.md §7.2). */
export function goAwayCodeFor(error: MuxError): MuxErrorCode {
  return error.closeCode === MuxCloseCode.INTERNAL_ERROR
    ? MuxErrorCode.INTERNAL_ERROR
    : WIRE_MEANING[error.code].goAway;
}

/**
 * Names a wire error code for messages, e.g. `CANCEL (6)`; unknown codes are `UNKNOWN (42)`
 * (PROTOCOL.md §7.1: unknown codes are accepted).
 *
 * @param code a `u32` from RST or GOAWAY
 */
export function describeMuxErrorCode(code: number): string {
  const name = (Object.keys(MuxErrorCode) as MuxErrorCodeName[]).find(
    (key) => MuxErrorCode[key] === code,
  );
  return `${name ?? 'UNKNOWN'} (${code})`;
}

/** ` "reason"` for a message, or nothing when the peer gave none; quoted, since the peer wrote it. */
export function quotedReason(reason: string): string {
  return reason === '' ? '' : ` ${JSON.stringify(reason)}`;
}

/** A connection-level MuxError that carries its close code (STYLE §9). */
export function connectionError(
  code: MuxError['code'],
  message: string,
  cause?: unknown,
): MuxError {
  const {closeCode} = WIRE_MEANING[code];
  return new MuxError(code, message, cause === undefined ? {closeCode} : {cause, closeCode});
}

/** A malformed frame or a broken stream rule: `ERR_MUX_PROTOCOL`, close 1002. */
export function protocolError(message: string, cause?: unknown): MuxError {
  return connectionError('ERR_MUX_PROTOCOL', message, cause);
}

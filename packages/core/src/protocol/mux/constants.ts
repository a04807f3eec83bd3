/**
 * Numbers fixed by the Porthole mux protocol (PROTOCOL.md), and the defaults of the limits an
 * endpoint may tune.
 */

/** The WebSocket subprotocol that selects mux version 1 on a Hybrid Connections handshake (PROTOCOL.md §1.1). */
export const MUX_SUBPROTOCOL = 'porthole.mux.v1';

/** The subprotocol of mux version 2: version 1 plus RENEW (PROTOCOL.md §1.1, §3.7). */
export const MUX_SUBPROTOCOL_V2 = 'porthole.mux.v2';

/** A mux version (PROTOCOL.md §1.1); 2 adds RENEW. */
export type MuxVersion = 1 | 2;

/**
 * What a client offers, newest first; an acceptor selects the newest it speaks, so an old relay
 * answers `porthole.mux.v1` to the same offer (PROTOCOL.md §1.1).
 */
export const MUX_SUBPROTOCOLS: readonly string[] = Object.freeze([
  MUX_SUBPROTOCOL_V2,
  MUX_SUBPROTOCOL,
]);

/**
 * The mux version a handshake selected, from its subprotocol (PROTOCOL.md §1.1).
 *
 * @param subprotocol `Sec-WebSocket-Protocol` of the 101, as `WebSocket.protocol` reports it
 * @returns the version, or `undefined` when the subprotocol is not the mux
 * @example
 *   muxVersionOf(socket.protocol); // 2 for 'porthole.mux.v2', undefined for ''
 */
export function muxVersionOf(subprotocol: string): MuxVersion | undefined {
  switch (subprotocol) {
    case MUX_SUBPROTOCOL:
      return 1;
    case MUX_SUBPROTOCOL_V2:
      return 2;
    default:
      return undefined;
  }
}

/** Frame types, the first header byte (PROTOCOL.md §2.2). */
export const FrameType = {
  /** Bytes of a stream; `FIN` ends the sender's direction (PROTOCOL.md §3.1). */
  DATA: 0x00,
  /** Opens a stream with JSON open properties (PROTOCOL.md §3.2). */
  OPEN: 0x01,
  /** Grants the peer more send credit on a stream (PROTOCOL.md §3.3). */
  WINDOW: 0x02,
  /** Aborts both directions of a stream (PROTOCOL.md §3.4). */
  RST: 0x03,
  /** Round-trip probe and keepalive on stream 0; `ACK` marks the reply (PROTOCOL.md §3.5). */
  PING: 0x04,
  /** Graceful drain on stream 0: open no new streams (PROTOCOL.md §3.6). */
  GOAWAY: 0x05,
  /** Version 2, stream 0: the dialer's new credential; `ACK` marks the acceptor's yes (PROTOCOL.md §3.7). */
  RENEW: 0x06,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
/** The name of a frame type, as in `Frame['type']`. */
export type FrameTypeName = keyof typeof FrameType;

/** Flag bits, the second header byte; each is defined for one frame type (PROTOCOL.md §2.2). */
export const FrameFlag = {
  /** On DATA: the sender's direction ends after this payload (PROTOCOL.md §3.1). */
  FIN: 0x01,
  /** On PING: this is the reply, echoing the payload (PROTOCOL.md §3.5). On RENEW: accepted (§3.7). */
  ACK: 0x01,
} as const;
export type FrameFlag = (typeof FrameFlag)[keyof typeof FrameFlag];

/** The `u32` error codes carried by RST and GOAWAY (PROTOCOL.md §7.1). */
export const MuxErrorCode = {
  /** Orderly close; the GOAWAY of a graceful drain. */
  NO_ERROR: 0,
  /** The peer broke the protocol. */
  PROTOCOL_ERROR: 1,
  /** The sender failed internally. */
  INTERNAL_ERROR: 2,
  /** The peer broke flow control (PROTOCOL.md §5). */
  FLOW_CONTROL_ERROR: 3,
  /** Refused before the application saw the stream; safe to retry (PROTOCOL.md §4.2). */
  REFUSED_STREAM: 4,
  /** A frame exceeded `maxFrameSize` or `maxOpenPropertiesBytes`. */
  FRAME_TOO_LARGE: 5,
  /** The stream is no longer wanted. */
  CANCEL: 6,
  /** Relay: nothing is listening on the hybrid connection. */
  NO_LISTENER: 7,
  /** Relay: the listener's connection dropped. */
  LISTENER_GONE: 8,
  /** The peer flooded the sender (PROTOCOL.md §6.2). */
  ENHANCE_YOUR_CALM: 9,
  /** GOAWAY only: a RENEW's credential was refused; the connection ends at its current expiry (PROTOCOL.md §3.7). */
  UNAUTHORIZED: 10,
} as const;
export type MuxErrorCode = (typeof MuxErrorCode)[keyof typeof MuxErrorCode];

/** The WebSocket close codes a mux endpoint closes with (PROTOCOL.md §7.2). */
export const MuxCloseCode = {
  /** Orderly close (PROTOCOL.md §6.4). */
  NORMAL: 1000,
  /** Malformed frame, stream rule or flow control broken. */
  PROTOCOL_ERROR: 1002,
  /** Flood or idle timeout. */
  POLICY_VIOLATION: 1008,
  /** A frame over `maxFrameSize`, or OPEN properties over `maxOpenPropertiesBytes`. */
  MESSAGE_TOO_BIG: 1009,
  /** The endpoint failed internally. */
  INTERNAL_ERROR: 1011,
} as const;
export type MuxCloseCode = (typeof MuxCloseCode)[keyof typeof MuxCloseCode];

/** Bytes in a frame header (PROTOCOL.md §2.1). */
export const HEADER_SIZE = 10;

/** The window each direction of every stream starts with, without any exchange (PROTOCOL.md §5.1). */
export const INITIAL_WINDOW = 262_144;

/** No window may exceed 2³¹ − 1 bytes (PROTOCOL.md §5.1). */
export const MAX_WINDOW = 0x7fff_ffff;

/** The largest DATA payload a sender writes at once, so streams interleave (PROTOCOL.md §3.1). */
export const DATA_CHUNK_SIZE = 65_536;

/** The longest RST or GOAWAY reason, in UTF-8 bytes (PROTOCOL.md §3.4, §3.6). */
export const MAX_REASON_BYTES = 256;

/** The largest stream identifier (PROTOCOL.md §4.1). */
export const MAX_STREAM_ID = 0xffff_ffff;

/** The limits of a mux endpoint (PROTOCOL.md §8). */
export interface MuxLimits {
  /** The largest frame payload accepted, in bytes; a larger one is `ERR_MUX_FRAME_TOO_LARGE`. */
  maxFrameSize: number;
  /** The largest OPEN payload accepted, in bytes; a larger one is `ERR_MUX_FRAME_TOO_LARGE`. */
  maxOpenPropertiesBytes: number;
  /** The largest RENEW credential accepted, in bytes; a larger one is `ERR_MUX_FRAME_TOO_LARGE` (PROTOCOL.md §3.7). */
  maxRenewBytes: number;
  /** Streams each side may have open at once; the peer's extra OPENs are refused. */
  maxStreams: number;
  /** The credit this endpoint may commit across all its streams (PROTOCOL.md §5.3). */
  maxConnectionWindow: number;
  /** How far one stream's receive window may grow when credit, not the reader, is what holds the sender back (PROTOCOL.md §5.2). */
  maxStreamWindow: number;
  /** PINGs without `ACK` accepted per second before the peer is cut off (PROTOCOL.md §6.2). */
  maxPingsPerSecond: number;
  /** How often a keepalive PING is sent; 0 sends none (PROTOCOL.md §6.1). */
  pingIntervalMs: number;
  /** How long without any received byte before the session closes; 0 never (PROTOCOL.md §6.1). */
  idleTimeoutMs: number;
  /** How long the dialer waits for the answer to a RENEW; 0 for ever (PROTOCOL.md §3.7, §7.4). */
  renewTimeoutMs: number;
}

/** The limits a frame decoder enforces on its own (PROTOCOL.md §2.3). */
export type DecoderLimits = Pick<
  MuxLimits,
  'maxFrameSize' | 'maxOpenPropertiesBytes' | 'maxRenewBytes'
>;

/** Safe defaults for every limit (PROTOCOL.md §8). */
export const MUX_DEFAULTS: Readonly<MuxLimits> = Object.freeze({
  maxFrameSize: 1_048_576,
  maxOpenPropertiesBytes: 16_384,
  maxRenewBytes: 4096,
  maxStreams: 256,
  maxConnectionWindow: 67_108_864,
  maxStreamWindow: 16_777_216,
  maxPingsPerSecond: 20,
  pingIntervalMs: 20_000,
  idleTimeoutMs: 40_000,
  renewTimeoutMs: 10_000,
});

import {
  HC_CONTROL_CHANNEL_BODY_LIMIT,
  HC_MAX_LISTENERS,
  HC_RENDEZVOUS_TIMEOUT_MS,
  HC_RESPONSE_TIMEOUT_MS,
  HEADER_SIZE,
  MUX_DEFAULTS,
} from '@porthole/core/protocol';

/**
 * Every limit of the relay, each with a safe default. Breaching one gets the documented HTTP
 * status or WebSocket close code, frees what the request held, and leaves everyone else
 * served.
 */
export interface RelayLimits {
  /** Listeners (classic and mux together) per hybrid connection; one more gets 403. */
  maxListenersPerEntity: number;
  /** Senders waiting for a listener's rendezvous, per hybrid connection; one more gets 503. */
  maxPendingAcceptsPerEntity: number;
  /** HTTP requests waiting for a listener's response, per listener; one more gets 503. */
  maxPendingRequestsPerListener: number;
  /** The largest WebSocket message relayed between a sender and a listener (close 1009 beyond). */
  maxMessageBytes: number;
  /** The largest control-channel message: a JSON command or a body (close 1009 beyond). */
  maxControlMessageBytes: number;
  /** The largest HTTP request or response body in HTTP mode (413 or 502 beyond). */
  maxHttpBodyBytes: number;
  /** Request headers, for HTTP and handshakes alike (431 beyond). */
  maxHeaderBytes: number;
  /** How long a client may take to send a complete request head: slowloris guard (408). */
  headersTimeoutMs: number;
  /** How long a listener has to open a rendezvous address (§1.1: about 30 s). */
  rendezvousTimeoutMs: number;
  /** How long an HTTP request waits for the listener's response, and at most between body frames (504). */
  responseTimeoutMs: number;
  /** How often the relay pings listeners; one that misses two pings is dropped. */
  keepAliveIntervalMs: number;
  /** Bytes queued towards a slow peer before the relay stops reading from the other side. */
  highWaterMarkBytes: number;
  /** The largest mux frame payload accepted (PROTOCOL.md §8; close 1009 beyond). */
  muxMaxFrameSize: number;
  /** The largest mux OPEN properties accepted (PROTOCOL.md §8). */
  muxMaxOpenPropertiesBytes: number;
  /** The largest token a mux RENEW may carry (PROTOCOL.md §3.7, §8; close 1009 beyond). */
  muxMaxRenewBytes: number;
  /** Streams at once on one mux client connection; one more is refused (REFUSED_STREAM). */
  muxMaxStreamsPerConnection: number;
  /**
   * Bytes queued towards one mux peer beyond which it is cut (1008). Credit bounds what any
   * peer may have in flight, so only a peer that ignores flow control or stops reading gets here.
   */
  muxMaxQueuedBytes: number;
  /**
   * How long a mux connection whose token expired may finish its streams after GOAWAY; a RENEW
   * accepted meanwhile calls the close off (PROTOCOL.md §3.7).
   */
  muxDrainTimeoutMs: number;
}

/** The defaults of {@link RelayLimits}. */
export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = {
  maxListenersPerEntity: HC_MAX_LISTENERS,
  maxPendingAcceptsPerEntity: 1024,
  maxPendingRequestsPerListener: 1024,
  maxMessageBytes: 16 * 1024 * 1024,
  maxControlMessageBytes: HC_CONTROL_CHANNEL_BODY_LIMIT + 64 * 1024,
  maxHttpBodyBytes: 16 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  rendezvousTimeoutMs: HC_RENDEZVOUS_TIMEOUT_MS,
  responseTimeoutMs: HC_RESPONSE_TIMEOUT_MS,
  keepAliveIntervalMs: 30_000,
  highWaterMarkBytes: 1024 * 1024,
  muxMaxFrameSize: MUX_DEFAULTS.maxFrameSize,
  muxMaxOpenPropertiesBytes: MUX_DEFAULTS.maxOpenPropertiesBytes,
  muxMaxRenewBytes: MUX_DEFAULTS.maxRenewBytes,
  // A bridge or an agent carries every kubectl connection of its users: many watches at once.
  muxMaxStreamsPerConnection: 2048,
  muxMaxQueuedBytes: 64 * 1024 * 1024 + MUX_DEFAULTS.maxFrameSize + HEADER_SIZE,
  muxDrainTimeoutMs: 30_000,
};

/** A structured log event; fields never hold tokens, keys or bodies. */
export type RelayLogger = (event: string, fields: Record<string, unknown>) => void;

/** Logs JSON lines to stderr. */
export const stderrLogger: RelayLogger = (event, fields) => {
  process.stderr.write(`${JSON.stringify({time: new Date().toISOString(), event, ...fields})}\n`);
};

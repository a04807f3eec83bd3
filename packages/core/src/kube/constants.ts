/**
 * Numbers fixed by HTTP/1.1 (RFC 9112), WebSocket (RFC 6455) and the Kubernetes channel
 * protocol, and the defaults of the limits a client may tune (STYLE §7).
 */

/** The limits of the HTTP/1.1 client ({@link HttpConnection}). */
export interface HttpLimits {
  /**
   * The largest response head (status line, header lines and the blank line), and the largest
   * trailer section, in bytes; a larger one is `ERR_KUBE_HEADERS_TOO_LARGE`.
   */
  maxHeaderBytes: number;
  /** Header (or trailer) lines accepted in one section; more is `ERR_KUBE_TOO_MANY_HEADERS`. */
  maxHeaderCount: number;
  /**
   * Bytes of chunk extensions (after the chunk size, up to the line's end) accepted on one
   * chunk line; more is `ERR_KUBE_CHUNK_EXTENSIONS_TOO_LARGE` (RFC 9112 §7.1.1).
   */
  maxChunkExtensionBytes: number;
  /**
   * Response body bytes a body stream holds for a reader that does not keep up, before it asks
   * the transport to pause (when the transport can).
   */
  bodyHighWaterMark: number;
}

/** The limits of the Kubernetes client ({@link KubeClient}), its connections and its WebSockets. */
export interface KubeLimits extends HttpLimits {
  /**
   * The largest body read whole (a JSON answer, a `Status`), and the longest watch event line,
   * in bytes; a larger one is `ERR_KUBE_BODY_TOO_LARGE`.
   */
  maxBodyBytes: number;
  /** Idle keep-alive connections kept for the next requests; the others are closed. */
  maxIdleConnections: number;
  /**
   * The largest WebSocket message (all its fragments) accepted, in bytes; a larger one closes
   * the WebSocket with 1009 and `ERR_KUBE_MESSAGE_TOO_LARGE` (RFC 6455 §7.4.1).
   */
  maxMessageSize: number;
  /** How long a WebSocket waits for the peer's close frame and end before it drops the stream. */
  closeTimeoutMs: number;
}

/** Safe defaults for every limit. */
export const KUBE_DEFAULTS: Readonly<KubeLimits> = Object.freeze({
  // undici's and Node's default maximum header size.
  maxHeaderBytes: 16_384,
  maxHeaderCount: 128,
  maxChunkExtensionBytes: 4_096,
  bodyHighWaterMark: 65_536,
  maxBodyBytes: 67_108_864,
  maxIdleConnections: 4,
  maxMessageSize: 16_777_216,
  closeTimeoutMs: 5_000,
});

/** The magic string a server appends to `Sec-WebSocket-Key` (RFC 6455 §1.3, §4.2.2 step 5.4). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** WebSocket opcodes (RFC 6455 §5.2, §11.8). */
export const Opcode = {
  /** A further fragment of the message in progress (RFC 6455 §5.4). */
  CONTINUATION: 0x0,
  /** A text message: UTF-8 (RFC 6455 §5.6). */
  TEXT: 0x1,
  /** A binary message (RFC 6455 §5.6). */
  BINARY: 0x2,
  /** Starts or answers the close handshake (RFC 6455 §5.5.1). */
  CLOSE: 0x8,
  /** Asks for a pong (RFC 6455 §5.5.2). */
  PING: 0x9,
  /** Answers a ping, echoing its payload (RFC 6455 §5.5.3). */
  PONG: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** WebSocket close codes this client sends or acts on (RFC 6455 §7.4.1). */
export const CloseCode = {
  /** The purpose of the connection is fulfilled. */
  NORMAL: 1000,
  /** The endpoint is going away. */
  GOING_AWAY: 1001,
  /** The peer broke the protocol. */
  PROTOCOL_ERROR: 1002,
  /** Reported, never sent: the close frame had no code (RFC 6455 §7.1.5). */
  NO_STATUS: 1005,
  /** Reported, never sent: the stream ended without a close frame (RFC 6455 §7.1.5). */
  ABNORMAL: 1006,
  /** A text message, or a close reason, that is not UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** A message over `maxMessageSize`. */
  MESSAGE_TOO_BIG: 1009,
  /** The endpoint failed internally. */
  INTERNAL_ERROR: 1011,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The largest control frame payload (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * The Kubernetes remote-command subprotocols this client speaks, best first: v5 adds the
 * close-channel message (KEP-4006), v4 the JSON `Status` on the error channel.
 */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

/** The channels of the Kubernetes remote-command protocol: each message's first byte. */
export const ExecChannel = {
  /** Client to server: the process's standard input. */
  STDIN: 0,
  /** Server to client: standard output (and standard error with a TTY). */
  STDOUT: 1,
  /** Server to client: standard error. */
  STDERR: 2,
  /** Server to client: the `Status` of the process's end (v4 and later: JSON). */
  ERROR: 3,
  /** Client to server: the terminal size, `{"Width": w, "Height": h}`. */
  RESIZE: 4,
  /** Client to server, v5 only: the next byte names a channel the client will not write again. */
  CLOSE: 255,
} as const;
export type ExecChannel = (typeof ExecChannel)[keyof typeof ExecChannel];

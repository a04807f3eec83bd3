// @porthole/core/kube: a Kubernetes client over a byte stream — HTTP/1.1, and WebSocket inside
// it for exec — that runs unchanged on Node, Deno and browsers. Named re-exports only, types
// listed apart.

export {KubeError} from '../errors.js';
export type {KubeErrorCode} from '../errors.js';

export {
  CloseCode,
  EXEC_PROTOCOLS,
  ExecChannel,
  KUBE_DEFAULTS,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  WEBSOCKET_GUID,
} from './constants.js';
export type {ExecProtocol, HttpLimits, KubeLimits} from './constants.js';

// The byte stream.
export {hybridConnectionTransport, webSocketTransport} from './transport.js';
export type {KubeTransport, TransportReceiver} from './transport.js';

// HTTP/1.1 (RFC 9112).
export {encodeRequest} from './http/request-encoder.js';
export type {HttpRequest} from './http/request-encoder.js';
export {ResponseParser} from './http/response-parser.js';
export type {ResponseHandler, ResponseHead} from './http/response-parser.js';
export {ConnectionState, HttpConnection} from './http/http-connection.js';
export type {
  HttpConnectionOptions,
  HttpRequestOptions,
  HttpResponse,
} from './http/http-connection.js';

// WebSocket inside the stream (RFC 6455).
export {encodeFrame} from './web-socket/frame-encoder.js';
export type {WebSocketFrame} from './web-socket/frame.js';
export {WebSocketFrameDecoder} from './web-socket/frame-decoder.js';
export type {WebSocketFrameHandler} from './web-socket/frame-decoder.js';
export {WebSocketClient, WebSocketClientState} from './web-socket/web-socket-client.js';
export type {
  WebSocketClientOptions,
  WebSocketCloseEvent,
  WebSocketHandler,
} from './web-socket/web-socket-client.js';
export {acceptFor, openWebSocket} from './web-socket/handshake.js';
export type {OpenWebSocketOptions, WebSocketRequest} from './web-socket/handshake.js';

// Kubernetes.
export {ExecSession, exitFromStatus} from './exec/exec-session.js';
export type {ExecExit, ExecSessionOptions, TerminalSize} from './exec/exec-session.js';
export {isKubeStatus, statusError} from './status.js';
export type {KubeStatus} from './status.js';
export {resourcePath, withQuery} from './resource.js';
export type {QueryValue, ResourceRef} from './resource.js';
export {KubeWatch, watchEventStream} from './watch.js';
export type {KubeObject, WatchEvent} from './watch.js';
export {KubeClient} from './kube-client.js';
export type {
  AttachOptions,
  ExecOptions,
  KubeClientOptions,
  KubeList,
  KubeRequest,
  ListOptions,
  LogOptions,
  WatchOptions,
} from './kube-client.js';

// @porthole/core/protocol: the wire protocols. Named re-exports only, types listed apart.

// Hybrid Connections (../shared/reference/hybrid-connections.md).
export {
  HC_PATH_PREFIX,
  HcAction,
  formatRendezvousAddress,
  parseHcTarget,
  parseHttpTarget,
} from './hybrid-connections/address.js';
export type {HcTarget, RendezvousAddress} from './hybrid-connections/address.js';
export {
  HC_CONTROL_CHANNEL_BODY_LIMIT,
  HC_MAX_LISTENERS,
  HC_RENDEZVOUS_TIMEOUT_MS,
  HC_RESPONSE_TIMEOUT_MS,
  HcCloseCode,
  SERVICE_BUS_AUTHORIZATION,
} from './hybrid-connections/constants.js';
export {
  formatListenerCommand,
  formatRelayCommand,
  parseListenerCommand,
  parseRelayCommand,
} from './hybrid-connections/control-messages.js';
export type {
  AcceptCommand,
  ListenerCommand,
  RelayCommand,
  RemoteEndpoint,
  RequestCommand,
  ResponseCommand,
} from './hybrid-connections/control-messages.js';
export {
  createSasToken,
  parseSasToken,
  sasTokenCovers,
  verifySasToken,
} from './hybrid-connections/sas-token.js';
export type {SasToken, SasTokenOptions, SasVerifyOptions} from './hybrid-connections/sas-token.js';
export {HybridConnectionListener} from './hybrid-connections/listener.js';
export type {
  AcceptOffer,
  ListenerOptions,
  RelayedRequest,
  RelayedResponse,
} from './hybrid-connections/listener.js';
export {connectSender} from './hybrid-connections/sender.js';
export type {SenderOptions} from './hybrid-connections/sender.js';
export {
  connectMuxSender,
  muxSessionOver,
  openMuxListener,
} from './hybrid-connections/mux-clients.js';
export type {MuxListenerOptions, MuxTuning} from './hybrid-connections/mux-clients.js';
export {WebSocketState} from './hybrid-connections/web-socket.js';
export type {
  Message,
  TokenPlacement,
  WebSocketFactory,
  WebSocketLike,
} from './hybrid-connections/web-socket.js';

// Porthole mux (PROTOCOL.md).
export {
  DATA_CHUNK_SIZE,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  INITIAL_WINDOW,
  MAX_REASON_BYTES,
  MAX_STREAM_ID,
  MAX_WINDOW,
  MUX_DEFAULTS,
  MUX_SUBPROTOCOL,
  MUX_SUBPROTOCOL_V2,
  MUX_SUBPROTOCOLS,
  MuxCloseCode,
  MuxErrorCode,
  muxVersionOf,
} from './mux/constants.js';
export type {DecoderLimits, FrameTypeName, MuxLimits, MuxVersion} from './mux/constants.js';
export type {Frame} from './mux/frame.js';
export {FrameDecoder} from './mux/frame-decoder.js';
export type {FrameHandler} from './mux/frame-decoder.js';
export {encodeFrame} from './mux/frame-encoder.js';
export {MuxSession, SessionState} from './mux/session.js';
export type {MuxClock, MuxSessionOptions, MuxTransport} from './mux/session.js';
export {MuxStream} from './mux/stream.js';
export {describeMuxErrorCode, goAwayCodeFor, muxCloseCode} from './mux/wire-errors.js';

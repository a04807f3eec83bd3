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

// Porthole mux (PROTOCOL.md).
// (exports added with the modules)

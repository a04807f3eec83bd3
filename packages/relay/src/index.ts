export {RelayServer} from './relay-server.js';
export type {RelayListenOptions, RelayServerOptions, RelayStats} from './relay-server.js';
export {DEFAULT_RELAY_LIMITS, stderrLogger} from './options.js';
export type {RelayLimits, RelayLogger} from './options.js';
export {AccessRight, isValidEntityName} from './store/entity-store.js';
export type {AuthorizationRule, EntityStore, HybridConnection} from './store/entity-store.js';
export {SqliteEntityStore} from './store/sqlite-store.js';
export {RelayError} from './errors.js';
export type {RelayErrorCode} from './errors.js';
export {DevIdentityProvider} from './identity/dev-identity-provider.js';
export type {
  DevIdentityProviderOptions,
  DevSignInOptions,
  DevTokenResponse,
} from './identity/dev-identity-provider.js';
export {loadDevDirectory, validateDevDirectory} from './identity/dev-directory.js';
export {ensureDevDirectory} from './identity/default-directory.js';
export type {
  DevApiApplication,
  DevDirectory,
  DevGroup,
  DevPublicClient,
  DevServicePrincipal,
  DevUser,
} from './identity/dev-directory.js';
export {DEFAULT_DEV_IDENTITY_LIMITS} from './identity/identity-options.js';
export type {DevIdentityLimits} from './identity/identity-options.js';
export {generateIdentitySigningKey} from './identity/signing-keys.js';

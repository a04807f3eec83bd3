export {RelayServer} from './relay-server.js';
export type {RelayListenOptions, RelayServerOptions, RelayStats} from './relay-server.js';
export {DEFAULT_RELAY_LIMITS, stderrLogger} from './options.js';
export type {RelayLimits, RelayLogger} from './options.js';
export {AccessRight, isValidEntityName} from './store/entity-store.js';
export type {AuthorizationRule, HybridConnection} from './store/entity-store.js';
export type {
  ClusterRecord,
  Heartbeat,
  NewCluster,
  RelayStore,
  RoleAssignmentRecord,
} from './store/relay-store.js';
export {SqliteRelayStore} from './store/sqlite-store.js';
export {PostgresRelayStore} from './store/postgres-store.js';
export type {PostgresRelayStoreOptions} from './store/postgres-store.js';
export {openRelayStore} from './store/open-store.js';
export type {OpenRelayStoreOptions} from './store/open-store.js';
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
export {DEFAULT_CONTROL_PLANE_LIMITS} from './control/control-options.js';
export type {ControlPlaneLimits, ControlPlaneOptions} from './control/control-options.js';
export {ControlError} from './control/control-error.js';
export type {ControlErrorCode} from './control/control-error.js';
export {OPENAPI_DOCUMENT} from './control/openapi.js';
export {AGENT_RULE} from './control/cluster-view.js';
export {isValidClusterName} from './control/request-bodies.js';
export {fetchTrusting} from './http/trusting-fetch.js';
export {ConsoleSite} from './console/console-site.js';
export type {SiteRequest, SiteResponse} from './console/console-site.js';

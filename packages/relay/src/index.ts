export {RelayServer} from './relay-server.js';
export type {RelayListenOptions, RelayServerOptions, RelayStats} from './relay-server.js';
export {DEFAULT_RELAY_LIMITS, stderrLogger} from './options.js';
export type {RelayLimits, RelayLogger} from './options.js';
export {AccessRight, isValidEntityName} from './store/entity-store.js';
export type {AuthorizationRule, EntityStore, HybridConnection} from './store/entity-store.js';
export {SqliteEntityStore} from './store/sqlite-store.js';
export {RelayError} from './errors.js';
export type {RelayErrorCode} from './errors.js';

// @porthole/core/control-plane: the relay control plane's resources and its client, for the
// console and the CLI alike; fetch and AbortSignal only. Named re-exports only, types listed
// apart.

export {ControlPlaneError} from '../errors.js';
export type {ControlErrorCode} from '../errors.js';

export {ControlPlaneClient} from './control-plane-client.js';
export type {ControlPlaneClientOptions, ControlPlaneErrors} from './control-plane-client.js';
export {PRINCIPAL_TYPES} from './resources.js';
export type {
  AgentCredential,
  AuthenticationMethod,
  Cluster,
  ClusterCreated,
  ClusterUserCredential,
  ConnectivityStatus,
  ConsoleSettings,
  HybridConnectionConfig,
  PrincipalType,
  RelayAuthentication,
  RelayMetadata,
  Role,
  RoleAssignment,
  RoleAssignmentCreate,
} from './resources.js';

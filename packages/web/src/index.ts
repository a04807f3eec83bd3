// @porthole/web: the console's building blocks and the custom elements for internal portals.
// Importing this module defines the elements (`porthole-*`). Named re-exports only, types
// listed apart.

export {WebError} from './errors.js';
export type {AnyWebError, WebErrorCode} from './errors.js';

// Settings and sign-in.
export {loadSettings, parseSettings, resolveSettings} from './config/porthole-settings.js';
export type {PortholeSettings, SettingsSource, SignInSettings} from './config/porthole-settings.js';
export {msalConfiguration} from './auth/msal-configuration.js';
export {SignInSession, signInSessionFor} from './auth/sign-in-session.js';
export type {AccessTokenGrant, SignedInAccount, SignInMode} from './auth/sign-in-session.js';
export {PortholeContext} from './context/porthole-context.js';

// The control plane, and clusters through the relay.
export {ControlPlaneClient} from './api/control-plane-client.js';
export type {ControlPlaneClientOptions} from './api/control-plane-client.js';
// Core's resources and refusals, as this package exported them before they moved there.
export {ControlPlaneError, PRINCIPAL_TYPES} from '@porthole/core/control-plane';
export type {
  Cluster,
  ClusterUserCredential,
  ConnectivityStatus,
  ControlErrorCode,
  HybridConnectionConfig,
  PrincipalType,
  Role,
  RoleAssignment,
  RoleAssignmentCreate,
} from '@porthole/core/control-plane';
export {ClusterConnection, senderAddress} from './api/cluster-connection.js';
export type {ClusterConnectionOptions} from './api/cluster-connection.js';
export {browserWebSocket} from './api/browser-web-socket.js';

// Kubernetes objects for people.
export {age, lastSeen} from './kube/age.js';
export {podStatus, podSummary, toneOf} from './kube/pod-summary.js';
export type {PodSummary} from './kube/pod-summary.js';
export {eventSummary} from './kube/event-summary.js';
export type {EventSummary} from './kube/event-summary.js';
export {objectYaml} from './kube/object-yaml.js';
export type {Tone} from './kube/tone.js';
export type {KubeEvent, Namespace, Pod} from './kube/kube-types.js';
export {describeProblem} from './components/problem.js';
export type {Problem} from './components/problem.js';

// The elements.
export {PortholeElement} from './components/porthole-element.js';
export type {PortholeErrorDetail} from './components/porthole-element.js';
export {PortholeSignInElement} from './components/sign-in.js';
export type {SignedInDetail} from './components/sign-in.js';
export {PortholeClusterListElement} from './components/cluster-list.js';
export type {ClusterDeletedDetail, ClusterSelectDetail} from './components/cluster-list.js';
export {PortholePodTableElement} from './components/pod-table.js';
export type {PodSelectDetail} from './components/pod-table.js';
export {PortholeLogsElement} from './components/logs.js';
export type {LogsEndDetail} from './components/logs.js';
export {commandWords, PortholeTerminalElement} from './components/terminal.js';
export type {TerminalExitDetail} from './components/terminal.js';

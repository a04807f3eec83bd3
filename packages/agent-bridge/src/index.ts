export {AgentBridgeError, ForwardProxyError, forwardProxyFailure} from './errors.js';
export type {AgentBridgeErrorCode, ForwardProxyErrorCode, ForwardProxyFailure} from './errors.js';
export {stderrLogger} from './log.js';
export type {Logger} from './log.js';
export {nodeWebSocketFactory} from './web-socket.js';
export type {NodeWebSocketOptions} from './web-socket.js';

export {NoProxy, isLoopbackHost} from './egress/no-proxy.js';
export {
  parseForwardProxy,
  PROXY_LOOPBACK_VARIABLE,
  ProxySelection,
} from './egress/proxy-selection.js';
export type {EgressEnvironment, ForwardProxy} from './egress/proxy-selection.js';
export {openProxyTunnel, PROXY_TUNNEL_DEFAULTS} from './egress/proxy-tunnel.js';
export type {ProxyTunnelOptions} from './egress/proxy-tunnel.js';
export {ProxyAgent, proxyAgentFor, TlsProxyAgent} from './egress/proxy-agent.js';
export type {EgressOptions} from './egress/proxy-agent.js';
export {egressFetch} from './egress/egress-fetch.js';
export type {EgressFetchOptions} from './egress/egress-fetch.js';

export {relayOrigin, tokenSource} from './tunnel/relay-target.js';
export type {RelayCredential, RelayTarget, TunnelMode} from './tunnel/relay-target.js';
export {TunnelDialer} from './tunnel/tunnel-dialer.js';
export type {TunnelDialerEvent, TunnelDialerOptions} from './tunnel/tunnel-dialer.js';

export {Agent} from './agent/agent.js';
export type {AgentOptions} from './agent/agent.js';
export {passThrough} from './agent/authenticator.js';
export {ConfiguredAuthenticator} from './agent/configured-authenticator.js';
export type {AuthenticatorFactory, EntraSettings} from './agent/configured-authenticator.js';
export type {AuthDecision, AuthRequest, Authenticator} from './agent/authenticator.js';
export {entraAuthenticator} from './agent/entra-authenticator.js';
export type {EntraAuthenticatorOptions} from './agent/entra-authenticator.js';
export {
  AGENT_CLUSTER_ROLE_RULES,
  agentClusterRole,
  ROLE_ASSIGNMENT_GROUP,
  roleAssignmentBinding,
} from './agent/agent-rbac.js';
export type {KubeObject} from './agent/agent-rbac.js';
export {inClusterEndpoint, kubeconfigEndpoint} from './agent/kube-endpoint.js';
export type {AgentCredential, KubeEndpoint} from './agent/kube-endpoint.js';
export {KubeClient} from './agent/kube-client.js';
export type {KubeAnswer} from './agent/kube-client.js';
export {
  AGENT_KEY_NAME,
  ControlPlaneClient,
  HEARTBEAT_ERROR_LIMITS,
} from './agent/control-plane-client.js';
export type {
  AgentConfiguration,
  ControlPlaneClientOptions,
  HeartbeatReport,
  RotatedCredential,
} from './agent/control-plane-client.js';
export {
  AgentHeartbeat,
  awaitConfiguration,
  HEARTBEAT_BACKOFF,
  rotationDue,
} from './agent/agent-heartbeat.js';
export type {AgentHeartbeatOptions, CredentialLifetime} from './agent/agent-heartbeat.js';
export {fileKeyStore, secretKeyStore} from './agent/agent-key-store.js';
export type {AgentKeyStore} from './agent/agent-key-store.js';
export {
  AGENT_NAME,
  AGENT_NAMESPACE,
  AGENT_SECRET_FIELDS,
  agentManifest,
} from './agent/agent-manifest.js';
export type {AgentEgress, AgentManifestOptions} from './agent/agent-manifest.js';
export {AGENT_VERSION} from './agent/agent-version.js';

export {BridgeServer} from './bridge/bridge-server.js';
export type {BridgeServerOptions, ClusterRegistration} from './bridge/bridge-server.js';
export {BridgeClient} from './bridge/bridge-client.js';
export type {BridgeStatus, HeldRegistration} from './bridge/bridge-client.js';
export {BridgeDaemon} from './bridge/bridge-daemon.js';
export type {
  ConsoleSession,
  ConsoleSiteHandler,
  RegisteredCluster,
  RegistrationRequest,
} from './bridge/bridge-daemon.js';
export {BROWSER_API_DEFAULTS} from './bridge/browser-api.js';
export type {BrowserApiLimits, HandoffAnswer, HandoffRequest} from './bridge/browser-api.js';
export {BRIDGE_SERVER_DOMAIN, clusterServerName, ensureBridgeFiles} from './bridge/bridge-files.js';
export type {BridgeFiles} from './bridge/bridge-files.js';
export {addContext, contextKubeconfig, removeContext} from './bridge/kubeconfig-file.js';
export type {BridgeContext, KubectlCredential} from './bridge/kubeconfig-file.js';

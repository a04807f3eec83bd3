import type {BuiltInRole} from '../auth/role-assignments.js';

// The control plane's resources as its OpenAPI document (`/api/v1/openapi.json`, the relay's
// `control/openapi.ts`) defines them; that document is the contract, these are its shapes for
// the clients. Each names the schema it mirrors.

/** Where a cluster's agent stands: `Connecting` until its first heartbeat. */
export type ConnectivityStatus = 'Connecting' | 'Connected' | 'Offline' | 'Expired';

/** A registered cluster (`Cluster`). */
export interface Cluster {
  name: string;
  id: string;
  hybridConnection: string;
  createdAt: string;
  createdBy: string;
  connectivityStatus: ConnectivityStatus;
  agentVersion: string | null;
  kubernetesVersion: string | null;
  totalNodeCount: number | null;
  lastConnectivityTime: string | null;
  agentErrors: string[];
  agentCredentialExpiresAt: string | null;
}

/** What an agent needs to reach the relay as its cluster's listener (`AgentCredential`). */
export interface AgentCredential {
  relay: string;
  hybridConnection: string;
  keyName: string;
  /** A secret: kept in the agent's Secret, never shown or logged. */
  key: string;
  expiresAt: string;
}

/** A cluster just registered, with its agent credential, shown only now (`ClusterCreated`). */
export interface ClusterCreated {
  cluster: Cluster;
  agentCredential: AgentCredential;
}

/** How the user reaches the cluster's apiserver (`CredentialRequest.authenticationMethod`). */
export type AuthenticationMethod = 'AAD' | 'Token';

/** What reaches a cluster through the relay (`ClusterUserCredential.hybridConnectionConfig`). */
export interface HybridConnectionConfig {
  /** The relay's URL. */
  relay: string;
  hybridConnectionName: string;
  /** A sender SAS token: a secret, never shown or logged. */
  token: string;
  /** Unix seconds. */
  expirationTime: number;
  relayType: string;
}

/** Arc's `listClusterUserCredential` answer (`ClusterUserCredential`). */
export interface ClusterUserCredential {
  hybridConnectionConfig: HybridConnectionConfig;
  /** `value` is a kubeconfig, base64-encoded. */
  kubeconfigs: {name: string; value: string}[];
}

/** The built-in roles (`Role`): core's, which agents enforce. */
export type Role = BuiltInRole;

/** The kinds of principal a role is assigned to. */
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/** A role assignment (`RoleAssignment`). */
export interface RoleAssignment {
  id: string;
  cluster: string;
  principalId: string;
  principalType: PrincipalType | null;
  role: Role;
  namespace: string | null;
  /** `clusters/<name>` or `clusters/<name>/namespaces/<namespace>`. */
  scope: string;
  createdAt: string;
  createdBy: string;
}

/** A new role assignment (`RoleAssignmentCreate`). */
export interface RoleAssignmentCreate {
  principalId: string;
  role: Role;
  principalType?: PrincipalType;
  namespace?: string;
}

/** How a relay signs people in (`Metadata.authentication`). */
export interface RelayAuthentication {
  authority: string;
  tenantId: string;
  /** The server app: access tokens are asked for its `api://<id>/.default`. */
  serverApp: string;
  /** The public client that signs users in. */
  clientId: string;
}

/** What `GET /api/v1/metadata` tells about a relay (`Metadata`). */
export interface RelayMetadata {
  /** The relay URL clients and agents use. */
  relay: string;
  /** `v1`. */
  apiVersion: string;
  /** `null` when the relay has no sign-in configured. */
  authentication: RelayAuthentication | null;
}

/**
 * What the relay tells its web console (`/console/config.json`, outside `/api/v1`): its URL,
 * and how the console signs users in.
 */
export interface ConsoleSettings {
  relay: string;
  authentication: RelayAuthentication | null;
}

import type {BuiltInRole} from '@porthole/core/auth';

/**
 * The control plane's resources as its OpenAPI document (`/api/v1/openapi.json`) defines them;
 * that document is the contract, these are its shapes for the browser.
 */

/** Where a cluster's agent stands: `Connecting` until its first heartbeat. */
export type ConnectivityStatus = 'Connecting' | 'Connected' | 'Offline' | 'Expired';

/** A cluster (`Cluster`). */
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

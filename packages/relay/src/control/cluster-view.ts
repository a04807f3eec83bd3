import type {Cluster, ConnectivityStatus, RoleAssignment} from '@porthole/core/control-plane';

import type {AuthorizationRule} from '../store/entity-store.js';
import type {ClusterRecord, RoleAssignmentRecord} from '../store/relay-store.js';

/** The rule on `clusters/<name>` whose keys are the agent's credential (Listen). */
export const AGENT_RULE = 'porthole-agent';
/** The rule on `clusters/<name>` the relay signs sender tokens with (Send); never handed out. */
export const SENDER_RULE = 'porthole-sender';

/**
 * The status of a cluster now: Expired once its agent credential lapsed (the agent can no
 * longer connect), Connecting until the first heartbeat, Offline after `offlineAfterMs` of
 * silence, Connected otherwise.
 */
export function connectivityStatus(
  cluster: ClusterRecord,
  agentRule: AuthorizationRule | undefined,
  now: number,
  offlineAfterMs: number,
): ConnectivityStatus {
  const expiresAt = agentRule?.primaryKeyExpiresAt;
  if (!agentRule || (expiresAt !== undefined && Date.parse(expiresAt) <= now)) return 'Expired';
  if (cluster.lastConnectivityTime === undefined) return 'Connecting';
  return now - Date.parse(cluster.lastConnectivityTime) > offlineAfterMs ? 'Offline' : 'Connected';
}

export function clusterView(
  cluster: ClusterRecord,
  agentRule: AuthorizationRule | undefined,
  now: number,
  offlineAfterMs: number,
): Cluster {
  return {
    name: cluster.name,
    id: cluster.id,
    hybridConnection: cluster.hybridConnection,
    createdAt: cluster.createdAt,
    createdBy: cluster.createdBy,
    connectivityStatus: connectivityStatus(cluster, agentRule, now, offlineAfterMs),
    agentVersion: cluster.agentVersion ?? null,
    kubernetesVersion: cluster.kubernetesVersion ?? null,
    totalNodeCount: cluster.totalNodeCount ?? null,
    lastConnectivityTime: cluster.lastConnectivityTime ?? null,
    agentErrors: cluster.agentErrors,
    agentCredentialExpiresAt: agentRule?.primaryKeyExpiresAt ?? null,
  };
}

/** A role assignment as the API answers it (the `RoleAssignment` schema). */
export function roleAssignmentView(assignment: RoleAssignmentRecord) {
  return {
    id: assignment.id,
    cluster: assignment.cluster,
    principalId: assignment.principalId,
    principalType: assignment.principalType ?? null,
    role: assignment.role,
    namespace: assignment.namespace ?? null,
    scope:
      assignment.namespace === undefined
        ? `clusters/${assignment.cluster}`
        : `clusters/${assignment.cluster}/namespaces/${assignment.namespace}`,
    createdAt: assignment.createdAt,
    createdBy: assignment.createdBy,
  } satisfies RoleAssignment;
}

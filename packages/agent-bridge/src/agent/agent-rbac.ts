/** A Kubernetes object as the agent's manifest holds it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {name: string; namespace?: string; labels?: Record<string, string>};
  [field: string]: unknown;
}

/**
 * The agent's ClusterRole: impersonation of users, groups, UIDs and the two extras it sets,
 * and listing nodes, and nothing else (service accounts cannot be impersonated through it).
 * Service-account tokens pass through the agent, so they need nothing from it.
 */
export const AGENT_CLUSTER_ROLE_RULES = [
  {apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate']},
  {
    apiGroups: ['authentication.k8s.io'],
    resources: ['uids', 'userextras/oid', 'userextras/tid'],
    verbs: ['impersonate'],
  },
  // Heartbeats report the node count (Arc's totalNodeCount) from one page of one node and its
  // remainingItemCount: `list` only — no get, no watch, nothing on pods or node status.
  {apiGroups: [''], resources: ['nodes'], verbs: ['list']},
] as const;

/** The ClusterRole object, for `kubectl apply` or the agent's manifest. */
export function agentClusterRole(name = 'porthole-agent'): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {name, labels: {'app.kubernetes.io/name': 'porthole-agent'}},
    rules: AGENT_CLUSTER_ROLE_RULES,
  };
}

/** The group the agent adds for a request that a role assignment allows. */
export const ROLE_ASSIGNMENT_GROUP = 'porthole:role-assignments';

/**
 * The ClusterRoleBinding that gives {@link ROLE_ASSIGNMENT_GROUP} cluster-admin. The agent adds
 * that group to a request only after a role assignment allowed that very request, so it acts as
 * the authorizer for role assignments, while Kubernetes RBAC keeps deciding everything else.
 */
export function roleAssignmentBinding(name = 'porthole-role-assignments'): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {name, labels: {'app.kubernetes.io/name': 'porthole-agent'}},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin'},
    subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: ROLE_ASSIGNMENT_GROUP}],
  };
}

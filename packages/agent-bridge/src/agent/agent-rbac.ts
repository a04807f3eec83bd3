/**
 * The agent's ClusterRole: impersonation of users, groups, UIDs and the two extras it sets,
 * and nothing else (service accounts cannot be impersonated through it). Service-account
 * tokens pass through the agent, so they need nothing from it.
 */
export const AGENT_CLUSTER_ROLE_RULES = [
  {apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate']},
  {
    apiGroups: ['authentication.k8s.io'],
    resources: ['uids', 'userextras/oid', 'userextras/tid'],
    verbs: ['impersonate'],
  },
] as const;

/** The ClusterRole object, for `kubectl apply` or the agent's manifest. */
export function agentClusterRole(name = 'porthole-agent'): object {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {name, labels: {'app.kubernetes.io/name': 'porthole-agent'}},
    rules: AGENT_CLUSTER_ROLE_RULES,
  };
}

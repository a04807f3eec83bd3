import type {BuiltInRole} from '@porthole/core/auth';

import type {AuthorizationRule, HybridConnection} from './entity-store.js';

/** A registered cluster: the control plane's record of it and what its agent last reported. */
export interface ClusterRecord {
  /** 1–63 characters: letters, digits, `-`, `_`, `.`, starting with a letter or digit. */
  name: string;
  /** A UUID given at creation; never reused, so a cluster deleted and made again differs. */
  id: string;
  /** Its hybrid connection: `clusters/<name>`. */
  hybridConnection: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** The object id of whoever created it. */
  createdBy: string;
  /** What the agent said in its last heartbeat; `undefined` until the first. */
  agentVersion: string | undefined;
  /** The cluster's Kubernetes version, e.g. `v1.33.1`, as its agent last saw it. */
  kubernetesVersion: string | undefined;
  /** How many nodes the cluster had at the last heartbeat. */
  totalNodeCount: number | undefined;
  /** The time of the last heartbeat (ISO 8601), `undefined` until the first. */
  lastConnectivityTime: string | undefined;
  /** The problems the agent reported in its last heartbeat (empty when none). */
  agentErrors: string[];
}

/** What an agent reports in a heartbeat. */
export interface Heartbeat {
  /** The agent's own version. */
  agentVersion: string;
  /** The cluster's Kubernetes version, when the agent could read it. */
  kubernetesVersion: string | undefined;
  /** How many nodes the cluster has, when the agent could count them. */
  totalNodeCount: number | undefined;
  /** The problems the agent sees (empty when none). */
  agentErrors: string[];
  /** When the relay received it (ISO 8601). */
  at: string;
}

/** A role given to a principal on a cluster or one of its namespaces, as the control plane keeps it. */
export interface RoleAssignmentRecord {
  /** A UUID given at creation. */
  id: string;
  /** The name of the cluster it applies to. */
  cluster: string;
  /** A user's, group's or service principal's object id. */
  principalId: string;
  /** What kind of principal `principalId` names, when the creator said. */
  principalType: 'User' | 'Group' | 'ServicePrincipal' | undefined;
  role: BuiltInRole;
  /** `undefined` for the whole cluster. */
  namespace: string | undefined;
  /** When it was created (ISO 8601); assignments list oldest first. */
  createdAt: string;
  /** The object id of whoever created it. */
  createdBy: string;
}

/** What creating a cluster stores, in one transaction. */
export interface NewCluster {
  /** The cluster's name; its hybrid connection is `clusters/<name>`. */
  name: string;
  /** A fresh UUID. */
  id: string;
  /** The object id of whoever creates it. */
  createdBy: string;
  /** ISO 8601. */
  createdAt: string;
  /** The rules made with it on `clusters/<name>`: the agent's (Listen) and the relay's sender rule (Send). */
  rules: AuthorizationRule[];
}

/**
 * Everything the relay keeps: hybrid connections and their rules (the data plane) and the
 * control plane's clusters and role assignments. Implementations: SQLite (the embedded
 * default) and PostgreSQL (several relays sharing one database). Every method is atomic.
 */
export interface RelayStore {
  getHybridConnection(name: string): Promise<HybridConnection | undefined>;
  /**
   * The longest of `names` that is a hybrid connection, in one look-up: how a request path
   * (`clusters/prod/api/v1/pods`) finds its entity (`clusters/prod`).
   */
  longestHybridConnection(names: readonly string[]): Promise<HybridConnection | undefined>;
  /** Every hybrid connection, ordered by name (byte order, in both dialects). */
  listHybridConnections(): Promise<HybridConnection[]>;
  /** Creates the hybrid connection, or returns the existing one unchanged. */
  ensureHybridConnection(
    name: string,
    options?: {requiresClientAuthorization?: boolean},
  ): Promise<HybridConnection>;
  /** Deletes it with its rules (and the cluster whose connection it is, if any). */
  deleteHybridConnection(name: string): Promise<boolean>;
  /** Creates or replaces the rule with this name at this scope. */
  putAuthorizationRule(rule: AuthorizationRule): Promise<void>;
  /** The rules a token named `keyName` may be signed with for `entity`: the entity's and the namespace's. */
  findAuthorizationRules(keyName: string, entity: string): Promise<AuthorizationRule[]>;
  /** The rule with this name on this entity (`undefined` entity: the namespace). */
  getAuthorizationRule(
    entity: string | undefined,
    name: string,
  ): Promise<AuthorizationRule | undefined>;

  /**
   * Creates the cluster, its hybrid connection `clusters/<name>` and its rules. A hybrid
   * connection of that name made earlier on its own is taken over: it is made to require
   * client authorization, and its rules are replaced by the cluster's, so that exactly the
   * credentials created with the cluster reach it.
   *
   * @throws RelayError `ERR_CONTROL_CLUSTER_EXISTS` when the name is taken
   * @throws RelayError `ERR_RELAY_ENTITY_INVALID` for an invalid name, or a rule that is invalid
   *   or not on `clusters/<name>`
   */
  createCluster(cluster: NewCluster): Promise<ClusterRecord>;
  getCluster(name: string): Promise<ClusterRecord | undefined>;
  /** Every cluster, ordered by name. */
  listClusters(): Promise<ClusterRecord[]>;
  /** Deletes the cluster, its hybrid connection, rules and role assignments. */
  deleteCluster(name: string): Promise<boolean>;
  /** @returns false when the cluster does not exist */
  recordHeartbeat(name: string, heartbeat: Heartbeat): Promise<boolean>;

  /**
   * @throws RelayError `ERR_CONTROL_ASSIGNMENT_EXISTS` when the same principal already has the
   *   same role at the same scope
   * @throws RelayError `ERR_RELAY_ENTITY_INVALID` when the cluster does not exist, or for an
   *   unknown role or principal type, or an empty namespace
   */
  createRoleAssignment(assignment: RoleAssignmentRecord): Promise<RoleAssignmentRecord>;
  /** The cluster's assignments, oldest first. */
  listRoleAssignments(cluster: string): Promise<RoleAssignmentRecord[]>;
  /** @returns false when the cluster has no assignment with this id */
  deleteRoleAssignment(cluster: string, id: string): Promise<boolean>;

  /** Closes the database (SQLite) or ends its connection pool (PostgreSQL). */
  close(): Promise<void>;
}

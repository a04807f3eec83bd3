import {BUILT_IN_ROLES} from '@porthole/core/auth';
import type {BuiltInRole} from '@porthole/core/auth';

import {RelayError} from '../errors.js';
import {AccessRight, isValidEntityName} from './entity-store.js';
import type {AuthorizationRule, HybridConnection} from './entity-store.js';
import type {ClusterRecord, NewCluster, RoleAssignmentRecord} from './relay-store.js';

/*
 * What both stores check before writing, and their rows and how those become records, so that
 * SQLite and PostgreSQL accept and return exactly the same things. The columns are the same in
 * both dialects; only booleans differ (SQLite has none).
 */

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const PRINCIPAL_TYPES: readonly string[] = ['User', 'Group', 'ServicePrincipal'];

/** The hybrid connection a cluster's agent listens on. */
export function clusterHybridConnection(cluster: string): string {
  return `clusters/${cluster}`;
}

/** @throws RelayError `ERR_RELAY_ENTITY_INVALID` */
export function checkHybridConnectionName(name: string): void {
  if (!isValidEntityName(name)) {
    throw new RelayError(
      'ERR_RELAY_ENTITY_INVALID',
      `Invalid hybrid connection name ${JSON.stringify(name)}`,
    );
  }
}

/**
 * Checks a rule before it is stored. Messages name the rule and the field, never a key.
 *
 * @throws RelayError `ERR_RELAY_ENTITY_INVALID`
 */
export function checkRule(rule: AuthorizationRule): void {
  if (rule.name === '' || rule.primaryKey === '') {
    throw new RelayError(
      'ERR_RELAY_ENTITY_INVALID',
      'An authorization rule needs a name and a primary key',
    );
  }
  if (rule.entity !== undefined) checkHybridConnectionName(rule.entity);
  if (rule.secondaryKey === '') {
    throw new RelayError(
      'ERR_RELAY_ENTITY_INVALID',
      `The secondary key of rule ${JSON.stringify(rule.name)} is empty (leave it undefined instead)`,
    );
  }
  for (const field of ['primaryKeyExpiresAt', 'secondaryKeyExpiresAt'] as const) {
    const value = rule[field];
    // Date.parse alone takes forms such as "March 7"; a key's expiry must be unambiguous.
    if (value !== undefined && !(ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)))) {
      throw new RelayError(
        'ERR_RELAY_ENTITY_INVALID',
        `${field} of rule ${JSON.stringify(rule.name)} is not an ISO 8601 time (got ${JSON.stringify(value)})`,
      );
    }
  }
  const unknown = rule.rights.find((right) => !Object.values<string>(AccessRight).includes(right));
  if (unknown !== undefined) {
    throw new RelayError(
      'ERR_RELAY_ENTITY_INVALID',
      `Rule ${JSON.stringify(rule.name)} has an unknown right ${JSON.stringify(unknown)}`,
    );
  }
}

/** @throws RelayError `ERR_RELAY_ENTITY_INVALID` for a bad name or a rule not on the cluster */
export function checkNewCluster(cluster: NewCluster): void {
  if (!CLUSTER_NAME.test(cluster.name)) {
    throw new RelayError(
      'ERR_RELAY_ENTITY_INVALID',
      `Invalid cluster name ${JSON.stringify(cluster.name)}`,
    );
  }
  const entity = clusterHybridConnection(cluster.name);
  for (const rule of cluster.rules) {
    checkRule(rule);
    if (rule.entity !== entity) {
      throw new RelayError(
        'ERR_RELAY_ENTITY_INVALID',
        `Rule ${JSON.stringify(rule.name)} of cluster ${cluster.name} must be on ${entity}`,
      );
    }
  }
}

/** @throws RelayError `ERR_RELAY_ENTITY_INVALID` */
export function checkRoleAssignment(assignment: RoleAssignmentRecord): void {
  const problem =
    assignment.principalId === ''
      ? 'its principal id is empty'
      : !BUILT_IN_ROLES.includes(assignment.role)
        ? `its role ${JSON.stringify(assignment.role)} is not a built-in role`
        : assignment.principalType !== undefined &&
            !PRINCIPAL_TYPES.includes(assignment.principalType)
          ? `its principal type ${JSON.stringify(assignment.principalType)} is unknown`
          : // '' is what the unique index makes of the cluster scope; no namespace has that name.
            assignment.namespace === ''
            ? 'its namespace is empty (leave it undefined for the whole cluster)'
            : undefined;
  if (problem !== undefined) {
    throw new RelayError(
      'ERR_RELAY_ENTITY_INVALID',
      `Invalid role assignment ${assignment.id}: ${problem}`,
    );
  }
}

/** The error for a cluster name that is taken. */
export function clusterExists(name: string): RelayError {
  return new RelayError('ERR_CONTROL_CLUSTER_EXISTS', `A cluster named ${name} already exists`);
}

/** The error for an assignment that would repeat one the cluster has. */
export function assignmentExists(assignment: RoleAssignmentRecord): RelayError {
  const scope =
    assignment.namespace === undefined
      ? `cluster ${assignment.cluster}`
      : `namespace ${assignment.namespace} of cluster ${assignment.cluster}`;
  return new RelayError(
    'ERR_CONTROL_ASSIGNMENT_EXISTS',
    `${assignment.principalId} already has the role ${assignment.role} on ${scope}`,
  );
}

/** The error for an assignment to a cluster that does not exist. */
export function noSuchCluster(name: string): RelayError {
  return new RelayError('ERR_RELAY_ENTITY_INVALID', `No cluster named ${name}`);
}

/** Rights as one column: `Listen,Send`. */
function encodeRights(rights: readonly AccessRight[]): string {
  return rights.join(',');
}

/** The column back to rights; anything unknown is dropped (fail closed). */
function decodeRights(text: string): AccessRight[] {
  return text
    .split(',')
    .filter((right): right is AccessRight => Object.values<string>(AccessRight).includes(right));
}

/** The `agent_errors` column (a JSON array of strings) back to the array. */
function decodeAgentErrors(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed)
      ? parsed.filter((item): item is string => typeof item === 'string')
      : [];
  } catch {
    return [];
  }
}

/** The columns of `hybrid_connections`, in the order the rows below have them. */
export const HYBRID_CONNECTION_COLUMNS = 'name, requires_client_authorization, created_at';

/** A `hybrid_connections` row. */
export interface HybridConnectionRow {
  name: string;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  requires_client_authorization: number | boolean;
  created_at: string;
}

/** A row back to the record. */
export function toHybridConnection(row: HybridConnectionRow): HybridConnection {
  return {
    name: row.name,
    requiresClientAuthorization:
      row.requires_client_authorization === true || row.requires_client_authorization === 1,
    createdAt: row.created_at,
  };
}

/** The columns of `authorization_rules`. */
export const RULE_COLUMNS =
  'entity, name, primary_key, primary_key_expires_at, secondary_key, secondary_key_expires_at, rights';

/** An `authorization_rules` row; `entity` is `''` for the namespace. */
export interface RuleRow {
  entity: string;
  name: string;
  primary_key: string;
  primary_key_expires_at: string | null;
  secondary_key: string | null;
  secondary_key_expires_at: string | null;
  rights: string;
}

/** A rule as the parameters of an insert into {@link RULE_COLUMNS}, in that order. */
export function ruleParameters(rule: AuthorizationRule): (string | null)[] {
  return [
    rule.entity ?? '',
    rule.name,
    rule.primaryKey,
    rule.primaryKeyExpiresAt ?? null,
    rule.secondaryKey ?? null,
    rule.secondaryKeyExpiresAt ?? null,
    encodeRights(rule.rights),
  ];
}

/** A row back to the rule. */
export function toRule(row: RuleRow): AuthorizationRule {
  return {
    entity: row.entity === '' ? undefined : row.entity,
    name: row.name,
    primaryKey: row.primary_key,
    primaryKeyExpiresAt: row.primary_key_expires_at ?? undefined,
    secondaryKey: row.secondary_key ?? undefined,
    secondaryKeyExpiresAt: row.secondary_key_expires_at ?? undefined,
    rights: decodeRights(row.rights),
  };
}

/** The columns of `clusters`. */
export const CLUSTER_COLUMNS =
  'name, id, hybrid_connection, created_at, created_by, agent_version, kubernetes_version, total_node_count, last_connectivity_time, agent_errors';

/** A `clusters` row; `agent_errors` is a JSON array of strings. */
export interface ClusterRow {
  name: string;
  id: string;
  hybrid_connection: string;
  created_at: string;
  created_by: string;
  agent_version: string | null;
  kubernetes_version: string | null;
  total_node_count: number | null;
  last_connectivity_time: string | null;
  agent_errors: string;
}

/** A row back to the record. */
export function toCluster(row: ClusterRow): ClusterRecord {
  return {
    name: row.name,
    id: row.id,
    hybridConnection: row.hybrid_connection,
    createdAt: row.created_at,
    createdBy: row.created_by,
    agentVersion: row.agent_version ?? undefined,
    kubernetesVersion: row.kubernetes_version ?? undefined,
    totalNodeCount: row.total_node_count ?? undefined,
    lastConnectivityTime: row.last_connectivity_time ?? undefined,
    agentErrors: decodeAgentErrors(row.agent_errors),
  };
}

/** The columns of `role_assignments`. */
export const ASSIGNMENT_COLUMNS =
  'id, cluster, principal_id, principal_type, role, namespace, created_at, created_by';

/** A `role_assignments` row; `namespace` is NULL for the whole cluster. */
export interface AssignmentRow {
  id: string;
  cluster: string;
  principal_id: string;
  principal_type: string | null;
  role: string;
  namespace: string | null;
  created_at: string;
  created_by: string;
}

/** An assignment as the parameters of an insert into {@link ASSIGNMENT_COLUMNS}. */
export function assignmentParameters(assignment: RoleAssignmentRecord): (string | null)[] {
  return [
    assignment.id,
    assignment.cluster,
    assignment.principalId,
    assignment.principalType ?? null,
    assignment.role,
    assignment.namespace ?? null,
    assignment.createdAt,
    assignment.createdBy,
  ];
}

/** A row back to the record. */
export function toRoleAssignment(row: AssignmentRow): RoleAssignmentRecord {
  return {
    id: row.id,
    cluster: row.cluster,
    principalId: row.principal_id,
    principalType:
      row.principal_type !== null && PRINCIPAL_TYPES.includes(row.principal_type)
        ? (row.principal_type as RoleAssignmentRecord['principalType'])
        : undefined,
    role: row.role as BuiltInRole,
    namespace: row.namespace ?? undefined,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

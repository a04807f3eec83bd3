import {AuthError} from '../errors.js';
import type {KubeRequestAttributes} from './request-attributes.js';
import {isObjectId} from './object-id.js';

/** The built-in roles, as Azure Arc names them (without the "Azure Arc Kubernetes" prefix). */
export type BuiltInRole = 'Viewer' | 'Writer' | 'Admin' | 'Cluster Admin' | 'Cluster User';

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  'Viewer',
  'Writer',
  'Admin',
  'Cluster Admin',
  'Cluster User',
];

/** A role given to a principal (a user's or service principal's object id, or a group's). */
export interface RoleAssignment {
  principalId: string;
  role: BuiltInRole;
  /** The whole cluster, or one namespace of it. */
  scope: {kind: 'cluster'} | {kind: 'namespace'; namespace: string};
}

/** The prefix of every action, as Arc's data actions spell it. */
export const ACTION_PREFIX = 'Microsoft.Kubernetes/connectedClusters';

/**
 * The action a request needs (Arc's data actions, mapped as guard maps verbs): `…/read` for
 * get, list and watch; `…/write` for create, update and patch; `…/delete` for delete and
 * deletecollection; `…/pods/exec/action` for exec whatever its verb; `…/<verb>/action` for any
 * other verb (impersonate, bind, escalate, proxy, …). Resources of a named group carry it:
 * `…/apps/deployments/read`. Non-resource URLs: `…/<path>/read|write`.
 */
export function requiredAction(request: KubeRequestAttributes): string {
  if (!request.resourceRequest) {
    const path = request.path.replace(/^\/+|\/+$/g, '');
    return `${ACTION_PREFIX}/${path}/${request.verb === 'get' || request.verb === 'head' ? 'read' : 'write'}`;
  }
  const object = [request.apiGroup, request.resource, request.subresource]
    .filter((part) => part !== '')
    .join('/');
  if (
    request.resource === 'pods' &&
    ['exec', 'attach', 'portforward'].includes(request.subresource)
  )
    return `${ACTION_PREFIX}/${object}/action`;
  const operation = VERB_OPERATIONS[request.verb] ?? `${request.verb}/action`;
  return `${ACTION_PREFIX}/${object}/${operation}`;
}

const VERB_OPERATIONS: Record<string, string> = {
  get: 'read',
  list: 'read',
  watch: 'read',
  create: 'write',
  update: 'write',
  patch: 'write',
  delete: 'delete',
  deletecollection: 'delete',
};

/** What each built-in role may do, within its scope. */
function roleAllows(role: BuiltInRole, request: KubeRequestAttributes, action: string): boolean {
  if (role === 'Cluster Admin') return true;
  if (role === 'Cluster User' || !request.resourceRequest) return false;
  const group = request.apiGroup;
  const rbac = group === 'rbac.authorization.k8s.io';
  const readOnly = action.endsWith('/read');
  // Nobody below Cluster Admin changes namespaces or their quotas.
  if (
    !readOnly &&
    request.apiGroup === '' &&
    ['namespaces', 'resourcequotas'].includes(request.resource)
  )
    return false;
  switch (role) {
    case 'Admin':
      return true;
    case 'Writer':
      return !rbac && (readOnly || !IMPERSONATION_VERBS.has(request.verb));
    case 'Viewer':
      return readOnly && !rbac && !(group === '' && request.resource === 'secrets');
  }
}

/** Verbs that change who someone is or what a role may do: never below Admin. */
const IMPERSONATION_VERBS = new Set(['impersonate', 'bind', 'escalate']);

/** A decision on one request. */
export interface RoleDecision {
  allowed: boolean;
  /** The action the request needs. */
  action: string;
  /** The assignment that allows it. */
  assignment?: RoleAssignment;
}

/**
 * Decides requests from role assignments: allowed when an assignment to the principal or one
 * of its groups gives a role that allows the request's action, at the cluster's scope or the
 * request's namespace. A namespace scope never reaches cluster-scoped objects.
 */
export function decideByAssignments(
  assignments: readonly RoleAssignment[],
  principal: {objectId: string; groups: readonly string[]},
  request: KubeRequestAttributes,
): RoleDecision {
  const action = requiredAction(request);
  const ids = new Set([principal.objectId, ...principal.groups].map((id) => id.toLowerCase()));
  const assignment = assignments.find(
    (candidate) =>
      ids.has(candidate.principalId.toLowerCase()) &&
      (candidate.scope.kind === 'cluster' ||
        (request.namespace !== '' && candidate.scope.namespace === request.namespace)) &&
      roleAllows(candidate.role, request, action),
  );
  return assignment ? {allowed: true, action, assignment} : {allowed: false, action};
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Reads role assignments from JSON-shaped data: an array of `{principalId, role, scope}`, the
 * scope `{kind: "cluster"}` or `{kind: "namespace", namespace}`.
 *
 * @throws AuthError `ERR_AUTH_ROLE_ASSIGNMENT_INVALID` naming the entry and field at fault
 */
export function parseRoleAssignments(value: unknown): RoleAssignment[] {
  if (!Array.isArray(value)) throw invalidAssignment('the role assignments must be a JSON array');
  return value.map((entry: unknown, i) => {
    const where = `role assignment ${i}`;
    if (typeof entry !== 'object' || entry === null)
      throw invalidAssignment(`${where} is not an object`);
    const {principalId, role, scope} = entry as Record<string, unknown>;
    if (!isObjectId(principalId))
      throw invalidAssignment(`${where}: principalId must be an object id (GUID)`);
    if (!BUILT_IN_ROLES.includes(role as BuiltInRole))
      throw invalidAssignment(
        `${where}: role must be one of ${BUILT_IN_ROLES.join(', ')} (got ${JSON.stringify(role)})`,
      );
    const {kind, namespace} = (scope ?? {}) as {kind?: unknown; namespace?: unknown};
    if (kind === 'cluster') return {principalId, role: role as BuiltInRole, scope: {kind}};
    if (kind === 'namespace' && typeof namespace === 'string' && NAMESPACE.test(namespace))
      return {principalId, role: role as BuiltInRole, scope: {kind, namespace}};
    throw invalidAssignment(
      `${where}: scope must be {"kind":"cluster"} or {"kind":"namespace","namespace":"<name>"}`,
    );
  });
}

function invalidAssignment(message: string): AuthError {
  return new AuthError('ERR_AUTH_ROLE_ASSIGNMENT_INVALID', `Invalid role assignments: ${message}`);
}

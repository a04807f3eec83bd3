import {BUILT_IN_ROLES, isObjectId} from '@porthole/core/auth';
import type {BuiltInRole} from '@porthole/core/auth';

import {ControlError} from './control-error.js';

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;

/** Whether `name` can name a cluster: 1–63 letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function isValidClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name);
}

/** The body of `createCluster`. */
export function parseNewCluster(body: unknown): {name: string} {
  const {name} = fields(body, ['name']);
  if (typeof name !== 'string' || !isValidClusterName(name)) {
    throw invalid(
      `Invalid cluster name ${JSON.stringify(name)}: 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return {name};
}

/** The body of `createRoleAssignment`. */
export function parseNewRoleAssignment(body: unknown): {
  principalId: string;
  principalType: (typeof PRINCIPAL_TYPES)[number] | undefined;
  role: BuiltInRole;
  namespace: string | undefined;
} {
  const {principalId, principalType, role, namespace} = fields(body, [
    'principalId',
    'principalType',
    'role',
    'namespace',
  ]);
  if (typeof principalId !== 'string' || !isObjectId(principalId)) {
    throw invalid(
      `principalId must be the object id (a GUID) of a user, group or service principal (got ${JSON.stringify(principalId)})`,
    );
  }
  if (!BUILT_IN_ROLES.includes(role as BuiltInRole)) {
    throw invalid(`role must be one of ${BUILT_IN_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  }
  if (principalType !== undefined && !PRINCIPAL_TYPES.includes(principalType as never)) {
    throw invalid(
      `principalType must be one of ${PRINCIPAL_TYPES.join(', ')} (got ${JSON.stringify(principalType)})`,
    );
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || !NAMESPACE.test(namespace))) {
    throw invalid(
      `namespace must be a Kubernetes namespace name (got ${JSON.stringify(namespace)})`,
    );
  }
  return {
    principalId,
    principalType: principalType as (typeof PRINCIPAL_TYPES)[number] | undefined,
    role: role as BuiltInRole,
    namespace: namespace,
  };
}

/** The body of `listClusterUserCredential` (Arc's: `{authenticationMethod, clientProxy}`). */
export function parseCredentialRequest(body: unknown): {authenticationMethod: 'AAD' | 'Token'} {
  const {authenticationMethod = 'AAD', clientProxy} = fields(body, [
    'authenticationMethod',
    'clientProxy',
  ]);
  if (authenticationMethod !== 'AAD' && authenticationMethod !== 'Token') {
    throw invalid(
      `authenticationMethod must be AAD or Token (got ${JSON.stringify(authenticationMethod)})`,
    );
  }
  if (clientProxy !== undefined && typeof clientProxy !== 'boolean')
    throw invalid('clientProxy must be a boolean');
  return {authenticationMethod};
}

/** The body of an agent's heartbeat. */
export function parseHeartbeat(body: unknown): {
  agentVersion: string;
  kubernetesVersion: string | undefined;
  totalNodeCount: number | undefined;
  agentErrors: string[];
} {
  const {
    agentVersion,
    kubernetesVersion,
    totalNodeCount,
    agentErrors = [],
  } = fields(body, ['agentVersion', 'kubernetesVersion', 'totalNodeCount', 'agentErrors']);
  if (!shortString(agentVersion))
    throw invalid('agentVersion must be a string of at most 64 characters');
  if (kubernetesVersion !== undefined && !shortString(kubernetesVersion))
    throw invalid('kubernetesVersion must be a string of at most 64 characters');
  if (
    totalNodeCount !== undefined &&
    (!Number.isSafeInteger(totalNodeCount) || (totalNodeCount as number) < 0)
  )
    throw invalid('totalNodeCount must be a whole number');
  if (
    !Array.isArray(agentErrors) ||
    agentErrors.length > 20 ||
    agentErrors.some((error) => typeof error !== 'string' || error.length > 512)
  ) {
    throw invalid('agentErrors must be at most 20 strings of at most 512 characters');
  }
  return {
    agentVersion,
    kubernetesVersion,
    totalNodeCount: totalNodeCount as number | undefined,
    agentErrors: agentErrors as string[],
  };
}

function shortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 64;
}

/** The object's fields, refusing anything else: a misspelt field is an error, not a default. */
function fields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The request body must be a JSON object');
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined)
    throw invalid(`Unknown field ${JSON.stringify(unknown)}; allowed: ${allowed.join(', ')}`);
  return body as Record<string, unknown>;
}

function invalid(message: string): ControlError {
  return new ControlError('ERR_CONTROL_INVALID_REQUEST', message);
}

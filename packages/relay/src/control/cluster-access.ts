import {BUILT_IN_ROLES} from '@porthole/core/auth';
import type {BuiltInRole} from '@porthole/core/auth';

import type {RelayStore} from '../store/relay-store.js';
import type {UserCaller} from './callers.js';
import {ControlError} from './control-error.js';

/**
 * Who may do what on the control plane: relay administrators everything; a principal with any
 * role on a cluster (directly or through a group) may see it and get its credentials; its
 * Cluster Admins manage its role assignments. Refusals name the role that is missing.
 */
export class ClusterAccess {
  readonly #store: RelayStore;

  constructor(store: RelayStore) {
    this.#store = store;
  }

  /** The roles the caller holds on the cluster, through itself or its groups. */
  async rolesOf(caller: UserCaller, cluster: string): Promise<BuiltInRole[]> {
    const assignments = await this.#store.listRoleAssignments(cluster);
    return assignments
      .filter((assignment) => caller.principalIds.has(assignment.principalId.toLowerCase()))
      .map((assignment) => assignment.role);
  }

  requireAdministrator(caller: UserCaller, what: string): void {
    if (caller.administrator) return;
    throw new ControlError(
      'ERR_CONTROL_FORBIDDEN',
      `${what} needs the relay Administrator role, which ${caller.objectId} does not hold`,
      'Ask the relay operator to add your object id (or a group of yours) with relay serve --admin.',
    );
  }

  async requireAnyRole(caller: UserCaller, cluster: string, what: string): Promise<void> {
    if (caller.administrator || (await this.rolesOf(caller, cluster)).length > 0) return;
    throw new ControlError(
      'ERR_CONTROL_FORBIDDEN',
      `${what} needs the Cluster User role (or ${BUILT_IN_ROLES.filter((role) => role !== 'Cluster User').join(', ')}) on it, which ${caller.objectId} does not hold`,
      `An administrator can grant it: porthole role assignment create --cluster ${cluster} --role "Cluster User" --assignee ${caller.objectId}`,
    );
  }

  /** Administrators, and Cluster Admins of the cluster, manage its role assignments. */
  async requireAssignmentManager(caller: UserCaller, cluster: string, what: string): Promise<void> {
    if (caller.administrator || (await this.rolesOf(caller, cluster)).includes('Cluster Admin'))
      return;
    throw new ControlError(
      'ERR_CONTROL_FORBIDDEN',
      `${what} needs the Cluster Admin role on it or the relay Administrator role, which ${caller.objectId} does not hold`,
      'Ask a relay administrator.',
    );
  }
}

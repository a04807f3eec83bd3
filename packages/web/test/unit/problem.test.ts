import {describe, expect, it} from 'vitest';

import {ControlPlaneError} from '@porthole/core/control-plane';
import {KubeError} from '@porthole/core/kube';

import {describeProblem} from '../../src/components/problem.js';
import {WebError} from '../../src/errors.js';

const VIEWER = '1a2b3c4d-0000-4000-8000-00000000000a';

describe('describeProblem', () => {
  it("names the permission of the agent's 403, from its role-assignment action", () => {
    const message = `pods "web" is forbidden: User "${VIEWER}" cannot create resource "pods/exec" in API group "" in the namespace "shop"; no Porthole role assignment gives ${VIEWER} Microsoft.Kubernetes/connectedClusters/pods/exec/action`;
    const error = new KubeError('ERR_KUBE_STATUS', message, {status: 403, reason: 'Forbidden'});
    expect(describeProblem(error, 'Opening a terminal')).toEqual({
      title: 'Opening a terminal is not allowed',
      message,
      hint: undefined,
      code: 'ERR_KUBE_STATUS',
      permission: 'Microsoft.Kubernetes/connectedClusters/pods/exec/action',
      forbidden: true,
    });
  });

  it("names the verb and resource of the apiserver's RBAC refusal", () => {
    const error = new KubeError(
      'ERR_KUBE_STATUS',
      'deployments.apps is forbidden: User "ada" cannot list resource "deployments" in API group "apps" in the namespace "shop"',
      {status: 403, reason: 'Forbidden'},
    );
    expect(describeProblem(error)).toMatchObject({
      title: 'Permission denied',
      permission: 'list apps/deployments',
    });
  });

  it("keeps a control-plane refusal's hint and code", () => {
    const error = new ControlPlaneError(
      'ERR_CONTROL_FORBIDDEN',
      'Getting credentials for cluster demo needs the Cluster User role',
      {status: 403, hint: 'An administrator can grant it.', correlationId: 'c-1'},
    );
    expect(describeProblem(error, 'Listing pods')).toEqual({
      title: 'Listing pods is not allowed',
      message: 'Getting credentials for cluster demo needs the Cluster User role',
      hint: 'An administrator can grant it.',
      code: 'ERR_CONTROL_FORBIDDEN',
      permission: undefined,
      forbidden: true,
    });
  });

  it('titles the other failures by their code', () => {
    expect(
      describeProblem(new WebError('ERR_WEB_CLUSTER_UNREACHABLE', 'Cannot reach cluster demo')),
    ).toMatchObject({title: 'The cluster cannot be reached', forbidden: false});
    expect(describeProblem(new Error('boom'), 'Loading')).toMatchObject({
      title: 'Loading failed',
      message: 'boom',
      code: undefined,
    });
    expect(describeProblem(undefined)).toMatchObject({message: 'Unknown error'});
  });
});

import {describe, expect, it} from 'vitest';

import {
  decideByAssignments,
  parseRoleAssignments,
  requestAttributes,
  requiredAction,
} from '../../src/auth/index.js';
import type {BuiltInRole, RoleAssignment} from '../../src/auth/index.js';

const USER = '4f8a1b2c-3d4e-4f50-8162-738495a6b7c8';
const GROUP = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
const action = (method: string, url: string) => requiredAction(requestAttributes(method, url));

describe('requiredAction', () => {
  it.each([
    ['GET', '/api/v1/namespaces/a/pods', 'pods/read'],
    ['GET', '/api/v1/namespaces/a/pods?watch=1', 'pods/read'],
    ['POST', '/api/v1/namespaces/a/configmaps', 'configmaps/write'],
    ['PATCH', '/apis/apps/v1/namespaces/a/deployments/d', 'apps/deployments/write'],
    ['DELETE', '/api/v1/namespaces/a/secrets', 'secrets/delete'],
    ['POST', '/api/v1/namespaces/a/pods/web/exec', 'pods/exec/action'],
    ['GET', '/api/v1/namespaces/a/pods/web/exec', 'pods/exec/action'],
    ['GET', '/api/v1/namespaces/a/pods/web/log', 'pods/log/read'],
    ['GET', '/version', 'version/read'],
  ])('%s %s needs …/%s', (method, url, expected) => {
    expect(action(method, url)).toBe(`Microsoft.Kubernetes/connectedClusters/${expected}`);
  });
});

describe('decideByAssignments', () => {
  const at = (role: BuiltInRole, namespace?: string): RoleAssignment => ({
    principalId: USER,
    role,
    scope: namespace === undefined ? {kind: 'cluster'} : {kind: 'namespace', namespace},
  });
  const allowed = (
    assignments: RoleAssignment[],
    method: string,
    url: string,
    groups: string[] = [],
  ) =>
    decideByAssignments(assignments, {objectId: USER, groups}, requestAttributes(method, url))
      .allowed;

  it('Viewer in a namespace lists pods there and nowhere else, and neither execs nor reads secrets', () => {
    const viewer = [at('Viewer', 'team-a')];
    expect(allowed(viewer, 'GET', '/api/v1/namespaces/team-a/pods')).toBe(true);
    expect(allowed(viewer, 'GET', '/api/v1/namespaces/team-b/pods')).toBe(false);
    expect(allowed(viewer, 'GET', '/api/v1/pods')).toBe(false);
    expect(allowed(viewer, 'GET', '/api/v1/nodes')).toBe(false);
    expect(allowed(viewer, 'POST', '/api/v1/namespaces/team-a/pods/web/exec')).toBe(false);
    expect(allowed(viewer, 'GET', '/api/v1/namespaces/team-a/secrets')).toBe(false);
    expect(allowed(viewer, 'POST', '/api/v1/namespaces/team-a/configmaps')).toBe(false);
  });

  it('Writer writes and execs in its namespace, but touches no roles and no namespace', () => {
    const writer = [at('Writer', 'team-a')];
    expect(allowed(writer, 'POST', '/api/v1/namespaces/team-a/configmaps')).toBe(true);
    expect(allowed(writer, 'POST', '/api/v1/namespaces/team-a/pods/web/exec')).toBe(true);
    expect(allowed(writer, 'GET', '/api/v1/namespaces/team-a/secrets')).toBe(true);
    expect(
      allowed(writer, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings'),
    ).toBe(false);
    expect(allowed(writer, 'DELETE', '/api/v1/namespaces/team-a')).toBe(false);
  });

  it('Admin manages roles in its namespace, not its quota; Cluster Admin does everything', () => {
    const admin = [at('Admin', 'team-a')];
    expect(
      allowed(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings'),
    ).toBe(true);
    expect(allowed(admin, 'PUT', '/api/v1/namespaces/team-a/resourcequotas/q')).toBe(false);
    expect(allowed([at('Cluster Admin')], 'DELETE', '/api/v1/namespaces/team-a')).toBe(true);
    expect(allowed([at('Cluster Admin')], 'GET', '/version')).toBe(true);
  });

  it('Cluster User allows nothing in the cluster', () => {
    expect(allowed([at('Cluster User')], 'GET', '/api/v1/namespaces/team-a/pods')).toBe(false);
    expect(allowed([at('Cluster User')], 'GET', '/version')).toBe(false);
  });

  it('counts assignments to the principal’s groups, and names the action either way', () => {
    const toGroup: RoleAssignment[] = [
      {principalId: GROUP.toUpperCase(), role: 'Viewer', scope: {kind: 'cluster'}},
    ];
    const request = requestAttributes('GET', '/api/v1/namespaces/x/pods');
    expect(decideByAssignments(toGroup, {objectId: USER, groups: [GROUP]}, request)).toEqual({
      allowed: true,
      action: 'Microsoft.Kubernetes/connectedClusters/pods/read',
      assignment: toGroup[0],
    });
    expect(decideByAssignments(toGroup, {objectId: USER, groups: []}, request)).toEqual({
      allowed: false,
      action: 'Microsoft.Kubernetes/connectedClusters/pods/read',
    });
  });
});

describe('parseRoleAssignments', () => {
  it('reads cluster and namespace scopes', () => {
    const value = [
      {principalId: USER, role: 'Viewer', scope: {kind: 'namespace', namespace: 'team-a'}},
      {principalId: GROUP, role: 'Cluster Admin', scope: {kind: 'cluster'}},
    ];
    expect(parseRoleAssignments(value)).toEqual(value);
  });

  it.each([
    [{}, 'Invalid role assignments: the role assignments must be a JSON array'],
    [[null], 'Invalid role assignments: role assignment 0 is not an object'],
    [
      [{principalId: 'ada', role: 'Viewer', scope: {kind: 'cluster'}}],
      'Invalid role assignments: role assignment 0: principalId must be an object id (GUID)',
    ],
    [
      [{principalId: USER, role: 'Owner', scope: {kind: 'cluster'}}],
      'Invalid role assignments: role assignment 0: role must be one of Viewer, Writer, Admin, Cluster Admin, Cluster User (got "Owner")',
    ],
    [
      [{principalId: USER, role: 'Viewer', scope: {kind: 'namespace', namespace: 'Team_A'}}],
      'Invalid role assignments: role assignment 0: scope must be {"kind":"cluster"} or {"kind":"namespace","namespace":"<name>"}',
    ],
  ])('refuses %j', (value, message) => {
    expect(() => parseRoleAssignments(value)).toThrow(
      expect.objectContaining({code: 'ERR_AUTH_ROLE_ASSIGNMENT_INVALID', message}) as Error,
    );
  });
});

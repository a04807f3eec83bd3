/**
 * Entra tokens through Porthole to a real apiserver: the agent validates them and acts for the
 * caller by impersonation — users, groups, service principals, and group overage read from a
 * Graph endpoint — and refuses bad tokens itself, so that nothing of them reaches the
 * apiserver (its audit log is the witness).
 */
import {readFile} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {base64url, SignJWT} from 'jose';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';

import {EntraTokenValidator, GraphGroupResolver} from '@porthole/core/auth';
import type {RoleAssignment} from '@porthole/core/auth';
import {kubectl, serviceAccountToken} from '@porthole/testing';
import type {KubectlBinary} from '@porthole/testing';

import {agentClusterRole, entraAuthenticator, roleAssignmentBinding} from '../../src/index.js';
import {startHarness} from './harness.js';
import type {Harness} from './harness.js';
import {API, TENANT, testIssuer} from './test-issuer.js';
import type {TestIssuer} from './test-issuer.js';

const cluster = inject('cluster');
const admin = (args: string[], input?: string) =>
  kubectl(cluster.kubeconfigPath, args, input === undefined ? {} : {input});
const namespace = 'e2e-entra';

const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const USER = '1a2b3c4d-0000-4000-8000-000000000001';
const NOBODY = '1a2b3c4d-0000-4000-8000-000000000002';
const GROUP_MEMBER = '1a2b3c4d-0000-4000-8000-000000000003';
const OVERAGE_USER = '1a2b3c4d-0000-4000-8000-000000000004';
const SERVICE_PRINCIPAL = '1a2b3c4d-0000-4000-8000-000000000005';
const OVERAGE_SP = '1a2b3c4d-0000-4000-8000-000000000006';
const GROUP = '2b3c4d5e-0000-4000-8000-000000000001';
const VIEWER = '1a2b3c4d-0000-4000-8000-000000000007';
const CLUSTER_USER = '1a2b3c4d-0000-4000-8000-000000000008';
/** 250 groups; bindings name only the last. */
const MANY_GROUPS = Array.from({length: 250}, (_, i) => guid(i + 1));
const LAST_GROUP = MANY_GROUPS[249] ?? '';

const OVERAGE_CLAIMS = {
  groups: undefined,
  _claim_names: {groups: 'src1'},
  _claim_sources: {src1: {endpoint: 'https://graph.windows.net/ignored/getMemberObjects'}},
};

/** A Graph endpoint with the memberships of the two overage principals. */
const graphFetch: typeof fetch = (input) => {
  const url = input instanceof Request ? input.url : input.toString();
  const member = /\/v1\.0\/(users|servicePrincipals)\/([^/]+)\/getMemberObjects$/.exec(url);
  const known =
    (member?.[1] === 'users' && member[2] === OVERAGE_USER) ||
    (member?.[1] === 'servicePrincipals' && member[2] === OVERAGE_SP);
  return Promise.resolve(
    known
      ? Response.json({value: MANY_GROUPS})
      : Response.json({error: {code: 'Request_ResourceNotFound'}}, {status: 404}),
  );
};

let harness: Harness;
let issuer: TestIssuer;
let graphCalls = 0;
/** The cluster's role assignments, as the relay would hand them to the agent. */
const assignments: RoleAssignment[] = [
  {principalId: VIEWER, role: 'Viewer', scope: {kind: 'namespace', namespace: 'e2e-entra'}},
  {principalId: CLUSTER_USER, role: 'Cluster User', scope: {kind: 'cluster'}},
];

beforeAll(async () => {
  issuer = await testIssuer();
  const role = agentClusterRole('porthole-agent-entra-e2e');
  expect(await admin(['apply', '-f', '-'], JSON.stringify(role))).toMatchObject({code: 0});
  const binding = roleAssignmentBinding();
  expect(await admin(['apply', '-f', '-'], JSON.stringify(binding))).toMatchObject({code: 0});
  const agentToken = await serviceAccountToken(
    cluster.kubeconfigPath,
    'porthole-agent-entra-e2e',
    'porthole-agent-entra-e2e',
  );
  const validator = new EntraTokenValidator({
    issuers: [issuer.issuer],
    audiences: [API],
    tenants: [TENANT],
    fetch: issuer.fetch,
  });
  const groups = new GraphGroupResolver({
    graphBaseUrl: 'https://graph.example.test',
    token: () => Promise.resolve('agent-graph-token'),
    fetch: (input, init) => {
      graphCalls++;
      return graphFetch(input, init);
    },
  });
  harness = await startHarness(cluster, 'mux', {
    authenticator: entraAuthenticator({
      validator,
      groups,
      agentToken: () => Promise.resolve(agentToken),
      roleAssignments: {assignments: () => Promise.resolve(assignments), cacheMs: 0},
    }),
  });
  expect(await admin(['create', 'namespace', namespace])).toMatchObject({code: 0});
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await admin(['-n', namespace, 'run', 'web', '--image=nginx'])).code === 0) break;
    await sleep(100); // until the namespace has its default service account
  }
  expect(
    await admin(['-n', namespace, 'wait', '--for=condition=Ready', 'pod/web', '--timeout=30s']),
  ).toMatchObject({code: 0});
  const bind = (name: string, subject: string[]) =>
    admin(['create', 'clusterrolebinding', name, '--clusterrole', 'cluster-admin', ...subject]);
  for (const [name, subject] of [
    ['e2e-entra-user', ['--user', USER]],
    ['e2e-entra-group', ['--group', GROUP]],
    ['e2e-entra-sp', ['--user', SERVICE_PRINCIPAL]],
    ['e2e-entra-overage', ['--group', LAST_GROUP]],
  ] as const)
    expect(await bind(name, [...subject])).toMatchObject({code: 0});
});

afterAll(async () => {
  for (const name of [
    'e2e-entra-user',
    'e2e-entra-group',
    'e2e-entra-sp',
    'e2e-entra-overage',
    'porthole-role-assignments',
  ])
    await admin(['delete', 'clusterrolebinding', name]);
  await admin(['delete', 'namespace', namespace, '--wait=false']);
  await harness.close();
});

const as = (token: string, args: string[], binary: KubectlBinary = 'kubectl.1.33') =>
  harness.kubectl(['--token', token, ...args], {binary});

async function whoami(token: string): Promise<Record<string, unknown>> {
  const result = await as(token, ['auth', 'whoami', '-o', 'json']);
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as {status: {userInfo: Record<string, unknown>}}).status
    .userInfo;
}

describe('Entra tokens through Porthole', () => {
  it('a user without a binding is Forbidden, and the apiserver names the object id', async () => {
    const result = await as(await issuer.sign({oid: NOBODY}), ['get', 'pods', '-A']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `User "${NOBODY}" cannot list resource "pods" in API group "" at the cluster scope`,
    );
  });

  it('a user bound by object id gets in, as the object id with its tenant', async () => {
    const token = await issuer.sign({oid: USER, upn: 'ada@contoso.example', groups: []});
    const pods = await as(token, ['get', 'pods', '-A', '-o', 'name']);
    expect(pods).toMatchObject({code: 0, stderr: ''});
    expect(pods.stdout).toContain('pod/web');
    expect(await whoami(token)).toEqual({
      username: USER,
      uid: USER,
      groups: ['system:authenticated'],
      extra: {oid: [USER], tid: [TENANT]},
    });
  });

  it('a user bound through a group gets in', async () => {
    const token = await issuer.sign({oid: GROUP_MEMBER, groups: [GROUP]});
    expect(await as(token, ['get', 'pods', '-n', namespace, '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'pod/web\n',
    });
    expect((await whoami(token)).groups).toEqual([GROUP, 'system:authenticated']);
  });

  it('a service principal bound by object id gets in', async () => {
    const token = await issuer.sign({
      oid: SERVICE_PRINCIPAL,
      idtyp: 'app',
      scp: undefined,
      roles: ['Cluster.Admin'],
    });
    expect(await as(token, ['get', 'pods', '-n', namespace, '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'pod/web\n',
    });
  });

  it.each([
    ['a user', {oid: OVERAGE_USER}],
    ['a service principal', {oid: OVERAGE_SP, idtyp: 'app', scp: undefined}],
  ])('%s in 250 groups (overage) gets in through the 250th', async (_, claims) => {
    const before = graphCalls;
    const token = await issuer.sign({...claims, ...OVERAGE_CLAIMS});
    expect(await as(token, ['get', 'pods', '-n', namespace, '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'pod/web\n',
    });
    expect((await whoami(token)).groups).toEqual([...MANY_GROUPS, 'system:authenticated']);
    expect(graphCalls - before).toBe(1); // kept for the second request
  });

  it.each(['kubectl.1.27', 'kubectl.1.33'] as const)(
    'exec with %s runs as the impersonated user',
    async (binary) => {
      const token = await issuer.sign({oid: USER});
      expect(
        await as(token, ['-n', namespace, 'exec', 'web', '--', 'echo', 'hi'], binary),
      ).toMatchObject({code: 0, stdout: 'hi\n'});
      const denied = await as(
        await issuer.sign({oid: NOBODY}),
        ['-n', namespace, 'exec', 'web', '--', 'echo', 'hi'],
        binary,
      );
      expect(denied.code).toBe(1);
      // kubectl reads the pod before it asks for pods/exec.
      expect(denied.stderr).toContain(`User "${NOBODY}" cannot get resource "pods"`);
    },
  );

  it.each(['kubectl.1.27', 'kubectl.1.33'] as const)(
    'client-chosen impersonation never reaches the apiserver on an upgrade (%s)',
    async (binary) => {
      // A Viewer may read the pod, so the request that fails is the upgrade itself; with
      // system:masters passed on, it would succeed.
      const result = await as(
        await issuer.sign({oid: VIEWER}),
        [
          '-n',
          namespace,
          'exec',
          'web',
          '--as',
          VIEWER,
          '--as-group',
          'system:masters',
          '--',
          'echo',
          'hi',
        ],
        binary,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `User "${VIEWER}" cannot create resource "pods/exec" in API group "" in the namespace "${namespace}"`,
      );
    },
  );

  it('client-chosen impersonation never reaches the apiserver with an Entra token', async () => {
    const token = await issuer.sign({oid: USER});
    const result = await as(token, [
      'auth',
      'whoami',
      '-o',
      'json',
      '--as',
      'system:admin',
      '--as-group',
      'system:masters',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({status: {userInfo: {username: USER}}});
  });
});

describe('role assignments', () => {
  const action = (what: string) => `Microsoft.Kubernetes/connectedClusters/${what}`;

  it('Viewer in a namespace lists pods there and nowhere else, and neither execs nor reads secrets', async () => {
    const token = await issuer.sign({oid: VIEWER});
    expect(await as(token, ['get', 'pods', '-n', namespace, '-o', 'name'])).toMatchObject({
      code: 0,
      stdout: 'pod/web\n',
    });
    const elsewhere = await as(token, ['get', 'pods', '-n', 'default']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(
      `User "${VIEWER}" cannot list resource "pods" in API group "" in the namespace "default"; no Porthole role assignment gives ${VIEWER} ${action('pods/read')}`,
    );
    const secrets = await as(token, ['get', 'secrets', '-n', namespace]);
    expect(secrets.code).toBe(1);
    expect(secrets.stderr).toContain(
      `no Porthole role assignment gives ${VIEWER} ${action('secrets/read')}`,
    );
    for (const binary of ['kubectl.1.27', 'kubectl.1.33'] as const) {
      const exec = await as(token, ['-n', namespace, 'exec', 'web', '--', 'echo', 'hi'], binary);
      expect(exec.code).toBe(1);
      expect(exec.stderr).toContain(
        `no Porthole role assignment gives ${VIEWER} ${action('pods/exec/action')}`,
      );
    }
  });

  it('Cluster User alone reads nothing in the cluster', async () => {
    const result = await as(await issuer.sign({oid: CLUSTER_USER}), [
      'get',
      'pods',
      '-n',
      namespace,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `no Porthole role assignment gives ${CLUSTER_USER} ${action('pods/read')}`,
    );
  });

  it('native RBAC bindings keep working next to role assignments', async () => {
    const result = await as(await issuer.sign({oid: USER}), [
      'get',
      'secrets',
      '-n',
      namespace,
      '-o',
      'name',
    ]);
    expect(result.code).toBe(0);
  });
});

describe('tokens the agent refuses itself', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  const cases: [string, () => Promise<string>, string][] = [
    ['expired', () => issuer.sign({oid: USER, exp: now() - 600}), 'ERR_AUTH_TOKEN_EXPIRED'],
    [
      'not yet valid',
      () => issuer.sign({oid: USER, nbf: now() + 600}),
      'ERR_AUTH_TOKEN_NOT_YET_VALID',
    ],
    [
      'for another cluster',
      () => issuer.sign({oid: USER, aud: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff'}),
      'ERR_AUTH_AUDIENCE_REJECTED',
    ],
    [
      'from another issuer',
      () =>
        issuer.sign({
          oid: USER,
          iss: 'https://login.microsoftonline.com/5d1c7a6e-2b3f-4c8d-9e0a-1f2b3c4d5e6f/',
        }),
      'ERR_AUTH_ISSUER_REJECTED',
    ],
    [
      'from another tenant',
      () => issuer.sign({oid: USER, tid: '99999999-2b3f-4c8d-9e0a-1f2b3c4d5e6f'}),
      'ERR_AUTH_TENANT_REJECTED',
    ],
    [
      'with alg none',
      () =>
        Promise.resolve(
          `${encode({alg: 'none', typ: 'JWT'})}.${encode({iss: issuer.issuer, aud: API, tid: TENANT, oid: USER, ver: '2.0', exp: now() + 600})}.`,
        ),
      'ERR_AUTH_ALGORITHM_REJECTED',
    ],
    [
      'signed HS256 with the public key',
      () =>
        new SignJWT({
          iss: issuer.issuer,
          aud: API,
          tid: TENANT,
          oid: USER,
          ver: '2.0',
          exp: now() + 600,
        })
          .setProtectedHeader({alg: 'HS256', kid: 'test-key'})
          .sign(new TextEncoder().encode(JSON.stringify(issuer.publicJwk))),
      'ERR_AUTH_ALGORITHM_REJECTED',
    ],
    [
      'with an unknown kid',
      () => issuer.sign({oid: USER}, {kid: 'rotated-away'}),
      'ERR_AUTH_KEY_UNKNOWN',
    ],
    [
      'tampered',
      async () => {
        const [header, , signature] = (await issuer.sign({oid: NOBODY})).split('.');
        const claims = {
          iss: issuer.issuer,
          aud: API,
          tid: TENANT,
          oid: USER,
          ver: '2.0',
          exp: now() + 600,
        };
        return `${header ?? ''}.${encode(claims)}.${signature ?? ''}`;
      },
      'ERR_AUTH_SIGNATURE_INVALID',
    ],
  ];

  const refused: string[] = [];

  it.each(cases)('a token %s: 401 with its reason', async (what, token, code) => {
    const path = `/api/v1/namespaces/refused-${what.replace(/\W+/g, '-')}/pods`;
    refused.push(path);
    const result = await as(await token(), ['get', '--raw', path, '-v=6']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/status="401 Unauthorized"/);
    expect(result.stderr).toContain(code);
  });

  it('none of them reached the apiserver: its audit log has an accepted request, and none of them', async () => {
    const accepted = `/api/v1/namespaces/${namespace}/pods`;
    expect(await as(await issuer.sign({oid: USER}), ['get', '--raw', accepted])).toMatchObject({
      code: 0,
    });
    await sleep(1500); // the audit log is written asynchronously
    const audit = await readFile(cluster.auditLogPath, 'utf8');
    expect(audit).toContain(accepted);
    expect(refused).toHaveLength(cases.length);
    expect(refused.filter((path) => audit.includes(path))).toEqual([]);
  });
});

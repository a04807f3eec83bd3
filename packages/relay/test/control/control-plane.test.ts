import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {WebSocket} from 'ws';

import {ID, BULK_IDS} from '../identity/fixtures.js';
import {schemas, startControlRelay, STORES} from './control-fixture.js';
import type {ControlRelay, TestStore} from './control-fixture.js';

type Json = Record<string, unknown>;

/** The status a WebSocket upgrade to the relay gets: 101, or the HTTP status that refused it. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', () => resolve(0));
  });
}

function errorOf(body: unknown): {
  code: string;
  message: string;
  hint?: string;
  correlationId: string;
} {
  schemas.assert('Error', body);
  return (body as {error: {code: string; message: string; hint?: string; correlationId: string}})
    .error;
}

describe.each(STORES)('the control plane on $name', (backend) => {
  let testStore: TestStore;
  let cp: ControlRelay;

  beforeEach(async () => {
    testStore = await backend.open();
    cp = await startControlRelay(testStore.store, {
      offlineAfterMs: 60_000,
      agentCredentialSeconds: 3600,
      rotatedKeyGraceMs: 120_000,
    });
  });

  afterEach(async () => {
    await cp.close();
    await testStore.drop();
  });

  async function connect(name = 'prod'): Promise<{cluster: Json; key: string}> {
    const created = await cp.call('POST', '/api/v1/clusters', {
      token: await cp.tokenOf('alice'),
      body: {name},
    });
    expect(created.status).toBe(201);
    schemas.assert('ClusterCreated', created.body);
    const body = created.body as {cluster: Json; agentCredential: {key: string}};
    return {cluster: body.cluster, key: body.agentCredential.key};
  }

  it('serves its OpenAPI document, its sign-in metadata and the allowlist without sign-in', async () => {
    const document = await cp.call('GET', '/api/v1/openapi.json');
    expect(document.status).toBe(200);
    expect((document.body as {openapi: string}).openapi).toBe('3.1.0');

    const metadata = await cp.call('GET', '/api/v1/metadata');
    schemas.assert('Metadata', metadata.body);
    expect(metadata.body).toMatchObject({
      relay: cp.origin,
      authentication: {tenantId: ID.tenant, serverApp: ID.api, clientId: ID.cli},
    });

    const allowlist = await cp.call(
      'GET',
      '/urls/allowlist?api-version=2020-01-01&location=westeurope',
    );
    expect(allowlist.status).toBe(200);
    // The relay, and the issuer agents read keys from: both on loopback here.
    expect(allowlist.body).toEqual(['127.0.0.1']);

    const noVersion = await cp.call('GET', '/urls/allowlist?location=westeurope');
    expect(noVersion.status).toBe(400);
    expect(errorOf(noVersion.body).code).toBe('ERR_CONTROL_INVALID_REQUEST');
  });

  it('refuses callers without a valid sign-in, with a hint to sign in', async () => {
    const none = await cp.call('GET', '/api/v1/clusters');
    expect(none.status).toBe(401);
    expect(errorOf(none.body)).toMatchObject({
      code: 'ERR_CONTROL_UNAUTHENTICATED',
      hint: 'Run "porthole login", then try again.',
    });

    const garbage = await cp.call('GET', '/api/v1/clusters', {token: 'not-a-jwt'});
    expect(garbage.status).toBe(401);
    expect(errorOf(garbage.body).code).toBe('ERR_CONTROL_UNAUTHENTICATED');

    const token = await cp.tokenOf('alice');
    cp.advance(3 * 3600_000);
    const expired = await cp.call('GET', '/api/v1/clusters', {token});
    expect(expired.status).toBe(401);
    expect(errorOf(expired.body)).toMatchObject({
      code: 'ERR_CONTROL_UNAUTHENTICATED',
      message: 'The sign-in has expired',
    });
  });

  it('lets administrators connect clusters, and refuses duplicates, bad names and bad bodies', async () => {
    const {cluster} = await connect('prod');
    expect(cluster).toMatchObject({
      name: 'prod',
      hybridConnection: 'clusters/prod',
      createdBy: ID.alice,
      connectivityStatus: 'Connecting',
      agentVersion: null,
    });
    const alice = await cp.tokenOf('alice');
    const duplicate = await cp.call('POST', '/api/v1/clusters', {
      token: alice,
      body: {name: 'prod'},
    });
    expect(duplicate.status).toBe(409);
    expect(errorOf(duplicate.body).code).toBe('ERR_CONTROL_CLUSTER_EXISTS');

    for (const name of ['', '-prod', 'a/b', 'x'.repeat(64), 'white space', 42]) {
      const invalid = await cp.call('POST', '/api/v1/clusters', {token: alice, body: {name}});
      expect(invalid.status, JSON.stringify(name)).toBe(400);
      expect(errorOf(invalid.body).code).toBe('ERR_CONTROL_INVALID_REQUEST');
    }
    const unknownField = await cp.call('POST', '/api/v1/clusters', {
      token: alice,
      body: {name: 'x', region: 'eu'},
    });
    expect(errorOf(unknownField.body).message).toContain('Unknown field "region"');
    const notJson = await cp.call('POST', '/api/v1/clusters', {
      token: alice,
      raw: '{',
      headers: {'content-type': 'application/json'},
    });
    expect(errorOf(notJson.body).message).toBe('The request body is not valid JSON');
    const tooLarge = await cp.call('POST', '/api/v1/clusters', {
      token: alice,
      body: {name: 'x'.repeat(70_000)},
    });
    expect(tooLarge.status).toBe(413);
    expect(errorOf(tooLarge.body).code).toBe('ERR_CONTROL_BODY_TOO_LARGE');
  });

  it('refuses what a caller lacks the role for, naming the role', async () => {
    await connect('prod');
    const bob = await cp.tokenOf('bob');
    const create = await cp.call('POST', '/api/v1/clusters', {token: bob, body: {name: 'bobs'}});
    expect(create.status).toBe(403);
    expect(errorOf(create.body).message).toBe(
      `Connecting cluster bobs needs the relay Administrator role, which ${ID.bob} does not hold`,
    );
    const read = await cp.call('GET', '/api/v1/clusters/prod', {token: bob});
    expect(read.status).toBe(403);
    expect(errorOf(read.body).message).toContain('needs the Cluster User role');
    const credential = await cp.call('POST', '/api/v1/clusters/prod/listClusterUserCredential', {
      token: bob,
    });
    expect(credential.status).toBe(403);
    expect(errorOf(credential.body).hint).toContain(
      `porthole role assignment create --cluster prod --role "Cluster User" --assignee ${ID.bob}`,
    );
    const assign = await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: bob,
      body: {principalId: ID.bob, role: 'Cluster Admin'},
    });
    expect(assign.status).toBe(403);
    const remove = await cp.call('DELETE', '/api/v1/clusters/prod', {token: bob});
    expect(remove.status).toBe(403);
    const list = await cp.call('GET', '/api/v1/clusters', {token: bob});
    expect(list.body).toEqual({value: []});
    const unknown = await cp.call('GET', '/api/v1/clusters/nope', {token: bob});
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body)).toMatchObject({
      code: 'ERR_CONTROL_CLUSTER_NOT_FOUND',
      message: 'There is no cluster named nope',
    });
  });

  it('keeps role assignments that let their principals and groups see the cluster and get credentials', async () => {
    await connect('prod');
    const alice = await cp.tokenOf('alice');
    const bob = await cp.tokenOf('bob');
    const created = await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: ID.bob, principalType: 'User', role: 'Viewer', namespace: 'web'},
    });
    expect(created.status).toBe(201);
    schemas.assert('RoleAssignment', created.body);
    expect(created.body).toMatchObject({
      scope: 'clusters/prod/namespaces/web',
      createdBy: ID.alice,
    });
    const again = await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: ID.bob, principalType: 'User', role: 'Viewer', namespace: 'web'},
    });
    expect(again.status).toBe(409);
    expect(errorOf(again.body).code).toBe('ERR_CONTROL_ASSIGNMENT_EXISTS');
    for (const body of [
      {principalId: 'bob', role: 'Viewer'},
      {principalId: ID.bob, role: 'Owner'},
      {principalId: ID.bob, role: 'Viewer', namespace: 'Not_A_Namespace'},
      {principalId: ID.bob, role: 'Viewer', principalType: 'Robot'},
    ]) {
      const invalid = await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
        token: alice,
        body,
      });
      expect(invalid.status, JSON.stringify(body)).toBe(400);
    }

    const list = await cp.call('GET', '/api/v1/clusters', {token: bob});
    schemas.assert('ClusterList', list.body);
    expect((list.body as {value: Json[]}).value.map((cluster) => cluster.name)).toEqual(['prod']);
    const credential = await cp.call('POST', '/api/v1/clusters/prod/listClusterUserCredential', {
      token: bob,
      body: {authenticationMethod: 'AAD', clientProxy: true},
    });
    expect(credential.status).toBe(200);
    schemas.assert('ClusterUserCredential', credential.body);
    const config = (
      credential.body as {hybridConnectionConfig: {token: string; expirationTime: number}}
    ).hybridConnectionConfig;
    expect(config).toMatchObject({hybridConnectionName: 'clusters/prod', relay: cp.origin});
    expect(config.expirationTime * 1000 - Date.now()).toBeGreaterThan(3500_000);
    // The token is a sender's: the relay lets it through to a cluster with no agent (404), and a
    // tampered one not at all (401).
    const ws = cp.origin.replace('http', 'ws');
    const address = `${ws}/$hc/clusters/prod?sb-hc-action=connect&sb-hc-token=`;
    expect(await upgradeStatus(address + encodeURIComponent(config.token))).toBe(404);
    expect(
      await upgradeStatus(
        address + encodeURIComponent(config.token.replace(/se=\d+/, 'se=9999999999')),
      ),
    ).toBe(401);

    const assignments = await cp.call('GET', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
    });
    schemas.assert('RoleAssignmentList', assignments.body);
    const id = (assignments.body as {value: {id: string}[]}).value[0]?.id ?? '';
    expect(
      (await cp.call('DELETE', `/api/v1/clusters/prod/roleAssignments/${id}`, {token: alice}))
        .status,
    ).toBe(204);
    const gone = await cp.call('DELETE', `/api/v1/clusters/prod/roleAssignments/${id}`, {
      token: alice,
    });
    expect(errorOf(gone.body).code).toBe('ERR_CONTROL_ASSIGNMENT_NOT_FOUND');
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: bob})).status).toBe(403);
  });

  it('counts assignments to the groups in a token', async () => {
    await connect('prod');
    const alice = await cp.tokenOf('alice');
    // Carol's token lists her groups unless she has too many: give her a group of her own.
    await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: ID.platform, principalType: 'Group', role: 'Cluster User'},
    });
    const carol = await cp.tokenOf('carol');
    // Carol is in 250 groups: her token carries the overage pair, and without a Graph reader
    // only her own object id counts.
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: carol})).status).toBe(403);
    await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: BULK_IDS[0], principalType: 'Group', role: 'Viewer'},
    });
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: carol})).status).toBe(403);
    await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: ID.carol, role: 'Viewer'},
    });
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: carol})).status).toBe(200);
  });

  it('takes heartbeats from the agent credential only, and tells Connected, Offline and Expired apart', async () => {
    const {key} = await connect('prod');
    const agent = await cp.agentToken('prod', key);
    const heartbeat = {
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.36.3',
      totalNodeCount: 3,
      agentErrors: [],
    };
    const answer = await cp.call('POST', '/api/v1/clusters/prod/agent/heartbeat', {
      token: agent,
      body: heartbeat,
    });
    expect(answer.status).toBe(200);
    schemas.assert('AgentConfiguration', answer.body);
    expect(answer.body).toMatchObject({
      cluster: 'prod',
      heartbeatIntervalSeconds: 30,
      entra: {tenants: [ID.tenant], audiences: [ID.api]},
    });
    const alice = await cp.tokenOf('alice');
    const shown = await cp.call('GET', '/api/v1/clusters/prod', {token: alice});
    schemas.assert('Cluster', shown.body);
    expect(shown.body).toMatchObject({
      connectivityStatus: 'Connected',
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.36.3',
      totalNodeCount: 3,
    });

    cp.advance(61_000);
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: alice})).body).toMatchObject({
      connectivityStatus: 'Offline',
    });
    await cp.call('POST', '/api/v1/clusters/prod/agent/heartbeat', {
      token: await cp.agentToken('prod', key),
      body: {...heartbeat, agentErrors: ['cannot list nodes: 403']},
    });
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: alice})).body).toMatchObject({
      connectivityStatus: 'Connected',
      agentErrors: ['cannot list nodes: 403'],
    });

    // A user's token, the sender rule and another cluster's key are all refused.
    const asUser = await cp.call('POST', '/api/v1/clusters/prod/agent/heartbeat', {
      token: alice,
      body: heartbeat,
    });
    expect(asUser.status).toBe(401);
    const other = await connect('other');
    const crossed = await cp.call('POST', '/api/v1/clusters/prod/agent/heartbeat', {
      token: await cp.agentToken('prod', other.key),
      body: heartbeat,
    });
    expect(crossed.status).toBe(401);
    const invalid = await cp.call('POST', '/api/v1/clusters/prod/agent/heartbeat', {
      token: await cp.agentToken('prod', key),
      body: {agentVersion: '', totalNodeCount: -1},
    });
    expect(invalid.status).toBe(400);
  });

  it('rotates the agent credential, keeping the old key for its grace only', async () => {
    const {key} = await connect('prod');
    const rotated = await cp.call('POST', '/api/v1/clusters/prod/agent/rotateCredential', {
      token: await cp.agentToken('prod', key),
    });
    expect(rotated.status).toBe(200);
    schemas.assert('AgentCredential', rotated.body);
    const next = (rotated.body as {key: string}).key;
    expect(next).not.toBe(key);
    const configuration = async (withKey: string) =>
      (
        await cp.call('GET', '/api/v1/clusters/prod/agent/configuration', {
          token: await cp.agentToken('prod', withKey),
        })
      ).status;
    expect(await configuration(key)).toBe(200);
    expect(await configuration(next)).toBe(200);
    cp.advance(121_000);
    expect(await configuration(key)).toBe(401);
    expect(await configuration(next)).toBe(200);
    const assignments = await cp.call('GET', '/api/v1/clusters/prod/agent/roleAssignments', {
      token: await cp.agentToken('prod', next),
    });
    schemas.assert('AgentRoleAssignments', assignments.body);
  });

  it('shows Expired once the agent credential lapses, and a regenerated one revokes the old at once', async () => {
    const {key} = await connect('prod');
    const alice = await cp.tokenOf('alice');
    const regenerated = await cp.call('POST', '/api/v1/clusters/prod/agentCredential/regenerate', {
      token: alice,
    });
    schemas.assert('AgentCredential', regenerated.body);
    const fresh = (regenerated.body as {key: string}).key;
    const heartbeat = (withKey: string) =>
      cp.agentToken('prod', withKey).then((token) =>
        cp.call('POST', '/api/v1/clusters/prod/agent/heartbeat', {
          token,
          body: {agentVersion: '0.1.0'},
        }),
      );
    expect((await heartbeat(key)).status).toBe(401);
    expect((await heartbeat(fresh)).status).toBe(200);

    const before = await cp.call('GET', '/api/v1/clusters', {token: alice});
    expect((before.body as {value: Json[]}).value[0]).toMatchObject({
      connectivityStatus: 'Connected',
    });
    // The credential lapses (as it would after its lifetime, unrotated): the agent can no
    // longer connect, and the cluster shows Expired.
    const rule = await cp.store.getAuthorizationRule('clusters/prod', 'porthole-agent');
    if (!rule) throw new Error('no agent rule');
    await cp.store.putAuthorizationRule({
      ...rule,
      primaryKeyExpiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const after = await cp.call('GET', '/api/v1/clusters/prod', {token: alice});
    expect(after.body).toMatchObject({connectivityStatus: 'Expired'});
    expect((await heartbeat(fresh)).status).toBe(401);
  });

  it('deletes a cluster with its hybrid connection, rules and assignments, and disconnects its agent', async () => {
    const {key} = await connect('prod');
    const alice = await cp.tokenOf('alice');
    await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: ID.bob, role: 'Viewer'},
    });
    const listener = new WebSocket(
      `${cp.origin.replace('http', 'ws')}/$hc/clusters/prod?sb-hc-action=listen&sb-hc-token=${encodeURIComponent(await cp.agentToken('prod', key))}`,
    );
    await new Promise((resolve, reject) => {
      listener.once('open', resolve);
      listener.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => listener.once('close', resolve));
    const response = await cp.call('DELETE', '/api/v1/clusters/prod', {
      token: alice,
      headers: {'x-ms-correlation-request-id': 'doctor-0001'},
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('x-ms-correlation-request-id')).toBe('doctor-0001');
    expect(await closed).toBe(1001);
    expect(cp.log).toContainEqual(
      expect.objectContaining({
        event: 'control.request',
        correlationId: 'doctor-0001',
        status: 204,
        principal: ID.alice,
      }),
    );
    expect(await cp.store.getCluster('prod')).toBeUndefined();
    expect(await cp.store.getHybridConnection('clusters/prod')).toBeUndefined();
    expect(await cp.store.listRoleAssignments('prod')).toEqual([]);
    expect((await cp.call('GET', '/api/v1/clusters/prod', {token: alice})).status).toBe(404);
  });

  it('answers unknown paths and methods with codes, not with a hybrid connection', async () => {
    const missing = await cp.call('GET', '/api/v2/clusters');
    expect(missing.status).toBe(404);
    expect(errorOf(missing.body).code).toBe('ERR_CONTROL_NOT_FOUND');
    const method = await cp.call('PATCH', '/api/v1/clusters');
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, POST');
    expect(errorOf(method.body).code).toBe('ERR_CONTROL_METHOD_NOT_ALLOWED');
  });
});

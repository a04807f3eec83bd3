/**
 * Group overage on the control plane: a token of a principal in more than 200 groups carries
 * `_claim_names`/`_claim_sources` instead of `groups`, so a role held through one of them
 * counts only when the relay reads the groups from Graph — here the embedded provider's —
 * and a Graph that cannot answer is a 503 with a hint, never a refusal or a stack.
 */
import {once} from 'node:events';
import {createServer} from 'node:net';
import type {AddressInfo} from 'node:net';

import {afterEach, beforeEach, describe, expect, it, onTestFinished} from 'vitest';

import {clientCredentialToken, GraphGroupResolver} from '@porthole/core/auth';

import {fetchTrusting} from '../../src/index.js';
import type {DevIdentityProvider} from '../../src/index.js';
import {BULK_IDS, claimsOf, ID, postForm, SECRETS} from '../identity/fixtures.js';
import {schemas, startControlRelay, STORES} from './control-fixture.js';
import type {ControlRelay, TestStore} from './control-fixture.js';

const sqlite = STORES.find((backend) => backend.name === 'SQLite');

/** The groups reader of an app of the provider's directory, over the provider's own CA. */
function graphReader(
  clientId: string,
  clientSecret: string,
  graphBaseUrl?: string,
): (identity: DevIdentityProvider) => GraphGroupResolver {
  return (identity) => {
    const fetch = fetchTrusting(identity.caPem);
    return new GraphGroupResolver({
      graphBaseUrl: graphBaseUrl ?? identity.graphBaseUrl,
      fetch,
      token: clientCredentialToken({
        fetch,
        tokenEndpoint: identity.tokenEndpoint,
        clientId,
        clientSecret,
        scope: `${identity.graphAudience}/.default`,
      }),
    });
  };
}

function errorOf(body: unknown): {code: string; message: string; hint?: string} {
  schemas.assert('Error', body);
  return (body as {error: {code: string; message: string; hint?: string}}).error;
}

describe('the control plane with group overage', () => {
  let testStore: TestStore;
  let cp: ControlRelay | undefined;

  beforeEach(async () => {
    if (!sqlite) throw new Error('no SQLite store');
    testStore = await sqlite.open();
  });

  afterEach(async () => {
    await cp?.close();
    cp = undefined;
    await testStore.drop();
  });

  /** A relay with cluster `prod`, on which group `bulk-123` (of carol's 250) is Cluster User. */
  async function relayWithGroupRole(
    groups?: (identity: DevIdentityProvider) => GraphGroupResolver,
  ): Promise<ControlRelay> {
    cp = await startControlRelay(testStore.store, {}, groups ? {groups} : {});
    const alice = await cp.tokenOf('alice');
    expect(
      (await cp.call('POST', '/api/v1/clusters', {token: alice, body: {name: 'prod'}})).status,
    ).toBe(201);
    const granted = await cp.call('POST', '/api/v1/clusters/prod/roleAssignments', {
      token: alice,
      body: {principalId: BULK_IDS[123], principalType: 'Group', role: 'Cluster User'},
    });
    expect(granted.status).toBe(201);
    return cp;
  }

  it('lets in a user who holds a role only through a group, read from Graph', async () => {
    const relay = await relayWithGroupRole(graphReader(ID.agent, SECRETS.agent));
    const carol = await relay.tokenOf('carol');
    expect(claimsOf(carol)).toMatchObject({_claim_names: {groups: 'src1'}});
    expect(claimsOf(carol)).not.toHaveProperty('groups');

    const shown = await relay.call('GET', '/api/v1/clusters/prod', {token: carol});
    expect(shown.status).toBe(200);
    schemas.assert('Cluster', shown.body);
    const listed = await relay.call('GET', '/api/v1/clusters', {token: carol});
    expect((listed.body as {value: {name: string}[]}).value.map(({name}) => name)).toEqual([
      'prod',
    ]);
    const credential = await relay.call('POST', '/api/v1/clusters/prod/listClusterUserCredential', {
      token: carol,
    });
    expect(credential.status).toBe(200);
  });

  it('lets in a service principal with group overage alike', async () => {
    const relay = await relayWithGroupRole(graphReader(ID.agent, SECRETS.agent));
    const answer = await postForm(relay.identity.tokenEndpoint, relay.identity.caPem, {
      grant_type: 'client_credentials',
      client_id: ID.crowd,
      client_secret: SECRETS.crowd,
      scope: `api://${ID.api}/.default`,
    });
    const crowd = (JSON.parse(answer.text) as {access_token: string}).access_token;
    expect(claimsOf(crowd)).toMatchObject({idtyp: 'app', _claim_names: {groups: 'src1'}});
    expect((await relay.call('GET', '/api/v1/clusters/prod', {token: crowd})).status).toBe(200);
  });

  it('refuses that user without a Graph reader, naming the role it lacks', async () => {
    const relay = await relayWithGroupRole();
    const refused = await relay.call('GET', '/api/v1/clusters/prod', {
      token: await relay.tokenOf('carol'),
    });
    expect(refused.status).toBe(403);
    expect(errorOf(refused.body)).toMatchObject({
      code: 'ERR_CONTROL_FORBIDDEN',
      message: `Reading cluster prod needs the Cluster User role (or Viewer, Writer, Admin, Cluster Admin) on it, which ${ID.carol} does not hold`,
    });
  });

  it('answers 503 ERR_CONTROL_UNAVAILABLE with a hint when Graph refuses the relay', async () => {
    const relay = await relayWithGroupRole(graphReader(ID.unprivileged, SECRETS.unprivileged));
    const answer = await relay.call('GET', '/api/v1/clusters/prod', {
      token: await relay.tokenOf('carol'),
    });
    expect(answer.status).toBe(503);
    expect(errorOf(answer.body)).toEqual({
      code: 'ERR_CONTROL_UNAVAILABLE',
      message: `Cannot read the groups of user ${ID.carol} from Microsoft Graph: Graph answered 403 Authorization_RequestDenied; the roles it holds through groups cannot be checked`,
      hint: "Try again shortly. The token has too many groups to carry, so the relay reads them from Microsoft Graph: its operator should check the relay's Graph settings (--graph-*) and that it reaches Graph.",
      correlationId: expect.any(String) as string,
    });
  });

  it('answers 503 ERR_CONTROL_UNAVAILABLE when Graph is down, and lets in tokens that list their groups', async () => {
    // A Graph that drops every connection.
    const down = createServer((socket) => socket.destroy());
    down.listen(0, '127.0.0.1');
    await once(down, 'listening');
    onTestFinished(async () => {
      down.close();
      await once(down, 'close');
    });
    const {port} = down.address() as AddressInfo;
    const relay = await relayWithGroupRole(
      graphReader(ID.agent, SECRETS.agent, `https://127.0.0.1:${port}/graph`),
    );

    const answer = await relay.call('GET', '/api/v1/clusters/prod', {
      token: await relay.tokenOf('carol'),
    });
    expect(answer.status).toBe(503);
    const error = errorOf(answer.body);
    expect(error.code).toBe('ERR_CONTROL_UNAVAILABLE');
    expect(error.message).toMatch(
      new RegExp(
        `^Cannot read the groups of user ${ID.carol} from Microsoft Graph: Graph is unreachable \\(.+\\); the roles it holds through groups cannot be checked$`,
      ),
    );
    expect(JSON.stringify(answer.body)).not.toMatch(/\bat .+\.js:\d+/);
    expect(relay.log).toContainEqual(
      expect.objectContaining({event: 'control.error', error: error.message}),
    );

    // Alice's token lists her groups: Graph is never asked.
    const alice = await relay.call('GET', '/api/v1/clusters/prod', {
      token: await relay.tokenOf('alice'),
    });
    expect(alice.status).toBe(200);
  });
});

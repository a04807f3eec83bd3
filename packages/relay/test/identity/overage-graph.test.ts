/**
 * Group overage (auth.md §1): past the threshold a token carries `_claim_names` and
 * `_claim_sources` instead of `groups`, and the fake Graph answers what Porthole's resolver
 * asks — `getMemberObjects`, `getMemberGroups`, `checkMemberGroups` and paged
 * `transitiveMemberOf` — for a client-credential Graph token only.
 */
import {randomUUID} from 'node:crypto';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {httpsRequest} from '@porthole/testing';
import type {HttpsResponse} from '@porthole/testing';

import {generateIdentitySigningKey} from '../../src/index.js';
import {BULK_IDS, ID, SECRETS, claimsOf, postForm, startTestIdentity} from './fixtures.js';
import type {TestIdentity} from './fixtures.js';

const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';

/** Every group carol (and the `crowd` service principal) belongs to: 250. */
const CAROL_GROUPS = () => [ID.platform, ...BULK_IDS, ID.engineering, ID.everyone];

let test: TestIdentity;
let graphToken: string;
beforeAll(async () => {
  test = await startTestIdentity();
  graphToken = await clientToken(test, ID.agent, SECRETS.agent, GRAPH_DEFAULT);
});
afterAll(() => test.identity.close());

async function clientToken(
  target: TestIdentity,
  clientId: string,
  secret: string,
  scope: string,
): Promise<string> {
  const response = await postForm(target.identity.tokenEndpoint, target.identity.caPem, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: secret,
    scope,
  });
  expect(response.status).toBe(200);
  return (JSON.parse(response.text) as {access_token: string}).access_token;
}

function graph(
  path: string,
  options: {body?: unknown; token?: string | null; method?: string; target?: TestIdentity} = {},
): Promise<HttpsResponse> {
  const {identity} = options.target ?? test;
  const token = options.token === undefined ? graphToken : options.token;
  const url = path.startsWith('https://') ? path : `${identity.graphBaseUrl}${path}`;
  return httpsRequest(url, {
    ca: identity.caPem,
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token === null ? {} : {authorization: `Bearer ${token}`}),
      ...(options.body === undefined ? {} : {'content-type': 'application/json'}),
    },
    ...(options.body === undefined ? {} : {body: JSON.stringify(options.body)}),
  });
}

function json(response: HttpsResponse): Record<string, unknown> {
  return JSON.parse(response.text) as Record<string, unknown>;
}

describe('group overage in tokens', () => {
  it('gives a user with 250 groups the overage pair instead of groups', async () => {
    const {identity} = test;
    const claims = claimsOf((await identity.signIn('carol')).access_token);
    expect(claims._claim_names).toEqual({groups: 'src1'});
    expect(claims._claim_sources).toEqual({
      src1: {endpoint: `${identity.graphBaseUrl}/v1.0/users/${ID.carol}/getMemberObjects`},
    });
    expect(claims).not.toHaveProperty('groups');
  });

  it('gives a service principal with 250 groups the overage pair too', async () => {
    const {identity} = test;
    const token = await clientToken(test, ID.crowd, SECRETS.crowd, `api://${ID.api}/.default`);
    const claims = claimsOf(token);
    expect(claims).toMatchObject({idtyp: 'app', oid: ID.crowdObject});
    expect(claims._claim_names).toEqual({groups: 'src1'});
    expect(claims._claim_sources).toEqual({
      src1: {
        endpoint: `${identity.graphBaseUrl}/v1.0/servicePrincipals/${ID.crowdObject}/getMemberObjects`,
      },
    });
    expect(claims).not.toHaveProperty('groups');
  });

  it('keeps groups at exactly the threshold, and applies a configured one', async () => {
    const at = await startTestIdentity({overageThreshold: 250});
    const low = await startTestIdentity({overageThreshold: 3});
    try {
      const carol = claimsOf((await at.identity.signIn('carol')).access_token);
      expect(carol.groups).toHaveLength(250);
      expect(new Set(carol.groups as string[])).toEqual(new Set(CAROL_GROUPS()));
      // alice has 4 groups: over a threshold of 3.
      const alice = claimsOf((await low.identity.signIn('alice')).access_token);
      expect(alice._claim_names).toEqual({groups: 'src1'});
      expect(alice).not.toHaveProperty('groups');
    } finally {
      await at.identity.close();
      await low.identity.close();
    }
  });
});

describe('Graph getMemberObjects and getMemberGroups', () => {
  it('resolves the overage endpoint of the token to every group, transitively', async () => {
    const endpoint = (
      claimsOf((await test.identity.signIn('carol')).access_token)._claim_sources as {
        src1: {endpoint: string};
      }
    ).src1.endpoint;
    const response = await graph(endpoint, {body: {securityEnabledOnly: true}});
    expect(response.status).toBe(200);
    const body = json(response);
    expect(body['@odata.context']).toBe(
      `${test.identity.graphBaseUrl}/v1.0/$metadata#Collection(Edm.String)`,
    );
    expect(body.value).toHaveLength(250);
    expect(new Set(body.value as string[])).toEqual(new Set(CAROL_GROUPS()));
  });

  it('answers for service principals, directory objects and users by UPN', async () => {
    for (const path of [
      `/v1.0/servicePrincipals/${ID.crowdObject}/getMemberGroups`,
      `/v1.0/directoryObjects/${ID.crowdObject}/getMemberObjects`,
    ]) {
      const response = await graph(path, {body: {securityEnabledOnly: true}});
      expect(response.status).toBe(200);
      expect(new Set(json(response).value as string[])).toEqual(new Set(CAROL_GROUPS()));
    }
    const byUpn = await graph('/v1.0/users/alice@contoso.example/getMemberGroups', {
      body: {securityEnabledOnly: false},
    });
    expect(json(byUpn).value).toEqual([ID.platform, ID.mailing, ID.engineering, ID.everyone]);
  });

  it('leaves out groups that are not security-enabled when asked', async () => {
    const response = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
    });
    expect(json(response).value).toEqual([ID.platform, ID.engineering, ID.everyone]);
    const missing = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {body: {}});
    expect(missing.status).toBe(400);
    expect(json(missing)).toEqual({
      error: {
        code: 'Request_BadRequest',
        message: "The parameter 'securityEnabledOnly' must be true or false.",
      },
    });
  });

  it('answers Directory_ResultSizeLimitExceeded past graphMaxMemberObjects', async () => {
    const small = await startTestIdentity({limits: {graphMaxMemberObjects: 100}});
    try {
      const token = await clientToken(small, ID.agent, SECRETS.agent, GRAPH_DEFAULT);
      const response = await graph(`/v1.0/users/${ID.carol}/getMemberObjects`, {
        body: {securityEnabledOnly: true},
        token,
        target: small,
      });
      expect(response.status).toBe(400);
      expect(json(response)).toEqual({
        error: {
          code: 'Directory_ResultSizeLimitExceeded',
          message: 'The result exceeds 100 objects; page through transitiveMemberOf instead.',
        },
      });
    } finally {
      await small.identity.close();
    }
  });
});

describe('Graph trusts its own provider only', () => {
  it("refuses another provider's tokens, even one sharing the signing key", async () => {
    const key = await generateIdentitySigningKey();
    const one = await startTestIdentity({keys: [key]});
    const twin = await startTestIdentity({keys: [key]});
    try {
      const body = {securityEnabledOnly: true};
      const path = `/v1.0/users/${ID.alice}/getMemberObjects`;
      const foreign = await graph(path, {body, target: one});
      expect(foreign.status).toBe(401);
      expect(json(foreign)).toEqual({
        error: {
          code: 'InvalidAuthenticationToken',
          message: 'Access token validation failure: unknown signing key.',
        },
      });
      const twinToken = await clientToken(twin, ID.agent, SECRETS.agent, GRAPH_DEFAULT);
      const otherIssuer = await graph(path, {body, token: twinToken, target: one});
      expect(otherIssuer.status).toBe(401);
      expect(json(otherIssuer)).toEqual({
        error: {
          code: 'InvalidAuthenticationToken',
          message: 'Access token validation failure. Invalid issuer.',
        },
      });
      const own = await clientToken(one, ID.agent, SECRETS.agent, GRAPH_DEFAULT);
      expect((await graph(path, {body, token: own, target: one})).status).toBe(200);
    } finally {
      await one.identity.close();
      await twin.identity.close();
    }
  });
});

describe('Graph checkMemberGroups', () => {
  it('returns the given groups the principal belongs to, transitively', async () => {
    const stranger = randomUUID();
    const response = await graph(`/v1.0/users/${ID.alice}/checkMemberGroups`, {
      body: {groupIds: [ID.everyone, stranger, BULK_IDS[0], ID.platform]},
    });
    expect(response.status).toBe(200);
    expect(json(response)).toEqual({value: [ID.everyone, ID.platform]});
  });

  it('refuses more than 20 group ids', async () => {
    const response = await graph(`/v1.0/users/${ID.carol}/checkMemberGroups`, {
      body: {groupIds: BULK_IDS.slice(0, 21)},
    });
    expect(response.status).toBe(400);
    expect(json(response)).toEqual({
      error: {
        code: 'Request_BadRequest',
        message: 'The number of group ids (21) exceeds the limit of 20.',
      },
    });
    const twenty = await graph(`/v1.0/users/${ID.carol}/checkMemberGroups`, {
      body: {groupIds: BULK_IDS.slice(0, 20)},
    });
    expect(json(twenty).value).toEqual(BULK_IDS.slice(0, 20));
  });
});

describe('Graph transitiveMemberOf', () => {
  it('pages with $top and @odata.nextLink until every group is listed', async () => {
    const pages: Record<string, unknown>[] = [];
    let next: string | undefined = `/v1.0/users/${ID.carol}/transitiveMemberOf?$top=100`;
    while (next !== undefined) {
      const response = await graph(next);
      expect(response.status).toBe(200);
      const page = json(response);
      pages.push(page);
      next = page['@odata.nextLink'] as string | undefined;
      if (next !== undefined)
        expect(next.startsWith(`${test.identity.graphBaseUrl}/v1.0/users/`)).toBe(true);
    }
    expect(pages.map((page) => (page.value as unknown[]).length)).toEqual([100, 100, 50]);
    const entries = pages.flatMap((page) => page.value as Record<string, unknown>[]);
    expect(entries.map((entry) => entry.id)).toEqual(CAROL_GROUPS());
    expect(entries[0]).toEqual({
      '@odata.type': '#microsoft.graph.group',
      id: ID.platform,
      displayName: 'Platform team',
      securityEnabled: true,
    });
  });

  it('takes the group cast and $select=id, as the resolver asks', async () => {
    const response = await graph(
      `/v1.0/servicePrincipals/${ID.deployerObject}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`,
    );
    expect(response.status).toBe(200);
    const page = json(response);
    expect(page.value).toEqual([
      {'@odata.type': '#microsoft.graph.group', id: ID.engineering},
      {'@odata.type': '#microsoft.graph.group', id: ID.everyone},
    ]);
    expect(page).not.toHaveProperty('@odata.nextLink');
  });

  it('refuses a $top out of range and a forged $skiptoken', async () => {
    const top = await graph(`/v1.0/users/${ID.carol}/transitiveMemberOf?$top=1000`);
    expect(top.status).toBe(400);
    expect(json(top)).toMatchObject({error: {code: 'Request_BadRequest'}});
    const skip = await graph(`/v1.0/users/${ID.carol}/transitiveMemberOf?$skiptoken=bm90LWpzb24`);
    expect(skip.status).toBe(400);
    expect(json(skip)).toEqual({
      error: {code: 'Request_BadRequest', message: 'Invalid $skiptoken.'},
    });
  });
});

describe('Graph authentication and addressing', () => {
  it('answers 401 without a token, with a malformed one, and with an API token', async () => {
    const none = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
      token: null,
    });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(json(none)).toEqual({
      error: {code: 'InvalidAuthenticationToken', message: 'Access token is empty.'},
    });

    const garbage = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
      token: 'not.a.jwt',
    });
    expect(garbage.status).toBe(401);
    expect(json(garbage)).toEqual({
      error: {code: 'InvalidAuthenticationToken', message: 'Access token is malformed.'},
    });

    const apiToken = await clientToken(test, ID.agent, SECRETS.agent, `api://${ID.api}/.default`);
    const wrongAudience = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
      token: apiToken,
    });
    expect(wrongAudience.status).toBe(401);
    expect(json(wrongAudience)).toEqual({
      error: {
        code: 'InvalidAuthenticationToken',
        message: 'Access token validation failure. Invalid audience.',
      },
    });

    const [header = '', payload = ''] = graphToken.split('.');
    const forged = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
      token: `${header}.${payload}.${Buffer.from('forged').toString('base64url')}`,
    });
    expect(forged.status).toBe(401);
    expect(json(forged)).toEqual({
      error: {
        code: 'InvalidAuthenticationToken',
        message: 'Access token validation failure: bad signature.',
      },
    });
  });

  it('answers 403 to an app without a membership-reading permission', async () => {
    const token = await clientToken(test, ID.unprivileged, SECRETS.unprivileged, GRAPH_DEFAULT);
    const response = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
      token,
    });
    expect(response.status).toBe(403);
    expect(json(response)).toEqual({
      error: {
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      },
    });
  });

  it('refuses Graph tokens to public clients', async () => {
    const response = await postForm(test.identity.tokenEndpoint, test.identity.caPem, {
      grant_type: 'password',
      client_id: ID.cli,
      username: 'alice',
      password: '',
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({error: 'invalid_scope'});
  });

  it('answers 404 for unknown principals and principals of another kind', async () => {
    const stranger = randomUUID();
    for (const path of [
      `/v1.0/users/${stranger}/getMemberObjects`,
      `/v1.0/users/${ID.crowdObject}/getMemberObjects`,
      `/v1.0/servicePrincipals/${ID.alice}/getMemberObjects`,
      `/v1.0/users/mallory@contoso.example/getMemberObjects`,
    ]) {
      const response = await graph(path, {body: {securityEnabledOnly: true}});
      expect(response.status).toBe(404);
      expect(json(response)).toMatchObject({error: {code: 'Request_ResourceNotFound'}});
    }
    expect(
      json(
        await graph(`/v1.0/users/${stranger}/getMemberObjects`, {
          body: {securityEnabledOnly: true},
        }),
      ),
    ).toEqual({
      error: {
        code: 'Request_ResourceNotFound',
        message: `Resource '${stranger}' does not exist or one of its queried reference-property objects are not present.`,
      },
    });
  });

  it('answers 400 for unknown segments and 405 for the wrong method', async () => {
    const unknown = await graph(`/v1.0/groups/${ID.platform}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
    });
    expect(unknown.status).toBe(400);
    expect(json(unknown)).toEqual({
      error: {code: 'BadRequest', message: "Resource not found for the segment 'groups'."},
    });
    const version = await graph(`/beta/users/${ID.alice}/getMemberObjects`, {
      body: {securityEnabledOnly: true},
    });
    expect(version.status).toBe(400);
    const method = await graph(`/v1.0/users/${ID.alice}/getMemberObjects`);
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe('POST');
  });

  it('answers 413 to a body over maxRequestBodyBytes', async () => {
    const response = await graph(`/v1.0/users/${ID.alice}/checkMemberGroups`, {
      body: {groupIds: ['x'.repeat(40 * 1024)]},
    });
    expect(response.status).toBe(413);
    expect(json(response)).toEqual({
      error: {code: 'Request_BadRequest', message: 'The request body exceeds 32768 bytes.'},
    });
  });
});

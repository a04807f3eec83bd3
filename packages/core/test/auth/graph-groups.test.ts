import {describe, expect, it} from 'vitest';

import {GraphGroupResolver} from '../../src/auth/index.js';
import type {GraphGroupResolverOptions} from '../../src/auth/index.js';
import {USER_OID} from './fake-issuer.js';

const GRAPH = 'https://graph.example.test';
const SP_OID = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
const NOW = 1_780_000_000_000;

function groupIds(count: number): string[] {
  return Array.from(
    {length: count},
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
}

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

/** A Graph endpoint answering from a table of URL → (status, body), recording each request. */
function fakeGraph(answer: (url: string) => [number, unknown]) {
  const seen: Seen[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers);
    seen.push({
      method: init?.method ?? 'GET',
      url,
      authorization: headers.get('authorization'),
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
    });
    await Promise.resolve();
    const [status, body] = answer(url);
    return Response.json(body, {status});
  };
  return {seen, fetch};
}

function resolver(
  fetch: typeof globalThis.fetch,
  options: Partial<GraphGroupResolverOptions> = {},
) {
  let now = NOW;
  const instance = new GraphGroupResolver({
    graphBaseUrl: GRAPH,
    token: () => Promise.resolve('graph-token'),
    now: () => now,
    fetch,
    ...options,
  });
  return {instance, advance: (ms: number) => (now += ms)};
}

async function rejection(promise: Promise<unknown>): Promise<{code: string; message: string}> {
  try {
    await promise;
  } catch (err) {
    return err as {code: string; message: string};
  }
  throw new Error('the groups were resolved');
}

describe('GraphGroupResolver', () => {
  it('reads a user’s security groups with getMemberObjects and its own token', async () => {
    const groups = groupIds(250);
    const graph = fakeGraph(() => [200, {value: groups}]);
    const {instance} = resolver(graph.fetch);
    expect(await instance.groupsOf({kind: 'user', objectId: USER_OID}, NOW / 1000 + 3600)).toEqual(
      groups,
    );
    expect(graph.seen).toEqual([
      {
        method: 'POST',
        url: `${GRAPH}/v1.0/users/${USER_OID}/getMemberObjects`,
        authorization: 'Bearer graph-token',
        body: {securityEnabledOnly: true},
      },
    ]);
  });

  it('asks the servicePrincipals collection for a service principal', async () => {
    const graph = fakeGraph(() => [200, {value: groupIds(3)}]);
    const {instance} = resolver(graph.fetch);
    await instance.groupsOf({kind: 'servicePrincipal', objectId: SP_OID}, NOW / 1000 + 3600);
    expect(graph.seen[0]?.url).toBe(`${GRAPH}/v1.0/servicePrincipals/${SP_OID}/getMemberObjects`);
  });

  it('keeps the groups until the token expires, capped, and shares concurrent reads', async () => {
    const graph = fakeGraph(() => [200, {value: groupIds(2)}]);
    const {instance, advance} = resolver(graph.fetch, {maxCacheMs: 600_000});
    const principal = {kind: 'user', objectId: USER_OID} as const;
    await Promise.all([
      instance.groupsOf(principal, NOW / 1000 + 60),
      instance.groupsOf(principal, NOW / 1000 + 60),
    ]);
    expect(graph.seen).toHaveLength(1);
    advance(59_000);
    await instance.groupsOf(principal, NOW / 1000 + 60);
    expect(graph.seen).toHaveLength(1);
    advance(2000);
    await instance.groupsOf(principal, NOW / 1000 + 7200);
    expect(graph.seen).toHaveLength(2);
    advance(600_001);
    await instance.groupsOf(principal, NOW / 1000 + 7200);
    expect(graph.seen).toHaveLength(3);
  });

  it('pages transitiveMemberOf when getMemberObjects has too many results', async () => {
    const [first, second] = [groupIds(999), groupIds(1200).slice(999)];
    const path = `${GRAPH}/v1.0/users/${USER_OID}`;
    const graph = fakeGraph((url) => {
      if (url.endsWith('/getMemberObjects'))
        return [400, {error: {code: 'Directory_ResultSizeLimitExceeded', message: 'too many'}}];
      if (url.includes('$skiptoken=2')) return [200, {value: second.map((id) => ({id}))}];
      return [
        200,
        {value: first.map((id) => ({id})), '@odata.nextLink': `${path}/next?$skiptoken=2`},
      ];
    });
    const {instance} = resolver(graph.fetch);
    const groups = await instance.groupsOf({kind: 'user', objectId: USER_OID}, NOW / 1000 + 3600);
    expect(groups).toEqual(groupIds(1200));
    expect(graph.seen.map((request) => request.url)).toEqual([
      `${path}/getMemberObjects`,
      `${path}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`,
      `${path}/next?$skiptoken=2`,
    ]);
  });

  it('fails closed, and tries again on the next request', async () => {
    let status = 403;
    const graph = fakeGraph(() => [
      status,
      status === 200 ? {value: []} : {error: {code: 'Authorization_RequestDenied'}},
    ]);
    const {instance} = resolver(graph.fetch);
    const principal = {kind: 'user', objectId: USER_OID} as const;
    const error = await rejection(instance.groupsOf(principal, NOW / 1000 + 3600));
    expect(error.code).toBe('ERR_AUTH_GROUPS_UNRESOLVED');
    expect(error.message).toBe(
      `Cannot read the groups of user ${USER_OID} from Microsoft Graph: Graph answered 403 Authorization_RequestDenied`,
    );
    status = 200;
    expect(await instance.groupsOf(principal, NOW / 1000 + 3600)).toEqual([]);
  });

  it.each([
    [
      'ids that are not object ids',
      () => [200, {value: ['system:masters']}] as [number, unknown],
      /other than object ids/,
    ],
    [
      'more groups than allowed',
      () => [200, {value: groupIds(11)}] as [number, unknown],
      /more than 10 groups/,
    ],
    [
      'a next page on another host',
      (url: string) =>
        url.endsWith('/getMemberObjects')
          ? ([400, {error: {code: 'Directory_ResultSizeLimitExceeded'}}] as [number, unknown])
          : ([200, {value: [], '@odata.nextLink': 'https://evil.example/next'}] as [
              number,
              unknown,
            ]),
      /another host \(https:\/\/evil\.example\)/,
    ],
  ])('refuses %s', async (_, answer, message) => {
    const graph = fakeGraph(answer);
    const {instance} = resolver(graph.fetch, {maxGroups: 10});
    const error = await rejection(
      instance.groupsOf({kind: 'user', objectId: USER_OID}, NOW / 1000 + 3600),
    );
    expect(error.code).toBe('ERR_AUTH_GROUPS_UNRESOLVED');
    expect(error.message).toMatch(message);
  });

  it('reports an unreachable Graph', async () => {
    const {instance} = resolver(() => Promise.reject(new TypeError('fetch failed')));
    const error = await rejection(
      instance.groupsOf({kind: 'user', objectId: USER_OID}, NOW / 1000 + 3600),
    );
    expect(error.message).toMatch(/Graph is unreachable \(fetch failed\)/);
  });
});

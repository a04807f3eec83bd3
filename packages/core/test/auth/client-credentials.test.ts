import {describe, expect, it} from 'vitest';

import {clientCredentialToken} from '../../src/auth/index.js';

const ENDPOINT = 'https://login.example.test/tenant/oauth2/v2.0/token';

function tokenEndpoint(answers: (() => Response)[]) {
  const bodies: URLSearchParams[] = [];
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    bodies.push(new URLSearchParams(typeof init?.body === 'string' ? init.body : ''));
    await Promise.resolve();
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    return answer();
  };
  return {bodies, fetch};
}

describe('clientCredentialToken', () => {
  it('asks with the client-credentials grant, keeps the token, renews it before expiry', async () => {
    let now = 1_000_000;
    const endpoint = tokenEndpoint([
      () => Response.json({access_token: 'first', expires_in: 3600}),
      () => Response.json({access_token: 'second', expires_in: 3600}),
    ]);
    const token = clientCredentialToken({
      tokenEndpoint: ENDPOINT,
      clientId: 'agent-app',
      clientSecret: 's3cret',
      scope: 'https://graph.microsoft.com/.default',
      now: () => now,
      fetch: endpoint.fetch,
    });
    expect(await Promise.all([token(), token()])).toEqual(['first', 'first']);
    expect(endpoint.bodies).toHaveLength(1);
    expect(Object.fromEntries(endpoint.bodies[0] ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: 'agent-app',
      client_secret: 's3cret',
      scope: 'https://graph.microsoft.com/.default',
    });
    now += 3_300_000 - 1;
    expect(await token()).toBe('first');
    now += 1;
    expect(await token()).toBe('second');
  });

  it('reports a refusal without the secret, and asks again next time', async () => {
    const endpoint = tokenEndpoint([
      () => Response.json({error: 'invalid_client'}, {status: 401}),
      () => Response.json({access_token: 'ok', expires_in: 60}),
    ]);
    const token = clientCredentialToken({
      tokenEndpoint: ENDPOINT,
      clientId: 'agent-app',
      clientSecret: 's3cret',
      scope: 'api://x/.default',
      fetch: endpoint.fetch,
    });
    const error = await token().catch((err: unknown) => err as {code: string; message: string});
    expect(error).toMatchObject({
      code: 'ERR_AUTH_METADATA_UNAVAILABLE',
      message: `Cannot get a token for agent-app (api://x/.default) from ${ENDPOINT}: answered 401 invalid_client`,
    });
    expect(JSON.stringify(error)).not.toContain('s3cret');
    expect(await token()).toBe('ok');
  });
});

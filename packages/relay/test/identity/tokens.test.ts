/**
 * The provider as Entra's v2.0 endpoint (auth.md §1, §4): discovery, JWKS, and the claims of
 * user and app access tokens and ID tokens, verified with jose against the published keys.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {httpsRequest} from '@porthole/testing';

import {
  BOB_PASSWORD,
  ID,
  SECRETS,
  claimsOf,
  postForm,
  startTestIdentity,
  verifyWithJwks,
} from './fixtures.js';
import type {TestIdentity} from './fixtures.js';

let test: TestIdentity;
beforeAll(async () => {
  test = await startTestIdentity();
});
afterAll(() => test.identity.close());

describe('DevIdentityProvider discovery', () => {
  it('serves the v2.0 metadata at <issuer>/.well-known/openid-configuration', async () => {
    const {identity} = test;
    const port = new URL(identity.issuer).port;
    expect(identity.issuer).toBe(`https://127.0.0.1:${port}/${ID.tenant}/v2.0`);
    expect(identity.authority).toBe(identity.issuer);
    expect(identity.knownAuthority).toBe(`127.0.0.1:${port}`);
    expect(identity.graphBaseUrl).toBe(`https://127.0.0.1:${port}/graph`);

    const response = await httpsRequest(`${identity.issuer}/.well-known/openid-configuration`, {
      ca: identity.caPem,
    });
    expect(response.status).toBe(200);
    const metadata = JSON.parse(response.text) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      issuer: identity.issuer,
      authorization_endpoint: `${identity.issuer}/oauth2/v2.0/authorize`,
      token_endpoint: `${identity.issuer}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${identity.issuer}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${identity.issuer}/oauth2/v2.0/logout`,
      jwks_uri: `${identity.issuer}/discovery/v2.0/keys`,
    });
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining([
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
        'password',
      ]),
    );
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata).not.toHaveProperty('userinfo_endpoint');
  });

  it('publishes the signing key, public half only, in the JWKS', async () => {
    const {identity} = test;
    const response = await httpsRequest(identity.jwksUri, {ca: identity.caPem});
    expect(response.status).toBe(200);
    const {keys} = JSON.parse(response.text) as {keys: Record<string, unknown>[]};
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: 'RSA',
      alg: 'RS256',
      use: 'sig',
      kid: identity.signingKeyIds[0],
    });
    expect(keys[0]).not.toHaveProperty('d');
    expect(keys[0]).not.toHaveProperty('p');
  });

  it('answers 404 outside the issuer and Graph', async () => {
    const {identity} = test;
    const response = await httpsRequest(
      `${new URL(identity.issuer).origin}/common/v2.0/.well-known/openid-configuration`,
      {
        ca: identity.caPem,
      },
    );
    expect(response.status).toBe(404);
    expect(JSON.parse(response.text)).toMatchObject({error: 'not_found'});
  });
});

describe('DevIdentityProvider user tokens', () => {
  it('issues Entra v2 access tokens for the API with user claims and transitive groups', async () => {
    const {identity} = test;
    const tokens = await identity.signIn('alice');
    expect(tokens).toMatchObject({
      token_type: 'Bearer',
      scope: `api://${ID.api}/user_impersonation`,
      expires_in: 3600,
    });

    const {payload, protectedHeader} = await verifyWithJwks(identity, tokens.access_token, ID.api);
    expect(protectedHeader).toEqual({alg: 'RS256', typ: 'JWT', kid: identity.signingKeyIds[0]});
    expect(payload).toMatchObject({
      iss: identity.issuer,
      aud: ID.api,
      tid: ID.tenant,
      oid: ID.alice,
      ver: '2.0',
      azp: ID.cli,
      idtyp: 'user',
      name: 'Alice Liddell',
      upn: 'alice@contoso.example',
      preferred_username: 'alice@contoso.example',
      scp: 'user_impersonation',
      roles: ['Cluster.Reader'],
    });
    // Transitive: platform ⊂ engineering ⊂ everyone; mailing is a direct membership too.
    expect(payload.groups).toEqual([ID.platform, ID.mailing, ID.engineering, ID.everyone]);
    // Entra's `sub` is pairwise: not the object id.
    expect(payload.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(payload.sub).not.toBe(ID.alice);
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(payload).not.toHaveProperty('client_id');
    expect(payload).not.toHaveProperty('scope');
    expect(payload).not.toHaveProperty('_claim_names');
  });

  it('issues ID tokens that fill an MSAL account, and client_info', async () => {
    const {identity} = test;
    const tokens = await identity.signIn('alice@contoso.example');
    const idToken = claimsOf(tokens.id_token ?? '');
    expect(idToken).toMatchObject({
      iss: identity.issuer,
      aud: ID.cli,
      sub: ID.alice,
      oid: ID.alice,
      tid: ID.tenant,
      name: 'Alice Liddell',
      preferred_username: 'alice@contoso.example',
    });
    expect(JSON.parse(Buffer.from(tokens.client_info ?? '', 'base64url').toString())).toEqual({
      uid: ID.alice,
      utid: ID.tenant,
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('requires the seeded password, and refuses unknown users', async () => {
    const {identity, events} = test;
    await expect(identity.signIn('bob', {password: 'wrong'})).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGN_IN_FAILED',
      message: 'Sign-in of "bob" refused: invalid_grant (grant request is invalid)',
    });
    await expect(identity.signIn('mallory')).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGN_IN_FAILED',
    });
    const tokens = await identity.signIn('bob', {password: BOB_PASSWORD});
    expect(claimsOf(tokens.access_token)).toMatchObject({oid: ID.bob, upn: 'bob@contoso.example'});
    expect(claimsOf(tokens.access_token)).not.toHaveProperty('groups');
    expect(JSON.stringify(events)).not.toContain(BOB_PASSWORD);
    expect(JSON.stringify(events)).not.toContain('wrong');
  });

  it('refuses the password grant to confidential clients and outside the API', async () => {
    const {identity} = test;
    await expect(identity.signIn('alice', {scopes: ['openid']})).rejects.toMatchObject({
      code: 'ERR_IDENTITY_SIGN_IN_FAILED',
      message: expect.stringContaining('invalid_scope') as string,
    });
    const response = await postForm(identity.tokenEndpoint, identity.caPem, {
      grant_type: 'password',
      client_id: ID.deployer,
      client_secret: SECRETS.deployer,
      username: 'alice',
      password: '',
      scope: `api://${ID.api}/user_impersonation`,
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
  });
});

describe('DevIdentityProvider app tokens', () => {
  it('issues app tokens with roles and groups for client credentials', async () => {
    const {identity} = test;
    const response = await postForm(identity.tokenEndpoint, identity.caPem, {
      grant_type: 'client_credentials',
      client_id: ID.deployer,
      client_secret: SECRETS.deployer,
      scope: `api://${ID.api}/.default`,
    });
    expect(response.status).toBe(200);
    const body = JSON.parse(response.text) as {access_token: string; token_type: string};
    expect(body).not.toHaveProperty('refresh_token');
    const {payload} = await verifyWithJwks(identity, body.access_token, ID.api);
    expect(payload).toMatchObject({
      iss: identity.issuer,
      aud: ID.api,
      tid: ID.tenant,
      oid: ID.deployerObject,
      sub: ID.deployerObject,
      azp: ID.deployer,
      idtyp: 'app',
      ver: '2.0',
      roles: ['Cluster.Admin'],
      groups: [ID.engineering, ID.everyone],
    });
    expect(payload).not.toHaveProperty('scp');
    expect(payload).not.toHaveProperty('upn');
  });

  it('refuses a wrong client secret and an unknown resource', async () => {
    const {identity} = test;
    const wrong = await postForm(identity.tokenEndpoint, identity.caPem, {
      grant_type: 'client_credentials',
      client_id: ID.deployer,
      client_secret: 'not-the-secret',
      scope: `api://${ID.api}/.default`,
    });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({error: 'invalid_client'});
    const unknown = await postForm(identity.tokenEndpoint, identity.caPem, {
      grant_type: 'client_credentials',
      client_id: ID.deployer,
      client_secret: SECRETS.deployer,
      scope: 'https://management.azure.com/.default',
      resource: 'https://management.azure.com',
    });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text)).toMatchObject({error: 'invalid_target'});
  });

  it('answers 413 to a token request body over maxRequestBodyBytes', async () => {
    const {identity} = test;
    const response = await postForm(identity.tokenEndpoint, identity.caPem, {
      grant_type: 'client_credentials',
      client_id: ID.deployer,
      client_secret: SECRETS.deployer,
      scope: 'x'.repeat(40 * 1024),
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toEqual({
      error: 'invalid_request',
      error_description: 'the request body exceeds 32768 bytes',
    });
  });
});

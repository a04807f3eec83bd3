/**
 * Key rotation (auth.md §2, §4): a new key signs, the old one stays published, and tokens
 * signed by either verify — with jose's remote JWKS (which refetches on an unknown `kid`) and
 * with the provider's own Graph. Keys given at start are checked.
 */
import {createPrivateKey, createPublicKey, generateKeyPairSync} from 'node:crypto';

import {createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify} from 'jose';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {httpsRequest} from '@porthole/testing';

import {DevIdentityProvider, fetchTrusting, generateIdentitySigningKey} from '../../src/index.js';
import {ID, SECRETS, postForm, startTestIdentity, testDirectory} from './fixtures.js';
import type {TestIdentity} from './fixtures.js';

let test: TestIdentity;
beforeAll(async () => {
  test = await startTestIdentity();
});
afterAll(() => test.identity.close());

describe('DevIdentityProvider#rotateKeys', () => {
  it('signs with the new key and keeps the old one published', async () => {
    const {identity, events} = test;
    const jwks = createRemoteJWKSet(new URL(identity.jwksUri), {
      [customFetch]: fetchTrusting(identity.caPem),
      cooldownDuration: 0,
    });
    const verify = (token: string) =>
      jwtVerify(token, jwks, {issuer: identity.issuer, audience: ID.api, algorithms: ['RS256']});
    const [oldKid] = identity.signingKeyIds;
    const before = await identity.signIn('alice');
    expect(decodeProtectedHeader(before.access_token).kid).toBe(oldKid);
    await verify(before.access_token);
    const graphBefore = await graphToken();

    const newKey = await generateIdentitySigningKey();
    const newKid = await identity.rotateKeys(newKey);
    expect(newKid).toBe(newKey.kid);
    expect(identity.signingKeyIds).toEqual([newKid, oldKid]);
    expect(events).toContainEqual({
      event: 'identity.keys-rotated',
      fields: {signingKey: newKid, published: [newKid, oldKid]},
    });
    const published = JSON.parse(
      (await httpsRequest(identity.jwksUri, {ca: identity.caPem})).text,
    ) as {keys: {kid: string}[]};
    expect(published.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);

    const after = await identity.signIn('alice');
    expect(decodeProtectedHeader(after.access_token).kid).toBe(newKid);
    expect((await verify(after.access_token)).payload.oid).toBe(ID.alice);
    expect((await verify(before.access_token)).payload.oid).toBe(ID.alice);

    // Grants and refresh tokens survive the rotation; the renewed token has the new key.
    const renewed = await postForm(identity.tokenEndpoint, identity.caPem, {
      grant_type: 'refresh_token',
      client_id: ID.cli,
      refresh_token: before.refresh_token ?? '',
      scope: `api://${ID.api}/user_impersonation openid profile offline_access`,
    });
    expect(renewed.status).toBe(200);
    const renewedToken = (JSON.parse(renewed.text) as {access_token: string}).access_token;
    expect(decodeProtectedHeader(renewedToken).kid).toBe(newKid);

    // Graph accepts tokens signed by either key.
    for (const token of [graphBefore, await graphToken()]) {
      const response = await httpsRequest(
        `${identity.graphBaseUrl}/v1.0/users/${ID.alice}/checkMemberGroups`,
        {
          ca: identity.caPem,
          method: 'POST',
          headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'},
          body: JSON.stringify({groupIds: [ID.everyone]}),
        },
      );
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({value: [ID.everyone]});
    }
  });

  it('refuses a key already published and one that is not an RS256 private key', async () => {
    const {identity} = test;
    const key = await generateIdentitySigningKey();
    await identity.rotateKeys(key);
    await expect(identity.rotateKeys(key)).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEY_INVALID',
      message: `Invalid signing key: kid "${String(key.kid)}" is published twice`,
    });
    const publicHalf = createPublicKey(createPrivateKey({key, format: 'jwk'})).export({
      format: 'jwk',
    });
    await expect(identity.rotateKeys(publicHalf)).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEY_INVALID',
      message: 'Invalid signing key the new key: not an RSA private key',
    });
  });
});

async function graphToken(): Promise<string> {
  const response = await postForm(test.identity.tokenEndpoint, test.identity.caPem, {
    grant_type: 'client_credentials',
    client_id: ID.agent,
    client_secret: SECRETS.agent,
    scope: 'https://graph.microsoft.com/.default',
  });
  return (JSON.parse(response.text) as {access_token: string}).access_token;
}

describe('DevIdentityProvider.start keys', () => {
  const start = (keys: DevIdentityProviderKeys) =>
    DevIdentityProvider.start({directory: testDirectory(), keys, log: () => undefined});

  it('signs with the first key given and publishes all, keeping their kids', async () => {
    const first = {...(await generateIdentitySigningKey()), kid: 'first'};
    const second = await generateIdentitySigningKey();
    const identity = await start([first, second]);
    try {
      expect(identity.signingKeyIds).toEqual(['first', second.kid]);
      const token = (await identity.signIn('alice')).access_token;
      expect(decodeProtectedHeader(token)).toEqual({alg: 'RS256', typ: 'JWT', kid: 'first'});
    } finally {
      await identity.close();
    }
  });

  it.each([
    ['no key', [], 'Invalid signing keys: none given'],
    [
      'an EC key',
      [generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({format: 'jwk'})],
      'Invalid signing key keys[0]: not an RSA private key',
    ],
    [
      'a 1024-bit RSA key',
      [generateKeyPairSync('rsa', {modulusLength: 1024}).privateKey.export({format: 'jwk'})],
      'Invalid signing key keys[0]: 1024-bit modulus, at least 2048 needed',
    ],
    [
      'an RSA key for RS512',
      [
        {
          ...generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'}),
          alg: 'RS512',
        },
      ],
      'Invalid signing key keys[0]: "alg" must be RS256',
    ],
    [
      'an RSA key for encryption',
      [
        {
          ...generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({format: 'jwk'}),
          use: 'enc',
        },
      ],
      'Invalid signing key keys[0]: "use" must be "sig"',
    ],
    [
      'an RSA private key without its modulus',
      [{kty: 'RSA', d: 'AQAB'}],
      'Invalid signing key keys[0]: not a usable RSA private key',
    ],
  ])('refuses %s with ERR_IDENTITY_KEY_INVALID', async (_name, keys, message) => {
    await expect(start(keys)).rejects.toMatchObject({code: 'ERR_IDENTITY_KEY_INVALID', message});
  });
});

type DevIdentityProviderKeys = NonNullable<Parameters<typeof DevIdentityProvider.start>[0]['keys']>;

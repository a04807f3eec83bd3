import {base64url, SignJWT} from 'jose';
import {describe, expect, it} from 'vitest';

import {EntraTokenValidator} from '../../src/auth/index.js';
import type {EntraTokenValidatorOptions} from '../../src/auth/index.js';
import {
  API,
  entraToken,
  FakeIssuer,
  OTHER_TENANT,
  TENANT,
  testKey,
  USER_OID,
  V1_ISSUER,
  V2_ISSUER,
} from './fake-issuer.js';

// RSA keys take seconds to make on a busy machine: made while the file loads, not in a test.
await Promise.all(['key-1', 'key-2', 'key-3', 'v1-key'].map(testKey));

const NOW = 1_780_000_000;

async function setup(options: Partial<EntraTokenValidatorOptions> = {}) {
  const key = await testKey('key-1');
  const issuer = new FakeIssuer(V2_ISSUER, [key]);
  const validator = new EntraTokenValidator({
    issuers: [V2_ISSUER],
    audiences: [API],
    tenants: [TENANT],
    now: () => NOW * 1000,
    fetch: issuer.fetch,
    ...options,
  });
  const token = (claims: Record<string, unknown> = {}) => entraToken(key, claims, NOW);
  return {key, issuer, validator, token};
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as {code: string}).code;
  }
  throw new Error('the token was accepted');
}

describe('EntraTokenValidator', () => {
  it('accepts a v2 token and returns its claims, reading the metadata and keys once', async () => {
    const {issuer, validator, token} = await setup();
    const claims = await validator.validate(await token());
    expect(claims).toMatchObject({oid: USER_OID, tid: TENANT, aud: API, iss: V2_ISSUER});
    await validator.validate(await token({oid: '00000000-0000-4000-8000-000000000001'}));
    expect(issuer.requests).toEqual([issuer.metadataUrl, issuer.jwksUri]);
  });

  it('accepts a v1 token, reading the v1 metadata from login.microsoftonline.com', async () => {
    const key = await testKey('v1-key');
    const metadataUrl = `https://login.microsoftonline.com/${TENANT}/.well-known/openid-configuration`;
    const issuer = new FakeIssuer(V1_ISSUER, [key], metadataUrl);
    const validator = new EntraTokenValidator({
      issuers: [V1_ISSUER],
      audiences: [`api://${API}`],
      tenants: [TENANT],
      now: () => NOW * 1000,
      fetch: issuer.fetch,
    });
    const v1 = await entraToken(key, {iss: V1_ISSUER, ver: '1.0', aud: `api://${API}`}, NOW);
    expect(await validator.validate(v1)).toMatchObject({ver: '1.0', oid: USER_OID});
    expect(issuer.requests[0]).toBe(metadataUrl);
  });

  it('allows the clock tolerance, and no more', async () => {
    const {validator, token} = await setup({clockToleranceSeconds: 60});
    await expect(validator.validate(await token({exp: NOW - 30}))).resolves.toBeDefined();
    expect(await rejection(validator.validate(await token({exp: NOW - 61})))).toBe(
      'ERR_AUTH_TOKEN_EXPIRED',
    );
    expect(await rejection(validator.validate(await token({nbf: NOW + 61})))).toBe(
      'ERR_AUTH_TOKEN_NOT_YET_VALID',
    );
  });

  it.each([
    [
      'another audience',
      {aud: '11111111-2222-4333-8444-555555555555'},
      'ERR_AUTH_AUDIENCE_REJECTED',
    ],
    [
      'an issuer not on the list',
      {iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`},
      'ERR_AUTH_ISSUER_REJECTED',
    ],
    ['a tenant not on the list', {tid: OTHER_TENANT}, 'ERR_AUTH_TENANT_REJECTED'],
    ['a version its issuer does not issue', {ver: '1.0'}, 'ERR_AUTH_ISSUER_REJECTED'],
    ['no oid', {oid: undefined}, 'ERR_AUTH_CLAIM_INVALID'],
    ['an oid that is not an object id', {oid: 'system:admin'}, 'ERR_AUTH_CLAIM_INVALID'],
    ['no tid', {tid: undefined}, 'ERR_AUTH_CLAIM_INVALID'],
    ['no exp', {exp: undefined}, 'ERR_AUTH_CLAIM_INVALID'],
  ])('rejects a token with %s', async (_, claims, code) => {
    const {validator, token} = await setup();
    expect(await rejection(validator.validate(await token(claims)))).toBe(code);
  });

  it('rejects a tenant that does not own the issuer, even when both are allowed', async () => {
    const {validator, token} = await setup({tenants: [TENANT, OTHER_TENANT]});
    expect(await rejection(validator.validate(await token({tid: OTHER_TENANT})))).toBe(
      'ERR_AUTH_ISSUER_REJECTED',
    );
  });

  it('rejects alg none and an HS256 token keyed with the public key', async () => {
    const {key, validator} = await setup();
    const claims = {
      iss: V2_ISSUER,
      aud: API,
      tid: TENANT,
      oid: USER_OID,
      ver: '2.0',
      exp: NOW + 600,
    };
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const none = `${encode({alg: 'none', typ: 'JWT'})}.${encode(claims)}.`;
    expect(await rejection(validator.validate(none))).toBe('ERR_AUTH_ALGORITHM_REJECTED');
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({alg: 'HS256', kid: key.kid})
      .sign(publicKeyBytes);
    expect(await rejection(validator.validate(hs256))).toBe('ERR_AUTH_ALGORITHM_REJECTED');
  });

  it('rejects a tampered payload and a token that is not a JWT', async () => {
    const {validator, token} = await setup();
    const [header, payload, signature] = (await token()).split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ''))) as object;
    const forged = base64url.encode(
      JSON.stringify({...claims, oid: '00000000-0000-4000-8000-00000000dead'}),
    );
    expect(
      await rejection(validator.validate(`${header ?? ''}.${forged}.${signature ?? ''}`)),
    ).toBe('ERR_AUTH_SIGNATURE_INVALID');
    expect(await rejection(validator.validate('not.a.jwt'))).toBe('ERR_AUTH_TOKEN_MALFORMED');
  });

  it('reads the key set again for an unknown kid: a rotated key is accepted, a foreign one not', async () => {
    const {key, issuer, validator} = await setup({jwksCooldownMs: 0});
    await validator.validate(await entraToken(key, {}, NOW));
    const rotated = await testKey('key-2');
    issuer.published = [rotated, ...issuer.published];
    await expect(validator.validate(await entraToken(rotated, {}, NOW))).resolves.toMatchObject({
      oid: USER_OID,
    });
    const foreign = await testKey('key-3');
    expect(await rejection(validator.validate(await entraToken(foreign, {}, NOW)))).toBe(
      'ERR_AUTH_KEY_UNKNOWN',
    );
    expect(issuer.requests.filter((url) => url === issuer.jwksUri)).toHaveLength(3);
  });

  it('fails closed while the metadata cannot be read, and recovers once it can', async () => {
    const {issuer, validator, token} = await setup();
    issuer.fail = true;
    expect(await rejection(validator.validate(await token()))).toBe(
      'ERR_AUTH_METADATA_UNAVAILABLE',
    );
    issuer.fail = false;
    await expect(validator.validate(await token())).resolves.toBeDefined();
  });

  it('refuses metadata that names another issuer', async () => {
    const {issuer, validator, token} = await setup();
    issuer.metadataIssuer = 'https://login.microsoftonline.com/common/v2.0';
    expect(await rejection(validator.validate(await token()))).toBe(
      'ERR_AUTH_METADATA_UNAVAILABLE',
    );
  });

  it('reads the metadata again once it is older than its maximum age', async () => {
    let now = NOW * 1000;
    const {key, issuer, validator, token} = await setup({now: () => now, metadataMaxAgeMs: 60_000});
    await validator.validate(await token());
    now += 61_000;
    await validator.validate(await entraToken(key, {}, NOW + 61));
    expect(issuer.requests.filter((url) => url === issuer.metadataUrl)).toHaveLength(2);
  });
});

/**
 * How the fake Graph checks bearer tokens: RS256 with a known `kid` only, then issuer,
 * audience and lifetime with a 60 s tolerance.
 */
import {generateKeyPairSync, sign} from 'node:crypto';

import {describe, expect, it} from 'vitest';

import {verifyAccessToken} from '../../src/identity/access-token-verifier.js';

const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048});
const ISSUER = 'https://127.0.0.1:1/tenant/v2.0';
const AUDIENCE = 'https://graph.microsoft.com';
const NOW = 1_700_000_000;

function token(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const valid = {iss: ISSUER, aud: AUDIENCE, iat: NOW, nbf: NOW, exp: NOW + 3600};
const EXPECTED = {
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: new Map([['k1', publicKey]]),
  now: NOW,
  clockToleranceSeconds: 60,
};

describe('verifyAccessToken', () => {
  it('accepts a token of its own, within the clock tolerance', () => {
    const result = verifyAccessToken(token({alg: 'RS256', kid: 'k1'}, valid), EXPECTED);
    expect(result).toEqual({ok: true, claims: valid});
    expect(
      verifyAccessToken(token({alg: 'RS256', kid: 'k1'}, valid), {...EXPECTED, now: NOW + 3659}),
    ).toMatchObject({ok: true});
  });

  it.each([
    [
      'expired',
      {alg: 'RS256', kid: 'k1'},
      valid,
      NOW + 3660,
      'Lifetime validation failed, the token is expired.',
    ],
    [
      'not yet valid',
      {alg: 'RS256', kid: 'k1'},
      valid,
      NOW - 61,
      'Lifetime validation failed, the token is not yet valid.',
    ],
    [
      'without exp',
      {alg: 'RS256', kid: 'k1'},
      {...valid, exp: undefined},
      NOW,
      'Lifetime validation failed, the token is expired.',
    ],
    [
      'for another audience',
      {alg: 'RS256', kid: 'k1'},
      {...valid, aud: 'api://x'},
      NOW,
      'Access token validation failure. Invalid audience.',
    ],
    [
      'signed with an unknown kid',
      {alg: 'RS256', kid: 'k2'},
      valid,
      NOW,
      'Access token validation failure: unknown signing key.',
    ],
    [
      'claiming alg none',
      {alg: 'none', kid: 'k1'},
      valid,
      NOW,
      'Access token validation failure: unknown signing key.',
    ],
  ])('refuses a token %s', (_name, header, claims, now, reason) => {
    expect(verifyAccessToken(token(header, claims), {...EXPECTED, now})).toEqual({
      ok: false,
      reason,
    });
  });

  it('refuses what is not a JWT', () => {
    expect(verifyAccessToken('abc', EXPECTED)).toEqual({
      ok: false,
      reason: 'Access token is malformed.',
    });
    expect(verifyAccessToken('a.b.c', EXPECTED)).toEqual({
      ok: false,
      reason: 'Access token is malformed.',
    });
  });
});

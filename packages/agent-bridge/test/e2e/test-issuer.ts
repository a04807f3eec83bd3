import {exportJWK, generateKeyPair, SignJWT} from 'jose';
import type {JWK} from 'jose';

/**
 * An Entra-shaped issuer for the agent's tests: its metadata and key set answer through the
 * `fetch` it hands the validator, and it signs tokens with claims as Entra v2 writes them.
 * (The embedded identity provider serves the same over TLS for the sign-in tests.)
 */
export interface TestIssuer {
  issuer: string;
  tenant: string;
  api: string;
  fetch: typeof fetch;
  /** A token: Entra's v2 user-token claims, with `claims` replacing them (`undefined` removes one). */
  sign(claims: Record<string, unknown>, options?: {kid?: string}): Promise<string>;
  /** The public key, for forging tokens with it. */
  publicJwk: JWK;
}

export const TENANT = '5d1c7a6e-2b3f-4c8d-9e0a-1f2b3c4d5e6f';
export const API = 'c7d8e9f0-a1b2-4c3d-8e4f-5a6b7c8d9e0f';

export async function testIssuer(): Promise<TestIssuer> {
  const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
  const jwksUri = `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`;
  const {privateKey, publicKey} = await generateKeyPair('RS256', {extractable: true});
  const publicJwk = {...(await exportJWK(publicKey)), kid: 'test-key', use: 'sig', alg: 'RS256'};
  return {
    issuer,
    tenant: TENANT,
    api: API,
    publicJwk,
    fetch: (input) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (url === `${issuer}/.well-known/openid-configuration`)
        return Promise.resolve(Response.json({issuer, jwks_uri: jwksUri}));
      if (url === jwksUri) return Promise.resolve(Response.json({keys: [publicJwk]}));
      return Promise.resolve(new Response('not found', {status: 404}));
    },
    sign: (claims, options = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: API,
        tid: TENANT,
        ver: '2.0',
        idtyp: 'user',
        scp: 'user_impersonation',
        iat: now,
        nbf: now,
        exp: now + 3600,
        ...claims,
      })
        .setProtectedHeader({alg: 'RS256', typ: 'JWT', kid: options.kid ?? 'test-key'})
        .sign(privateKey);
    },
  };
}

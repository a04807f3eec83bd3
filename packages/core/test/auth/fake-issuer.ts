import {exportJWK, generateKeyPair, SignJWT} from 'jose';
import type {JWK, JWTPayload} from 'jose';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const OTHER_TENANT = '0b1d2c3e-4f50-4617-8293-a4b5c6d7e8f9';
export const API = '6256c85f-0aad-4d50-b960-e6e9b21efe35';
export const USER_OID = '4f8a1b2c-3d4e-4f50-8162-738495a6b7c8';
export const GROUP = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
export const V2_ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
export const V1_ISSUER = `https://sts.windows.net/${TENANT}/`;

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A signing key with its id and public JWK. */
export interface TestKey {
  kid: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

const keys = new Map<string, Promise<TestKey>>();

/**
 * The key named `kid`, made once per test file: a 2048-bit RSA key takes a second or more to
 * make on a busy machine, which no test should spend its time limit on.
 */
export function testKey(kid: string): Promise<TestKey> {
  let key = keys.get(kid);
  if (!key) {
    key = (async () => {
      const {privateKey, publicKey} = await generateKeyPair('RS256', {extractable: true});
      return {
        kid,
        privateKey,
        publicJwk: {...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256'},
      };
    })();
    keys.set(kid, key);
  }
  return key;
}

/**
 * An issuer's OpenID metadata and key set, served by a `fetch` function: what the validator
 * reads, and how often. `published` can change between calls (key rotation); `fail` makes
 * the metadata answer 500.
 */
export class FakeIssuer {
  readonly requests: string[] = [];
  published: TestKey[];
  fail = false;
  metadataIssuer: string;

  constructor(
    readonly issuer: string,
    keys: TestKey[],
    readonly metadataUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
  ) {
    this.published = keys;
    this.metadataIssuer = issuer;
  }

  get jwksUri(): string {
    return `${new URL(this.metadataUrl).origin}/${TENANT}/discovery/v2.0/keys`;
  }

  readonly fetch = (input: RequestInfo | URL): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    this.requests.push(url);
    if (url === this.metadataUrl) {
      if (this.fail) return Promise.resolve(new Response('unavailable', {status: 500}));
      return Promise.resolve(Response.json({issuer: this.metadataIssuer, jwks_uri: this.jwksUri}));
    }
    if (url === this.jwksUri)
      return Promise.resolve(Response.json({keys: this.published.map((key) => key.publicJwk)}));
    return Promise.resolve(new Response('not found', {status: 404}));
  };
}

/** A token as Entra issues it, with the claims given replacing the defaults. */
export async function entraToken(
  key: TestKey,
  claims: JWTPayload & Record<string, unknown> = {},
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  return new SignJWT({
    iss: V2_ISSUER,
    aud: API,
    tid: TENANT,
    oid: USER_OID,
    ver: '2.0',
    idtyp: 'user',
    scp: 'user_impersonation',
    upn: 'ada@contoso.example',
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    ...claims,
  })
    .setProtectedHeader({alg: 'RS256', typ: 'JWT', kid: key.kid})
    .sign(key.privateKey);
}

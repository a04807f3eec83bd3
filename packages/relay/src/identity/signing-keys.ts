import {createHash, createPrivateKey, createPublicKey, generateKeyPair} from 'node:crypto';
import type {JsonWebKey, KeyObject} from 'node:crypto';
import {promisify} from 'node:util';

import {RelayError} from '../errors.js';

/** A token-signing key, checked: its private JWK as oidc-provider takes it, and its public half. */
export interface SigningKey {
  kid: string;
  /** RS256, `use: sig`, with `kid`. A secret: never logged. */
  privateJwk: JsonWebKey;
  publicKey: KeyObject;
}

const MIN_MODULUS_BITS = 2048;

/**
 * Makes a fresh RS256 signing key for {@link DevIdentityProvider}: a 2048-bit RSA private JWK
 * with `kid` (its RFC 7638 thumbprint), `alg: RS256` and `use: sig`.
 *
 * @example
 *   const key = await generateIdentitySigningKey();
 *   await identity.rotateKeys(key);
 */
export async function generateIdentitySigningKey(): Promise<JsonWebKey> {
  const {privateKey} = await promisify(generateKeyPair)('rsa', {modulusLength: MIN_MODULUS_BITS});
  return signingKey(privateKey.export({format: 'jwk'}), 'the generated key').privateJwk;
}

/**
 * Checks a private JWK and completes it with `kid`, `alg` and `use`.
 *
 * @param label names the key in errors, e.g. `keys[1]`
 * @throws RelayError `ERR_IDENTITY_KEY_INVALID` unless it is an RSA private key of at least
 *   2048 bits whose `alg` (if any) is RS256 and `use` (if any) is `sig`
 */
export function signingKey(jwk: JsonWebKey, label: string): SigningKey {
  const invalid = (why: string, cause?: unknown) =>
    new RelayError('ERR_IDENTITY_KEY_INVALID', `Invalid signing key ${label}: ${why}`, {cause});
  if (jwk.kty !== 'RSA' || typeof jwk.d !== 'string') throw invalid('not an RSA private key');
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') throw invalid('"alg" must be RS256');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw invalid('"use" must be "sig"');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({key: jwk, format: 'jwk'});
  } catch (err) {
    throw invalid('not a usable RSA private key', err);
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS) throw invalid(`${bits}-bit modulus, at least 2048 needed`);
  const publicKey = createPublicKey(privateKey);
  const {e, n} = publicKey.export({format: 'jwk'});
  // RFC 7638 §3.2: the required members in lexicographic order, no white space.
  const thumbprint = createHash('sha256')
    .update(JSON.stringify({e, kty: 'RSA', n}))
    .digest('base64url');
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : thumbprint;
  return {kid, privateJwk: {...jwk, kid, alg: 'RS256', use: 'sig'}, publicKey};
}

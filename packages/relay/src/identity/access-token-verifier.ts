import {verify} from 'node:crypto';
import type {KeyObject} from 'node:crypto';

/** What a token must match to be accepted. */
export interface AccessTokenExpectations {
  issuer: string;
  audience: string;
  /** The provider's public keys by `kid`, old ones included after a rotation. */
  keys: ReadonlyMap<string, KeyObject>;
  /** Seconds since the epoch. */
  now: number;
  clockToleranceSeconds: number;
}

/** A verified token's claims, or why it was refused (safe to show: it never quotes the token). */
export type AccessTokenVerdict =
  {ok: true; claims: Record<string, unknown>} | {ok: false; reason: string};

/**
 * Verifies an RS256 JWT access token issued by this provider, with its own keys: the fake
 * Graph trusts nothing else. Only `alg: RS256` with a known `kid` is tried (RFC 8725 §3.1:
 * the algorithm is fixed, never read from the token alone).
 */
export function verifyAccessToken(
  token: string,
  expected: AccessTokenExpectations,
): AccessTokenVerdict {
  const parts = token.split('.');
  if (parts.length !== 3) return {ok: false, reason: 'Access token is malformed.'};
  const [encodedHeader = '', encodedPayload = '', signature = ''] = parts;
  const header = decodeSegment(encodedHeader);
  const claims = decodeSegment(encodedPayload);
  if (!header || !claims) return {ok: false, reason: 'Access token is malformed.'};
  const key = typeof header.kid === 'string' ? expected.keys.get(header.kid) : undefined;
  if (header.alg !== 'RS256' || !key) {
    return {ok: false, reason: 'Access token validation failure: unknown signing key.'};
  }
  const signed = verify(
    'sha256',
    Buffer.from(`${encodedHeader}.${encodedPayload}`),
    key,
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return {ok: false, reason: 'Access token validation failure: bad signature.'};
  if (claims.iss !== expected.issuer) {
    return {ok: false, reason: 'Access token validation failure. Invalid issuer.'};
  }
  const audiences = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
  if (!audiences.includes(expected.audience)) {
    return {ok: false, reason: 'Access token validation failure. Invalid audience.'};
  }
  const {now, clockToleranceSeconds: tolerance} = expected;
  if (typeof claims.exp !== 'number' || claims.exp <= now - tolerance) {
    return {ok: false, reason: 'Lifetime validation failed, the token is expired.'};
  }
  if (typeof claims.nbf === 'number' && claims.nbf > now + tolerance) {
    return {ok: false, reason: 'Lifetime validation failed, the token is not yet valid.'};
  }
  return {ok: true, claims};
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

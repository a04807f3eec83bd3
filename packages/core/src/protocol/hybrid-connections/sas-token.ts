import {SasTokenError} from '../../errors.js';

/**
 * Shared access signatures, as Azure Relay defines them (hybrid-connections.md §1.7):
 *
 *     SharedAccessSignature sr=<enc(uri)>&sig=<enc(base64(HMAC-SHA256(utf8(key), enc(uri) + "\n" + se)))>&se=<unix s>&skn=<rule>
 *
 * Web Crypto only, so the relay, the agent, the bridge and browsers share one implementation.
 */

const PREFIX = 'SharedAccessSignature ';
const encoder = new TextEncoder();

/** The fields of a parsed token. `resource` is decoded; `rawResource` is `sr` as received. */
export interface SasToken {
  resource: string;
  rawResource: string;
  /** The signature bytes (base64-decoded `sig`). */
  signature: Uint8Array<ArrayBuffer>;
  /** `se`, in Unix seconds, as received. */
  rawExpiry: string;
  expiresAt: number;
  keyName: string;
}

/** What {@link createSasToken} signs. */
export interface SasTokenOptions {
  /** The audience: a URI whose host and path say what the token is for, e.g. `http://relay.example/clusters/prod`. */
  resource: string;
  /** The name of the shared access rule (`skn`). */
  keyName: string;
  /** The rule's key, used as the UTF-8 bytes of the string as written (it is not base64-decoded). */
  key: string;
  /** When the token stops being valid, in Unix seconds. */
  expiresAt: number;
}

/**
 * Mints a token.
 *
 * @example
 *   const token = await createSasToken({
 *     resource: 'http://relay.example/clusters/prod', keyName: 'agent', key, expiresAt: now + 3600,
 *   });
 */
export async function createSasToken(options: SasTokenOptions): Promise<string> {
  const sr = encodeURIComponent(options.resource);
  const se = String(Math.floor(options.expiresAt));
  const signature = await hmac(options.key, `${sr}\n${se}`);
  return `${PREFIX}sr=${sr}&sig=${encodeURIComponent(toBase64(signature))}&se=${se}&skn=${encodeURIComponent(options.keyName)}`;
}

/**
 * Parses a token without verifying it. Field order is free; every field but `sr` is
 * URL-decoded (`sr` is signed as received, hybrid-connections.md §1.7).
 *
 * @throws SasTokenError `ERR_SAS_TOKEN_MALFORMED`
 */
export function parseSasToken(token: string): SasToken {
  if (!token.startsWith(PREFIX)) throw malformed('it does not start with "SharedAccessSignature "');
  const fields = new Map<string, string>();
  for (const pair of token.slice(PREFIX.length).trim().split('&')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw malformed('a field is not name=value');
    const name = pair.slice(0, separator);
    if (fields.has(name)) throw malformed(`"${name}" appears twice`);
    fields.set(name, pair.slice(separator + 1));
  }
  const field = (name: string) => {
    const value = fields.get(name);
    if (value === undefined || value === '') throw malformed(`"${name}" is missing`);
    return value;
  };
  const rawResource = field('sr');
  const rawExpiry = decode(field('se'), 'se');
  if (!/^\d{1,12}$/.test(rawExpiry)) throw malformed('"se" is not a Unix time in seconds');
  const signature = fromBase64(decode(field('sig'), 'sig'));
  if (signature === undefined || signature.length !== 32)
    throw malformed('"sig" is not a base64 HMAC-SHA256');
  return {
    resource: decode(rawResource, 'sr'),
    rawResource,
    signature,
    rawExpiry: field('se'),
    expiresAt: Number(rawExpiry),
    keyName: decode(field('skn'), 'skn'),
  };
}

/** What {@link verifySasToken} checks a token against. */
export interface SasVerifyOptions {
  /** The key of the named rule, or `undefined` when there is no such rule. */
  keyFor(keyName: string): string | undefined;
  /** The current time in Unix seconds; injected so that tests control expiry. */
  now: number;
}

/**
 * Verifies a token's signature and expiry. Scope is checked apart, by {@link sasTokenCovers},
 * because the entity a request names is known only to the caller.
 *
 * The signature is checked over `sr` exactly as received and, failing that, over `sr`
 * re-encoded with `encodeURIComponent`, since some clients encode with lowercase hex or `+`
 * (hybrid-connections.md §1.7). Comparison is constant-time (Web Crypto `verify`).
 *
 * @throws SasTokenError `ERR_SAS_TOKEN_MALFORMED`, `ERR_SAS_SIGNATURE_INVALID` (also for an
 *   unknown rule, so that rule names cannot be probed) or `ERR_SAS_TOKEN_EXPIRED`
 */
export async function verifySasToken(token: string, options: SasVerifyOptions): Promise<SasToken> {
  const parsed = parseSasToken(token);
  const key = options.keyFor(parsed.keyName);
  if (key === undefined)
    throw new SasTokenError('ERR_SAS_SIGNATURE_INVALID', 'SAS token signature is invalid');
  const hmacKey = await importKey(key);
  const candidates = [parsed.rawResource, encodeURIComponent(parsed.resource)];
  let valid = false;
  for (const sr of new Set(candidates)) {
    valid = await crypto.subtle.verify(
      'HMAC',
      hmacKey,
      parsed.signature,
      encoder.encode(`${sr}\n${parsed.rawExpiry}`),
    );
    if (valid) break;
  }
  if (!valid)
    throw new SasTokenError('ERR_SAS_SIGNATURE_INVALID', 'SAS token signature is invalid');
  if (parsed.expiresAt <= options.now) {
    throw new SasTokenError(
      'ERR_SAS_TOKEN_EXPIRED',
      `SAS token expired at ${new Date(parsed.expiresAt * 1000).toISOString()}`,
    );
  }
  return parsed;
}

/**
 * Whether a token's audience covers an entity: the scheme and the port are ignored, the host
 * compares case-insensitively, and the audience path must be a whole-segment prefix of the
 * entity's path (`/` covers the namespace). A leading `$hc/` in the audience is ignored.
 *
 * @param resource the token's decoded `sr`
 * @param host the relay host the request reached, without port
 * @param entityPath the hybrid connection's name, e.g. `clusters/prod`
 * @example
 *   sasTokenCovers('http://relay.example:443/clusters', 'RELAY.example', 'clusters/prod'); // true
 */
export function sasTokenCovers(resource: string, host: string, entityPath: string): boolean {
  let audience: URL;
  try {
    audience = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(resource) ? resource : `sb://${resource}`);
  } catch {
    return false;
  }
  if (audience.hostname.toLowerCase() !== host.toLowerCase()) return false;
  const segments = (path: string) =>
    path
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => safeDecode(segment).toLowerCase());
  const scope = segments(audience.pathname);
  if (scope[0] === '$hc') scope.shift();
  const entity = segments(entityPath);
  return scope.length <= entity.length && scope.every((segment, i) => segment === entity[i]);
}

async function hmac(key: string, data: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.sign('HMAC', await importKey(key), encoder.encode(data)),
  );
}

function importKey(key: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    {name: 'HMAC', hash: 'SHA-256'},
    false,
    ['sign', 'verify'],
  );
}

function malformed(reason: string): SasTokenError {
  return new SasTokenError('ERR_SAS_TOKEN_MALFORMED', `Malformed SAS token: ${reason}`);
}

function decode(value: string, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw malformed(`"${field}" is not URL-encoded`);
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

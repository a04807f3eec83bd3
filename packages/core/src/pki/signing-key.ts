import {encodePem} from './pem.js';

/**
 * ECDSA P-256 for every key: generated in microseconds everywhere Web Crypto runs, and accepted
 * by Go's TLS stack, etcd and the apiserver's service-account signer (ES256).
 */
export const KEY_ALGORITHM = {name: 'ECDSA', namedCurve: 'P-256'} as const;

/** Generates an extractable ECDSA P-256 key pair. */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

/** The PKCS#8 PEM (`PRIVATE KEY`, RFC 7468 §10) of an extractable private key. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  return encodePem('PRIVATE KEY', new Uint8Array(await crypto.subtle.exportKey('pkcs8', key)));
}

/** The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of a public key. */
export async function exportSpki(key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.exportKey('spki', key));
}

/**
 * Generates a key pair for signing service-account tokens, as the apiserver's
 * `--service-account-signing-key-file` and `--service-account-key-file` want them.
 *
 * @returns an ECDSA P-256 key pair: the private key as PKCS#8 PEM (`PRIVATE KEY`), the public
 *   key as SubjectPublicKeyInfo PEM (`PUBLIC KEY`)
 * @example
 *   const {privateKeyPem, publicKeyPem} = await generateSigningKey();
 *   await writeFile('sa.key', privateKeyPem, {mode: 0o600});
 *   await writeFile('sa.pub', publicKeyPem);
 */
export async function generateSigningKey(): Promise<{privateKeyPem: string; publicKeyPem: string}> {
  const keys = await generateKeyPair();
  return {
    privateKeyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: encodePem('PUBLIC KEY', await exportSpki(keys.publicKey)),
  };
}

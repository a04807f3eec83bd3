// PEM armour (RFC 7468). Internal: never exported from a package entry point.

/**
 * Armours DER as RFC 7468 §2 wants it written: base64 in lines of 64 characters between
 * `-----BEGIN <label>-----` and `-----END <label>-----`, with a final newline.
 *
 * @param label `CERTIFICATE`, `PRIVATE KEY` (PKCS#8, RFC 7468 §10) or `PUBLIC KEY` (SPKI, §13)
 */
export function encodePem(label: string, der: Uint8Array): string {
  let binary = '';
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;

/** Why {@link decodePem} found no usable block; says nothing of the contents. */
export type PemProblem =
  'no PEM block' | 'several PEM blocks' | `a "${string}" PEM block` | 'bad base64';

/**
 * The DER inside the one PEM block of `text`, which must carry `label`. Text around the block
 * is ignored and the base64 may contain any whitespace (RFC 7468 §3, the lax parser).
 *
 * @returns the DER, or why there is none; the reason never quotes the input, which may be a key
 */
export function decodePem(text: string, label: string): Uint8Array<ArrayBuffer> | PemProblem {
  const blocks = [...text.matchAll(BLOCK)];
  const [block] = blocks;
  if (block === undefined) return 'no PEM block';
  if (blocks.length > 1) return 'several PEM blocks';
  const [, begin = '', body = '', end = ''] = block;
  if (begin !== label || end !== label) return `a "${begin === label ? end : begin}" PEM block`;
  const base64 = body.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) {
    return 'bad base64';
  }
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

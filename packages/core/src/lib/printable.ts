/**
 * A value for an error message: control characters escaped, cut to `max` characters, so that
 * a peer's bytes can neither forge log lines nor flood them.
 */
export function printable(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // Everything but printable ASCII and non-ASCII characters: C0 controls and DEL.
  return cut.replace(
    /[^\x20-\x7e\u0080-\uffff]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Bytes as Latin-1, one character per byte, as HTTP field values are read (RFC 9110 §5.5). */
export function latin1Decode(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192)
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

// UTF-8 helpers shared by the wire protocols. Internal: never exported from a package entry point.

const encoder = new TextEncoder();
// `fatal`: invalid bytes are an error, not U+FFFD. `ignoreBOM`: a leading U+FEFF is content, so
// what was encoded decodes back unchanged.
const decoder = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true});

/**
 * Writes `text` as UTF-8 into `target`, which must have room for {@link utf8Length} bytes.
 *
 * @returns the number of bytes written
 */
export function utf8EncodeInto(text: string, target: Uint8Array): number {
  return encoder.encodeInto(text, target).written;
}

/** Decodes strict UTF-8, or returns `undefined` when `bytes` is not valid UTF-8. */
export function utf8Decode(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The length of `text` in UTF-8 bytes, without encoding it. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      length += 4;
      i++;
    } else length += 3; // also a lone surrogate, which is encoded as U+FFFD (3 bytes)
  }
  return length;
}

/** `text`, cut to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function utf8Truncate(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

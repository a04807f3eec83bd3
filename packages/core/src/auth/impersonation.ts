/** A Kubernetes identity to act as (user-impersonation.md). */
export interface Impersonation {
  user: string;
  uid?: string;
  groups: readonly string[];
  /** Extra attributes: the key is lower-cased and percent-encoded into the header name. */
  extra?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The `Impersonate-*` headers that make the apiserver treat a request as `impersonation`,
 * lower-cased as HTTP/2 and Node name them. Extra keys are percent-encoded where HTTP header
 * names do not allow a character, as the apiserver decodes them; values go as they are, each
 * a repeat of the header.
 */
export function impersonationHeaders(identity: Impersonation): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {'impersonate-user': identity.user};
  if (identity.uid !== undefined) headers['impersonate-uid'] = identity.uid;
  if (identity.groups.length > 0) headers['impersonate-group'] = [...identity.groups];
  for (const [key, values] of Object.entries(identity.extra ?? {})) {
    if (values.length > 0) headers[`impersonate-extra-${encodeExtraKey(key)}`] = [...values];
  }
  return headers;
}

/** RFC 7230 `tchar`s stay; anything else, `%` included, is percent-encoded (UTF-8). */
function encodeExtraKey(key: string): string {
  return [...new TextEncoder().encode(key.toLowerCase())]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[a-z0-9!#$&'*+.^_`|~-]/.test(char) && byte < 0x80
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

// Hosts for a certificate's subjectAltName: which GeneralName each one becomes (RFC 5280
// §4.2.1.6), and which of a CA's permitted subtrees (§4.2.1.10) holds it. Internal: never
// exported from a package entry point.

/** A host as a GeneralName: `dNSName [2]` (IA5String) or `iPAddress [7]` (4 or 16 octets). */
export type HostName = {type: 'dns'; name: string} | {type: 'ip'; octets: Uint8Array};

/**
 * Classifies a host: an IPv4 address in dotted-decimal form, an IPv6 address in any form
 * RFC 4291 §2.2 allows (`::` compression, an embedded IPv4 tail; no brackets, no zone), or a
 * DNS name.
 *
 * @returns the GeneralName, or why `host` is none of them (a phrase that follows the host)
 */
export function parseHost(host: string): HostName | string {
  if (host.includes(':')) {
    const octets = parseIpv6(host);
    return octets ? {type: 'ip', octets} : 'is not a valid IPv6 address';
  }
  // A name whose last label is all digits reads as an IPv4 address (RFC 1123 §2.1; a
  // top-level domain is never numeric), so one that fails as an address is refused as one.
  if (/(?:^|\.)\d+$/.test(host)) {
    const octets = parseIpv4(host);
    return octets ? {type: 'ip', octets} : 'is not a valid IPv4 address';
  }
  return isDnsName(host) ? {type: 'dns', name: host} : 'is not a DNS name or an IP address';
}

const OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Four decimal octets without leading zeros (which some parsers read as octal). */
function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => OCTET.test(part))) return undefined;
  return Uint8Array.from(parts, Number);
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = parseGroups(halves[0] ?? '', !compressed);
  const tail = compressed ? parseGroups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  // `::` stands for one or more zero groups (RFC 4291 §2.2 item 2).
  const count = head.length + tail.length;
  if (compressed ? count > 7 : count !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const octets = new Uint8Array(16);
  groups.forEach((group, i) => {
    octets[2 * i] = group >> 8;
    octets[2 * i + 1] = group & 0xff;
  });
  return octets;
}

/** Colon-separated groups of 1–4 hex digits; the last may be an IPv4 address (two groups). */
function parseGroups(text: string, ipv4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16));
    } else if (ipv4Tail && i === parts.length - 1) {
      const ipv4 = parseIpv4(part);
      if (ipv4 === undefined) return undefined;
      groups.push(((ipv4[0] ?? 0) << 8) | (ipv4[1] ?? 0), ((ipv4[2] ?? 0) << 8) | (ipv4[3] ?? 0));
    } else {
      return undefined;
    }
  }
  return groups;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * A DNS name in the preferred name syntax (RFC 5280 §4.2.1.6: RFC 1034 §3.5 as RFC 1123 §2.1
 * relaxes it): letters, digits and inner hyphens, labels of 1–63 and 253 characters in all.
 * The first label may be a `*` wildcard (RFC 6125 §6.4.3). Internationalised names must be
 * given as A-labels (`xn--…`).
 */
function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every(
    (label, i) => LABEL.test(label) || (i === 0 && label === '*' && labels.length > 1),
  );
}

/**
 * A permitted subtree of a CA's NameConstraints (RFC 5280 §4.2.1.10), in the two name forms a
 * certificate of ours names hosts with: a DNS name, which also covers every name made by adding
 * labels on its left, or an address range, `octets` under `mask` (both 4 or both 16 octets).
 */
export type HostSubtree =
  {type: 'dns'; name: string} | {type: 'ip'; octets: Uint8Array; mask: Uint8Array};

/** The subtree of exactly one host: a DNS name with its subdomains, or one address (all-ones mask). */
export function subtreeOf(host: HostName): HostSubtree {
  return host.type === 'dns'
    ? host
    : {type: 'ip', octets: host.octets, mask: new Uint8Array(host.octets.length).fill(0xff)};
}

/**
 * Whether a host falls in a subtree as RFC 5280 §4.2.1.10 matches them: a DNS name (compared
 * without regard to case) when it is the subtree's name or ends with `.` and that name — so a
 * `*.` wildcard falls in the subtree of the name it is a wildcard of, or of a parent; an address
 * when it is as long as the subtree's and equal to it under the mask.
 */
export function inSubtree(host: HostName, subtree: HostSubtree): boolean {
  if (host.type === 'dns') {
    if (subtree.type !== 'dns') return false;
    const name = host.name.toLowerCase();
    const base = subtree.name.toLowerCase();
    return name === base || name.endsWith(`.${base}`);
  }
  if (subtree.type !== 'ip') return false;
  const {octets, mask} = subtree;
  return (
    host.octets.length === octets.length &&
    host.octets.every(
      (octet, i) => (octet & (mask[i] ?? 0)) === ((octets[i] ?? 0) & (mask[i] ?? 0)),
    )
  );
}

/**
 * A subtree as text: the DNS name, or the address, followed by `/` and the mask when it covers
 * more than one address (OpenSSL's form: `10.0.0.0/255.0.0.0`).
 */
export function formatSubtree(subtree: HostSubtree): string {
  if (subtree.type === 'dns') return subtree.name;
  const address = formatAddress(subtree.octets);
  return subtree.mask.every((octet) => octet === 0xff)
    ? address
    : `${address}/${formatAddress(subtree.mask)}`;
}

/**
 * An IPv4 address in dotted-decimal form, or an IPv6 address as RFC 5952 §4 writes it:
 * lowercase hex groups without leading zeros, the longest run of two or more zero groups (the
 * first of equal runs) shortened to `::`.
 */
function formatAddress(octets: Uint8Array): string {
  if (octets.length === 4) return octets.join('.');
  const groups = Array.from(
    {length: 8},
    (_, i) => ((octets[2 * i] ?? 0) << 8) | (octets[2 * i + 1] ?? 0),
  );
  let best = {start: -1, length: 1};
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > best.length) best = {start, length: end - start};
    start = end + 1;
  }
  const hex = (part: number[]) => part.map((group) => group.toString(16)).join(':');
  if (best.start < 0) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.length))}`;
}

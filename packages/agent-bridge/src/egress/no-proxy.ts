import {BlockList, isIP, isIPv6} from 'node:net';

/** One `NO_PROXY` entry: a domain (with its subdomains), an IP address, or an IP range. */
type Exemption =
  | {kind: 'domain'; domain: string; port: number | undefined}
  | {kind: 'address'; address: string; port: number | undefined}
  | {kind: 'range'; range: BlockList};

/**
 * The hosts a `NO_PROXY` (or `no_proxy`) list sends direct, matched as curl and Go match them:
 *
 * - `*` alone: every host.
 * - `example.com`, `.example.com` and `*.example.com`: that domain and every name under it
 *   (Go's `.example.com` spares the domain itself; curl's, like ours, does not).
 * - `example.com:8443`, `10.0.0.7:443`, `[::1]:8080`: that host on that port only.
 * - `10.0.0.7`, `::1`: that IP address, in any spelling of it.
 * - `10.0.0.0/8`, `fd00::/8`: any IP address in that range (Go's CIDR entries).
 *
 * Matching is on the URL's host as written, without resolving it, case-insensitively and
 * without a trailing dot. A name never matches an IP entry, nor an IP address a domain
 * entry. Entries that cannot be parsed are ignored, as both tools do.
 *
 * @example
 *   NoProxy.parse('.corp.example,10.0.0.0/8,registry:5000').matches('git.corp.example', 443); // true
 */
export class NoProxy {
  readonly #all: boolean;
  readonly #exemptions: readonly Exemption[];

  private constructor(all: boolean, exemptions: readonly Exemption[]) {
    this.#all = all;
    this.#exemptions = exemptions;
  }

  /** The list of `value`: comma-separated, with spaces around entries allowed. */
  static parse(value: string | undefined): NoProxy {
    const entries = (value ?? '')
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== '');
    if (entries.includes('*')) return new NoProxy(true, []);
    const exemptions: Exemption[] = [];
    for (const entry of entries) {
      const exemption = parseEntry(entry);
      if (exemption) exemptions.push(exemption);
    }
    return new NoProxy(false, exemptions);
  }

  /** Whether the list is empty: nothing is exempt. */
  get empty(): boolean {
    return !this.#all && this.#exemptions.length === 0;
  }

  /**
   * Whether a connection to `host` on `port` goes direct.
   *
   * @param host a URL's host name: brackets around an IPv6 address are allowed
   * @param port the port the connection goes to (the scheme's default when the URL has none)
   */
  matches(host: string, port: number): boolean {
    if (this.#all) return true;
    const name = normalHost(host);
    const family = isIP(name);
    for (const exemption of this.#exemptions) {
      switch (exemption.kind) {
        case 'domain':
          if (
            family === 0 &&
            (name === exemption.domain || name.endsWith(`.${exemption.domain}`)) &&
            (exemption.port === undefined || exemption.port === port)
          )
            return true;
          break;
        case 'address':
          if (
            family !== 0 &&
            canonicalAddress(name) === exemption.address &&
            (exemption.port === undefined || exemption.port === port)
          )
            return true;
          break;
        case 'range':
          if (family !== 0 && exemption.range.check(name, family === 6 ? 'ipv6' : 'ipv4'))
            return true;
          break;
        default:
          return exemption satisfies never;
      }
    }
    return false;
  }
}

/**
 * Whether `host` is this machine's loopback: `localhost`, a name under `.localhost`
 * (RFC 6761 §6.3), 127.0.0.0/8 or `::1`.
 */
export function isLoopbackHost(host: string): boolean {
  const name = normalHost(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 6 ? 'ipv6' : 'ipv4');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function parseEntry(entry: string): Exemption | undefined {
  const slash = entry.indexOf('/');
  if (slash !== -1) {
    const address = entry.slice(0, slash);
    const bits = Number(entry.slice(slash + 1));
    const family = isIP(address);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
      return undefined;
    const range = new BlockList();
    range.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
    return {kind: 'range', range};
  }
  const [host, port] = splitPort(entry);
  if (host === '' || Number.isNaN(port)) return undefined;
  if (isIP(host) !== 0) return {kind: 'address', address: canonicalAddress(host), port};
  const domain = host.replace(/^\*?\./, '').replace(/\.$/, '');
  if (domain === '' || domain.includes('*')) return undefined;
  return {kind: 'domain', domain, port};
}

/**
 * `host:port` split in two; a bare IPv6 address has no port. The port is `NaN` when it is not
 * a number from 1 to 65535.
 */
function splitPort(entry: string): [host: string, port: number | undefined] {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed) return [bracketed[1] ?? '', parsePort(bracketed[2])];
  const colon = entry.lastIndexOf(':');
  if (colon === -1 || isIPv6(entry)) return [entry, undefined];
  return [entry.slice(0, colon), parsePort(entry.slice(colon + 1))];
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65_535 ? port : NaN;
}

/** A host name as matched: lower case, no brackets, no trailing dot. */
function normalHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/** One spelling per IP address (`0:0::1` and `::1` are the same), via the WHATWG URL parser. */
function canonicalAddress(address: string): string {
  return isIPv6(address) ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

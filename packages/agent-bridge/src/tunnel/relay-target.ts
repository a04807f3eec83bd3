import {createSasToken, parseSasToken} from '@porthole/core/protocol';

import {AgentBridgeError} from '../errors.js';

/**
 * How a relay accepts us: a shared access rule to mint tokens with, or a ready token. A rule's
 * key may be a function, read each time a token is minted: a key that rotates (the agent's
 * control-plane credential) then signs every token minted after the swap, while connections
 * opened with the previous key carry on. `tokenLifetimeSeconds` is how long minted tokens live
 * (default {@link MINTED_TOKEN_SECONDS}).
 */
export type RelayCredential =
  | {sasKeyName: string; sasKey: string | (() => string); tokenLifetimeSeconds?: number}
  | {token: string};

/** A hybrid connection on a relay, and the credential to use there. */
export interface RelayTarget {
  /** The relay's WebSocket origin: `ws://host:port` or `wss://host[:port]`. */
  origin: string;
  /** The hybrid connection's name, e.g. `clusters/prod`. */
  entity: string;
  credential: RelayCredential;
}

/** How a tunnel reaches the other end: the Porthole mux, one WebSocket per connection, or the mux when the relay offers it. */
export type TunnelMode = 'auto' | 'mux' | 'websocket';

/**
 * The WebSocket origin of a relay given as `ws://…`, `wss://…`, `https://…`, or an Azure Relay
 * namespace host such as `contoso.servicebus.windows.net` (always TLS, port 443).
 *
 * @throws AgentBridgeError `ERR_TUNNEL_RELAY_INVALID`
 */
export function relayOrigin(relay: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(relay) ? relay : `wss://${relay}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(`${JSON.stringify(relay)} is not a URL or host name`);
  }
  const scheme = {'ws:': 'ws', 'http:': 'ws', 'wss:': 'wss', 'https:': 'wss'}[url.protocol];
  if (scheme === undefined) throw invalid(`${JSON.stringify(relay)} is not a ws, wss or https URL`);
  if (url.pathname !== '/' || url.search !== '')
    throw invalid(`${JSON.stringify(relay)} must name the relay only, without a path`);
  return `${scheme}://${url.host}`;
}

/**
 * Mux limits for the agent's and the bridge's connections. One bridge or agent carries every
 * kubectl connection of its users — a thousand open watches is ordinary — so both take more
 * streams than the protocol's defaults; the memory cap grows with them (each stream commits
 * its 256 KiB initial window, PROTOCOL.md §5.3), while what is actually buffered stays
 * bounded by what readers leave unread.
 */
export const TUNNEL_MUX_LIMITS = {
  maxStreams: 2048,
  maxConnectionWindow: 2048 * 256 * 1024,
} as const;

/** How long minted tokens live by default; connections renew them before they expire. */
export const MINTED_TOKEN_SECONDS = 3600;

/**
 * When a connection whose token lapses at `expiresAtMs` should renew it: once four fifths of
 * the time left have passed, and not within the next second. The last fifth is for the
 * renewal to succeed or, failing that, for a new connection to take over (PROTOCOL.md §6.5).
 *
 * @returns milliseconds from `nowMs`
 */
export function renewalDelayMs(expiresAtMs: number, nowMs: number): number {
  return Math.max((expiresAtMs - nowMs) * 0.8, 1000);
}

/**
 * When a SAS token expires, in milliseconds; `undefined` when it cannot be read (a token that is
 * not ours to parse: the relay says when it lapses).
 */
export function tokenExpiryMs(token: string): number | undefined {
  try {
    return parseSasToken(token).expiresAt * 1000;
  } catch {
    return undefined;
  }
}

/**
 * Supplies tokens for a target: a new SAS token for each call when the credential is a rule
 * (audience `http://{host}/{entity}`, as Azure Relay's SDKs write it), or the given token.
 * A listener calls it on every connect and renewal; a rule's key given as a function is read
 * at each call, so a rotated key takes effect with the next token (the relay accepts tokens of
 * the previous key for a grace period, and never cuts what they opened on rotation).
 *
 * @example
 *   const token = tokenSource({origin: 'wss://relay.example', entity: 'clusters/prod',
 *     credential: {sasKeyName: 'porthole-agent', sasKey: () => client.currentKey}});
 */
export function tokenSource(
  target: RelayTarget,
  now: () => number = Date.now,
): () => Promise<string> {
  const {credential} = target;
  if ('token' in credential) return () => Promise.resolve(credential.token);
  const host = new URL(target.origin).hostname;
  const {sasKey} = credential;
  return () =>
    createSasToken({
      resource: `http://${host}/${target.entity}`,
      keyName: credential.sasKeyName,
      key: typeof sasKey === 'function' ? sasKey() : sasKey,
      expiresAt:
        Math.floor(now() / 1000) + (credential.tokenLifetimeSeconds ?? MINTED_TOKEN_SECONDS),
    });
}

function invalid(reason: string): AgentBridgeError {
  return new AgentBridgeError(
    'ERR_TUNNEL_RELAY_INVALID',
    `Invalid relay: ${reason}`,
    'Give --relay as wss://host[:port], ws://host:port, or an Azure Relay namespace host.',
  );
}

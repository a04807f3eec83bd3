import {randomBytes, timingSafeEqual} from 'node:crypto';

/** What a browser hands over, and hands again before it runs out. */
export interface HandedOverTokens {
  /** The signed-in user's access token for the server app: what the agent authenticates. */
  accessToken: string;
  /** When the access token expires, in milliseconds. */
  accessExpiresAtMs: number;
  /** When the relay's sender token expires, in milliseconds. */
  senderExpiresAtMs: number;
}

/** What to do with a request kubectl sent on a handed-over context. */
export type Exchange =
  | {kind: 'forward'; authorization: string}
  | {kind: 'refuse'; message: string}
  | {kind: 'untouched'};

/**
 * The credential of a cluster a browser handed to the bridge ("Use from kubectl"). kubectl's
 * context holds a local token, random and known to this bridge only; the bridge swaps it for
 * the user's access token, which never reaches a kubeconfig file. The browser keeps both the
 * access token and the relay's sender token fresh while its page is open; once either has run
 * out, requests get a clear refusal instead of a failure somewhere down the tunnel.
 */
export class HandedOverCredential {
  /** What kubectl presents as its bearer token. */
  readonly localToken = randomBytes(32).toString('base64url');
  readonly #expected = Buffer.from(`Bearer ${this.localToken}`);
  #tokens: HandedOverTokens;
  readonly #now: () => number;

  constructor(tokens: HandedOverTokens, now: () => number = Date.now) {
    this.#tokens = tokens;
    this.#now = now;
  }

  /** When requests stop being forwarded, in milliseconds: the earlier of the two expiries. */
  get expiresAtMs(): number {
    return Math.min(this.#tokens.accessExpiresAtMs, this.#tokens.senderExpiresAtMs);
  }

  /** Takes the tokens of a renewal. */
  update(tokens: HandedOverTokens): void {
    this.#tokens = tokens;
  }

  /**
   * The `Authorization` header to send for the one kubectl sent: the local token becomes the
   * access token; any other header (a token of the user's own) passes untouched.
   */
  exchange(authorization: string | undefined): Exchange {
    const presented = Buffer.from(authorization ?? '');
    if (presented.length !== this.#expected.length || !timingSafeEqual(presented, this.#expected))
      return {kind: 'untouched'};
    if (this.#now() >= this.expiresAtMs)
      return {
        kind: 'refuse',
        message: `the console handed this context over until ${new Date(this.expiresAtMs).toISOString()}, and did not renew it. Open the console again and choose "Use from kubectl", or run: porthole proxy`,
      };
    return {kind: 'forward', authorization: `Bearer ${this.#tokens.accessToken}`};
  }
}

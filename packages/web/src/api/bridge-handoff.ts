import type {AccessTokenGrant} from '../auth/sign-in-session.js';
import {WebError} from '../errors.js';
import type {ClusterConnection} from './cluster-connection.js';

/** Where a bridge's page keeps its console session for the tab (survives a sign-in redirect). */
const SESSION_KEY = 'porthole.bridge-session';
/** The fragment `porthole console` opens the page with. */
const FRAGMENT = /^#bridge-session=([A-Za-z0-9_-]{16,128})$/;
/** Renew a hand-over this long before its first token runs out, at most a tenth of its life. */
const RENEW_BEFORE_MS = 30_000;
/** After a failed renewal, try again this soon (while the tokens still last). */
const RETRY_MS = 5_000;

/** What the bridge answers to a hand-over (`HandoffAnswer`). */
export interface HandedOver {
  cluster: string;
  /** The kubeconfig context, `porthole-<cluster>`. */
  context: string;
  /** The bridge's kubeconfig file, where the context is. */
  kubeconfig: string;
  /** The cluster's address on the bridge. */
  server: string;
  /** When kubectl stops working unless the console renews the hand-over (ISO 8601). */
  expiresAt: string;
}

/** What a hand-over needs from the console: the cluster's credentials, and the user's token. */
export interface HandoffSource {
  connection: Pick<ClusterConnection, 'cluster' | 'senderCredential'>;
  accessToken: () => Promise<AccessTokenGrant>;
}

interface Renewal {
  source: HandoffSource;
  timer: ReturnType<typeof setTimeout> | undefined;
  last: HandedOver;
}

/**
 * The console's session with the local bridge that serves it (`porthole console`): "Use from
 * kubectl" hands the signed-in user's credentials for a cluster to the bridge, which then
 * serves the cluster to kubectl under a context of its own. While this page stays open the
 * hand-over is renewed before its tokens run out; once the page is closed kubectl keeps working
 * until they do.
 *
 * @example
 *   const bridge = BridgeHandoff.fromPage();
 *   const handed = await bridge?.handOver({connection: context.cluster('prod'), accessToken: () => context.accessTokenGrant()});
 */
export class BridgeHandoff extends EventTarget {
  readonly #origin: string;
  readonly #secret: string;
  readonly #renewals = new Map<string, Renewal>();

  /**
   * @param origin the bridge's origin: the page's own
   * @param secret the console session's secret
   */
  constructor(origin: string, secret: string) {
    super();
    this.#origin = origin;
    this.#secret = secret;
  }

  /**
   * The session of a page `porthole console` opened: the secret comes in the URL's fragment
   * (which browsers never send), moves to the tab's session storage, and leaves the address
   * bar. `undefined` for a page opened otherwise (the relay's console, a portal).
   */
  static fromPage(): BridgeHandoff | undefined {
    const given = FRAGMENT.exec(location.hash)?.[1];
    if (given !== undefined) {
      sessionStorage.setItem(SESSION_KEY, given);
      history.replaceState(history.state, '', `${location.pathname}${location.search}#/`);
    }
    const secret = sessionStorage.getItem(SESSION_KEY);
    return secret === null ? undefined : new BridgeHandoff(location.origin, secret);
  }

  /** The hand-over of a cluster this page made, if it stands. */
  handedOver(cluster: string): HandedOver | undefined {
    return this.#renewals.get(cluster)?.last;
  }

  /**
   * Hands a cluster to the bridge, and keeps renewing it while the page is open.
   *
   * @throws WebError `ERR_WEB_BRIDGE_UNREACHABLE` when the bridge does not answer,
   *   `ERR_WEB_BRIDGE_REFUSED` with the bridge's reason (its `ERR_BRIDGE_*` code in the
   *   message); the control plane's and the sign-in's own errors as they come
   */
  async handOver(source: HandoffSource): Promise<HandedOver> {
    const cluster = source.connection.cluster;
    const handed = await this.#send(source);
    const renewal = this.#renewals.get(cluster) ?? {source, timer: undefined, last: handed};
    renewal.source = source;
    renewal.last = handed;
    this.#renewals.set(cluster, renewal);
    this.#schedule(cluster, renewal, handed);
    return handed;
  }

  /** Takes a cluster back from the bridge: its context goes, and renewals stop. */
  async release(cluster: string): Promise<void> {
    const renewal = this.#renewals.get(cluster);
    clearTimeout(renewal?.timer);
    this.#renewals.delete(cluster);
    await this.#request('DELETE', cluster);
    this.dispatchEvent(new Event('change'));
  }

  async #send(source: HandoffSource): Promise<HandedOver> {
    const [credential, grant] = await Promise.all([
      source.connection.senderCredential(),
      source.accessToken(),
    ]);
    return (await this.#request('PUT', source.connection.cluster, {
      relay: credential.relay,
      hybridConnectionName: credential.hybridConnectionName,
      senderToken: credential.token,
      senderExpiresAt: credential.expirationTime,
      accessToken: grant.token,
      accessExpiresAt: Math.floor(grant.expiresAtMs / 1000),
    })) as HandedOver;
  }

  /**
   * The next renewal: shortly before the earlier token runs out — after the cluster's
   * connection renews its sender token and MSAL its access token, so both are new by then.
   */
  #schedule(cluster: string, renewal: Renewal, handed: HandedOver, delayMs?: number): void {
    clearTimeout(renewal.timer);
    const lifeMs = Date.parse(handed.expiresAt) - Date.now();
    const wait = delayMs ?? Math.max(1000, lifeMs - Math.min(RENEW_BEFORE_MS, lifeMs / 10));
    renewal.timer = setTimeout(() => {
      void this.#send(renewal.source).then(
        (renewed) => {
          if (this.#renewals.get(cluster) !== renewal) return;
          renewal.last = renewed;
          this.#schedule(cluster, renewal, renewed);
          this.dispatchEvent(new Event('change'));
        },
        (error: unknown) => {
          if (this.#renewals.get(cluster) !== renewal) return;
          // Tried again while the tokens last; after that, the page says what happened.
          if (Date.now() + RETRY_MS < Date.parse(renewal.last.expiresAt))
            this.#schedule(cluster, renewal, renewal.last, RETRY_MS);
          else this.#renewals.delete(cluster);
          this.dispatchEvent(new ErrorEvent('error', {error}));
        },
      );
    }, wait);
  }

  async #request(method: 'PUT' | 'DELETE', cluster: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(
        `${this.#origin}/porthole/v1/browser/handoffs/${encodeURIComponent(cluster)}`,
        {
          method,
          headers: {
            authorization: `Bearer ${this.#secret}`,
            ...(body === undefined ? {} : {'content-type': 'application/json'}),
          },
          ...(body === undefined ? {} : {body: JSON.stringify(body)}),
          cache: 'no-store',
        },
      );
    } catch (cause) {
      throw new WebError(
        'ERR_WEB_BRIDGE_UNREACHABLE',
        `The bridge at ${this.#origin} does not answer: it may have stopped`,
        {cause},
      );
    }
    const answer = (await response.json().catch(() => undefined)) as
      {code?: unknown; message?: unknown; hint?: unknown} | undefined;
    if (response.ok) return answer;
    const code = typeof answer?.code === 'string' ? answer.code : `HTTP ${response.status}`;
    const message =
      typeof answer?.message === 'string' ? answer.message : 'The bridge refused the hand-over';
    const hint = typeof answer?.hint === 'string' ? ` ${answer.hint}` : '';
    throw new WebError('ERR_WEB_BRIDGE_REFUSED', `${message} (${code}).${hint}`);
  }
}

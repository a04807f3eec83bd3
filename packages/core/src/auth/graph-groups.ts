import {AuthError} from '../errors.js';
import {isObjectId} from './object-id.js';

/** What a {@link GraphGroupResolver} needs. */
export interface GraphGroupResolverOptions {
  /** Microsoft Graph, or a compatible endpoint: `https://graph.microsoft.com`. */
  graphBaseUrl: string;
  /** The resolver's own bearer token for Graph (client credentials), fresh on each call. */
  token: () => Promise<string>;
  /** The longest a principal's groups are kept, whatever its token's lifetime. Default 10 min. */
  maxCacheMs?: number;
  /** Principals whose groups are kept at once; the oldest go first. Default 10,000. */
  maxCachedPrincipals?: number;
  /** The most groups accepted for one principal. Default 11,000 (Graph's own limit). */
  maxGroups?: number;
  /** How long one Graph request may take. Default 10 s. */
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/** A user or a service principal, by object id. */
export interface GraphPrincipal {
  kind: 'user' | 'servicePrincipal';
  objectId: string;
}

interface CachedGroups {
  groups: Promise<string[]>;
  until: number;
}

/**
 * Reads the security groups of a principal whose token carried too many to list (group
 * overage), transitively, from Microsoft Graph — for users and service principals alike. A
 * principal's groups are kept until its token expires (at most `maxCacheMs`); concurrent
 * requests for one principal share one Graph call.
 */
export class GraphGroupResolver {
  readonly #options: GraphGroupResolverOptions;
  readonly #base: URL;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #cache = new Map<string, CachedGroups>();

  constructor(options: GraphGroupResolverOptions) {
    this.#options = options;
    this.#base = new URL(options.graphBaseUrl.replace(/\/?$/, '/'));
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * The principal's group object ids.
   *
   * @param validUntil when the token that asked expires, in seconds since the epoch
   * @throws AuthError `ERR_AUTH_GROUPS_UNRESOLVED` when Graph cannot answer; nothing is
   *   assumed then (the request fails closed)
   */
  async groupsOf(principal: GraphPrincipal, validUntil: number): Promise<string[]> {
    const key = `${principal.kind}/${principal.objectId.toLowerCase()}`;
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return cached.groups;
    const until = Math.min(validUntil * 1000, now + (this.#options.maxCacheMs ?? 600_000));
    const groups = this.#read(principal);
    this.#cache.delete(key);
    this.#cache.set(key, {groups, until});
    groups.catch(() => {
      if (this.#cache.get(key)?.groups === groups) this.#cache.delete(key);
    });
    const limit = this.#options.maxCachedPrincipals ?? 10_000;
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= limit) break;
      this.#cache.delete(oldest);
    }
    return groups;
  }

  /**
   * `getMemberObjects` with `securityEnabledOnly`; past Graph's result limit, the paged
   * `transitiveMemberOf` instead.
   */
  async #read(principal: GraphPrincipal): Promise<string[]> {
    if (!isObjectId(principal.objectId)) throw unresolved(principal, 'not an object id');
    const collection = principal.kind === 'user' ? 'users' : 'servicePrincipals';
    const path = `v1.0/${collection}/${principal.objectId}`;
    const first = await this.#call(principal, new URL(`${path}/getMemberObjects`, this.#base), {
      securityEnabledOnly: true,
    });
    if (first.status !== 400 || first.body.error?.code !== 'Directory_ResultSizeLimitExceeded')
      return this.#ids(principal, first);
    const groups: string[] = [];
    let next: URL | undefined = new URL(
      `${path}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`,
      this.#base,
    );
    while (next) {
      const page = await this.#call(principal, next);
      groups.push(...this.#ids(principal, page, groups.length));
      const link = page.body['@odata.nextLink'];
      next = typeof link === 'string' ? this.#sameOrigin(principal, link) : undefined;
    }
    return groups;
  }

  async #call(
    principal: GraphPrincipal,
    url: URL,
    body?: unknown,
  ): Promise<{status: number; body: GraphBody}> {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${await this.#options.token()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : {'content-type': 'application/json'}),
        },
        ...(body === undefined ? {} : {body: JSON.stringify(body)}),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw unresolved(principal, `Graph is unreachable (${(err as Error).message})`, err);
    }
    let parsed: GraphBody;
    try {
      parsed = (await response.json()) as GraphBody;
    } catch (err) {
      throw unresolved(principal, `Graph answered ${response.status} without JSON`, err);
    }
    return {status: response.status, body: parsed};
  }

  #ids(principal: GraphPrincipal, answer: {status: number; body: GraphBody}, before = 0): string[] {
    const {status, body} = answer;
    if (status !== 200) {
      throw unresolved(
        principal,
        `Graph answered ${status}${body.error?.code ? ` ${body.error.code}` : ''}`,
      );
    }
    const value = Array.isArray(body.value) ? body.value : undefined;
    const ids = value?.map((entry) => (typeof entry === 'string' ? entry : entry?.id));
    if (!ids || ids.some((id) => !isObjectId(id)))
      throw unresolved(principal, 'Graph answered with something other than object ids');
    if (before + ids.length > (this.#options.maxGroups ?? 11_000))
      throw unresolved(principal, `more than ${this.#options.maxGroups ?? 11_000} groups`);
    return ids as string[];
  }

  /** A next-page link, only if it stays on the configured Graph endpoint. */
  #sameOrigin(principal: GraphPrincipal, link: string): URL {
    const url = new URL(link, this.#base);
    if (url.origin !== this.#base.origin)
      throw unresolved(principal, `Graph's next page is on another host (${url.origin})`);
    return url;
  }
}

interface GraphBody {
  value?: (string | {id?: unknown} | null)[];
  error?: {code?: string};
  '@odata.nextLink'?: unknown;
}

function unresolved(principal: GraphPrincipal, why: string, cause?: unknown): AuthError {
  return new AuthError(
    'ERR_AUTH_GROUPS_UNRESOLVED',
    `Cannot read the groups of ${principal.kind === 'user' ? 'user' : 'service principal'} ${principal.objectId} from Microsoft Graph: ${why}`,
    {cause},
  );
}

import type {KeyObject} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';

import {verifyAccessToken} from './access-token-verifier.js';
import type {DevGroup} from './dev-directory.js';
import type {DirectoryIndex, DirectoryPrincipal} from './directory-index.js';
import {hasContentType, readBody, sendJson} from './http-io.js';

/** What the fake Graph needs. */
export interface GraphApiOptions {
  directory: DirectoryIndex;
  /** `https://host:port/graph`: what `@odata.context` starts with. */
  baseUrl: string;
  /** The provider's issuer: only its tokens are accepted. */
  issuer: string;
  /** The audience Graph tokens carry, e.g. `https://graph.microsoft.com`. */
  audience: string;
  /** The provider's current public keys by `kid`. */
  keys: () => ReadonlyMap<string, KeyObject>;
  maxRequestBodyBytes: number;
  maxMemberObjects: number;
  now?: () => number;
}

/** The actions served, with their HTTP methods (learn `graph/api/user-*`). */
const ACTIONS = {
  getMemberObjects: 'POST',
  getMemberGroups: 'POST',
  checkMemberGroups: 'POST',
  transitiveMemberOf: 'GET',
} as const;
type GraphAction = keyof typeof ACTIONS;

/**
 * Application permissions that let a caller read memberships (learn
 * `graph/api/user-getmembergroups`: `GroupMember.Read.All` or `Directory.Read.All`).
 */
const READ_MEMBERSHIP = ['GroupMember.Read.All', 'Directory.Read.All'];
/** `checkMemberGroups` takes at most 20 group ids per call (`user-checkmembergroups`). */
const MAX_CHECKED_GROUPS = 20;
/** `$top` for `transitiveMemberOf`: Graph pages 100 by default and accepts 1–999. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;
const GROUP_PROPERTIES = ['id', 'displayName', 'securityEnabled'] as const;
type GroupProperty = (typeof GROUP_PROPERTIES)[number];
const CLOCK_TOLERANCE_SECONDS = 60;

/** A Graph error answer: `{error: {code, message}}` with this status. */
interface GraphFailure {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** A 200 answer's body, or the failure to answer instead. */
type GraphResult = {body: Record<string, unknown>} | GraphFailure;

/**
 * The slice of Microsoft Graph v1.0 that resolves group memberships, served from the seed
 * directory (auth.md §1 "Graph resolution", §4 "Fake Graph"):
 *
 *   POST /v1.0/{users|servicePrincipals|directoryObjects}/{id}/getMemberObjects  {securityEnabledOnly}
 *   POST /v1.0/{…}/{id}/getMemberGroups                                           {securityEnabledOnly}
 *   POST /v1.0/{…}/{id}/checkMemberGroups                                         {groupIds: [≤20]}
 *   GET  /v1.0/{…}/{id}/transitiveMemberOf[/microsoft.graph.group]?$top&$select&$skiptoken
 *
 * Users are addressed by object id or UPN. Every call needs an app token this provider issued
 * for the Graph audience with a membership-reading permission: 401
 * `InvalidAuthenticationToken` otherwise, 403 `Authorization_RequestDenied` without the
 * permission. Unknown principals get 404 `Request_ResourceNotFound`.
 */
export class GraphApi {
  readonly #options: GraphApiOptions;
  readonly #now: () => number;

  constructor(options: GraphApiOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Answers one request.
   *
   * @param url the request URL on the provider's own origin, e.g.
   *   `https://127.0.0.1:PORT/graph/v1.0/users/{id}/getMemberObjects`; `@odata.nextLink`
   *   is built from it
   */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const refusal = this.#authenticate(req);
    if (refusal) {
      fail(res, refusal);
      return;
    }
    const route = this.#route(url);
    if ('status' in route) {
      fail(res, route);
      return;
    }
    const {principal, action} = route;
    const method = ACTIONS[action];
    if (req.method !== method) {
      fail(res, {
        status: 405,
        code: 'Request_BadRequest',
        message: `${action} takes ${method}, not ${req.method ?? ''}.`,
        headers: {allow: method},
      });
      return;
    }
    const groups = this.#options.directory.groupsOf(principal);
    if (action === 'transitiveMemberOf') {
      this.#answer(res, this.#transitiveMemberOf(url, groups));
      return;
    }
    const request = await this.#jsonBody(req);
    if (!('body' in request)) {
      fail(res, request);
      return;
    }
    switch (action) {
      case 'checkMemberGroups':
        this.#answer(res, checkMemberGroups(request.body, groups));
        return;
      case 'getMemberObjects':
      case 'getMemberGroups':
        // Without directory roles or administrative units, the two lists are the same.
        this.#answer(res, this.#memberGroups(request.body, groups));
        return;
      default: {
        const unknown: never = action;
        throw new Error(`Unhandled Graph action ${String(unknown)}`);
      }
    }
  }

  #answer(res: ServerResponse, result: GraphResult): void {
    if ('body' in result) sendJson(res, 200, result.body);
    else fail(res, result);
  }

  #authenticate(req: IncomingMessage): GraphFailure | undefined {
    const unauthorized = (message: string): GraphFailure => ({
      status: 401,
      code: 'InvalidAuthenticationToken',
      message,
      headers: {'www-authenticate': 'Bearer realm="", error="invalid_token"'},
    });
    const match = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return unauthorized('Access token is empty.');
    const verdict = verifyAccessToken(match[1], {
      issuer: this.#options.issuer,
      audience: this.#options.audience,
      keys: this.#options.keys(),
      now: Math.floor(this.#now() / 1000),
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    });
    if (!verdict.ok) return unauthorized(verdict.reason);
    const roles = Array.isArray(verdict.claims.roles) ? (verdict.claims.roles as unknown[]) : [];
    if (verdict.claims.idtyp !== 'app' || !READ_MEMBERSHIP.some((role) => roles.includes(role))) {
      return {
        status: 403,
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      };
    }
    return undefined;
  }

  /** `/v1.0/{collection}/{id}/{action}[/microsoft.graph.group]` → whom and what. */
  #route(url: URL): {principal: DirectoryPrincipal; action: GraphAction} | GraphFailure {
    const path = url.pathname.slice(new URL(this.#options.baseUrl).pathname.length);
    const notFound = (segment: string): GraphFailure => ({
      status: 400,
      code: 'BadRequest',
      message: `Resource not found for the segment '${segment}'.`,
    });
    let segments: string[];
    try {
      segments = path.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return notFound(path);
    }
    const [version, collection, id, action, cast, ...rest] = segments;
    if (version !== 'v1.0') {
      return {status: 400, code: 'BadRequest', message: `Invalid version: ${version ?? ''}`};
    }
    if (collection === undefined || id === undefined || action === undefined || rest.length > 0) {
      return notFound(path);
    }
    if (!Object.hasOwn(ACTIONS, action)) return notFound(action);
    if (
      cast !== undefined &&
      (action !== 'transitiveMemberOf' || cast !== 'microsoft.graph.group')
    ) {
      return notFound(cast);
    }
    const principal = this.#principal(collection, id);
    if (principal === 'unknown-collection') return notFound(collection);
    if (!principal) {
      return {
        status: 404,
        code: 'Request_ResourceNotFound',
        message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      };
    }
    return {principal, action: action as GraphAction};
  }

  #principal(
    collection: string,
    id: string,
  ): DirectoryPrincipal | undefined | 'unknown-collection' {
    const {directory} = this.#options;
    switch (collection) {
      case 'users': {
        const user = id.includes('@') ? directory.userByLogin(id) : undefined;
        const principal = directory.principal(user?.objectId ?? id);
        return principal?.kind === 'user' ? principal : undefined;
      }
      case 'servicePrincipals': {
        const principal = directory.principal(id);
        return principal?.kind === 'servicePrincipal' ? principal : undefined;
      }
      case 'directoryObjects':
        return directory.principal(id);
      default:
        return 'unknown-collection';
    }
  }

  async #jsonBody(req: IncomingMessage): Promise<GraphResult> {
    const badRequest = (message: string, status = 400): GraphFailure => ({
      status,
      code: 'Request_BadRequest',
      message,
    });
    if (!hasContentType(req, 'application/json')) {
      return badRequest('The request body must be application/json.', 415);
    }
    const limit = this.#options.maxRequestBodyBytes;
    const raw = await readBody(req, limit);
    if (raw === undefined) {
      return {
        ...badRequest(`The request body exceeds ${limit} bytes.`, 413),
        headers: {connection: 'close'},
      };
    }
    try {
      const value: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return {body: value as Record<string, unknown>};
      }
    } catch {
      // Answered below.
    }
    return badRequest('The request body is not a JSON object.');
  }

  /** `getMemberObjects` and `getMemberGroups`: the ids of every group, transitively. */
  #memberGroups(body: Record<string, unknown>, groups: readonly DevGroup[]): GraphResult {
    const {securityEnabledOnly} = body;
    if (typeof securityEnabledOnly !== 'boolean') {
      return {
        status: 400,
        code: 'Request_BadRequest',
        message: "The parameter 'securityEnabledOnly' must be true or false.",
      };
    }
    const ids = groups
      .filter((group) => !securityEnabledOnly || group.securityEnabled !== false)
      .map((group) => group.objectId);
    const limit = this.#options.maxMemberObjects;
    if (ids.length > limit) {
      return {
        status: 400,
        code: 'Directory_ResultSizeLimitExceeded',
        message: `The result exceeds ${limit} objects; page through transitiveMemberOf instead.`,
      };
    }
    return {
      body: {
        '@odata.context': `${this.#options.baseUrl}/v1.0/$metadata#Collection(Edm.String)`,
        value: ids,
      },
    };
  }

  /** One page of groups; `@odata.nextLink` carries the offset of the next in `$skiptoken`. */
  #transitiveMemberOf(url: URL, groups: readonly DevGroup[]): GraphResult {
    const badRequest = (message: string): GraphFailure => ({
      status: 400,
      code: 'Request_BadRequest',
      message,
    });
    const query = url.searchParams;
    const topText = query.get('$top');
    const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
      return badRequest(
        `Invalid page size specified: '${topText ?? ''}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
      );
    }
    const skipToken = query.get('$skiptoken');
    const offset = skipToken === null ? 0 : decodeSkipToken(skipToken);
    if (offset === undefined) return badRequest('Invalid $skiptoken.');
    const selectText = query.get('$select');
    const select =
      selectText === null ? [...GROUP_PROPERTIES] : selectText.split(',').map((p) => p.trim());
    const unknown = select.find(
      (property) => !(GROUP_PROPERTIES as readonly string[]).includes(property),
    );
    if (unknown !== undefined) {
      return badRequest(
        `Could not find a property named '${unknown}' on type 'microsoft.graph.group'.`,
      );
    }
    const value = groups.slice(offset, offset + top).map((group) => {
      const properties: Record<GroupProperty, unknown> = {
        id: group.objectId,
        displayName: group.displayName ?? group.name,
        securityEnabled: group.securityEnabled !== false,
      };
      return Object.fromEntries([
        ['@odata.type', '#microsoft.graph.group'],
        ...(select as GroupProperty[]).map((property) => [property, properties[property]]),
      ]) as Record<string, unknown>;
    });
    const page: Record<string, unknown> = {
      '@odata.context': `${this.#options.baseUrl}/v1.0/$metadata#directoryObjects`,
      value,
    };
    if (offset + top < groups.length) {
      const next = new URL(url.href);
      next.searchParams.set('$skiptoken', encodeSkipToken(offset + top));
      page['@odata.nextLink'] = next.href;
    }
    return {body: page};
  }
}

/** `checkMemberGroups`: which of the given groups the principal belongs to, transitively. */
function checkMemberGroups(
  body: Record<string, unknown>,
  groups: readonly DevGroup[],
): GraphResult {
  const {groupIds} = body;
  if (!Array.isArray(groupIds) || groupIds.some((id) => typeof id !== 'string')) {
    return {
      status: 400,
      code: 'Request_BadRequest',
      message: "The parameter 'groupIds' must be an array of strings.",
    };
  }
  if (groupIds.length > MAX_CHECKED_GROUPS) {
    return {
      status: 400,
      code: 'Request_BadRequest',
      message: `The number of group ids (${groupIds.length}) exceeds the limit of ${MAX_CHECKED_GROUPS}.`,
    };
  }
  const member = new Set(groups.map((group) => group.objectId));
  return {body: {value: (groupIds as string[]).filter((id) => member.has(id.toLowerCase()))}};
}

function fail(res: ServerResponse, failure: GraphFailure): void {
  sendJson(
    res,
    failure.status,
    {error: {code: failure.code, message: failure.message}},
    failure.headers,
  );
}

function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({offset})).toString('base64url');
}

function decodeSkipToken(token: string): number | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = (value as {offset?: unknown} | null)?.offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0
      ? offset
      : undefined;
  } catch {
    return undefined;
  }
}

import {HybridConnectionError} from '../../errors.js';

/** The path prefix of every Hybrid Connections WebSocket address (hybrid-connections.md §1.1). */
export const HC_PATH_PREFIX = '/$hc/';

/** The `sb-hc-action` values (hybrid-connections.md §1.1). */
export const HcAction = {
  LISTEN: 'listen',
  CONNECT: 'connect',
  ACCEPT: 'accept',
  REQUEST: 'request',
} as const;
export type HcAction = (typeof HcAction)[keyof typeof HcAction];

/** A `/$hc/...` request target, split into what the relay acts on and what it passes along. */
export interface HcTarget {
  /** The path after `/$hc/`, as received (still percent-encoded), e.g. `clusters/prod/sfx`. */
  rawPath: string;
  /** Its decoded segments: the entity's name is some prefix of them, the rest a suffix. */
  segments: string[];
  /** `sb-hc-action`; absent means `connect` (hybrid-connections.md §1.1, [EMU]). */
  action: HcAction;
  /** `sb-hc-id`. */
  id: string | undefined;
  /** `sb-hc-token`, form-decoded. */
  token: string | undefined;
  /** `sb-hc-statusCode` and `sb-hc-statusDescription` of a listener's rejection. */
  statusCode: string | undefined;
  statusDescription: string | undefined;
  /** The query without any `sb-hc-*` parameter, as received, without `?`; often empty. */
  appQuery: string;
}

const ACTIONS = new Set<string>(Object.values(HcAction));

/**
 * Parses the path and query of a Hybrid Connections WebSocket request.
 *
 * @param pathAndQuery e.g. `/$hc/hyco/sfx?x=1&sb-hc-action=connect`
 * @throws HybridConnectionError `ERR_HC_ADDRESS_INVALID` (status 404) for a path outside
 *   `/$hc/`, and (status 400) for an unknown action or a malformed query
 */
export function parseHcTarget(pathAndQuery: string): HcTarget {
  const [path, query] = splitTarget(pathAndQuery);
  if (!path.startsWith(HC_PATH_PREFIX)) {
    throw invalid(`the path does not start with ${HC_PATH_PREFIX}`, 404);
  }
  return parseTarget(path.slice(HC_PATH_PREFIX.length), query);
}

/**
 * Parses the path and query of a request in HTTP mode, `/{hc}[/suffix][?query]`
 * (hybrid-connections.md §1.1, the row without `$hc`). Its action is always `connect`.
 *
 * @throws HybridConnectionError `ERR_HC_ADDRESS_INVALID` as {@link parseHcTarget}
 */
export function parseHttpTarget(pathAndQuery: string): HcTarget {
  const [path, query] = splitTarget(pathAndQuery);
  const target = parseTarget(path.replace(/^\/+/, ''), query);
  if (target.action !== HcAction.CONNECT)
    throw invalid(`sb-hc-action ${target.action} is not an HTTP request`, 400);
  return target;
}

function splitTarget(pathAndQuery: string): [path: string, query: string] {
  const queryStart = pathAndQuery.indexOf('?');
  return queryStart === -1
    ? [pathAndQuery, '']
    : [pathAndQuery.slice(0, queryStart), pathAndQuery.slice(queryStart + 1)];
}

function parseTarget(pathAfterRoot: string, query: string): HcTarget {
  const rawPath = pathAfterRoot.replace(/\/+$/, '');
  const segments = rawPath.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw invalid('the path is not percent-encoded correctly', 404);
    }
  });
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalid('the path has an empty, "." or ".." segment', 404);
  }

  const reserved = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of query === '' ? [] : query.split('&')) {
    const equals = pair.indexOf('=');
    const name = formDecode(equals === -1 ? pair : pair.slice(0, equals)).toLowerCase();
    if (name.startsWith('sb-hc-')) {
      reserved.set(name, equals === -1 ? '' : formDecode(pair.slice(equals + 1)));
    } else if (pair !== '') {
      kept.push(pair);
    }
  }
  const action = reserved.get('sb-hc-action') ?? HcAction.CONNECT;
  if (!ACTIONS.has(action)) throw invalid(`unknown sb-hc-action ${JSON.stringify(action)}`, 400);
  return {
    rawPath,
    segments,
    action: action as HcAction,
    id: reserved.get('sb-hc-id'),
    token: reserved.get('sb-hc-token'),
    statusCode: reserved.get('sb-hc-statuscode'),
    statusDescription: reserved.get('sb-hc-statusdescription'),
    appQuery: kept.join('&'),
  };
}

/** Where a listener meets a sender: the URL of an `accept` or `request` rendezvous. */
export interface RendezvousAddress {
  /** The relay's WebSocket origin as listeners reach it, e.g. `wss://relay.example`. */
  origin: string;
  /** The entity path and any suffix, as received (percent-encoded), e.g. `hyco/sfx`. */
  rawPath: string;
  appQuery: string;
  action: typeof HcAction.ACCEPT | typeof HcAction.REQUEST;
  id: string;
}

/**
 * Builds a rendezvous address the way Azure Relay does:
 * `wss://{relay}/$hc/{hc}{/suffix}?{sender's query}&sb-hc-action=accept&sb-hc-id={id}`
 * (hybrid-connections.md §1.2). The sender's own query stays first and untouched.
 */
export function formatRendezvousAddress(address: RendezvousAddress): string {
  const query = [
    address.appQuery,
    `sb-hc-action=${address.action}`,
    `sb-hc-id=${encodeURIComponent(address.id)}`,
  ]
    .filter((part) => part !== '')
    .join('&');
  return `${address.origin}${HC_PATH_PREFIX}${address.rawPath}?${query}`;
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw invalid('the query is not percent-encoded correctly', 400);
  }
}

function invalid(reason: string, status: number): HybridConnectionError {
  return new HybridConnectionError(
    'ERR_HC_ADDRESS_INVALID',
    `Invalid Hybrid Connections address: ${reason}`,
    {status},
  );
}

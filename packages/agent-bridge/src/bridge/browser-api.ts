import {randomBytes, timingSafeEqual} from 'node:crypto';
import type {Http2ServerRequest, Http2ServerResponse} from 'node:http2';

import {AgentBridgeError} from '../errors.js';
import type {AgentBridgeErrorCode} from '../errors.js';

/** Where the console page calls the bridge: `PUT`/`DELETE /porthole/v1/browser/handoffs/<cluster>`. */
export const BROWSER_API_PREFIX = '/porthole/v1/browser/';

/** `PUT /porthole/v1/browser/handoffs/<cluster>`: the signed-in user's session for one cluster. */
export interface HandoffRequest {
  /** The relay's URL, as `listClusterUserCredential` gave it; must be the console's relay. */
  relay: string;
  hybridConnectionName: string;
  /** The relay's sender token for the hybrid connection. */
  senderToken: string;
  /** Unix seconds. */
  senderExpiresAt: number;
  /** The user's access token for the server app. */
  accessToken: string;
  /** Unix seconds. */
  accessExpiresAt: number;
}

/** What the console shows after a hand-over: the context to use, and where it is. */
export interface HandoffAnswer {
  cluster: string;
  context: string;
  kubeconfig: string;
  server: string;
  /** When kubectl stops working unless the console renews the hand-over (ISO 8601). */
  expiresAt: string;
}

/** The limits of the browser API; every one has a safe default. */
export interface BrowserApiLimits {
  /** How long a console session's secret is good for. Default 12 h. */
  sessionTtlMs: number;
  /** Sessions kept at once; creating one more forgets the oldest. Default 16. */
  maxSessions: number;
  /** The largest request body accepted. Default 64 KiB. */
  maxBodyBytes: number;
}

export const BROWSER_API_DEFAULTS: BrowserApiLimits = {
  sessionTtlMs: 12 * 60 * 60 * 1000,
  maxSessions: 16,
  maxBodyBytes: 64 * 1024,
};

/** What the browser API asks of the bridge that owns it. */
export interface BrowserApiHandlers {
  /** The bridge's port: pages must come from its own origin. */
  port: () => number;
  /**
   * Serves a cluster with the handed-over session, or renews the session of one served so.
   *
   * @throws AgentBridgeError a `4xx`-worthy `ERR_BRIDGE_*` or a tunnel failure
   */
  handOver: (cluster: string, request: HandoffRequest) => Promise<HandoffAnswer>;
  /** Stops serving a handed-over cluster; false when it was not served so. */
  release: (cluster: string) => Promise<boolean>;
}

/** A cluster name as the control plane allows it. */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HANDOFF_PATH = /^\/porthole\/v1\/browser\/handoffs\/([^/]+)$/;

/**
 * The part of the bridge's local API that the console page calls to hand its session to the
 * bridge ("Use from kubectl"). A page may call it only from the bridge's own origin
 * (`https://127.0.0.1:<port>`, `https://localhost:<port>`, `https://[::1]:<port>`: any other
 * page's `Origin` is refused, and so is a request without one), addressed to the bridge by a
 * loopback name (no DNS rebinding), and with a console session's secret — which `porthole
 * console` asks for with the control secret and hands to the page in the URL's fragment, so it
 * never reaches a server or a log.
 */
export class BrowserApi {
  readonly #handlers: BrowserApiHandlers;
  readonly #limits: BrowserApiLimits;
  readonly #now: () => number;
  /** Console sessions, oldest first: secret → expiry in milliseconds. */
  readonly #sessions = new Map<string, number>();

  constructor(
    handlers: BrowserApiHandlers,
    limits: Partial<BrowserApiLimits> = {},
    now: () => number = Date.now,
  ) {
    this.#handlers = handlers;
    this.#limits = {...BROWSER_API_DEFAULTS, ...limits};
    this.#now = now;
  }

  /** A new console session: its secret, and when it expires (milliseconds). */
  createSession(): {secret: string; expiresAtMs: number} {
    this.#forgetExpired();
    while (this.#sessions.size >= this.#limits.maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const secret = randomBytes(32).toString('base64url');
    const expiresAtMs = this.#now() + this.#limits.sessionTtlMs;
    this.#sessions.set(secret, expiresAtMs);
    return {secret, expiresAtMs};
  }

  /** When the last console session expires (milliseconds); 0 when there is none. */
  get sessionsExpireAtMs(): number {
    this.#forgetExpired();
    return Math.max(0, ...this.#sessions.values());
  }

  async handle(request: Http2ServerRequest, response: Http2ServerResponse): Promise<void> {
    try {
      const path = request.url.split('?')[0] ?? '';
      this.#checkCaller(request);
      const match = HANDOFF_PATH.exec(path);
      const cluster = decodePathPart(match?.[1]);
      if (cluster === undefined)
        throw refusal(404, 'ERR_BRIDGE_CONTROL', `No browser endpoint ${path}`);
      if (!CLUSTER_NAME.test(cluster))
        throw refusal(
          400,
          'ERR_BRIDGE_HANDOFF_INVALID',
          `${JSON.stringify(cluster)} is not a cluster name`,
        );
      if (request.method === 'PUT') {
        const body = handoffRequest(await this.#readBody(request), this.#now());
        answer(response, 200, await this.#handlers.handOver(cluster, body));
        return;
      }
      if (request.method === 'DELETE') {
        const released = await this.#handlers.release(cluster);
        if (!released)
          throw refusal(
            404,
            'ERR_BRIDGE_CONTROL',
            `The console did not hand ${cluster} to this bridge`,
          );
        answer(response, 200, {released: true});
        return;
      }
      throw refusal(405, 'ERR_BRIDGE_CONTROL', `${request.method} is not allowed here`);
    } catch (err) {
      const failure = asRefusal(err);
      answer(response, failure.status, {
        code: failure.error.code,
        message: failure.error.message,
        hint: failure.error.hint,
      });
    }
  }

  /**
   * @throws BrowserRefusal 403 `ERR_BRIDGE_ORIGIN_REFUSED` for a page of another origin or a
   *   host name that is not loopback; 401 `ERR_BRIDGE_SESSION_INVALID` without a live session
   */
  #checkCaller(request: Http2ServerRequest): void {
    const port = this.#handlers.port();
    const own = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    const host = (request.headers[':authority'] ?? request.headers.host ?? '').toLowerCase();
    const origin = request.headers.origin;
    if (
      !own.includes(host) ||
      origin === undefined ||
      !own.map((h) => `https://${h}`).includes(origin)
    )
      throw refusal(
        403,
        'ERR_BRIDGE_ORIGIN_REFUSED',
        `Only the console served by this bridge may call it (origin ${origin === undefined ? 'missing' : JSON.stringify(origin)})`,
        'Open the console with: porthole console',
      );
    const presented = Buffer.from(
      /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '',
    );
    this.#forgetExpired();
    const known = [...this.#sessions.keys()].some((secret) => {
      const expected = Buffer.from(secret);
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!known)
      throw refusal(
        401,
        'ERR_BRIDGE_SESSION_INVALID',
        'This console session is unknown to the bridge or has expired',
        'Open the console again with: porthole console',
      );
  }

  async #readBody(request: Http2ServerRequest): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.#limits.maxBodyBytes)
        throw refusal(
          413,
          'ERR_BRIDGE_HANDOFF_INVALID',
          `The request is larger than ${this.#limits.maxBodyBytes} bytes`,
        );
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw refusal(400, 'ERR_BRIDGE_HANDOFF_INVALID', 'The hand-over is not JSON');
    }
  }

  #forgetExpired(): void {
    const now = this.#now();
    for (const [secret, expiresAtMs] of this.#sessions)
      if (expiresAtMs <= now) this.#sessions.delete(secret);
  }
}

/** An error answered with its HTTP status. */
class BrowserRefusal extends Error {
  constructor(
    readonly status: number,
    readonly error: AgentBridgeError,
  ) {
    super(error.message);
  }
}

function refusal(
  status: number,
  code: AgentBridgeErrorCode,
  message: string,
  hint = 'Choose "Use from kubectl" in the console again.',
): BrowserRefusal {
  return new BrowserRefusal(status, new AgentBridgeError(code, message, hint));
}

/** The HTTP status of the bridge's own refusals; a tunnel failure is 502. */
const STATUS: Partial<Record<AgentBridgeErrorCode, number>> = {
  ERR_BRIDGE_HANDOFF_INVALID: 400,
  ERR_BRIDGE_CLUSTER_IN_USE: 409,
};

/** A refusal as it is, an error of the bridge with its status. */
function asRefusal(err: unknown): BrowserRefusal {
  if (err instanceof BrowserRefusal) return err;
  if (err instanceof AgentBridgeError) return new BrowserRefusal(STATUS[err.code] ?? 502, err);
  return new BrowserRefusal(
    500,
    new AgentBridgeError(
      'ERR_BRIDGE_CONTROL',
      `The bridge failed: ${(err as Error).message}`,
      'See the bridge log.',
    ),
  );
}

/**
 * Checks a hand-over's body.
 *
 * @throws BrowserRefusal 400 `ERR_BRIDGE_HANDOFF_INVALID` naming the field at fault
 */
function handoffRequest(value: unknown, nowMs: number): HandoffRequest {
  const invalid = (what: string) =>
    refusal(400, 'ERR_BRIDGE_HANDOFF_INVALID', `Invalid hand-over: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('not an object');
  const body = value as Record<string, unknown>;
  const known = [
    'relay',
    'hybridConnectionName',
    'senderToken',
    'senderExpiresAt',
    'accessToken',
    'accessExpiresAt',
  ];
  const unknown = Object.keys(body).find((key) => !known.includes(key));
  if (unknown !== undefined) throw invalid(`unknown field "${unknown}"`);
  const text = (name: string) => {
    const field = body[name];
    if (typeof field !== 'string' || field === '' || field.length > 16 * 1024)
      throw invalid(`"${name}" is not a non-empty string`);
    return field;
  };
  const time = (name: string) => {
    const field = body[name];
    if (typeof field !== 'number' || !Number.isFinite(field))
      throw invalid(`"${name}" is not a time in Unix seconds`);
    if (field * 1000 <= nowMs) throw invalid(`"${name}" has passed: the token has expired`);
    return field;
  };
  return {
    relay: text('relay'),
    hybridConnectionName: text('hybridConnectionName'),
    senderToken: text('senderToken'),
    senderExpiresAt: time('senderExpiresAt'),
    accessToken: text('accessToken'),
    accessExpiresAt: time('accessExpiresAt'),
  };
}

function decodePathPart(part: string | undefined): string | undefined {
  if (part === undefined) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function answer(response: Http2ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {'content-type': 'application/json', 'cache-control': 'no-store'});
  response.end(`${JSON.stringify(body)}\n`);
}

import {readFile, stat} from 'node:fs/promises';
import type {IncomingHttpHeaders, OutgoingHttpHeaders} from 'node:http';
import {extname, join, normalize, resolve, sep} from 'node:path';

import type {ConsoleSettings} from '@porthole/core/control-plane';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where the console lives on the relay. */
export const CONSOLE_PATH = '/console/';

/** A request as the site reads it: HTTP/1.1's or HTTP/2's (the bridge serves both). */
export interface SiteRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

/** A response as the site writes it. */
export interface SiteResponse {
  writeHead(status: number, headers: OutgoingHttpHeaders): SiteResponse;
  end(body: Buffer | string): unknown;
}

/**
 * The web console's files under a path — `/console/` on the relay, `/` on the bridge: the
 * built app from a directory, its `config.json` made per request (the relay's URL and how to
 * sign in), client-side routes answered with `index.html`. Pages may run only the app's own
 * scripts, talk only to their own origin, the relay and the identity provider, and are framed
 * only by the console itself (MSAL's silent renewal).
 */
export class ConsoleSite {
  readonly #dir: string | undefined;
  readonly #path: string;
  readonly #corsOrigins: readonly string[];

  /**
   * @param dir the built console (`@porthole/web`'s `dist-app`); without it only `config.json`
   *   is served, for portals that load the components from their own site
   * @param options `path`: where the console is mounted, ending in `/` (default `/console/`);
   *   `corsOrigins`: portals on other sites that may load the components' script and the
   *   config (a module script from another origin needs CORS)
   */
  constructor(
    dir: string | undefined,
    options: {path?: string; corsOrigins?: readonly string[]} = {},
  ) {
    // Absolute, without a trailing separator: the containment check below depends on it.
    this.#dir = dir === undefined ? undefined : resolve(dir);
    this.#path = options.path ?? CONSOLE_PATH;
    this.#corsOrigins = options.corsOrigins ?? [];
  }

  /** Whether a path is the relay's console's. */
  static owns(path: string): boolean {
    return path === '/console' || path.startsWith(CONSOLE_PATH);
  }

  /**
   * Answers a request for a path under the mount path.
   *
   * @param config what the page is told in `config.json`, and what its CSP lets it reach
   */
  async handle(
    request: SiteRequest,
    response: SiteResponse,
    config: ConsoleSettings,
  ): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain'}).end('GET only\n');
      return;
    }
    if (`${path}/` === this.#path) {
      response.writeHead(301, {location: this.#path}).end('');
      return;
    }
    if (!path.startsWith(this.#path)) {
      response.writeHead(404, {'content-type': 'text/plain'}).end('Not found\n');
      return;
    }
    if (path === `${this.#path}config.json`) {
      this.#send(
        request,
        response,
        200,
        TYPES['.json'] ?? '',
        Buffer.from(JSON.stringify(config)),
        {
          'cache-control': 'no-store',
        },
        config,
      );
      return;
    }
    const dir = this.#dir;
    if (dir === undefined) {
      response.writeHead(404, {'content-type': 'text/plain'}).end('No console is served here\n');
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(this.#path.length)) || 'index.html';
    } catch {
      response.writeHead(400, {'content-type': 'text/plain'}).end('Bad path\n');
      return;
    }
    // Client-side routes (no extension) are the app's.
    if (extname(relative) === '') relative = 'index.html';
    const file = normalize(join(dir, relative));
    if (!file.startsWith(dir + sep) || relative.includes('\0')) {
      response.writeHead(404, {'content-type': 'text/plain'}).end('Not found\n');
      return;
    }
    const body = await stat(file).then(
      (info) => (info.isFile() ? readFile(file) : undefined),
      () => undefined,
    );
    if (!body) {
      response.writeHead(404, {'content-type': 'text/plain'}).end('Not found\n');
      return;
    }
    // Vite names built assets by their content: they never change under one name.
    const immutable = relative.startsWith(`assets${sep}`) || relative.startsWith('assets/');
    this.#send(
      request,
      response,
      200,
      TYPES[extname(file)] ?? 'application/octet-stream',
      body,
      {
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
      config,
    );
  }

  #cors(request: SiteRequest): Record<string, string> {
    const origin = request.headers.origin;
    return origin !== undefined && this.#corsOrigins.includes(origin)
      ? {'access-control-allow-origin': origin, vary: 'Origin'}
      : {};
  }

  #send(
    request: SiteRequest,
    response: SiteResponse,
    status: number,
    type: string,
    body: Buffer,
    headers: Record<string, string>,
    config: ConsoleSettings,
  ): void {
    const authority = config.authentication ? new URL(config.authentication.authority).origin : '';
    const relay = new URL(config.relay);
    const sockets = `${relay.protocol === 'https:' ? 'wss' : 'ws'}://${relay.host}`;
    response.writeHead(status, {
      'content-type': type,
      'content-length': body.length,
      'content-security-policy': [
        "default-src 'self'",
        "script-src 'self'",
        // xterm and Lit set styles from script.
        "style-src 'self' 'unsafe-inline'",
        `connect-src 'self' ${relay.origin} ${sockets} ${authority}`.trim(),
        // MSAL renews silently in a hidden frame of the identity provider.
        `frame-src 'self' ${authority}`.trim(),
        "img-src 'self' data:",
        `form-action 'self' ${authority}`.trim(),
        "frame-ancestors 'self'",
        "base-uri 'self'",
      ].join('; '),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...this.#cors(request),
      ...headers,
    });
    response.end(request.method === 'HEAD' ? '' : body);
  }
}

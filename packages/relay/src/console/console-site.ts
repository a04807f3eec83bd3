import {readFile, stat} from 'node:fs/promises';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {extname, join, normalize, resolve, sep} from 'node:path';

/** What the console is told at start (`/console/config.json`). */
export interface ConsoleConfig {
  relay: string;
  authentication: {authority: string; tenantId: string; serverApp: string; clientId: string} | null;
}

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

/**
 * The web console's files under `/console/`: the built app from a directory, its
 * `config.json` made per request (the relay's URL as the browser reached it, and how to sign
 * in), client-side routes answered with `index.html`. Pages may run only the app's own
 * scripts, talk only to the relay and the identity provider, and are framed only by the console
 * itself (MSAL's silent renewal).
 */
export class ConsoleSite {
  readonly #dir: string;
  readonly #config: (request: IncomingMessage) => ConsoleConfig;
  readonly #corsOrigins: readonly string[];

  /**
   * @param corsOrigins portals on other sites that may load the components' script and the
   *   config (a module script from another origin needs CORS)
   */
  constructor(
    dir: string,
    config: (request: IncomingMessage) => ConsoleConfig,
    corsOrigins: readonly string[] = [],
  ) {
    // Absolute, without a trailing separator: the containment check below depends on it.
    this.#dir = resolve(dir);
    this.#config = config;
    this.#corsOrigins = corsOrigins;
  }

  /** Whether a path is the console's. */
  static owns(path: string): boolean {
    return path === '/console' || path.startsWith(CONSOLE_PATH);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain'}).end('GET only\n');
      return;
    }
    if (path === '/console') {
      response.writeHead(301, {location: CONSOLE_PATH}).end();
      return;
    }
    const config = this.#config(request);
    if (path === `${CONSOLE_PATH}config.json`) {
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
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(CONSOLE_PATH.length)) || 'index.html';
    } catch {
      response.writeHead(400, {'content-type': 'text/plain'}).end('Bad path\n');
      return;
    }
    // Client-side routes (no extension) are the app's.
    if (extname(relative) === '') relative = 'index.html';
    const file = normalize(join(this.#dir, relative));
    if (!file.startsWith(this.#dir + sep) || relative.includes('\0')) {
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

  #cors(request: IncomingMessage): Record<string, string> {
    const origin = request.headers.origin;
    return origin !== undefined && this.#corsOrigins.includes(origin)
      ? {'access-control-allow-origin': origin, vary: 'Origin'}
      : {};
  }

  #send(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    type: string,
    body: Buffer,
    headers: Record<string, string>,
    config: ConsoleConfig,
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
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}

import {once} from 'node:events';
import type {IncomingHttpHeaders, IncomingMessage} from 'node:http';
import {request} from 'node:https';

/**
 * A browser without a screen, for sign-in pages in tests: HTTPS requests trusting a test CA, a
 * cookie jar, redirects followed on one site, and HTML forms read and submitted.
 */

export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One HTTPS request trusting `ca`, without keep-alive. */
export async function httpsRequest(
  url: string,
  options: {ca: string; method?: string; headers?: Record<string, string>; body?: string},
): Promise<HttpsResponse> {
  const req = request(url, {
    method: options.method ?? 'GET',
    ca: options.ca,
    agent: false,
    headers: {
      ...(options.body === undefined
        ? {}
        : {'content-length': String(Buffer.byteLength(options.body))}),
      ...options.headers,
    },
  });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    text: Buffer.concat(chunks).toString('utf8'),
  };
}

/**
 * A user agent with a cookie jar that follows redirects on the provider's origin, as a browser
 * would, and stops at a redirect elsewhere (the client's redirect URI) or a page.
 */
export class UserAgent {
  readonly #ca: string;
  readonly #origin: string;
  readonly #cookies = new Map<string, string>();

  /**
   * @param site the identity provider: the CA its certificate chains to, and its origin (the
   *   user agent follows redirects there, and stops at any other)
   */
  constructor(site: {ca: string; origin: string}) {
    this.#ca = site.ca;
    this.#origin = site.origin;
  }

  /** Opens `url` and follows redirects: the last page, or where it left the provider. */
  async open(url: string): Promise<Page> {
    return this.#follow(await this.#send(url, 'GET'), url);
  }

  /** Submits a form and follows redirects. */
  async submit(form: Form, fields: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams({...form.fields, ...fields}).toString();
    return this.#follow(await this.#send(form.action, 'POST', body), form.action);
  }

  async #follow(first: HttpsResponse, url: string): Promise<Page> {
    let response = first;
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.location;
      if (response.status < 300 || response.status >= 400 || location === undefined) {
        return new Page(current, response);
      }
      current = new URL(location, current).href;
      if (new URL(current).origin !== this.#origin) return new Page(current, response);
      response = await this.#send(current, 'GET');
    }
    throw new Error(`Too many redirects from ${url}`);
  }

  async #send(url: string, method: string, body?: string): Promise<HttpsResponse> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await httpsRequest(url, {
      ca: this.#ca,
      method,
      headers: {
        ...(cookie === '' ? {} : {cookie}),
        ...(body === undefined ? {} : {'content-type': 'application/x-www-form-urlencoded'}),
      },
      ...(body === undefined ? {} : {body}),
    });
    for (const line of response.headers['set-cookie'] ?? []) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some(
        (attribute) =>
          /^\s*expires=/i.test(attribute) && Date.parse(attribute.split('=')[1] ?? '') < Date.now(),
      );
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}

/** An HTML form: where it posts and its named fields' values. */
export interface Form {
  action: string;
  fields: Record<string, string>;
}

/** Where a user agent ended up. */
export class Page {
  constructor(
    readonly url: string,
    readonly response: HttpsResponse,
  ) {}

  get status(): number {
    return this.response.status;
  }

  get html(): string {
    return this.response.text;
  }

  /** The first form's action (resolved) and its inputs (hidden ones with their values). */
  form(): Form {
    const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(this.html);
    if (!match) throw new Error(`No form on ${this.url}: ${this.html.slice(0, 200)}`);
    const action = /action="([^"]*)"/.exec(match[1] ?? '')?.[1] ?? this.url;
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const attributes = input[1] ?? '';
      const name = /name="([^"]*)"/.exec(attributes)?.[1];
      if (name === undefined) continue;
      fields[name] = decodeEntities(/value="([^"]*)"/.exec(attributes)?.[1] ?? '');
    }
    return {action: new URL(decodeEntities(action), this.url).href, fields};
  }
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/**
 * Drives the sign-in form: opens `url` (an authorization or device URL), signs in as `login`,
 * and follows the provider's redirects.
 */
export async function signInWithForm(
  agent: UserAgent,
  url: string,
  login: string,
  password = '',
): Promise<Page> {
  const page = await agent.open(url);
  if (page.status !== 200 || !page.html.includes('name="username"')) {
    throw new Error(`Expected the sign-in form at ${page.url}, got ${page.status}`);
  }
  return agent.submit(page.form(), {username: login, password, action: 'sign-in'});
}

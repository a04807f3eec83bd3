import {Agent, request} from 'node:https';

import {TestingError} from '../errors.js';

/** A parsed API response: the HTTP status and the JSON body (or text, when not JSON). */
export interface HttpsResponse {
  status: number;
  body: unknown;
}

/** The server's base URL, the CA that verifies it and the client certificate to present. */
export interface HttpsClientOptions {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * JSON over HTTPS with a client certificate: how the test cluster probes its components and
 * makes the few apiserver calls it needs while starting. Tests themselves use real kubectl.
 */
export class HttpsClient {
  #server: URL;
  #agent: Agent;

  constructor(options: HttpsClientOptions) {
    this.#server = new URL(options.server);
    this.#agent = new Agent({
      ca: options.caPem,
      cert: options.certPem,
      key: options.keyPem,
      keepAlive: true,
      maxSockets: 4,
    });
  }

  /**
   * Sends one request and reads the whole response.
   *
   * @param method the HTTP method
   * @param path the request path, e.g. `/api/v1/nodes`
   * @param body sent as JSON when given
   * @throws TestingError `ERR_KUBE_API_REQUEST` when no response arrives within 10 s
   */
  request(method: string, path: string, body?: unknown): Promise<HttpsResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.#server),
        {
          method,
          agent: this.#agent,
          timeout: 10_000,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : {'content-type': 'application/json'}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // /readyz and friends answer in plain text.
            }
            resolve({status: res.statusCode ?? 0, body: parsed});
          });
        },
      );
      req.on('timeout', () => {
        req.destroy(
          new TestingError('ERR_KUBE_API_REQUEST', `${method} ${path}: no response in 10000ms`),
        );
      });
      req.on('error', (err) => {
        reject(
          err instanceof TestingError
            ? err
            : new TestingError('ERR_KUBE_API_REQUEST', `${method} ${path} failed`, {cause: err}),
        );
      });
      req.end(payload);
    });
  }

  /**
   * Creates an object and fails unless the apiserver answers 201 Created.
   *
   * @param path the collection, e.g. `/api/v1/nodes`
   * @param object the object to create
   * @throws TestingError `ERR_KUBE_API_REQUEST` with the apiserver's status message
   */
  async create(path: string, object: unknown): Promise<void> {
    const {status, body} = await this.request('POST', path, object);
    if (status !== 201) {
      throw new TestingError(
        'ERR_KUBE_API_REQUEST',
        `POST ${path}: ${status} ${statusMessage(body)}`,
      );
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
}

function statusMessage(body: unknown): string {
  if (
    typeof body === 'object' &&
    body !== null &&
    'message' in body &&
    typeof body.message === 'string'
  ) {
    return body.message;
  }
  return typeof body === 'string' ? body.slice(0, 200) : '';
}

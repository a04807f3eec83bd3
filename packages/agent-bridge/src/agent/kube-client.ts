import {request as httpsRequest} from 'node:https';
import type {IncomingMessage} from 'node:http';

import {AgentBridgeError} from '../errors.js';
import {endpointAddress, endpointTls} from './kube-endpoint.js';
import type {KubeEndpoint} from './kube-endpoint.js';

/** The apiserver's answer: its status and its JSON body (`undefined` when it is not JSON). */
export interface KubeAnswer {
  status: number;
  body: unknown;
}

/** The largest answer read; the agent's own calls are small (a version, one node, a Secret). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The agent's own requests to the apiserver, made with its own credential (the service
 * account's token, read anew each time, or a kubeconfig's) — unlike {@link KubeUpstream},
 * which forwards callers' requests with theirs. Used for heartbeats (`/version`, node count)
 * and for saving a rotated key in the agent's Secret.
 */
export class KubeClient {
  readonly #endpoint: KubeEndpoint;
  readonly #timeoutMs: number;

  /** @param options.timeoutMs how long a request may take, answer included (default 10 s) */
  constructor(endpoint: KubeEndpoint, options: {timeoutMs?: number} = {}) {
    this.#endpoint = endpoint;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The apiserver's URL, for messages. */
  get server(): string {
    return this.#endpoint.server.origin;
  }

  /**
   * Sends a request and reads the whole answer, whatever its status.
   *
   * @param path path and query, e.g. `/api/v1/nodes?limit=1`
   * @throws AgentBridgeError `ERR_AGENT_UPSTREAM` when no answer comes: unreachable, TLS,
   *   time-out, or an answer over 1 MiB; the message names the system code
   */
  async request(
    method: 'GET' | 'PATCH',
    path: string,
    options: {body?: unknown; contentType?: string; signal?: AbortSignal} = {},
  ): Promise<KubeAnswer> {
    const {credential} = this.#endpoint;
    const headers: Record<string, string> = {accept: 'application/json'};
    if (credential && 'token' in credential)
      headers.authorization = `Bearer ${await credential.token()}`;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    return new Promise<KubeAnswer>((resolve, reject) => {
      const outgoing = httpsRequest({
        ...endpointAddress(this.#endpoint),
        ...endpointTls(this.#endpoint),
        ...(credential && 'certPem' in credential
          ? {cert: credential.certPem, key: credential.keyPem}
          : {}),
        agent: false,
        method,
        path,
        headers,
        timeout: this.#timeoutMs,
        ...(options.signal ? {signal: options.signal} : {}),
      });
      const fail = (err: unknown) => {
        outgoing.destroy();
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        reject(
          new AgentBridgeError(
            'ERR_AGENT_UPSTREAM',
            `The apiserver at ${this.server} did not answer ${method} ${pathOnly(path)} (${code})`,
            "Check the apiserver's address and that the agent can reach it.",
            {cause: err},
          ),
        );
      };
      outgoing.on('timeout', () => fail(new Error(`timeout: ${this.#timeoutMs}ms`)));
      outgoing.on('error', fail);
      outgoing.on('response', (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) fail(new Error(`answer over ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        answer.on('error', fail);
        answer.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          } catch {
            body = undefined;
          }
          resolve({status: answer.statusCode ?? 0, body});
        });
      });
      outgoing.end(payload);
    });
  }
}

function pathOnly(path: string): string {
  return path.split('?')[0] ?? path;
}

import {ControlPlaneError, WebError} from '../errors.js';
import type {
  Cluster,
  ClusterUserCredential,
  RoleAssignment,
  RoleAssignmentCreate,
} from './control-plane-types.js';

/** What a {@link ControlPlaneClient} needs. */
export interface ControlPlaneClientOptions {
  /** The relay's base URL, e.g. `https://relay.example`. */
  relay: string;
  /** A fresh access token for the server app, asked for before each call. */
  token: () => Promise<string>;
  /** Give up on a call after this long. Default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The browser's client of the relay's control plane (`/api/v1`, see its OpenAPI document):
 * clusters, sender credentials and role assignments, as the signed-in user.
 *
 * @example
 *   const api = new ControlPlaneClient({relay: 'https://relay.example', token: () => session.accessToken()});
 *   const clusters = await api.listClusters();
 */
export class ControlPlaneClient {
  readonly #base: string;
  readonly #token: () => Promise<string>;
  readonly #timeoutMs: number;

  /** @param options the relay and how to get a token */
  constructor(options: ControlPlaneClientOptions) {
    this.#base = options.relay.replace(/\/$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The relay's base URL. */
  get relay(): string {
    return this.#base;
  }

  /** The clusters the user holds a role on (all of them for relay administrators). */
  async listClusters(signal?: AbortSignal): Promise<Cluster[]> {
    const list = await this.#call<{value?: unknown}>('GET', '/api/v1/clusters', {signal});
    return listOf<Cluster>(list, 'GET /api/v1/clusters');
  }

  /** @throws ControlPlaneError `ERR_CONTROL_CLUSTER_NOT_FOUND` (404) when there is none */
  getCluster(name: string, signal?: AbortSignal): Promise<Cluster> {
    return this.#call('GET', clusterPath(name), {signal});
  }

  /** Deletes a cluster: its agent is disconnected and its credential revoked. */
  async deleteCluster(name: string): Promise<void> {
    await this.#call('DELETE', clusterPath(name));
  }

  /** A short-lived sender credential for the cluster (needs Cluster User or higher). */
  listClusterUserCredential(name: string): Promise<ClusterUserCredential> {
    return this.#call('POST', `${clusterPath(name)}/listClusterUserCredential`, {
      body: {authenticationMethod: 'AAD'},
    });
  }

  /** The cluster's role assignments, oldest first. */
  async listRoleAssignments(cluster: string, signal?: AbortSignal): Promise<RoleAssignment[]> {
    const path = `${clusterPath(cluster)}/roleAssignments`;
    return listOf<RoleAssignment>(await this.#call('GET', path, {signal}), `GET ${path}`);
  }

  /** Gives a principal a built-in role on the cluster or one namespace. */
  createRoleAssignment(cluster: string, assignment: RoleAssignmentCreate): Promise<RoleAssignment> {
    return this.#call('POST', `${clusterPath(cluster)}/roleAssignments`, {body: assignment});
  }

  /** Removes a role assignment. */
  async deleteRoleAssignment(cluster: string, id: string): Promise<void> {
    await this.#call('DELETE', `${clusterPath(cluster)}/roleAssignments/${encodeURIComponent(id)}`);
  }

  /**
   * @throws ControlPlaneError with the relay's `ERR_CONTROL_*` code for a refusal;
   *   WebError `ERR_WEB_RELAY_UNREACHABLE` when no answer comes, `ERR_WEB_RESPONSE_INVALID`
   *   for an answer that is not the control plane's
   */
  async #call<T>(
    method: string,
    path: string,
    options: {body?: unknown; signal?: AbortSignal | undefined} = {},
  ): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${await this.#token()}`,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : {body: JSON.stringify(options.body)}),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      const reason = timeout.aborted ? `no answer in ${this.#timeoutMs} ms` : 'network error';
      throw new WebError(
        'ERR_WEB_RELAY_UNREACHABLE',
        `Cannot reach the relay at ${this.#base} (${reason})`,
        {cause},
      );
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new WebError(
        'ERR_WEB_RESPONSE_INVALID',
        `Invalid answer: ${method} ${path} got HTTP ${response.status} without JSON; is ${this.#base} a Porthole relay?`,
      );
    }
    if (!response.ok) throw controlPlaneError(body, response, `${method} ${path}`);
    return body as T;
  }
}

function clusterPath(name: string): string {
  return `/api/v1/clusters/${encodeURIComponent(name)}`;
}

function listOf<T>(list: {value?: unknown} | undefined, what: string): T[] {
  if (!Array.isArray(list?.value))
    throw new WebError('ERR_WEB_RESPONSE_INVALID', `Invalid answer: ${what} has no "value" array`);
  return list.value as T[];
}

/** The control plane's `{error: {code, message, hint, correlationId}}`, as an error. */
function controlPlaneError(body: unknown, response: Response, what: string): Error {
  const error = (body as {error?: Record<string, unknown>} | null)?.error;
  const code = error?.code;
  const message = error?.message;
  if (typeof code !== 'string' || !code.startsWith('ERR_CONTROL_') || typeof message !== 'string')
    return new WebError(
      'ERR_WEB_RESPONSE_INVALID',
      `Invalid answer: ${what} got HTTP ${response.status} without a control-plane error`,
    );
  return new ControlPlaneError(code as `ERR_CONTROL_${string}`, message, {
    status: response.status,
    hint: typeof error?.hint === 'string' ? error.hint : undefined,
    correlationId: typeof error?.correlationId === 'string' ? error.correlationId : undefined,
  });
}

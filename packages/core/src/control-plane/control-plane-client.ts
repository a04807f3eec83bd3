import {ControlPlaneError} from '../errors.js';
import type {ControlErrorCode} from '../errors.js';
import type {
  AgentCredential,
  AuthenticationMethod,
  Cluster,
  ClusterCreated,
  ClusterUserCredential,
  ConsoleSettings,
  RelayMetadata,
  RoleAssignment,
  RoleAssignmentCreate,
} from './resources.js';

/**
 * How a {@link ControlPlaneClient} reports the failures that are not the control plane's own
 * answer. Each caller keeps its stable codes for them (the console's
 * `ERR_WEB_RELAY_UNREACHABLE`, the CLI's `ERR_CLI_RELAY_UNREACHABLE`); the client writes the
 * message.
 */
export interface ControlPlaneErrors {
  /**
   * No answer: the request failed, or no answer came in `timeoutMs`.
   *
   * @param message e.g. `Cannot reach the relay at https://relay.example: ECONNREFUSED`
   * @param cause what `fetch` rejected with
   */
  unreachable(message: string, cause: unknown): Error;
  /**
   * An answer that is not the control plane's: no JSON, a list without `value`, an error
   * without an `ERR_CONTROL_*` code.
   *
   * @param message names the call, e.g. `Invalid answer: GET /api/v1/clusters has no "value" array`
   */
  invalid(message: string): Error;
}

/** What a {@link ControlPlaneClient} needs. */
export interface ControlPlaneClientOptions {
  /** The relay's base URL, e.g. `https://relay.example` (`http://` for a local relay). */
  relay: string;
  /**
   * A fresh access token for the server app, asked for before each call; without it calls go
   * unauthenticated (only `metadata` and `consoleSettings` are answered then).
   */
  token?: () => Promise<string>;
  /** The errors for no answer and for an answer that is not the control plane's. */
  errors: ControlPlaneErrors;
  /** Default: the platform's `fetch`. The CLI passes one that honours `HTTPS_PROXY`. */
  fetch?: typeof fetch;
  /** Sent as `x-ms-correlation-request-id`, so that the relay's log can be matched. */
  correlationId?: string;
  /** Give up on a call after this long. Default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** How a call is made. */
interface CallOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Sent without a token: the relay answers it to anyone. */
  anonymous?: boolean;
}

/**
 * A client of the relay's control plane (`/api/v1`, see its OpenAPI document): clusters,
 * credentials and role assignments, as the signed-in user. It uses `fetch` and `AbortSignal`
 * only, so it runs unchanged in browsers, Node and Deno.
 *
 * @example
 *   const api = new ControlPlaneClient({
 *     relay: 'https://relay.example',
 *     token: () => session.accessToken(),
 *     errors: {
 *       unreachable: (message, cause) => new MyError('ERR_MY_RELAY_UNREACHABLE', message, {cause}),
 *       invalid: (message) => new MyError('ERR_MY_RESPONSE_INVALID', message),
 *     },
 *   });
 *   const clusters = await api.listClusters();
 */
export class ControlPlaneClient {
  readonly #base: string;
  readonly #token: (() => Promise<string>) | undefined;
  readonly #errors: ControlPlaneErrors;
  readonly #fetch: typeof fetch;
  readonly #correlationId: string | undefined;
  readonly #timeoutMs: number;

  /** @param options the relay, how to get a token, and how to report failures */
  constructor(options: ControlPlaneClientOptions) {
    this.#base = options.relay.replace(/\/$/, '');
    this.#token = options.token;
    this.#errors = options.errors;
    this.#fetch = options.fetch ?? fetch;
    this.#correlationId = options.correlationId;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The relay's base URL, without a trailing `/`. */
  get relay(): string {
    return this.#base;
  }

  /** How to sign in to the relay (`GET /api/v1/metadata`); asked without a token. */
  metadata(): Promise<RelayMetadata> {
    return this.#call('GET', '/api/v1/metadata', {anonymous: true});
  }

  /** What the relay tells its web console (`/console/config.json`); asked without a token. */
  consoleSettings(): Promise<ConsoleSettings> {
    return this.#call('GET', '/console/config.json', {anonymous: true});
  }

  /** The clusters the user holds a role on (all of them for relay administrators). */
  listClusters(signal?: AbortSignal): Promise<Cluster[]> {
    return this.#list('/api/v1/clusters', signal);
  }

  /** @throws ControlPlaneError `ERR_CONTROL_CLUSTER_NOT_FOUND` (404) when there is none */
  getCluster(name: string, signal?: AbortSignal): Promise<Cluster> {
    return this.#call('GET', clusterPath(name), {signal});
  }

  /**
   * Registers a cluster (needs the relay Administrator role).
   *
   * @returns the cluster and its agent credential, shown only now
   * @throws ControlPlaneError `ERR_CONTROL_CLUSTER_EXISTS` (409) when the name is taken
   */
  createCluster(name: string): Promise<ClusterCreated> {
    return this.#call('POST', '/api/v1/clusters', {body: {name}});
  }

  /** Deletes a cluster: its agent is disconnected and its credential revoked. */
  async deleteCluster(name: string): Promise<void> {
    await this.#call('DELETE', clusterPath(name));
  }

  /** Revokes the cluster's agent credential and issues a new one, shown only now. */
  regenerateAgentCredential(name: string): Promise<AgentCredential> {
    return this.#call('POST', `${clusterPath(name)}/agentCredential/regenerate`);
  }

  /**
   * A short-lived sender credential for the cluster (needs Cluster User or higher).
   *
   * @param authenticationMethod how the user then reaches the apiserver: `AAD` (their access
   *   token) or `Token` (a service-account token)
   * @param options `clientProxy`: the credential is for a local proxy (`porthole proxy`)
   */
  listClusterUserCredential(
    name: string,
    authenticationMethod: AuthenticationMethod = 'AAD',
    options: {clientProxy?: boolean} = {},
  ): Promise<ClusterUserCredential> {
    return this.#call('POST', `${clusterPath(name)}/listClusterUserCredential`, {
      body: {authenticationMethod, ...options},
    });
  }

  /** The cluster's role assignments, oldest first. */
  listRoleAssignments(cluster: string, signal?: AbortSignal): Promise<RoleAssignment[]> {
    return this.#list(`${clusterPath(cluster)}/roleAssignments`, signal);
  }

  /**
   * Gives a principal a built-in role on the cluster or one namespace.
   *
   * @throws ControlPlaneError `ERR_CONTROL_INVALID_REQUEST` (400) for a value the relay refuses
   */
  createRoleAssignment(cluster: string, assignment: RoleAssignmentCreate): Promise<RoleAssignment> {
    return this.#call('POST', `${clusterPath(cluster)}/roleAssignments`, {body: assignment});
  }

  /** Removes a role assignment. */
  async deleteRoleAssignment(cluster: string, id: string): Promise<void> {
    await this.#call('DELETE', `${clusterPath(cluster)}/roleAssignments/${encodeURIComponent(id)}`);
  }

  /** The `value` of a list answer (`ClusterList`, `RoleAssignmentList`). */
  async #list<T>(path: string, signal: AbortSignal | undefined): Promise<T[]> {
    const list = await this.#call<{value?: unknown} | null>('GET', path, {signal});
    if (!Array.isArray(list?.value))
      throw this.#errors.invalid(`Invalid answer: GET ${path} has no "value" array`);
    return list.value as T[];
  }

  /**
   * @throws ControlPlaneError with the relay's `ERR_CONTROL_*` code for a refusal; the
   *   `errors` option's `unreachable` when no answer comes, its `invalid` for an answer that
   *   is not the control plane's; the caller's own abort reason when its `signal` aborts
   */
  async #call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = {accept: 'application/json'};
    if (!options.anonymous && this.#token) headers.authorization = `Bearer ${await this.#token()}`;
    if (this.#correlationId !== undefined)
      headers['x-ms-correlation-request-id'] = this.#correlationId;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    // Called unbound: a browser's fetch refuses any `this` but the window.
    const send = this.#fetch;
    let response: Response;
    let text: string;
    try {
      response = await send(`${this.#base}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : {body: JSON.stringify(options.body)}),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      const reason = timeout.aborted ? `no answer in ${this.#timeoutMs} ms` : fetchFailure(cause);
      throw this.#errors.unreachable(`Cannot reach the relay at ${this.#base}: ${reason}`, cause);
    }
    if (response.status === 204) return undefined as T;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw this.#errors.invalid(
        `Invalid answer: ${method} ${path} got HTTP ${response.status} without JSON; is ${this.#base} a Porthole relay?`,
      );
    }
    if (!response.ok) throw this.#refusal(body, response.status, `${method} ${path}`);
    return body as T;
  }

  /** The control plane's `{error: {code, message, hint, correlationId}}`, as an error. */
  #refusal(body: unknown, status: number, what: string): Error {
    const error = (body as {error?: Record<string, unknown>} | null)?.error;
    const code = error?.code;
    const message = error?.message;
    if (typeof code !== 'string' || !code.startsWith('ERR_CONTROL_') || typeof message !== 'string')
      return this.#errors.invalid(
        `Invalid answer: ${what} got HTTP ${status} without a control-plane error`,
      );
    return new ControlPlaneError(code as ControlErrorCode, message, {
      status,
      hint: typeof error?.hint === 'string' ? error.hint : undefined,
      correlationId: typeof error?.correlationId === 'string' ? error.correlationId : undefined,
    });
  }
}

function clusterPath(name: string): string {
  return `/api/v1/clusters/${encodeURIComponent(name)}`;
}

/**
 * Why a fetch failed, as far as the platform says: Node puts the socket error's code in
 * `cause` (`ECONNREFUSED`, `ENOTFOUND`), Deno its message; browsers say nothing, on purpose.
 */
function fetchFailure(err: unknown): string {
  const cause = (err as {cause?: {code?: unknown; message?: unknown}} | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : 'network error';
}

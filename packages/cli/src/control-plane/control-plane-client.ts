import {egressFetch, forwardProxyFailure} from '@porthole/agent-bridge';
import type {EgressEnvironment} from '@porthole/agent-bridge';
import {PortholeError} from '@porthole/core';
import type {ClusterView} from '@porthole/relay';

import {CliRelayError} from '../errors.js';

/** A cluster as the control plane answers it (`Cluster` in its OpenAPI document). */
export type Cluster = ClusterView;

/** What an agent needs to reach the relay as its cluster's listener. */
export interface AgentCredential {
  relay: string;
  hybridConnection: string;
  keyName: string;
  key: string;
  expiresAt: string;
}

/** Arc's `listClusterUserCredential` answer. */
export interface ClusterUserCredential {
  hybridConnectionConfig: {
    relay: string;
    hybridConnectionName: string;
    token: string;
    expirationTime: number;
    relayType: string;
  };
  kubeconfigs: {name: string; value: string}[];
}

export interface RoleAssignment {
  id: string;
  cluster: string;
  principalId: string;
  principalType: 'User' | 'Group' | 'ServicePrincipal' | null;
  role: string;
  namespace: string | null;
  scope: string;
  createdAt: string;
  createdBy: string;
}

/** What `GET /api/v1/metadata` tells about signing in to a relay. */
export interface RelayMetadata {
  relay: string;
  apiVersion: string;
  authentication: {authority: string; tenantId: string; serverApp: string; clientId: string} | null;
}

/** A refusal from the control plane, with its own stable `ERR_CONTROL_*` code and hint. */
export class ControlPlaneError extends PortholeError {
  readonly hint: string | undefined;
  readonly status: number;

  constructor(code: string, message: string, hint: string | undefined, status: number) {
    super(code, message);
    this.hint = hint;
    this.status = status;
  }
}

/** What {@link ControlPlaneClient} needs. */
export interface ControlPlaneClientOptions {
  /** `https://relay.example` (or `http://` for a local development relay). */
  relay: string;
  /** A fresh access token for each call; `undefined` for the anonymous calls. */
  token?: () => Promise<string>;
  /** Sent as `x-ms-correlation-request-id`, so that the relay's log can be matched (`--debug`). */
  correlationId?: string;
  timeoutMs?: number;
  /** Where the proxy settings (`HTTPS_PROXY`, `NO_PROXY`…) are read; default `process.env`. */
  env?: EgressEnvironment;
}

/**
 * The `porthole` CLI's client of the relay's control plane (`/api/v1`).
 *
 * @example
 *   const client = new ControlPlaneClient({relay: 'https://relay.example', token});
 *   const clusters = await client.listClusters();
 */
export class ControlPlaneClient {
  readonly #options: ControlPlaneClientOptions;
  readonly #base: string;
  readonly #fetch: typeof fetch;

  constructor(options: ControlPlaneClientOptions) {
    this.#options = options;
    this.#base = options.relay.replace(/\/$/, '');
    this.#fetch = egressFetch(options.env === undefined ? {} : {env: options.env});
  }

  get relay(): string {
    return this.#base;
  }

  metadata(): Promise<RelayMetadata> {
    return this.#call('GET', '/api/v1/metadata', {anonymous: true});
  }

  async listClusters(): Promise<Cluster[]> {
    return (await this.#call<{value: Cluster[]}>('GET', '/api/v1/clusters')).value;
  }

  getCluster(name: string): Promise<Cluster> {
    return this.#call('GET', `/api/v1/clusters/${encodeURIComponent(name)}`);
  }

  createCluster(name: string): Promise<{cluster: Cluster; agentCredential: AgentCredential}> {
    return this.#call('POST', '/api/v1/clusters', {body: {name}});
  }

  deleteCluster(name: string): Promise<void> {
    return this.#call('DELETE', `/api/v1/clusters/${encodeURIComponent(name)}`);
  }

  regenerateAgentCredential(name: string): Promise<AgentCredential> {
    return this.#call(
      'POST',
      `/api/v1/clusters/${encodeURIComponent(name)}/agentCredential/regenerate`,
    );
  }

  listClusterUserCredential(name: string, method: 'AAD' | 'Token'): Promise<ClusterUserCredential> {
    return this.#call(
      'POST',
      `/api/v1/clusters/${encodeURIComponent(name)}/listClusterUserCredential`,
      {
        body: {authenticationMethod: method, clientProxy: true},
      },
    );
  }

  async listRoleAssignments(cluster: string): Promise<RoleAssignment[]> {
    return (
      await this.#call<{value: RoleAssignment[]}>(
        'GET',
        `/api/v1/clusters/${encodeURIComponent(cluster)}/roleAssignments`,
      )
    ).value;
  }

  createRoleAssignment(
    cluster: string,
    assignment: {principalId: string; role: string; principalType?: string; namespace?: string},
  ): Promise<RoleAssignment> {
    return this.#call('POST', `/api/v1/clusters/${encodeURIComponent(cluster)}/roleAssignments`, {
      body: assignment,
    });
  }

  deleteRoleAssignment(cluster: string, id: string): Promise<void> {
    return this.#call(
      'DELETE',
      `/api/v1/clusters/${encodeURIComponent(cluster)}/roleAssignments/${encodeURIComponent(id)}`,
    );
  }

  /**
   * @throws ControlPlaneError with the control plane's code for a refusal; CliRelayError
   *   `ERR_CLI_RELAY_UNREACHABLE` when the relay does not answer, or answers something else;
   *   the proxy's own `ForwardProxyError` (`ERR_TUNNEL_PROXY_*`) when the call goes through a
   *   proxy that fails
   */
  async #call<T>(
    method: string,
    path: string,
    options: {body?: unknown; anonymous?: boolean} = {},
  ): Promise<T> {
    const headers: Record<string, string> = {accept: 'application/json'};
    if (!options.anonymous && this.#options.token)
      headers.authorization = `Bearer ${await this.#options.token()}`;
    if (this.#options.correlationId)
      headers['x-ms-correlation-request-id'] = this.#options.correlationId;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : {body: JSON.stringify(options.body)}),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      // Its code and hint say what to fix (the proxy's credentials, its policy), not the relay.
      const proxyFailure = forwardProxyFailure(err);
      if (proxyFailure) throw proxyFailure;
      throw new CliRelayError(
        `Cannot reach the relay at ${this.#base}: ${describeFetchFailure(err)}`,
        'Check the relay URL and your network; porthole doctor -n CLUSTER checks step by step.',
        {cause: err},
      );
    }
    const text = await response.text();
    if (response.status === 204) return undefined as T;
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new CliRelayError(
        `${this.#base} answered ${method} ${path} with HTTP ${response.status} and no JSON: is it a Porthole relay?`,
        'Check the relay URL.',
      );
    }
    if (!response.ok) {
      const error = (body as {error?: {code?: unknown; message?: unknown; hint?: unknown}}).error;
      throw new ControlPlaneError(
        typeof error?.code === 'string' ? error.code : 'ERR_CONTROL_UNEXPECTED',
        typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
        typeof error?.hint === 'string' ? error.hint : undefined,
        response.status,
      );
    }
    return body as T;
  }
}

/** The useful part of a fetch failure: undici hides the socket error in `cause`. */
function describeFetchFailure(err: unknown): string {
  const cause = (err as {cause?: {code?: unknown; message?: unknown}}).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if ((err as Error).name === 'TimeoutError') return 'no answer in time';
  return typeof cause?.message === 'string' ? cause.message : (err as Error).message;
}

import {randomUUID} from 'node:crypto';

import {parseRoleAssignments} from '@porthole/core/auth';
import type {RoleAssignment} from '@porthole/core/auth';

import {egressFetch} from '../egress/egress-fetch.js';
import {AgentBridgeError, forwardProxyFailure} from '../errors.js';
import {relayOrigin, tokenSource} from '../tunnel/relay-target.js';
import type {RelayCredential, RelayTarget} from '../tunnel/relay-target.js';

/** The rule on `clusters/<name>` whose key is the agent's credential (Listen). */
export const AGENT_KEY_NAME = 'porthole-agent';

/** What the control plane tells an agent: how to judge Entra tokens, how often to report. */
export interface AgentConfiguration {
  cluster: string;
  heartbeatIntervalSeconds: number;
  /** When the credential's current key expires (ISO 8601); `null` when it never does. */
  credentialExpiresAt: string | null;
  /** The Entra tokens the agent accepts, as the relay accepts them; `null`: none (pass-through). */
  entra: {tenants: string[]; issuers: string[]; audiences: string[]} | null;
}

/** What a heartbeat reports; the relay keeps it as the cluster's status. */
export interface HeartbeatReport {
  /** The agent's version: the `@porthole/agent-bridge` package's. */
  agentVersion: string;
  /** The apiserver's `gitVersion`, when the agent could read it. */
  kubernetesVersion?: string;
  totalNodeCount?: number;
  /** What is wrong now, one short sentence each (at most 20, 512 characters each). */
  agentErrors?: string[];
}

/** A credential from `rotateCredential`: its key is a secret, kept and never logged. */
export interface RotatedCredential {
  relay: string;
  hybridConnection: string;
  keyName: string;
  key: string;
  expiresAt: string;
}

/** What a {@link ControlPlaneClient} needs. */
export interface ControlPlaneClientOptions {
  /**
   * The relay, as agents reach it: `https://host[:port]` or `http://host:port` (the same
   * origin as its WebSocket, so `wss://`/`ws://` work too).
   */
  relay: string;
  /** The cluster's name; its hybrid connection is `clusters/<name>`. */
  cluster: string;
  /** The agent credential's key. */
  key: string;
  /**
   * How requests are made; default {@link egressFetch} on `process.env`: the global `fetch`,
   * or through the proxy `HTTPS_PROXY`/`HTTP_PROXY` name. Injected for tests, or to trust a CA.
   */
  fetch?: typeof fetch;
  /** How long a call may take, answer included. Default 30 s. */
  timeoutMs?: number;
  /**
   * Sent as `x-ms-correlation-request-id` with every call (`porthole --debug` sets one, so the
   * relay's log and the agent's match). Default: a new id per call.
   */
  correlationId?: string;
}

/** The most `agentErrors` a heartbeat carries, and the longest each may be (the relay's limits). */
export const HEARTBEAT_ERROR_LIMITS = {maxErrors: 20, maxLength: 512} as const;

const CORRELATION_HEADER = 'x-ms-correlation-request-id';
const TLS_CODES = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|ERR_SSL_)/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The agent's side of the control plane's agent API (`/api/v1/clusters/<name>/agent/…`): its
 * configuration, heartbeats, the role assignments it enforces, and rotation of its own
 * credential. Each call carries a SAS token minted for `http://<relay host>/clusters/<name>`
 * with the current key, exactly as the agent's listener mints its tokens, and a correlation
 * id the relay logs. The client holds the key: {@link rotateCredential} swaps it, and
 * {@link relayTarget} reads it at every mint, so the listener's next token uses the new one.
 *
 * @example
 *   const client = new ControlPlaneClient({relay: 'https://relay.example', cluster: 'prod', key});
 *   const {entra, heartbeatIntervalSeconds} = await client.configuration();
 *   const agent = await Agent.start({relay: client.relayTarget, cluster, log});
 */
export class ControlPlaneClient {
  /** `http(s)://host[:port]`, where the API is. */
  readonly relay: string;
  readonly cluster: string;
  /** Where the agent listens: its hybrid connection, with the credential whose key rotates. */
  readonly relayTarget: RelayTarget;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #token: () => Promise<string>;
  readonly #correlationId: string | undefined;
  #key: string;

  /** @throws AgentBridgeError `ERR_TUNNEL_RELAY_INVALID` for a relay that is not a URL or host */
  constructor(options: ControlPlaneClientOptions) {
    const origin = relayOrigin(options.relay);
    if (!CLUSTER_NAME.test(options.cluster)) {
      throw new AgentBridgeError(
        'ERR_AGENT_CLUSTER_NOT_FOUND',
        `Invalid cluster name ${JSON.stringify(options.cluster)}: 1–63 letters, digits, ".", "_" or "-"`,
        'Give the name the cluster was connected with (porthole connect -n NAME).',
      );
    }
    this.relay = origin.replace(/^ws/, 'http');
    this.cluster = options.cluster;
    this.#key = options.key;
    this.#fetch = options.fetch ?? egressFetch();
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#correlationId = options.correlationId;
    const credential: RelayCredential = {sasKeyName: AGENT_KEY_NAME, sasKey: () => this.#key};
    this.relayTarget = {origin, entity: `clusters/${options.cluster}`, credential};
    this.#token = tokenSource(this.relayTarget);
  }

  /**
   * The agent's configuration.
   *
   * @throws AgentBridgeError as {@link ControlPlaneClient} documents for every call:
   *   `ERR_AGENT_CONTROL_PLANE_UNREACHABLE` (network, time-out, 5xx: worth retrying),
   *   `ERR_AGENT_CREDENTIAL_REJECTED` (401/403), `ERR_AGENT_CLUSTER_NOT_FOUND` (404),
   *   `ERR_AGENT_CONTROL_PLANE_FAILED` (any other refusal, or an answer that is not the API's)
   */
  async configuration(options: {signal?: AbortSignal} = {}): Promise<AgentConfiguration> {
    const answer = await this.#call('GET', 'configuration', undefined, options.signal);
    return this.#parse('configuration', answer, parseConfiguration);
  }

  /**
   * Reports the agent's status; the answer is the configuration, which may have changed.
   *
   * @throws AgentBridgeError as {@link configuration}
   */
  async heartbeat(
    report: HeartbeatReport,
    options: {signal?: AbortSignal} = {},
  ): Promise<AgentConfiguration> {
    const answer = await this.#call('POST', 'heartbeat', report, options.signal);
    return this.#parse('heartbeat', answer, parseConfiguration);
  }

  /**
   * The cluster's role assignments, for the agent to enforce.
   *
   * @throws AgentBridgeError as {@link configuration}
   */
  async roleAssignments(options: {signal?: AbortSignal} = {}): Promise<RoleAssignment[]> {
    const answer = await this.#call('GET', 'roleAssignments', undefined, options.signal);
    return this.#parse('roleAssignments', answer, (value) =>
      parseRoleAssignments((value as {value?: unknown}).value),
    );
  }

  /**
   * Swaps the credential for a new one: the relay makes the new key primary at once and keeps
   * the old one working for a grace period (10 minutes by default). From the answer on, every
   * token — calls here and the listener's — is minted with the new key. The caller keeps the
   * returned key where the next start reads it.
   *
   * @throws AgentBridgeError as {@link configuration}; the key is kept when the call fails
   */
  async rotateCredential(options: {signal?: AbortSignal} = {}): Promise<RotatedCredential> {
    const answer = await this.#call('POST', 'rotateCredential', undefined, options.signal);
    const rotated = this.#parse('rotateCredential', answer, parseRotatedCredential);
    this.#key = rotated.key;
    return rotated;
  }

  /**
   * Uses `key` from now on: the key store's, when it differs from the client's after another
   * agent sharing the credential rotated it, or an administrator replaced it.
   *
   * @returns whether the key changed
   */
  replaceKey(key: string): boolean {
    if (key === this.#key) return false;
    this.#key = key;
    return true;
  }

  async #call(
    method: 'GET' | 'POST',
    call: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const path = `/api/v1/clusters/${this.cluster}/agent/${call}`;
    const correlationId = this.#correlationId ?? randomUUID();
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await this.#fetch(`${this.relay}${path}`, {
        method,
        headers: {
          authorization: await this.#token(),
          accept: 'application/json',
          [CORRELATION_HEADER]: correlationId,
          ...(body === undefined ? {} : {'content-type': 'application/json'}),
        },
        ...(body === undefined ? {} : {body: JSON.stringify(body)}),
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = response.status;
      text = await response.text();
    } catch (err) {
      throw this.#unreachable(err, timeout.aborted);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text) as unknown;
    } catch {
      answer = undefined;
    }
    if (status >= 200 && status < 300) {
      if (answer === undefined) throw this.#notTheApi(call, `${status}, not JSON`);
      return answer;
    }
    throw this.#refused(call, status, answer, correlationId);
  }

  #parse<T>(call: string, answer: unknown, parse: (value: unknown) => T): T {
    try {
      return parse(answer);
    } catch (err) {
      throw this.#notTheApi(call, (err as Error).message, err);
    }
  }

  #unreachable(err: unknown, timedOut: boolean): AgentBridgeError {
    // Still "unreachable", which the agent retries; the proxy's own code is the cause's.
    const proxyFailure = timedOut ? undefined : forwardProxyFailure(err);
    if (proxyFailure) {
      return new AgentBridgeError(
        'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
        `Cannot reach the control plane at ${this.relay} (${proxyFailure.code}: ${proxyFailure.message})`,
        proxyFailure.hint,
        {cause: proxyFailure},
      );
    }
    const code = rootCode(err);
    const tls = TLS_CODES.test(code ?? '');
    const why = timedOut ? `timeout: ${this.#timeoutMs}ms` : (code ?? (err as Error).message);
    return new AgentBridgeError(
      'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
      `Cannot reach the control plane at ${this.relay} (${why})`,
      tls
        ? "Trust the relay's CA with NODE_EXTRA_CA_CERTS=<ca.pem>, or check the host in --relay."
        : 'Check --relay and that outbound connections to it are allowed; the agent retries.',
      {cause: err},
    );
  }

  #refused(call: string, status: number, answer: unknown, correlationId: string): AgentBridgeError {
    const error = relayError(answer);
    const detail = `${status}${error ? ` ${error.code}: ${error.message}` : ''}; correlation id ${error?.correlationId ?? correlationId}`;
    if (status === 401 || status === 403) {
      return new AgentBridgeError(
        'ERR_AGENT_CREDENTIAL_REJECTED',
        `The control plane refused the agent credential of cluster ${this.cluster} (${detail})`,
        error?.hint ??
          `Get a new credential with porthole connect -n ${this.cluster} --regenerate-credential, and give it to the agent.`,
      );
    }
    if (status === 404 && error?.code === 'ERR_CONTROL_CLUSTER_NOT_FOUND') {
      return new AgentBridgeError(
        'ERR_AGENT_CLUSTER_NOT_FOUND',
        `The control plane at ${this.relay} has no cluster ${this.cluster} (${detail})`,
        'The cluster was deleted, or --cluster names another: connect it again with porthole connect.',
      );
    }
    if (status >= 500 || status === 408 || status === 429) {
      return new AgentBridgeError(
        'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
        `The control plane at ${this.relay} cannot answer ${call} now (${detail})`,
        error?.hint ?? 'The agent retries; the relay log has the detail under the correlation id.',
      );
    }
    return new AgentBridgeError(
      'ERR_AGENT_CONTROL_PLANE_FAILED',
      `The control plane at ${this.relay} refused ${call} (${detail})`,
      error?.hint ??
        'Check that --relay names a Porthole relay with a control plane, and its version.',
    );
  }

  #notTheApi(call: string, why: string, cause?: unknown): AgentBridgeError {
    return new AgentBridgeError(
      'ERR_AGENT_CONTROL_PLANE_FAILED',
      `The control plane at ${this.relay} answered ${call} with something other than its API (${why})`,
      'Check that --relay names a Porthole relay, not a proxy or another service.',
      {cause},
    );
  }
}

/** The `{error: {code, message, hint?, correlationId}}` of a refusal, when the answer is one. */
function relayError(
  answer: unknown,
): {code: string; message: string; hint?: string; correlationId?: string} | undefined {
  const error = (answer as {error?: unknown} | undefined)?.error as
    Record<string, unknown> | undefined;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return undefined;
  return {
    code: error.code,
    message: error.message,
    ...(typeof error.hint === 'string' ? {hint: error.hint} : {}),
    ...(typeof error.correlationId === 'string' ? {correlationId: error.correlationId} : {}),
  };
}

/** The `AgentConfiguration` schema of the control plane's OpenAPI document. */
function parseConfiguration(value: unknown): AgentConfiguration {
  const {cluster, heartbeatIntervalSeconds, credentialExpiresAt, entra} = object(value, 'answer');
  if (typeof cluster !== 'string') throw new Error('cluster is not a string');
  if (!Number.isSafeInteger(heartbeatIntervalSeconds) || (heartbeatIntervalSeconds as number) < 1)
    throw new Error('heartbeatIntervalSeconds is not a whole number of seconds');
  if (credentialExpiresAt !== null && !isTime(credentialExpiresAt))
    throw new Error('credentialExpiresAt is not a time');
  let settings: AgentConfiguration['entra'] = null;
  if (entra !== null) {
    const {tenants, issuers, audiences} = object(entra, 'entra');
    settings = {
      tenants: strings(tenants, 'entra.tenants'),
      issuers: strings(issuers, 'entra.issuers'),
      audiences: strings(audiences, 'entra.audiences'),
    };
  }
  return {
    cluster,
    heartbeatIntervalSeconds: heartbeatIntervalSeconds as number,
    credentialExpiresAt,
    entra: settings,
  };
}

/** The `AgentCredential` schema. */
function parseRotatedCredential(value: unknown): RotatedCredential {
  const {relay, hybridConnection, keyName, key, expiresAt} = object(value, 'answer');
  if (typeof relay !== 'string' || typeof hybridConnection !== 'string')
    throw new Error('relay or hybridConnection is not a string');
  // The agent API admits this rule only; another name would lock the agent out.
  if (keyName !== AGENT_KEY_NAME) throw new Error(`keyName is not ${AGENT_KEY_NAME}`);
  if (typeof key !== 'string' || key === '') throw new Error('key is missing');
  if (!isTime(expiresAt)) throw new Error('expiresAt is not a time');
  return {relay, hybridConnection, keyName, key, expiresAt};
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new Error(`${what} is not an array of strings`);
  return value;
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

/** The first system error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`…) along the cause chain. */
function rootCode(err: unknown): string | undefined {
  let current = err as {cause?: unknown; code?: unknown} | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}

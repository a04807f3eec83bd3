import {setTimeout as sleep} from 'node:timers/promises';

import type {Logger} from '../log.js';
import {Backoff} from '../tunnel/backoff.js';
import type {BackoffOptions} from '../tunnel/backoff.js';
import type {Agent} from './agent.js';
import type {AgentKeyStore} from './agent-key-store.js';
import {AGENT_VERSION} from './agent-version.js';
import {HEARTBEAT_ERROR_LIMITS} from './control-plane-client.js';
import type {
  AgentConfiguration,
  ControlPlaneClient,
  HeartbeatReport,
} from './control-plane-client.js';
import {KubeClient} from './kube-client.js';
import type {KubeEndpoint} from './kube-endpoint.js';

/** What an {@link AgentHeartbeat} needs. */
export interface AgentHeartbeatOptions {
  controlPlane: ControlPlaneClient;
  /** The apiserver, reached with the agent's own credential for the version and node count. */
  cluster: KubeEndpoint;
  /** The running agent: whether it listens, and where a rotated key takes effect. */
  agent: Pick<Agent, 'listening' | 'renewRelayCredential'>;
  /** Where a rotated key is kept for the agent's next start. */
  keyStore: AgentKeyStore;
  log: Logger;
  /** Each configuration the control plane answers with (it may change between heartbeats). */
  onConfiguration?: (configuration: AgentConfiguration) => void;
  /** Retries after a failure. Default: 1 s, doubling, at most 60 s, with full jitter. */
  backoff?: BackoffOptions;
  /** Injected for tests. */
  now?: () => number;
}

/** The schedule of retries after a failed heartbeat, rotation or save. */
export const HEARTBEAT_BACKOFF: BackoffOptions = {initialMs: 1000, maxMs: 60_000};

/** How often to report until the control plane has said (its default too). */
const DEFAULT_INTERVAL_MS = 30_000;

/** A credential's key as the agent knows it: when it expires, and since when it is known. */
export interface CredentialLifetime {
  /** When the key expires (ms since the epoch). */
  expiresAt: number;
  /**
   * When the key was issued, if the agent rotated to it; otherwise when the agent first saw
   * this expiry, which is no earlier than the issue — so the lifetime is never overestimated.
   */
  issuedAt: number;
}

/**
 * Whether to rotate now: once less than a third of the key's lifetime is left, or fewer than
 * two heartbeats, whichever comes first. The lifetime is `expiresAt − issuedAt`: exact after a
 * rotation of the agent's own (90 days by default: it rotates with 30 days left), and at
 * worst what was left when the agent started — a restarted agent then rotates once a third
 * of that is left, never later. Rotating early costs one call; rotating late locks the agent
 * out, so every doubt resolves towards early.
 *
 * @example
 *   rotationDue({issuedAt: 0, expiresAt: 90 * DAY}, 61 * DAY, 30_000); // true: 29 days left
 */
export function rotationDue(
  key: CredentialLifetime,
  now: number,
  heartbeatIntervalMs: number,
): boolean {
  const lifetime = key.expiresAt - key.issuedAt;
  const remaining = key.expiresAt - now;
  return remaining < Math.max(lifetime / 3, 2 * heartbeatIntervalMs);
}

/**
 * Reports the agent's status to the control plane — at start and then every
 * `heartbeatIntervalSeconds` the control plane asks for — and rotates the agent credential
 * before it expires ({@link rotationDue}): the new key takes effect for the listener's next
 * tokens at once (open tunnels and streams carry on), and is saved to the key store, retried
 * until it is. A heartbeat carries the agent's version, the apiserver's `gitVersion`, the
 * node count, and a sentence for each thing wrong now (apiserver unreachable, nodes not
 * listable, no relay listener, a failed rotation or save). Failures are logged — never a
 * key — and retried with backoff; they never end the loop, only {@link stop} does.
 *
 * @example
 *   const heartbeat = AgentHeartbeat.start({controlPlane, cluster, agent, keyStore, log});
 *   process.once('SIGTERM', () => void heartbeat.stop());
 */
export class AgentHeartbeat {
  readonly #options: AgentHeartbeatOptions;
  readonly #kube: KubeClient;
  readonly #now: () => number;
  readonly #stopped = new AbortController();
  readonly #loop: Promise<void>;
  /** What went wrong with the credential lately, reported until it goes right. */
  readonly #problems = new Map<'rotation' | 'save', string>();
  #configuration: AgentConfiguration | undefined;
  #key: CredentialLifetime | undefined;
  /** A rotated key the key store does not hold yet. */
  #unsaved: string | undefined;

  private constructor(options: AgentHeartbeatOptions) {
    this.#options = options;
    this.#kube = new KubeClient(options.cluster);
    this.#now = options.now ?? Date.now;
    this.#loop = this.#run();
  }

  /** Starts the loop; the first heartbeat goes at once. */
  static start(options: AgentHeartbeatOptions): AgentHeartbeat {
    return new AgentHeartbeat(options);
  }

  /** The configuration of the last heartbeat's answer. */
  get configuration(): AgentConfiguration | undefined {
    return this.#configuration;
  }

  /** Ends the loop, abandoning a call in flight; resolves once it has ended. */
  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const backoff = new Backoff(this.#options.backoff ?? HEARTBEAT_BACKOFF);
    const {signal} = this.#stopped;
    while (!signal.aborted) {
      let delayMs: number;
      try {
        await this.#beat(signal);
        backoff.reset();
        delayMs = this.#intervalMs();
      } catch (err) {
        if (this.#isStopped()) return;
        if (codeOf(err) === 'ERR_AGENT_CREDENTIAL_REJECTED') await this.#reloadKey();
        delayMs = backoff.next();
        const {code, message, hint} = err as {code?: unknown; message?: unknown; hint?: unknown};
        this.#options.log('agent.heartbeat-failed', {
          code: typeof code === 'string' ? code : 'ERR_UNEXPECTED',
          error: String(message),
          ...(typeof hint === 'string' ? {hint} : {}),
          retryInMs: delayMs,
        });
      }
      await sleep(delayMs, undefined, {signal}).catch(() => undefined);
    }
  }

  /** One heartbeat, then the rotation and the save it calls for; the first failure throws. */
  async #beat(signal: AbortSignal): Promise<void> {
    const {controlPlane, log} = this.#options;
    const report = await this.#report(signal);
    const configuration = await controlPlane.heartbeat(report, {signal});
    if (this.#configuration === undefined)
      log('agent.heartbeat', {
        kubernetesVersion: report.kubernetesVersion,
        totalNodeCount: report.totalNodeCount,
        agentErrors: report.agentErrors,
      });
    this.#configuration = configuration;
    this.#options.onConfiguration?.(configuration);
    if (configuration.credentialExpiresAt !== null) {
      const expiresAt = Date.parse(configuration.credentialExpiresAt);
      if (this.#key?.expiresAt !== expiresAt) this.#key = {expiresAt, issuedAt: this.#now()};
      if (rotationDue(this.#key, this.#now(), this.#intervalMs())) await this.#rotate(signal);
    }
    if (this.#unsaved !== undefined) await this.#save(this.#unsaved);
  }

  async #rotate(signal: AbortSignal): Promise<void> {
    const {controlPlane, agent, keyStore, log} = this.#options;
    const requestedAt = this.#now();
    let rotated;
    try {
      rotated = await controlPlane.rotateCredential({signal});
    } catch (err) {
      this.#problems.set(
        'rotation',
        `The agent credential could not be rotated (${codeOf(err)}); it expires at ${new Date(this.#key?.expiresAt ?? 0).toISOString()}`,
      );
      throw err;
    }
    this.#problems.delete('rotation');
    this.#key = {expiresAt: Date.parse(rotated.expiresAt), issuedAt: requestedAt};
    this.#unsaved = rotated.key;
    agent.renewRelayCredential();
    log('agent.credential-rotated', {expiresAt: rotated.expiresAt, saveTo: keyStore.location});
  }

  async #save(key: string): Promise<void> {
    const {keyStore, log} = this.#options;
    try {
      await keyStore.save(key);
    } catch (err) {
      this.#problems.set('save', (err as Error).message);
      throw err;
    }
    this.#problems.delete('save');
    if (this.#unsaved === key) this.#unsaved = undefined;
    log('agent.credential-saved', {location: keyStore.location});
  }

  /**
   * Takes the key store's key when the relay refused the client's and the store holds another
   * (another agent rotated, or an administrator replaced it). A rotated key not saved yet is
   * the newest there is, so it is never swapped for the store's.
   */
  async #reloadKey(): Promise<void> {
    const {controlPlane, agent, keyStore, log} = this.#options;
    if (this.#unsaved !== undefined) return;
    const key = await keyStore.load();
    if (key === undefined || !controlPlane.replaceKey(key)) return;
    this.#key = undefined;
    agent.renewRelayCredential();
    log('agent.credential-reloaded', {from: keyStore.location});
  }

  /** What the heartbeat says: the versions, the node count, and what is wrong now. */
  async #report(signal: AbortSignal): Promise<HeartbeatReport> {
    const errors: string[] = [];
    let kubernetesVersion: string | undefined;
    let totalNodeCount: number | undefined;
    const apiserver = `The apiserver at ${this.#kube.server}`;
    try {
      const version = await this.#kube.request('GET', '/version', {signal});
      const gitVersion = (version.body as {gitVersion?: unknown} | undefined)?.gitVersion;
      if (version.status === 200 && typeof gitVersion === 'string')
        kubernetesVersion = gitVersion.slice(0, 64);
      else errors.push(`${apiserver} answered ${version.status} to GET /version`);
      const nodes = await this.#kube.request('GET', '/api/v1/nodes?limit=1', {signal});
      const count = nodeCount(nodes.body);
      if (nodes.status === 200 && count !== undefined) totalNodeCount = count;
      else
        errors.push(
          nodes.status === 403
            ? "Nodes cannot be listed (403): the agent's ClusterRole needs list on nodes"
            : `${apiserver} answered ${nodes.status} to listing nodes`,
        );
    } catch (err) {
      if (signal.aborted) throw err;
      errors.push(`${apiserver} is unreachable (${causeCode(err)})`);
    }
    if (!this.#options.agent.listening)
      errors.push('The agent is not connected to the relay: its listener is reconnecting');
    errors.push(...this.#problems.values());
    return {
      agentVersion: AGENT_VERSION,
      ...(kubernetesVersion === undefined ? {} : {kubernetesVersion}),
      ...(totalNodeCount === undefined ? {} : {totalNodeCount}),
      agentErrors: errors
        .slice(0, HEARTBEAT_ERROR_LIMITS.maxErrors)
        .map((error) => error.slice(0, HEARTBEAT_ERROR_LIMITS.maxLength)),
    };
  }

  /** Read through a method: the loop awaits between checks, so the signal may change under it. */
  #isStopped(): boolean {
    return this.#stopped.signal.aborted;
  }

  #intervalMs(): number {
    const seconds = this.#configuration?.heartbeatIntervalSeconds;
    return seconds === undefined ? DEFAULT_INTERVAL_MS : seconds * 1000;
  }
}

/**
 * The agent's configuration, asked for until the control plane answers: a relay that is
 * down or restarting is waited for (and logged), while a refused credential, an unknown
 * cluster or an answer that is not the API's ends the wait at once.
 *
 * @throws AgentBridgeError `ERR_AGENT_CREDENTIAL_REJECTED`, `ERR_AGENT_CLUSTER_NOT_FOUND`,
 *   `ERR_AGENT_CONTROL_PLANE_FAILED`; or the abort reason once `signal` aborts
 */
export async function awaitConfiguration(
  controlPlane: ControlPlaneClient,
  options: {log: Logger; signal?: AbortSignal; backoff?: BackoffOptions},
): Promise<AgentConfiguration> {
  const backoff = new Backoff(options.backoff ?? HEARTBEAT_BACKOFF);
  for (;;) {
    try {
      return await controlPlane.configuration(
        options.signal === undefined ? {} : {signal: options.signal},
      );
    } catch (err) {
      if ((err as {code?: unknown}).code !== 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE') throw err;
      const retryInMs = backoff.next();
      options.log('agent.configuration-failed', {
        code: 'ERR_AGENT_CONTROL_PLANE_UNREACHABLE',
        error: (err as Error).message,
        retryInMs,
      });
      await sleep(retryInMs, undefined, options.signal ? {signal: options.signal} : {});
    }
  }
}

/** Nodes in the cluster: this page's items plus `remainingItemCount` (a `limit=1` list). */
function nodeCount(body: unknown): number | undefined {
  const list = body as {items?: unknown; metadata?: {remainingItemCount?: unknown}} | undefined;
  if (!Array.isArray(list?.items)) return undefined;
  const remaining = list.metadata?.remainingItemCount;
  return list.items.length + (typeof remaining === 'number' ? remaining : 0);
}

function codeOf(err: unknown): string {
  const code = (err as {code?: unknown}).code;
  return typeof code === 'string' ? code : 'ERR_UNEXPECTED';
}

/** The system code under an `ERR_AGENT_UPSTREAM` (`ECONNREFUSED`, `CERT_HAS_EXPIRED`…). */
function causeCode(err: unknown): string {
  const cause = (err as {cause?: {code?: unknown; message?: unknown}}).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : codeOf(err);
}

import type {Http2ServerRequest, Http2ServerResponse} from 'node:http2';

import type {ConsoleSettings} from '@porthole/core/control-plane';

import {AgentBridgeError} from '../errors.js';
import type {Logger} from '../log.js';
import {relayOrigin} from '../tunnel/relay-target.js';
import type {RelayTarget, TunnelMode} from '../tunnel/relay-target.js';
import {clusterServerName, ensureBridgeFiles} from './bridge-files.js';
import type {BridgeFiles} from './bridge-files.js';
import {BridgeServer} from './bridge-server.js';
import {BrowserApi} from './browser-api.js';
import type {BrowserApiLimits, HandoffAnswer, HandoffRequest} from './browser-api.js';
import {HandedOverCredential} from './handed-over-credential.js';
import {addContext, removeContext} from './kubeconfig-file.js';
import type {KubectlCredential} from './kubeconfig-file.js';

/** What `porthole proxy` asks the bridge to serve (`POST /porthole/v1/clusters`). */
export interface RegistrationRequest {
  cluster: string;
  relay: RelayTarget;
  mode: TunnelMode;
  /** The kubeconfig context to write, default `porthole-<cluster>`. */
  context: string;
  credential: KubectlCredential;
  /** A kubeconfig the user named with `-f`, written besides the bridge's own. */
  extraKubeconfig: string | undefined;
  /**
   * `true`: served while the registering request stays open (a foreground `porthole proxy`);
   * `false`: until removed or the bridge stops (`--daemon`).
   */
  hold: boolean;
  /** `porthole proxy --debug`: the id the bridge sends with every request of this cluster. */
  correlationId?: string;
}

/** A cluster the bridge serves, as `porthole proxy status` shows it. */
export interface RegisteredCluster {
  cluster: string;
  context: string;
  server: string;
  relay: string;
  entity: string;
  mode: TunnelMode;
  hold: boolean;
  /** Who asked: `porthole proxy`, or the console's "Use from kubectl". */
  registeredBy: 'proxy' | 'console';
  since: string;
}

/** A console session: open `url` in the browser; the secret in its fragment never leaves it. */
export interface ConsoleSession {
  url: string;
  expiresAt: string;
}

/** Serves the console's files with the settings of the latest `porthole console`. */
export type ConsoleSiteHandler = (
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  settings: ConsoleSettings,
) => Promise<void>;

interface Entry {
  request: RegistrationRequest;
  shown: RegisteredCluster;
  kubeconfigs: string[];
  /** For a cluster the console handed over. */
  handedOver?: {credential: HandedOverCredential; releaseTimer: NodeJS.Timeout | undefined};
}

/**
 * How long a handed-over cluster stays after its session ran out without a renewal (the
 * console's page was closed): kubectl is told why it is refused until then, and the context
 * goes after.
 */
const HANDOFF_GRACE_MS = 15 * 60 * 1000;

/**
 * The bridge process: one per user and port, serving every cluster any `porthole proxy` has
 * registered. A foreground `porthole proxy` holds its registration open and the cluster goes
 * when it does (Ctrl-C, or the process dies); `--daemon` registrations stay until removed.
 * The contexts each registration wrote are removed with it. Once nothing is registered, the
 * bridge exits after `idleExitMs`.
 */
export class BridgeDaemon {
  readonly files: BridgeFiles;
  readonly #entries = new Map<string, Entry>();
  readonly #log: Logger;
  readonly #idleExitMs: number;
  readonly #handoffGraceMs: number;
  readonly #browser: BrowserApi;
  #consoleSettings: ConsoleSettings | undefined;
  /** Set by `stop()`: nothing is armed or registered any more. */
  #stopping = false;
  #server!: BridgeServer;
  #idleTimer: NodeJS.Timeout | undefined;
  #resolveStopped: () => void = () => undefined;
  /** Settles once the bridge has stopped (`stop()`, `POST /porthole/v1/stop`, or idle). */
  readonly stopped = new Promise<void>((resolve) => {
    this.#resolveStopped = resolve;
  });

  private constructor(
    files: BridgeFiles,
    log: Logger,
    options: {
      idleExitMs?: number | undefined;
      handoffGraceMs?: number | undefined;
      browserLimits?: Partial<BrowserApiLimits> | undefined;
    },
  ) {
    this.files = files;
    this.#log = log;
    this.#idleExitMs = options.idleExitMs ?? 5000;
    this.#handoffGraceMs = options.handoffGraceMs ?? HANDOFF_GRACE_MS;
    this.#browser = new BrowserApi(
      {
        port: () => this.port,
        handOver: (cluster, request) => this.#handOver(cluster, request),
        release: (cluster) => this.#release(cluster),
      },
      options.browserLimits,
    );
  }

  /**
   * Starts the bridge on `host:port`.
   *
   * @throws AgentBridgeError `ERR_BRIDGE_PORT_TAKEN`
   */
  static async start(options: {
    dataDir: string;
    host: string;
    port: number;
    log: Logger;
    /** Exit this long after the last registration went (and no console session is live). */
    idleExitMs?: number;
    /** Serves the web console at `/` once `porthole console` has opened a session. */
    site?: ConsoleSiteHandler;
    /** How long a handed-over cluster stays after its session ran out. Default 15 min. */
    handoffGraceMs?: number;
    browserLimits?: Partial<BrowserApiLimits>;
  }): Promise<BridgeDaemon> {
    const files = await ensureBridgeFiles(options.dataDir);
    const daemon = new BridgeDaemon(files, options.log, options);
    const {site} = options;
    daemon.#server = await BridgeServer.listen({
      host: options.host,
      port: options.port,
      tls: files.tls,
      controlSecret: files.controlSecret,
      control: (request, response) => daemon.#control(request, response),
      browser: (request, response) => daemon.#browser.handle(request, response),
      ...(site === undefined
        ? {}
        : {site: (request, response) => daemon.#site(site, request, response)}),
      log: options.log,
    });
    daemon.#armIdleExit();
    return daemon;
  }

  get port(): number {
    return this.#server.port;
  }

  /** Removes every registration and its contexts, and stops serving. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.stopped;
    this.#stopping = true;
    clearTimeout(this.#idleTimer);
    for (const cluster of [...this.#entries.keys()]) await this.#remove(cluster);
    await this.#server.close();
    this.#resolveStopped();
  }

  async #control(request: Http2ServerRequest, response: Http2ServerResponse): Promise<void> {
    const path = request.url.split('?')[0] ?? '';
    const json = (status: number, body: unknown) => {
      response.writeHead(status, {'content-type': 'application/json'});
      response.end(`${JSON.stringify(body)}\n`);
    };
    if (request.method === 'GET' && path === '/porthole/v1/bridge') {
      json(200, {
        pid: process.pid,
        port: this.port,
        clusters: [...this.#entries.values()].map((entry) => entry.shown),
      });
      return;
    }
    if (request.method === 'POST' && path === '/porthole/v1/clusters') {
      let registration: RegistrationRequest;
      try {
        registration = JSON.parse(await readBody(request)) as RegistrationRequest;
      } catch {
        json(400, {code: 'ERR_BRIDGE_CONTROL', message: 'The registration is not JSON'});
        return;
      }
      try {
        const entry = await this.#add(registration);
        if (!registration.hold) {
          json(200, entry.shown);
          return;
        }
        // Held open: the cluster is served for as long as the registering process keeps this.
        response.writeHead(200, {'content-type': 'application/x-ndjson'});
        response.write(`${JSON.stringify(entry.shown)}\n`);
        // The response never ends on its own: it closes when the registering process lets go.
        response.once('close', () => {
          if (this.#entries.get(registration.cluster) === entry)
            void this.#remove(registration.cluster);
        });
      } catch (err) {
        json(502, {
          code: (err as {code?: string}).code ?? 'ERR_BRIDGE_CONTROL',
          message: (err as Error).message,
          hint: (err as {hint?: string}).hint,
        });
      }
      return;
    }
    const renewal = /^\/porthole\/v1\/clusters\/([^/]+)\/relay-token$/.exec(path);
    if (request.method === 'PUT' && renewal?.[1]) {
      let token: unknown;
      try {
        token = (JSON.parse(await readBody(request)) as {token?: unknown}).token;
      } catch {
        token = undefined;
      }
      if (typeof token !== 'string' || token === '') {
        json(400, {code: 'ERR_BRIDGE_CONTROL', message: 'The renewal has no token'});
        return;
      }
      const renewed = this.#server.renewCredential(decodeURIComponent(renewal[1]), {token});
      json(renewed ? 200 : 404, {renewed});
      return;
    }
    const removal = /^\/porthole\/v1\/clusters\/([^/]+)$/.exec(path);
    if (request.method === 'DELETE' && removal?.[1]) {
      const removed = await this.#remove(decodeURIComponent(removal[1]));
      json(removed ? 200 : 404, {removed});
      return;
    }
    if (request.method === 'POST' && path === '/porthole/v1/console-sessions') {
      let settings: ConsoleSettings;
      try {
        settings = consoleSettings(JSON.parse(await readBody(request)));
      } catch (err) {
        json(400, {
          code: 'ERR_BRIDGE_CONTROL',
          message: `Invalid console settings: ${(err as Error).message}`,
        });
        return;
      }
      this.#consoleSettings = settings;
      const {secret, expiresAtMs} = this.#browser.createSession();
      clearTimeout(this.#idleTimer);
      this.#armIdleExit();
      this.#log('bridge.console-session', {
        relay: settings.relay,
        expiresAt: new Date(expiresAtMs).toISOString(),
      });
      json(200, {
        url: `https://127.0.0.1:${this.port}/#bridge-session=${secret}`,
        expiresAt: new Date(expiresAtMs).toISOString(),
      } satisfies ConsoleSession);
      return;
    }
    if (request.method === 'POST' && path === '/porthole/v1/stop') {
      json(200, {stopping: true});
      setImmediate(() => void this.stop());
      return;
    }
    json(404, {
      code: 'ERR_BRIDGE_CONTROL',
      message: `No control endpoint ${request.method} ${path}`,
    });
  }

  async #site(
    site: ConsoleSiteHandler,
    request: Http2ServerRequest,
    response: Http2ServerResponse,
  ): Promise<void> {
    const settings = this.#consoleSettings;
    if (settings !== undefined) {
      await site(request, response, settings);
      return;
    }
    response.writeHead(404, {'content-type': 'text/plain; charset=utf-8'});
    response.end('No console here yet: open it with "porthole console".\n');
  }

  /**
   * "Use from kubectl": serves the cluster with the console's session — a context whose local
   * token the bridge swaps for the user's access token — or renews the session of a cluster
   * served so, without touching its open connections.
   *
   * @throws AgentBridgeError `ERR_BRIDGE_HANDOFF_INVALID` for another relay than the console's,
   *   `ERR_BRIDGE_CLUSTER_IN_USE` when `porthole proxy` serves the cluster, a tunnel failure
   *   when the agent cannot be reached
   */
  async #handOver(cluster: string, request: HandoffRequest): Promise<HandoffAnswer> {
    const origin = relayOrigin(request.relay);
    if (this.#consoleSettings === undefined || relayOrigin(this.#consoleSettings.relay) !== origin)
      throw new AgentBridgeError(
        'ERR_BRIDGE_HANDOFF_INVALID',
        `The hand-over names the relay ${request.relay}, not the console's`,
        'Open the console with: porthole console',
      );
    const tokens = {
      accessToken: request.accessToken,
      accessExpiresAtMs: request.accessExpiresAt * 1000,
      senderExpiresAtMs: request.senderExpiresAt * 1000,
    };
    let entry = this.#entries.get(cluster);
    if (entry !== undefined && entry.handedOver === undefined)
      throw new AgentBridgeError(
        'ERR_BRIDGE_CLUSTER_IN_USE',
        `porthole proxy serves ${cluster} on this bridge already, as context ${entry.shown.context}`,
        `Use that context, or stop that proxy first.`,
      );
    if (
      entry?.handedOver !== undefined &&
      entry.request.relay.entity === request.hybridConnectionName
    ) {
      entry.handedOver.credential.update(tokens);
      this.#server.renewCredential(cluster, {token: request.senderToken});
    } else {
      const credential = new HandedOverCredential(tokens);
      entry = await this.#add(
        {
          cluster,
          relay: {
            origin,
            entity: request.hybridConnectionName,
            credential: {token: request.senderToken},
          },
          mode: 'auto',
          context: `porthole-${cluster}`,
          credential: {token: credential.localToken},
          extraKubeconfig: undefined,
          hold: false,
        },
        credential,
      );
    }
    const handedOver = entry.handedOver;
    if (handedOver === undefined) throw new Error('a handed-over entry has its credential');
    this.#scheduleRelease(cluster, entry, handedOver);
    return {
      cluster,
      context: entry.shown.context,
      kubeconfig: this.files.kubeconfigPath,
      server: entry.shown.server,
      expiresAt: new Date(handedOver.credential.expiresAtMs).toISOString(),
    };
  }

  /** Removes a handed-over cluster once its session has run out for the grace period. */
  #scheduleRelease(
    cluster: string,
    entry: Entry,
    handedOver: NonNullable<Entry['handedOver']>,
  ): void {
    clearTimeout(handedOver.releaseTimer);
    const delay = Math.max(
      0,
      handedOver.credential.expiresAtMs + this.#handoffGraceMs - Date.now(),
    );
    handedOver.releaseTimer = setTimeout(() => {
      if (this.#entries.get(cluster) === entry) void this.#remove(cluster);
    }, delay);
    handedOver.releaseTimer.unref();
  }

  async #release(cluster: string): Promise<boolean> {
    if (this.#entries.get(cluster)?.handedOver === undefined) return false;
    return this.#remove(cluster);
  }

  async #add(request: RegistrationRequest, handedOver?: HandedOverCredential): Promise<Entry> {
    if (this.#entries.has(request.cluster)) await this.#remove(request.cluster);
    clearTimeout(this.#idleTimer);
    const server = `https://127.0.0.1:${this.port}/clusters/${encodeURIComponent(request.cluster)}`;
    const context = {
      name: request.context,
      server,
      caPem: this.files.caPem,
      tlsServerName: clusterServerName(request.cluster),
      credential: request.credential,
    };
    const kubeconfigs = [
      this.files.kubeconfigPath,
      ...(request.extraKubeconfig ? [request.extraKubeconfig] : []),
    ];
    // The bridge's own file switches to the new context; a file the user named keeps its own.
    for (const path of kubeconfigs)
      await addContext(path, context, path === this.files.kubeconfigPath);
    this.#server.addCluster({
      name: request.cluster,
      relay: request.relay,
      mode: request.mode,
      ...(request.correlationId === undefined ? {} : {correlationId: request.correlationId}),
      ...(handedOver === undefined ? {} : {handedOver}),
    });
    try {
      await this.#server.probe(request.cluster);
    } catch (err) {
      this.#server.removeCluster(request.cluster);
      for (const path of kubeconfigs)
        await removeContext(path, request.context).catch(() => undefined);
      this.#armIdleExit();
      throw err;
    }
    const entry: Entry = {
      request,
      kubeconfigs,
      shown: {
        cluster: request.cluster,
        context: request.context,
        server,
        relay: request.relay.origin,
        entity: request.relay.entity,
        mode: request.mode,
        hold: request.hold,
        registeredBy: handedOver === undefined ? 'proxy' : 'console',
        since: new Date().toISOString(),
      },
      ...(handedOver === undefined
        ? {}
        : {handedOver: {credential: handedOver, releaseTimer: undefined}}),
    };
    this.#entries.set(request.cluster, entry);
    return entry;
  }

  async #remove(cluster: string): Promise<boolean> {
    const entry = this.#entries.get(cluster);
    if (!entry) return false;
    this.#entries.delete(cluster);
    clearTimeout(entry.handedOver?.releaseTimer);
    this.#server.removeCluster(cluster);
    for (const path of entry.kubeconfigs) {
      await removeContext(path, entry.request.context).catch((err: unknown) => {
        this.#log('bridge.context-removal-failed', {path, error: (err as Error).message});
      });
    }
    this.#armIdleExit();
    return true;
  }

  /** Exits once nothing is registered and no console session is live. */
  #armIdleExit(): void {
    if (this.#stopping || this.#entries.size > 0) return;
    clearTimeout(this.#idleTimer);
    const sessionLeftMs = this.#browser.sessionsExpireAtMs - Date.now();
    this.#idleTimer = setTimeout(
      () => {
        if (this.#browser.sessionsExpireAtMs > Date.now()) this.#armIdleExit();
        else if (this.#entries.size === 0) void this.stop();
      },
      Math.max(this.#idleExitMs, sessionLeftMs),
    );
  }
}

/**
 * Checks what `porthole console` sends: the relay's console settings.
 *
 * @throws Error naming what is wrong
 */
function consoleSettings(value: unknown): ConsoleSettings {
  const {relay, authentication} = (value ?? {}) as Record<string, unknown>;
  if (typeof relay !== 'string' || !/^https?:\/\//.test(relay) || URL.parse(relay) === null)
    throw new Error('"relay" is not an http(s) URL');
  if (authentication === null) return {relay, authentication: null};
  const fields = (authentication ?? {}) as Record<string, unknown>;
  const text = (name: string) => {
    const field = fields[name];
    if (typeof field !== 'string' || field === '')
      throw new Error(`"authentication.${name}" is not a non-empty string`);
    return field;
  };
  return {
    relay,
    authentication: {
      authority: text('authority'),
      tenantId: text('tenantId'),
      serverApp: text('serverApp'),
      clientId: text('clientId'),
    },
  };
}

async function readBody(request: Http2ServerRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

import type {Http2ServerRequest, Http2ServerResponse} from 'node:http2';

import type {Logger} from '../log.js';
import type {RelayTarget, TunnelMode} from '../tunnel/relay-target.js';
import {clusterServerName, ensureBridgeFiles} from './bridge-files.js';
import type {BridgeFiles} from './bridge-files.js';
import {BridgeServer} from './bridge-server.js';
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
  since: string;
}

interface Entry {
  request: RegistrationRequest;
  shown: RegisteredCluster;
  kubeconfigs: string[];
}

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
  #server!: BridgeServer;
  #idleTimer: NodeJS.Timeout | undefined;
  #resolveStopped: () => void = () => undefined;
  /** Settles once the bridge has stopped (`stop()`, `POST /porthole/v1/stop`, or idle). */
  readonly stopped = new Promise<void>((resolve) => {
    this.#resolveStopped = resolve;
  });

  private constructor(files: BridgeFiles, log: Logger, idleExitMs: number) {
    this.files = files;
    this.#log = log;
    this.#idleExitMs = idleExitMs;
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
    idleExitMs?: number;
  }): Promise<BridgeDaemon> {
    const files = await ensureBridgeFiles(options.dataDir);
    const daemon = new BridgeDaemon(files, options.log, options.idleExitMs ?? 5000);
    daemon.#server = await BridgeServer.listen({
      host: options.host,
      port: options.port,
      tls: files.tls,
      controlSecret: files.controlSecret,
      control: (request, response) => daemon.#control(request, response),
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

  async #add(request: RegistrationRequest): Promise<Entry> {
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
        since: new Date().toISOString(),
      },
    };
    this.#entries.set(request.cluster, entry);
    return entry;
  }

  async #remove(cluster: string): Promise<boolean> {
    const entry = this.#entries.get(cluster);
    if (!entry) return false;
    this.#entries.delete(cluster);
    this.#server.removeCluster(cluster);
    for (const path of entry.kubeconfigs) {
      await removeContext(path, entry.request.context).catch((err: unknown) => {
        this.#log('bridge.context-removal-failed', {path, error: (err as Error).message});
      });
    }
    this.#armIdleExit();
    return true;
  }

  #armIdleExit(): void {
    if (this.#entries.size > 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => void this.stop(), this.#idleExitMs);
  }
}

async function readBody(request: Http2ServerRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

import {request} from 'node:https';
import type {IncomingMessage} from 'node:http';
import {createInterface} from 'node:readline';

import {AgentBridgeError} from '../errors.js';
import type {AgentBridgeErrorCode} from '../errors.js';
import type {BridgeFiles} from './bridge-files.js';
import type {ConsoleSettings} from '@porthole/core/control-plane';

import type {ConsoleSession, RegisteredCluster, RegistrationRequest} from './bridge-daemon.js';

/** What the running bridge says about itself. */
export interface BridgeStatus {
  pid: number;
  port: number;
  clusters: RegisteredCluster[];
}

/** A registration held open; the cluster is served until `release()` (or this process ends). */
export interface HeldRegistration {
  cluster: RegisteredCluster;
  release(): void;
  /** Settles if the bridge drops the registration (it stopped, or the cluster was replaced). */
  lost: Promise<void>;
}

/**
 * Talks to the bridge's control API on `https://127.0.0.1:<port>/porthole/v1/`, trusting the
 * bridge's CA and presenting its secret.
 */
export class BridgeClient {
  readonly #port: number;
  readonly #files: BridgeFiles;

  constructor(port: number, files: BridgeFiles) {
    this.#port = port;
    this.#files = files;
  }

  /**
   * The running bridge, or `undefined` when nothing listens on the port.
   *
   * @throws AgentBridgeError `ERR_BRIDGE_PORT_TAKEN` when something else answers there
   */
  async status(): Promise<BridgeStatus | undefined> {
    try {
      const {status, body} = await this.#call('GET', '/porthole/v1/bridge');
      if (status === 200) return JSON.parse(body) as BridgeStatus;
    } catch (err) {
      const code = String((err as NodeJS.ErrnoException).code);
      // Nothing listens, or a bridge is stopping: either way, none is running.
      if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code)) return undefined;
      if (/CERT|SIGNATURE|ISSUER/.test(code))
        throw new AgentBridgeError(
          'ERR_BRIDGE_PORT_TAKEN',
          `Port ${this.#port} on 127.0.0.1 answers with a certificate this bridge CA did not issue: a bridge started before the CA was renewed, or another program`,
          'End that process (an old bridge also exits by itself once it serves nothing), or pick another port with --port.',
          {cause: err},
        );
    }
    throw new AgentBridgeError(
      'ERR_BRIDGE_PORT_TAKEN',
      `Port ${this.#port} on 127.0.0.1 is taken by another program`,
      'Pick another port with --port, or stop the program that holds it.',
    );
  }

  /** Registers a cluster that stays until removed (`--daemon`). */
  async register(registration: RegistrationRequest): Promise<RegisteredCluster> {
    const {status, body} = await this.#call(
      'POST',
      '/porthole/v1/clusters',
      JSON.stringify({...registration, hold: false}),
    );
    if (status !== 200) throw controlError(body);
    return JSON.parse(body) as RegisteredCluster;
  }

  /** Registers a cluster for as long as this process holds the returned registration. */
  hold(registration: RegistrationRequest): Promise<HeldRegistration> {
    return new Promise((resolve, reject) => {
      const outgoing = this.#request(
        'POST',
        '/porthole/v1/clusters',
        (response: IncomingMessage) => {
          if (response.statusCode !== 200) {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => reject(controlError(body)));
            return;
          }
          const lost = new Promise<void>((settle) => {
            response.once('close', settle);
          });
          // Releasing the registration aborts this response on purpose.
          response.on('error', () => undefined);
          const lines = createInterface({input: response});
          // readline passes the response's errors on: the abort of a release is one.
          lines.on('error', () => undefined);
          lines.once('line', (line) => {
            lines.close();
            resolve({
              cluster: JSON.parse(line) as RegisteredCluster,
              release: () => outgoing.destroy(),
              lost,
            });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(JSON.stringify({...registration, hold: true}));
    });
  }

  /**
   * Hands a served cluster a renewed relay token; its open connections are not touched.
   *
   * @returns false when the bridge does not serve that cluster
   */
  async renewRelayToken(cluster: string, token: string): Promise<boolean> {
    const {status} = await this.#call(
      'PUT',
      `/porthole/v1/clusters/${encodeURIComponent(cluster)}/relay-token`,
      JSON.stringify({token}),
    );
    return status === 200;
  }

  /** Stops serving a cluster and removes its contexts. */
  async remove(cluster: string): Promise<boolean> {
    const {status} = await this.#call(
      'DELETE',
      `/porthole/v1/clusters/${encodeURIComponent(cluster)}`,
    );
    return status === 200;
  }

  /**
   * Opens a console session: the bridge serves the console with these settings, and the page
   * at the returned URL may hand its sign-in to the bridge ("Use from kubectl").
   */
  async openConsole(settings: ConsoleSettings): Promise<ConsoleSession> {
    const {status, body} = await this.#call(
      'POST',
      '/porthole/v1/console-sessions',
      JSON.stringify(settings),
    );
    if (status !== 200) throw controlError(body);
    return JSON.parse(body) as ConsoleSession;
  }

  /** Stops the bridge: every cluster, every context it wrote. */
  async stop(): Promise<void> {
    await this.#call('POST', '/porthole/v1/stop');
  }

  async #call(
    method: string,
    path: string,
    body?: string,
  ): Promise<{status: number; body: string}> {
    return new Promise((resolve, reject) => {
      const outgoing = this.#request(method, path, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({status: response.statusCode ?? 0, body: text}));
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  #request(method: string, path: string, onResponse: (response: IncomingMessage) => void) {
    return request(
      {
        host: '127.0.0.1',
        port: this.#port,
        method,
        path,
        ca: this.#files.caPem,
        headers: {
          authorization: `Bearer ${this.#files.controlSecret}`,
          'content-type': 'application/json',
        },
        timeout: 10_000,
      },
      onResponse,
    );
  }
}

/** The bridge's refusal, with the code and hint of the failure behind it when it gave one. */
function controlError(body: string): AgentBridgeError {
  let failure: {code?: string; message?: string; hint?: string} = {};
  try {
    failure = JSON.parse(body) as typeof failure;
  } catch {
    // Not JSON: quote it as it is.
  }
  const code = (
    failure.code?.startsWith('ERR_TUNNEL_') ? failure.code : 'ERR_BRIDGE_CONTROL'
  ) as AgentBridgeErrorCode;
  return new AgentBridgeError(
    code,
    failure.message ?? `The bridge refused: ${body.trim()}`,
    failure.hint ?? 'See the bridge log in the data directory (bridge/bridge.log).',
  );
}

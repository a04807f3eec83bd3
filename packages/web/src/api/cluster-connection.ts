import type {HybridConnectionConfig} from '@porthole/core/control-plane';
import {hybridConnectionTransport, KubeClient} from '@porthole/core/kube';
import type {KubeTransport} from '@porthole/core/kube';
import {HC_PATH_PREFIX} from '@porthole/core/protocol';
import type {WebSocketFactory} from '@porthole/core/protocol';

import {WebError} from '../errors.js';
import {browserWebSocket} from './browser-web-socket.js';
import type {ControlPlaneClient} from './control-plane-client.js';

/** What a {@link ClusterConnection} needs. */
export interface ClusterConnectionOptions {
  cluster: string;
  /** Where sender credentials come from (`listClusterUserCredential`). */
  controlPlane: Pick<ControlPlaneClient, 'listClusterUserCredential'>;
  /** The user's access token for the server app: the agent authenticates each request with it. */
  accessToken: () => Promise<string>;
  /** Renew the sender token this long before it expires (at most a fifth of its life). Default 60 s. */
  renewBeforeMs?: number;
  /** The current time in milliseconds; injected by tests. */
  now?: () => number;
  /** Default: the browser's WebSocket. */
  webSocket?: WebSocketFactory;
}

const DEFAULT_RENEW_BEFORE_MS = 60_000;

/**
 * A cluster reached from the browser with no bridge: each connection of its {@link client}
 * is a Hybrid Connections sender socket through the relay to the cluster's agent, which
 * serves the Kubernetes API as the signed-in user. The short-lived sender token is fetched
 * from the control plane and renewed before it expires; connections already open keep going.
 *
 * @example
 *   const cluster = new ClusterConnection({cluster: 'prod', controlPlane, accessToken});
 *   const pods = await cluster.client.list({apiVersion: 'v1', resource: 'pods', namespace: 'default'});
 */
export class ClusterConnection {
  /** The Kubernetes client; every request carries the user's access token. */
  readonly client: KubeClient;
  readonly cluster: string;
  readonly #options: ClusterConnectionOptions;
  readonly #now: () => number;
  #credential: {config: HybridConnectionConfig; renewAt: number} | undefined;
  #renewing: Promise<HybridConnectionConfig> | undefined;

  /** @param options the cluster, the control plane and the user's token */
  constructor(options: ClusterConnectionOptions) {
    this.cluster = options.cluster;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.client = new KubeClient({connect: () => this.#connect(), token: options.accessToken});
  }

  /**
   * The sender credential, fetched again once it is close to expiry; concurrent callers share
   * one request.
   *
   * @throws ControlPlaneError `ERR_CONTROL_FORBIDDEN` without the Cluster User role (or higher)
   */
  async senderCredential(): Promise<HybridConnectionConfig> {
    const current = this.#credential;
    if (current !== undefined && this.#now() < current.renewAt) return current.config;
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  /** Closes every connection to the cluster: requests, watches, log streams, terminals. */
  close(): void {
    this.client.close();
  }

  async #renew(): Promise<HybridConnectionConfig> {
    const fetchedAt = this.#now();
    const {hybridConnectionConfig: config} =
      await this.#options.controlPlane.listClusterUserCredential(this.cluster);
    const expiresAt = config.expirationTime * 1000;
    const lifetime = Math.max(0, expiresAt - fetchedAt);
    const margin = Math.min(this.#options.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS, lifetime / 5);
    this.#credential = {config, renewAt: expiresAt - margin};
    return config;
  }

  async #connect(): Promise<KubeTransport> {
    const config = await this.senderCredential();
    try {
      return await hybridConnectionTransport({
        address: senderAddress(config),
        token: config.token,
        tokenPlacement: 'query',
        webSocket: this.#options.webSocket ?? browserWebSocket,
      });
    } catch (cause) {
      throw new WebError(
        'ERR_WEB_CLUSTER_UNREACHABLE',
        `Cannot reach cluster ${this.cluster} through the relay: its agent may be offline`,
        {cause},
      );
    }
  }
}

/**
 * The sender address of a hybrid connection: `ws(s)://<relay host>/$hc/<name>`, the scheme
 * following the relay's (`https:` → `wss:`).
 *
 * @example
 *   senderAddress({relay: 'https://relay.example', hybridConnectionName: 'clusters/prod'});
 *   // 'wss://relay.example/$hc/clusters/prod'
 */
export function senderAddress(
  config: Pick<HybridConnectionConfig, 'relay' | 'hybridConnectionName'>,
): string {
  const url = new URL(config.relay);
  const scheme = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  const path = config.hybridConnectionName.split('/').map(encodeURIComponent).join('/');
  return `${scheme}//${url.host}${HC_PATH_PREFIX}${path}`;
}

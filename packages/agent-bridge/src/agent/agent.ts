import type {WebSocketFactory} from '@porthole/core/protocol';

import type {Logger} from '../log.js';
import type {RelayTarget, TunnelMode} from '../tunnel/relay-target.js';
import {TunnelListener} from '../tunnel/tunnel-listener.js';
import {nodeWebSocketFactory} from '../web-socket.js';
import {AgentServer} from './agent-server.js';
import {passThrough} from './authenticator.js';
import type {Authenticator} from './authenticator.js';
import type {KubeEndpoint} from './kube-endpoint.js';
import {KubeUpstream} from './kube-upstream.js';

/** What an {@link Agent} needs. */
export interface AgentOptions {
  relay: RelayTarget;
  /** Default `auto`: the mux when the relay offers it, and a control channel besides. */
  mode?: TunnelMode;
  cluster: KubeEndpoint;
  authenticator?: Authenticator;
  webSocket?: WebSocketFactory;
  /**
   * How long a tunnelled connection may wait for its next request before the agent closes it.
   * Default 60 s; the agent announces it (`Keep-Alive: timeout=60`), so clients' pools let
   * idle connections go first.
   */
  idleTimeoutMs?: number;
  log: Logger;
}

/**
 * The cluster agent: it listens on the relay and serves each tunnelled connection as an HTTP
 * connection to the apiserver.
 *
 * @example
 *   const agent = await Agent.start({relay, cluster: await inClusterEndpoint(), log: stderrLogger});
 *   process.once('SIGTERM', () => void agent.stop({drainMs: 30_000}));
 */
export class Agent {
  readonly #tunnel: TunnelListener;
  readonly #server: AgentServer;
  readonly #upstream: KubeUpstream;

  private constructor(tunnel: TunnelListener, server: AgentServer, upstream: KubeUpstream) {
    this.#tunnel = tunnel;
    this.#server = server;
    this.#upstream = upstream;
  }

  /**
   * Connects to the relay and serves.
   *
   * @throws AgentBridgeError `ERR_TUNNEL_CREDENTIAL_REJECTED` when the relay refuses the
   *   credential; `ERR_TUNNEL_PROXY_INVALID`, or `ERR_TUNNEL_PROXY_REFUSED` with 401, 403 or
   *   407, when the forward proxy cannot be used (other failures are retried with backoff and
   *   logged)
   */
  static async start(options: AgentOptions): Promise<Agent> {
    const {log} = options;
    const upstream = new KubeUpstream(options.cluster);
    const server = new AgentServer({
      upstream,
      authenticator: options.authenticator ?? passThrough,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      onRequest: (entry) => log('agent.request', {...entry}),
    });
    const tunnel = new TunnelListener({
      target: options.relay,
      mode: options.mode ?? 'auto',
      webSocket: options.webSocket ?? nodeWebSocketFactory(),
      onConnection: (stream, origin) => {
        log('agent.connection', {...origin});
        server.serve(stream);
      },
      onEvent: (event) => log(`agent.${event.type}`, {...event}),
    });
    const agent = new Agent(tunnel, server, upstream);
    try {
      await tunnel.start();
    } catch (err) {
      await agent.stop({drainMs: 0});
      throw err;
    }
    return agent;
  }

  /** Tunnelled connections open now. */
  get connections(): number {
    return this.#server.connections;
  }

  /** Whether the agent is connected to the relay now (a heartbeat reports it when not). */
  get listening(): boolean {
    return this.#tunnel.listening;
  }

  /**
   * Re-authenticates to the relay with a token minted now: call it once the relay credential's
   * key has been rotated. Tunnelled connections and their streams carry on.
   */
  renewRelayCredential(): void {
    this.#tunnel.renew();
  }

  /**
   * Stops listening (GOAWAY on the mux, so the relay sends nothing new), lets in-flight
   * requests, watches and exec sessions run for up to `drainMs`, then closes everything.
   */
  async stop(options: {drainMs: number}): Promise<void> {
    await this.#tunnel.drain();
    await this.#server.drain(options.drainMs);
    this.#tunnel.stop();
    this.#upstream.close();
  }
}

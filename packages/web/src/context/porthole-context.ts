import {ClusterConnection} from '../api/cluster-connection.js';
import {ControlPlaneClient} from '../api/control-plane-client.js';
import {signInSessionFor} from '../auth/sign-in-session.js';
import type {AccessTokenGrant, SignInSession} from '../auth/sign-in-session.js';
import {resolveSettings} from '../config/porthole-settings.js';
import type {PortholeSettings, SettingsSource} from '../config/porthole-settings.js';
import {WebError} from '../errors.js';

/**
 * Everything an element needs to act for the user against one relay: its settings, the
 * shared sign-in, the control plane, and a connection per cluster. Elements with the same
 * settings on a page share one context.
 *
 * @example
 *   const context = await PortholeContext.resolve({config: './config.json'});
 *   const clusters = await context.controlPlane.listClusters();
 */
export class PortholeContext {
  readonly settings: PortholeSettings;
  /** `undefined` when the relay has no sign-in configured. */
  readonly session: SignInSession | undefined;
  readonly controlPlane: ControlPlaneClient;
  readonly #clusters = new Map<string, ClusterConnection>();

  /**
   * @param settings the relay and its sign-in
   * @param session the sign-in for `settings.authentication`, if any
   */
  constructor(settings: PortholeSettings, session: SignInSession | undefined) {
    this.settings = settings;
    this.session = session;
    this.controlPlane = new ControlPlaneClient({
      relay: settings.relay,
      token: () => this.accessToken(),
    });
    // Connections carry the user's token: a new user gets new ones.
    session?.addEventListener('change', () => {
      this.closeClusters();
    });
  }

  /**
   * The page's context for these settings (a `config.json`, attributes, or both).
   *
   * @throws WebError `ERR_WEB_CONFIG_*` for settings that cannot be read or are incomplete
   */
  static resolve(
    source: SettingsSource & {redirectUri?: string | undefined},
  ): Promise<PortholeContext> {
    const key = JSON.stringify(source);
    let context = contexts.get(key);
    if (context === undefined) {
      context = create(source);
      contexts.set(key, context);
      context.catch(() => contexts.delete(key));
    }
    return context;
  }

  /**
   * The user's access token for the server app.
   *
   * @throws WebError `ERR_WEB_SIGN_IN_UNAVAILABLE` when the relay has no sign-in;
   *   `ERR_WEB_SIGN_IN_REQUIRED` when no one is signed in
   */
  async accessToken(): Promise<string> {
    return (await this.accessTokenGrant()).token;
  }

  /**
   * {@link accessToken} with its expiry.
   *
   * @throws WebError as {@link accessToken}
   */
  accessTokenGrant(): Promise<AccessTokenGrant> {
    if (this.session === undefined)
      return Promise.reject(
        new WebError(
          'ERR_WEB_SIGN_IN_UNAVAILABLE',
          `The relay at ${this.settings.relay} has no sign-in configured`,
        ),
      );
    return this.session.accessTokenGrant();
  }

  /** The connection to a cluster, made once and shared. */
  cluster(name: string): ClusterConnection {
    let connection = this.#clusters.get(name);
    if (connection === undefined) {
      connection = new ClusterConnection({
        cluster: name,
        controlPlane: this.controlPlane,
        accessToken: () => this.accessToken(),
      });
      this.#clusters.set(name, connection);
    }
    return connection;
  }

  /** Closes every cluster connection (sign-out, or the page going away). */
  closeClusters(): void {
    for (const connection of this.#clusters.values()) connection.close();
    this.#clusters.clear();
  }
}

const contexts = new Map<string, Promise<PortholeContext>>();

async function create(
  source: SettingsSource & {redirectUri?: string | undefined},
): Promise<PortholeContext> {
  const settings = await resolveSettings(source);
  const session =
    settings.authentication === null
      ? undefined
      : await signInSessionFor(
          settings.authentication,
          ...(source.redirectUri === undefined ? [] : [source.redirectUri]),
        );
  return new PortholeContext(settings, session);
}

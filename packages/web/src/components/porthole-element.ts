import {html, LitElement} from 'lit';
import type {TemplateResult} from 'lit';
import {property} from 'lit/decorators.js';

import type {SettingsSource} from '../config/porthole-settings.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {ContextController} from '../controllers/context-controller.js';
import {problemView} from './problem-view.js';

/**
 * The base of every Porthole element: the settings attributes that say which relay to act
 * against and how to sign in, the context they resolve to, and events.
 *
 * Attributes: `config` (URL of a `config.json`, as the relay serves at `/console/config.json`),
 * `relay`, `authority`, `client-id`, `server-app`, `redirect-uri`; property `context` (a
 * shared {@link PortholeContext}, which wins over the attributes).
 */
export abstract class PortholeElement extends LitElement {
  /** URL of a `config.json` holding the relay and its sign-in. */
  @property() config: string | undefined;
  /** The relay's base URL, e.g. `https://relay.example`. */
  @property() relay: string | undefined;
  /** The sign-in authority, e.g. `https://login.microsoftonline.com/<tenant>`. */
  @property() authority: string | undefined;
  /** The public client (application) id that signs users in. */
  @property({attribute: 'client-id'}) clientId: string | undefined;
  /** The server app whose `api://<id>/.default` tokens the relay and agents accept. */
  @property({attribute: 'server-app'}) serverApp: string | undefined;
  /** The redirect bridge page registered for the client; default `redirect.html` beside the page. */
  @property({attribute: 'redirect-uri'}) redirectUri: string | undefined;
  /** A context set from script; wins over the attributes. */
  @property({attribute: false}) context: PortholeContext | undefined;

  protected readonly porthole = new ContextController(this);

  /** The settings attributes, as {@link PortholeContext.resolve} takes them. */
  settingsSource(): SettingsSource & {redirectUri?: string | undefined} {
    const source: SettingsSource & {redirectUri?: string | undefined} = {};
    if (this.config !== undefined) source.config = this.config;
    if (this.relay !== undefined) source.relay = this.relay;
    if (this.authority !== undefined) source.authority = this.authority;
    if (this.clientId !== undefined) source.clientId = this.clientId;
    if (this.serverApp !== undefined) source.serverApp = this.serverApp;
    if (this.redirectUri !== undefined) source.redirectUri = this.redirectUri;
    return source;
  }

  /**
   * What to show instead of the element's content while its context loads, when it failed,
   * or when no one is signed in; `undefined` once there is content to show.
   *
   * @param signedOut the words asking to sign in, e.g. `Sign in to see your clusters.`
   */
  protected renderUnready(signedOut: string): TemplateResult | undefined {
    const state = this.porthole.state;
    if (state.status === 'loading')
      return html`<p class="message" part="message" aria-busy="true">Loading…</p>`;
    if (state.status === 'error') return problemView(state.error, 'Loading the settings');
    const {session} = state.context;
    if (session !== undefined && session.account === undefined)
      return html`<p class="message" part="message">${signedOut}</p>`;
    return undefined;
  }

  /** Fires one of the elements' events: a composed, bubbling `CustomEvent`. */
  protected emit<K extends keyof GlobalEventHandlersEventMap>(
    type: K,
    detail: EventDetail<K>,
  ): boolean {
    return this.dispatchEvent(new CustomEvent(type, {detail, bubbles: true, composed: true}));
  }
}

/** The `detail` of an event in the map. */
type EventDetail<K extends keyof GlobalEventHandlersEventMap> =
  GlobalEventHandlersEventMap[K] extends CustomEvent<infer Detail> ? Detail : never;

/** `detail` of `porthole-error`. */
export interface PortholeErrorDetail {
  /** What failed, with a stable `code` (see docs/errors.md). */
  error: unknown;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'porthole-error': CustomEvent<PortholeErrorDetail>;
    'porthole-signed-out': CustomEvent<Record<string, never>>;
  }
}

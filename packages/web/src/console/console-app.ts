import {css, html, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, state} from 'lit/decorators.js';

import type {SignInMode} from '../auth/sign-in-session.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {PortholeElement} from '../components/porthole-element.js';
import {problemView} from '../components/problem-view.js';
import {theme} from '../components/theme.js';
import {unreachable} from '../lib/unreachable.js';
import './account-menu.js';
import './cluster-page.js';
import './clusters-page.js';
import './pod-page.js';
import './role-assignments-page.js';
import {parseRoute, routeHref} from './routes.js';
import type {Route} from './routes.js';

/**
 * The Porthole web console: sign-in, the clusters, a cluster's pods and events, a pod's logs,
 * terminal and YAML, and role assignments, with pages addressed in the URL's fragment. It
 * reads its settings from `config.json` beside the page (the relay serves one).
 */
@customElement('porthole-console')
export class PortholeConsoleElement extends PortholeElement {
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 100vh;
        background: var(--_surface);
      }
      header {
        position: sticky;
        top: 0;
        z-index: 5;
        display: flex;
        align-items: center;
        gap: calc(var(--_space) * 3);
        height: 52px;
        padding: 0 calc(var(--_space) * 3);
        background: #0f1b2d;
        color: #f0f3f6;
      }
      .brand {
        display: inline-flex;
        align-items: center;
        gap: 10px;
        color: inherit;
        font-size: 1.08em;
        font-weight: 700;
        letter-spacing: 0.01em;
        text-decoration: none;
      }
      .brand:hover {
        text-decoration: none;
      }
      .brand svg {
        width: 22px;
        height: 22px;
      }
      header nav a {
        padding: 6px 10px;
        border-radius: var(--_radius);
        color: #c9d1d9;
        font-weight: 500;
      }
      header nav a:hover,
      header nav a[aria-current='page'] {
        background: rgb(255 255 255 / 10%);
        color: #fff;
        text-decoration: none;
      }
      header .spacer {
        flex: 1;
      }
      main {
        flex: 1;
        width: 100%;
        max-width: 1240px;
        margin: 0 auto;
        padding: calc(var(--_space) * 4) calc(var(--_space) * 3) calc(var(--_space) * 6);
      }
      main:focus {
        outline: none;
      }
      .card {
        max-width: 440px;
        margin: 8vh auto 0;
        padding: calc(var(--_space) * 5) calc(var(--_space) * 4);
        border: 1px solid var(--_border);
        border-radius: calc(var(--_radius) * 2);
        background: var(--_background);
        box-shadow: 0 1px 3px rgb(0 0 0 / 6%);
        text-align: center;
      }
      .card h1 {
        margin: 0 0 var(--_space);
        font-size: 1.45em;
      }
      .card p {
        margin: 0 0 calc(var(--_space) * 3);
        color: var(--_muted);
      }
      .card .buttons {
        display: flex;
        flex-direction: column;
        gap: var(--_space);
      }
      .card .buttons button {
        justify-content: center;
        min-height: 38px;
      }
      .card .problem {
        margin-top: calc(var(--_space) * 2);
        text-align: left;
      }
      .skip {
        position: absolute;
        left: -9999px;
      }
      .skip:focus {
        left: 8px;
        top: 8px;
        z-index: 20;
        padding: 6px 10px;
        background: var(--_background);
      }
    `,
  ];

  /** The settings document; default `config.json` beside the page. */
  @property() override config: string | undefined = './config.json';
  @state() private _route: Route = parseRoute(location.hash);
  @state() private _busy = false;

  readonly #onHashChange = () => {
    this._route = parseRoute(location.hash);
    this.shadowRoot?.querySelector('main')?.focus({preventScroll: true});
    window.scrollTo({top: 0});
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHashChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHashChange);
  }

  protected override updated(): void {
    document.title = `${titleOf(this._route)} · Porthole`;
  }

  protected override render(): TemplateResult {
    const context = this.porthole.context;
    const account = context?.session?.account;
    return html`<a class="skip" href="#main" @click=${this._onSkip}>Skip to content</a>
      <header>
        <a class="brand" href="#/">${logo()}<span>Porthole</span></a>
        ${
          account === undefined
            ? nothing
            : html`<nav aria-label="Main">
                <a href="#/" aria-current=${this._route.page === 'clusters' ? 'page' : 'false'}
                  >Clusters</a
                >
              </nav>`
        }
        <span class="spacer"></span>
        <porthole-account-menu
          .account=${account}
          @porthole-sign-out=${this._onSignOut}
        ></porthole-account-menu>
      </header>
      <main id="main" tabindex="-1">${this.#page()}</main>`;
  }

  #page(): TemplateResult {
    const state = this.porthole.state;
    if (state.status === 'loading')
      return html`<p class="message" aria-busy="true">Loading the console…</p>`;
    if (state.status === 'error') return problemView(state.error, 'Loading the console');
    const {context} = state;
    if (context.session === undefined)
      return html`<div class="card">
        <h1>No sign-in configured</h1>
        <p>
          The relay at ${context.settings.relay} has no identity provider, so its console and
          control plane are off. Its operator starts it with <code>--dev-identity</code>, or with
          <code>--entra-tenant</code> and <code>--entra-audience</code>.
        </p>
      </div>`;
    if (context.session.account === undefined) return this.#signInCard(context);
    return this.#routePage(context, this._route);
  }

  #signInCard(context: PortholeContext): TemplateResult {
    const host = new URL(context.settings.relay).host;
    const error = context.session?.error;
    return html`<div class="card">
      <h1>Sign in to Porthole</h1>
      <p>Reach your Kubernetes clusters through the relay at ${host}.</p>
      <div class="buttons">
        <button class="primary" ?disabled=${this._busy} @click=${() => this._onSignIn('redirect')}>
          Sign in
        </button>
        <button ?disabled=${this._busy} @click=${() => this._onSignIn('popup')}>
          Sign in with a pop-up
        </button>
      </div>
      ${error === undefined ? nothing : problemView(error, 'Signing in')}
    </div>`;
  }

  #routePage(context: PortholeContext, route: Route): TemplateResult {
    switch (route.page) {
      case 'clusters':
        return html`<porthole-clusters-page .context=${context}></porthole-clusters-page>`;
      case 'cluster':
        return html`<porthole-cluster-page
          .context=${context}
          .cluster=${route.cluster}
          .namespace=${route.namespace}
          .tab=${route.tab}
        ></porthole-cluster-page>`;
      case 'pod':
        return html`<porthole-pod-page
          .context=${context}
          .cluster=${route.cluster}
          .namespace=${route.namespace}
          .pod=${route.pod}
          .tab=${route.tab}
        ></porthole-pod-page>`;
      case 'role-assignments':
        return html`<porthole-role-assignments-page
          .context=${context}
          .cluster=${route.cluster}
        ></porthole-role-assignments-page>`;
      case 'not-found':
        return html`<div class="card">
          <h1>Page not found</h1>
          <p>There is no page at ${route.path}.</p>
          <div class="buttons">
            <a class="button" href=${routeHref({page: 'clusters'})}>Go to clusters</a>
          </div>
        </div>`;
      default:
        return unreachable(route);
    }
  }

  private async _onSignIn(mode: SignInMode): Promise<void> {
    this._busy = true;
    try {
      await this.porthole.context?.session?.signIn(mode);
    } catch {
      // The session keeps the error, and the card shows it.
    } finally {
      this._busy = false;
    }
  }

  private async _onSignOut(): Promise<void> {
    await this.porthole.context?.session?.signOut();
    location.hash = '#/';
  }

  private _onSkip(event: Event): void {
    event.preventDefault();
    this.shadowRoot?.querySelector('main')?.focus();
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'clusters':
      return 'Clusters';
    case 'cluster':
      return route.cluster;
    case 'pod':
      return `${route.pod} · ${route.cluster}`;
    case 'role-assignments':
      return `Role assignments · ${route.cluster}`;
    case 'not-found':
      return 'Not found';
    default:
      return unreachable(route);
  }
}

function logo(): TemplateResult {
  return html`<svg viewBox="0 0 24 24" aria-hidden="true" fill="none">
    <circle cx="12" cy="12" r="10" stroke="#5ea2ff" stroke-width="2.5" />
    <circle cx="12" cy="12" r="4.5" fill="#5ea2ff" />
  </svg>`;
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-console': PortholeConsoleElement;
  }
}

import {css, html} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, state} from 'lit/decorators.js';

import type {SignedInAccount, SignInMode} from '../auth/sign-in-session.js';
import {PortholeElement} from './porthole-element.js';
import {problemView} from './problem-view.js';
import {theme} from './theme.js';

/** `detail` of `porthole-signed-in`. */
export interface SignedInDetail {
  account: SignedInAccount;
}

/**
 * Signs the user in to the relay's identity provider (MSAL), and shows who is signed in with
 * a "Sign out" button. Every Porthole element on the page with the same settings shares the
 * sign-in.
 *
 * @fires porthole-signed-in - someone is signed in (also on load, when already signed in); `detail.account`
 * @fires porthole-signed-out - no one is signed in any more
 * @fires porthole-error - a sign-in failed; `detail.error` (code `ERR_WEB_SIGN_IN_FAILED`)
 * @csspart button - the "Sign in" and "Sign out" buttons
 * @csspart account - the signed-in user's name and sign-in name
 * @csspart problem - why a sign-in failed
 * @csspart message - a note (no sign-in configured)
 * @example
 *   <porthole-sign-in config="https://relay.example/console/config.json" mode="popup"></porthole-sign-in>
 */
@customElement('porthole-sign-in')
export class PortholeSignInElement extends PortholeElement {
  static override styles = [
    theme,
    css`
      :host {
        display: inline-block;
      }
      .row {
        display: flex;
        align-items: center;
        gap: var(--_space);
        min-height: 32px;
      }
      .account {
        display: flex;
        flex-direction: column;
        line-height: 1.25;
      }
      .account span {
        color: var(--_muted);
        font-size: 0.857em;
      }
      .problem {
        margin-top: var(--_space);
      }
    `,
  ];

  /** `redirect` (the page goes to the sign-in page and comes back) or `popup`. */
  @property() mode: SignInMode = 'redirect';
  @state() private _busy = false;
  #announced: string | undefined;

  protected override willUpdate(): void {
    const context = this.porthole.context;
    if (context === undefined) return;
    const account = context.session?.account;
    const who = account?.username;
    if (who === this.#announced) return;
    const before = this.#announced;
    this.#announced = who;
    if (account !== undefined) this.emit('porthole-signed-in', {account});
    else if (before !== undefined) this.emit('porthole-signed-out', {});
  }

  protected override render(): TemplateResult {
    const state = this.porthole.state;
    if (state.status === 'loading')
      return html`<div class="row">
        <button class="primary" part="button" disabled>Sign in</button>
      </div>`;
    if (state.status === 'error') return problemView(state.error, 'Loading the settings');
    const {session} = state.context;
    if (session === undefined)
      return html`<p class="message" part="message">This relay has no sign-in configured.</p>`;
    const {account} = session;
    if (account !== undefined)
      return html`<div class="row">
        <div class="account" part="account">
          <strong>${account.name}</strong><span>${account.username}</span>
        </div>
        <button part="button" ?disabled=${this._busy} @click=${this._onSignOut}>Sign out</button>
      </div>`;
    return html`<div class="row">
        <button class="primary" part="button" ?disabled=${this._busy} @click=${this._onSignIn}>
          Sign in
        </button>
      </div>
      ${session.error === undefined ? '' : problemView(session.error, 'Signing in')}`;
  }

  private async _onSignIn(): Promise<void> {
    const session = this.porthole.context?.session;
    if (session === undefined) return;
    this._busy = true;
    try {
      await session.signIn(this.mode);
    } catch (error) {
      this.emit('porthole-error', {error});
    } finally {
      this._busy = false;
    }
  }

  private async _onSignOut(): Promise<void> {
    this._busy = true;
    try {
      await this.porthole.context?.session?.signOut();
    } finally {
      this._busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-sign-in': PortholeSignInElement;
  }
  interface GlobalEventHandlersEventMap {
    'porthole-signed-in': CustomEvent<SignedInDetail>;
  }
}

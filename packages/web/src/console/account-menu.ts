import {css, html, LitElement, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';

import type {SignedInAccount} from '../auth/sign-in-session.js';
import {theme} from '../components/theme.js';

/**
 * The signed-in user's menu in the console's top bar: who is signed in (name, sign-in name,
 * object id) and "Sign out". A menu button (`aria-haspopup`) that opens with a click, Enter,
 * Space or Down, and closes with Escape or a click elsewhere.
 *
 * @fires porthole-sign-out - "Sign out" was chosen
 */
@customElement('porthole-account-menu')
export class PortholeAccountMenuElement extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        position: relative;
        display: inline-block;
        color: inherit;
      }
      .trigger {
        gap: var(--_space);
        padding: 0 10px 0 4px;
        border-color: transparent;
        background: transparent;
        color: inherit;
      }
      .trigger:hover,
      .trigger[aria-expanded='true'] {
        background: rgb(255 255 255 / 12%);
      }
      .avatar {
        display: inline-grid;
        place-items: center;
        width: 26px;
        height: 26px;
        border-radius: 50%;
        background: var(--_accent);
        color: var(--_on-accent);
        font-size: 0.8em;
        font-weight: 700;
      }
      .menu {
        position: absolute;
        z-index: 10;
        top: calc(100% + 6px);
        right: 0;
        width: 280px;
        padding: 6px;
        border: 1px solid var(--_border);
        border-radius: calc(var(--_radius) * 1.5);
        background: var(--_background);
        color: var(--_text);
        box-shadow: 0 12px 32px rgb(0 0 0 / 18%);
      }
      .who {
        padding: 10px 10px 12px;
        border-bottom: 1px solid var(--_border);
        margin-bottom: 6px;
      }
      .who strong {
        display: block;
      }
      .who span {
        display: block;
        color: var(--_muted);
        font-size: 0.857em;
        overflow-wrap: anywhere;
      }
      [role='menuitem'] {
        width: 100%;
        justify-content: flex-start;
        border-color: transparent;
      }
      [role='menuitem']:focus-visible {
        outline-offset: -2px;
      }
    `,
  ];

  @property({attribute: false}) account: SignedInAccount | undefined;
  @state() private _open = false;
  @query('.trigger') private _trigger!: HTMLButtonElement;
  @query('[role="menuitem"]') private _item!: HTMLButtonElement | null;

  readonly #onOutside = (event: Event) => {
    if (!event.composedPath().includes(this)) this._open = false;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('pointerdown', this.#onOutside);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('pointerdown', this.#onOutside);
  }

  protected override render(): TemplateResult | typeof nothing {
    const account = this.account;
    if (account === undefined) return nothing;
    return html`<button
        class="trigger"
        aria-haspopup="menu"
        aria-expanded=${this._open ? 'true' : 'false'}
        aria-controls="account-menu"
        aria-label="Account: ${account.name}"
        @click=${this._onToggle}
        @keydown=${this._onTriggerKey}
      >
        <span class="avatar" aria-hidden="true">${initials(account.name)}</span>
        <span>${account.name}</span>
      </button>
      ${
        this._open
          ? html`<div
              class="menu"
              id="account-menu"
              role="menu"
              aria-label="Account"
              @keydown=${this._onMenuKey}
            >
              <div class="who" role="presentation">
                <strong>${account.name}</strong>
                <span>${account.username}</span>
                ${
                  account.objectId === undefined
                    ? nothing
                    : html`<span class="mono">Object id ${account.objectId}</span>`
                }
              </div>
              <button role="menuitem" @click=${this._onSignOut}>Sign out</button>
            </div>`
          : nothing
      }`;
  }

  private async _onToggle(): Promise<void> {
    this._open = !this._open;
    if (this._open) {
      await this.updateComplete;
      this._item?.focus();
    }
  }

  private async _onTriggerKey(event: KeyboardEvent): Promise<void> {
    if (event.key !== 'ArrowDown') return;
    event.preventDefault();
    this._open = true;
    await this.updateComplete;
    this._item?.focus();
  }

  private _onMenuKey(event: KeyboardEvent): void {
    if (event.key === 'Escape' || event.key === 'Tab') {
      this._open = false;
      if (event.key === 'Escape') this._trigger.focus();
    }
  }

  private _onSignOut(): void {
    this._open = false;
    this.dispatchEvent(new CustomEvent('porthole-sign-out', {bubbles: true, composed: true}));
  }
}

/** `Ada Lovelace` → `AL`; `dev@contoso` → `D`. */
function initials(name: string): string {
  const words = name.split(/[\s@._-]+/).filter((word) => word !== '');
  const first = words[0]?.[0] ?? '?';
  const last = words.length > 1 && !name.includes('@') ? (words.at(-1)?.[0] ?? '') : '';
  return `${first}${last}`.toUpperCase();
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-account-menu': PortholeAccountMenuElement;
  }
}

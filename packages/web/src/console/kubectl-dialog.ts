import {css, html, LitElement, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';

import {shellWord} from '@porthole/core';

import type {HandedOver} from '../api/bridge-handoff.js';
import {problemView} from '../components/problem-view.js';
import {dialogStyles, theme} from '../components/theme.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {bridgeSession} from './bridge-session.js';
import {consoleStyles} from './console-styles.js';

/**
 * "Use from kubectl": on a console served by the local bridge (`porthole console`), hands the
 * signed-in user's session for the cluster to the bridge, then shows the `kubectl` line to
 * copy; elsewhere, the commands that get there.
 */
@customElement('porthole-kubectl-dialog')
export class PortholeKubectlDialogElement extends LitElement {
  static override styles = [
    theme,
    consoleStyles,
    dialogStyles,
    css`
      dialog {
        --_dialog-width: 640px;
      }
      p {
        margin: 0 0 calc(var(--_space) * 1.5);
      }
      /* The kubectl line wraps rather than scrolls: all of it is meant to be read. */
      pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .command + p {
        margin-top: calc(var(--_space) * 2);
      }
      .note {
        color: var(--_muted);
        font-size: 0.93em;
      }
    `,
  ];

  @property({attribute: false}) context: PortholeContext | undefined;
  @property() cluster = '';
  /** The namespace the kubectl line lists pods in. */
  @property() namespace = 'default';
  @state() private _status: 'idle' | 'handing' | 'ready' | 'error' = 'idle';
  @state() private _handed: HandedOver | undefined;
  @state() private _error: unknown;
  @state() private _copied: string | undefined;
  @query('dialog') private _dialog!: HTMLDialogElement;

  /** The bridge that serves this console; `undefined` elsewhere. */
  readonly bridge = bridgeSession;
  readonly #onBridgeChange = () => {
    this._handed = this.bridge?.handedOver(this.cluster);
  };
  readonly #onBridgeError = (event: Event) => {
    this._error = (event as ErrorEvent).error;
    this._status = 'error';
  };

  /** Opens the dialog; on a bridge's console, hands the cluster over at once. */
  async open(): Promise<void> {
    this._error = undefined;
    this._handed = this.bridge?.handedOver(this.cluster);
    this._status = this._handed === undefined ? 'idle' : 'ready';
    await this.updateComplete;
    this._dialog.showModal();
    if (this.bridge !== undefined) await this.#handOver();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.bridge?.addEventListener('change', this.#onBridgeChange);
    this.bridge?.addEventListener('error', this.#onBridgeError);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.bridge?.removeEventListener('change', this.#onBridgeChange);
    this.bridge?.removeEventListener('error', this.#onBridgeError);
  }

  protected override render(): TemplateResult {
    return html`<dialog aria-labelledby="kubectl-title">
      <h2 id="kubectl-title">Use ${this.cluster} from kubectl</h2>
      ${this.bridge === undefined ? this.#withoutBridge() : this.#withBridge()}
      <div class="buttons">
        ${
          this._status === 'ready'
            ? html`<button @click=${this._onStop}>Stop serving to kubectl</button>`
            : nothing
        }
        ${
          this._status === 'error'
            ? html`<button @click=${() => void this.#handOver()}>Try again</button>`
            : nothing
        }
        <button class="primary" @click=${() => this._dialog.close()}>Close</button>
      </div>
    </dialog>`;
  }

  #withBridge(): TemplateResult {
    const handed = this._handed;
    if (this._status === 'error')
      return problemView(this._error, 'Handing the session to the bridge');
    if (handed === undefined || this._status === 'handing')
      return html`<div class="waiting" role="status" aria-live="polite">
        <span class="spinner" aria-hidden="true"></span> Handing your sign-in for ${this.cluster} to
        the bridge…
      </div>`;
    const line = `kubectl --context ${handed.context} --kubeconfig ${shellWord(handed.kubeconfig)} get pods -n ${shellWord(this.namespace)}`;
    const user = this.context?.session?.account?.username ?? 'you';
    return html`<p role="status">
        Your bridge serves ${this.cluster} to kubectl as ${user}, with the context
        <code>${handed.context}</code>:
      </p>
      ${this.#command(line, 'Copy the kubectl command')}
      <p class="note">
        This page renews the hand-over while it stays open. Once you close it, kubectl keeps working
        until ${new Date(handed.expiresAt).toLocaleTimeString()}.
      </p>`;
  }

  #withoutBridge(): TemplateResult {
    const relay = this.context?.settings.relay ?? '';
    const console = `porthole console --relay ${relay}`;
    const proxy = `porthole login --relay ${relay}\nporthole proxy -n ${this.cluster}`;
    return html`<p>
        A local bridge serves clusters to kubectl. Open this console through yours, then choose
        <b>Use from kubectl</b> again:
      </p>
      ${this.#command(console, 'Copy the porthole console command')}
      <p>Or serve ${this.cluster} from the command line:</p>
      ${this.#command(proxy, 'Copy the porthole proxy commands')}`;
  }

  #command(text: string, label: string): TemplateResult {
    return html`<div class="command">
      <pre class="commands">${text}</pre>
      <button @click=${() => this._onCopy(text)} aria-label=${label}>
        ${this._copied === text ? 'Copied' : 'Copy'}
      </button>
    </div>`;
  }

  async #handOver(): Promise<void> {
    const {bridge, context} = this;
    if (bridge === undefined || context === undefined) return;
    this._status = 'handing';
    try {
      this._handed = await bridge.handOver({
        connection: context.cluster(this.cluster),
        accessToken: () => context.accessTokenGrant(),
      });
      this._error = undefined;
      this._status = 'ready';
    } catch (error) {
      this._error = error;
      this._status = 'error';
    }
  }

  private async _onStop(): Promise<void> {
    try {
      await this.bridge?.release(this.cluster);
      this._handed = undefined;
      this._dialog.close();
    } catch (error) {
      this._error = error;
      this._status = 'error';
    }
  }

  private async _onCopy(text: string): Promise<void> {
    await navigator.clipboard.writeText(text).catch(() => undefined);
    this._copied = text;
    setTimeout(() => (this._copied = undefined), 1500);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-kubectl-dialog': PortholeKubectlDialogElement;
  }
}

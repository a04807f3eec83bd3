import {css, html, LitElement, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';

import type {Cluster} from '@porthole/core/control-plane';

import {problemView} from '../components/problem-view.js';
import {connectivityBadge} from '../components/status-badge.js';
import {dialogStyles, theme} from '../components/theme.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {consoleStyles} from './console-styles.js';
import {routeHref} from './routes.js';

/** The control plane's rule for cluster names (`ClusterName` in its OpenAPI document). */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const POLL_MS = 2_000;

/**
 * "Connect cluster": asks for a name, shows the `porthole` commands that register the
 * cluster and install its agent (the CLI builds the agent's manifest and applies it with the
 * user's own kubeconfig, which a browser never sees), then waits until the agent is
 * Connected.
 *
 * @fires porthole-cluster-connected - the cluster's agent is connected; `detail.cluster`
 */
@customElement('porthole-connect-cluster-dialog')
export class PortholeConnectClusterDialogElement extends LitElement {
  static override styles = [
    theme,
    consoleStyles,
    dialogStyles,
    css`
      dialog {
        --_dialog-width: 620px;
      }
      ol {
        margin: 0 0 calc(var(--_space) * 2);
        padding-left: 1.25em;
      }
      ol li + li {
        margin-top: calc(var(--_space) * 1.5);
      }
      input {
        width: 100%;
      }
      .invalid {
        color: var(--_danger);
      }
    `,
  ];

  @property({attribute: false}) context: PortholeContext | undefined;
  @state() private _name = '';
  @state() private _step: 'name' | 'commands' = 'name';
  @state() private _cluster: Cluster | undefined;
  @state() private _pollError: unknown;
  @state() private _copied = false;
  @query('dialog') private _dialog!: HTMLDialogElement;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Opens the dialog at its first step. */
  async open(): Promise<void> {
    this._name = '';
    this._step = 'name';
    this._cluster = undefined;
    this._pollError = undefined;
    await this.updateComplete;
    this._dialog.showModal();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#timer);
  }

  protected override render(): TemplateResult {
    return html`<dialog aria-labelledby="connect-title" @close=${this._onClose}>
      <h2 id="connect-title">Connect a cluster</h2>
      ${this._step === 'name' ? this.#nameStep() : this.#commandsStep()}
    </dialog>`;
  }

  #nameStep(): TemplateResult {
    const valid = CLUSTER_NAME.test(this._name);
    const showInvalid = this._name !== '' && !valid;
    return html`<form @submit=${this._onContinue}>
      <div class="field">
        <label for="cluster-name">Cluster name</label>
        <input
          id="cluster-name"
          name="name"
          autocomplete="off"
          spellcheck="false"
          required
          maxlength="63"
          aria-describedby="name-help"
          aria-invalid=${showInvalid ? 'true' : 'false'}
          .value=${this._name}
          @input=${(event: Event) => (this._name = (event.target as HTMLInputElement).value)}
        />
        <small id="name-help" class=${showInvalid ? 'invalid' : ''}
          >Letters, digits, <code>.</code>, <code>_</code> and <code>-</code>, starting with a
          letter or digit; at most 63.</small
        >
      </div>
      <div class="buttons">
        <button type="button" @click=${() => this._dialog.close()}>Cancel</button>
        <button type="submit" class="primary" ?disabled=${!valid}>Continue</button>
      </div>
    </form>`;
  }

  #commandsStep(): TemplateResult {
    const relay = this.context?.settings.relay ?? '';
    const commands = `porthole login --relay ${relay}\nporthole connect -n ${this._name} --apply --kube-context CONTEXT`;
    const cluster = this._cluster;
    return html`<ol>
        <li>
          On a machine whose kubectl reaches the cluster as an administrator (<code>CONTEXT</code>
          is its kube context), run:
          <div class="command">
            <pre class="commands">${commands}</pre>
            <button @click=${() => this._onCopy(commands)} aria-label="Copy the commands">
              ${this._copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </li>
        <li>
          <code>porthole connect</code> registers ${this._name}, installs its agent in the namespace
          <code>porthole-system</code> and waits for it. This page waits too:
        </li>
      </ol>
      <div class="waiting" role="status" aria-live="polite">${this.#waiting(cluster)}</div>
      ${this._pollError === undefined ? nothing : problemView(this._pollError, 'Checking')}
      <div class="buttons">
        ${
          cluster?.connectivityStatus === 'Connected'
            ? html`<button @click=${() => this._dialog.close()}>Close</button>
                <a
                  class="button primary"
                  href=${routeHref({page: 'cluster', cluster: this._name, namespace: 'default', tab: 'pods'})}
                  @click=${() => this._dialog.close()}
                  >Open ${this._name}</a
                >`
            : html`<button @click=${() => this._dialog.close()}>Close</button>`
        }
      </div>`;
  }

  #waiting(cluster: Cluster | undefined): TemplateResult {
    if (cluster === undefined)
      return html`<span class="spinner" aria-hidden="true"></span> Waiting for ${this._name} to be
        registered…`;
    if (cluster.connectivityStatus === 'Connecting')
      return html`${connectivityBadge('Connecting')} Registered; waiting for its agent to connect…`;
    if (cluster.connectivityStatus === 'Connected')
      return html`${connectivityBadge('Connected')} The agent of ${this._name} is connected
      (${cluster.agentVersion ?? 'unknown version'}, Kubernetes
      ${cluster.kubernetesVersion ?? 'unknown'}).`;
    return html`${connectivityBadge(cluster.connectivityStatus)} ${cluster.agentErrors[0] ?? ''}`;
  }

  private _onContinue(event: Event): void {
    event.preventDefault();
    if (!CLUSTER_NAME.test(this._name)) return;
    this._step = 'commands';
    void this.#poll();
  }

  private async _onCopy(text: string): Promise<void> {
    await navigator.clipboard.writeText(text).catch(() => undefined);
    this._copied = true;
    setTimeout(() => (this._copied = false), 1500);
  }

  private _onClose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this._step = 'name';
  }

  async #poll(): Promise<void> {
    const name = this._name;
    const api = this.context?.controlPlane;
    if (api === undefined || this._step !== 'commands') return;
    try {
      const cluster = await api.getCluster(name);
      const before = this._cluster?.connectivityStatus;
      this._cluster = cluster;
      this._pollError = undefined;
      if (cluster.connectivityStatus === 'Connected') {
        if (before !== 'Connected')
          this.dispatchEvent(
            new CustomEvent('porthole-cluster-connected', {
              detail: {cluster},
              bubbles: true,
              composed: true,
            }),
          );
        return;
      }
    } catch (error) {
      // Not registered yet is what this step waits for; anything else is shown.
      if ((error as {code?: unknown}).code !== 'ERR_CONTROL_CLUSTER_NOT_FOUND')
        this._pollError = error;
    }
    if (this._dialog.open && this._name === name)
      this.#timer = setTimeout(() => void this.#poll(), POLL_MS);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-connect-cluster-dialog': PortholeConnectClusterDialogElement;
  }
}

import {css, html, LitElement} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, state} from 'lit/decorators.js';

import type {KubeClient, ResourceRef} from '@porthole/core/kube';

import {problemView} from '../components/problem-view.js';
import {theme} from '../components/theme.js';
import {LoadController} from '../controllers/load-controller.js';
import {objectYaml} from '../kube/object-yaml.js';

/** Any object's YAML, as read through the tunnel (without `managedFields`), with "Copy YAML". */
@customElement('porthole-object-yaml')
export class PortholeObjectYamlElement extends LitElement {
  static override styles = [
    theme,
    css`
      pre {
        max-height: 70vh;
        margin: 0;
        padding: calc(var(--_space) * 1.5);
        overflow: auto;
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        background: var(--_surface);
        font-family: var(--_mono);
        font-size: 12.5px;
        line-height: 1.55;
      }
    `,
  ];

  @property({attribute: false}) client: KubeClient | undefined;
  @property({attribute: false}) ref: ResourceRef | undefined;
  @property() name = '';
  @state() private _copied = false;

  readonly #yaml = new LoadController(this, {
    args: () =>
      this.client === undefined || this.ref === undefined
        ? undefined
        : ([
            this.client,
            this.ref.apiVersion,
            this.ref.resource,
            this.ref.namespace,
            this.name,
          ] as const),
    load: async ([client, apiVersion, resource, namespace], signal) =>
      objectYaml(
        await client.get(
          {apiVersion, resource, ...(namespace === undefined ? {} : {namespace})},
          this.name,
          {signal},
        ),
      ),
  });

  protected override render(): TemplateResult {
    const {status, value, error} = this.#yaml.state;
    if (status === 'error' && value === undefined) return problemView(error, 'Reading the object');
    return html`<div class="toolbar">
        <span class="muted">${this.ref?.resource ?? ''}/${this.name}</span>
        <span class="spacer"></span>
        <button @click=${() => void this.#yaml.refresh()}>Reload</button>
        <button ?disabled=${value === undefined} @click=${this._onCopy}>
          ${this._copied ? 'Copied' : 'Copy YAML'}
        </button>
      </div>
      <pre
        aria-label="YAML of ${this.name}"
        tabindex="0"
        aria-busy=${value === undefined ? 'true' : 'false'}
      >
${value ?? 'Loading…'}</pre>`;
  }

  private async _onCopy(): Promise<void> {
    const text = this.#yaml.state.value;
    if (text === undefined) return;
    await navigator.clipboard.writeText(text).catch(() => undefined);
    this._copied = true;
    setTimeout(() => (this._copied = false), 1500);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-object-yaml': PortholeObjectYamlElement;
  }
}

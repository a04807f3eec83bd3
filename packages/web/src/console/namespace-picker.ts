import {css, html, LitElement} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property} from 'lit/decorators.js';

import type {KubeClient} from '@porthole/core/kube';

import {theme} from '../components/theme.js';
import {LoadController} from '../controllers/load-controller.js';
import {NAMESPACES} from '../kube/kube-types.js';
import type {Namespace} from '../kube/kube-types.js';

/** `detail` of `porthole-namespace-change`. */
export interface NamespaceChangeDetail {
  namespace: string;
}

/**
 * Chooses a namespace: a list of the cluster's namespaces when the user may list them,
 * otherwise (a role on one namespace only) a field to type one in.
 *
 * @fires porthole-namespace-change - another namespace was chosen; `detail.namespace`
 */
@customElement('porthole-namespace-picker')
export class PortholeNamespacePickerElement extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: inline-flex;
      }
      form {
        display: inline-flex;
        align-items: center;
        gap: var(--_space);
      }
      select,
      input {
        min-width: 200px;
      }
    `,
  ];

  @property({attribute: false}) client: KubeClient | undefined;
  @property() namespace = 'default';

  readonly #namespaces = new LoadController(this, {
    args: () => (this.client === undefined ? undefined : ([this.client] as const)),
    load: async ([client], signal) =>
      (await client.list<Namespace>(NAMESPACES, {signal})).items
        .map((namespace) => namespace.metadata?.name ?? '')
        .filter((name) => name !== '')
        .sort(),
    intervalMs: () => 30_000,
  });

  protected override render(): TemplateResult {
    const {value, status} = this.#namespaces.state;
    if (value === undefined && status === 'error')
      return html`<form @submit=${this._onSubmit}>
        <label for="namespace">Namespace</label>
        <input id="namespace" name="namespace" .value=${this.namespace} spellcheck="false" />
        <button type="submit">Show</button>
      </form>`;
    const names = value ?? [this.namespace];
    const options = names.includes(this.namespace) ? names : [this.namespace, ...names];
    return html`<form @submit=${(event: Event) => event.preventDefault()}>
      <label for="namespace">Namespace</label>
      <select
        id="namespace"
        @change=${this._onSelect}
        aria-busy=${value === undefined ? 'true' : 'false'}
      >
        ${options.map(
          (name) =>
            html`<option value=${name} ?selected=${name === this.namespace}>${name}</option>`,
        )}
      </select>
    </form>`;
  }

  private _onSelect(event: Event): void {
    this.#change((event.currentTarget as HTMLSelectElement).value);
  }

  private _onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const value = new FormData(form).get('namespace');
    if (typeof value === 'string' && value.trim() !== '') this.#change(value.trim());
  }

  #change(namespace: string): void {
    this.dispatchEvent(
      new CustomEvent<NamespaceChangeDetail>('porthole-namespace-change', {
        detail: {namespace},
        bubbles: true,
        composed: true,
      }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-namespace-picker': PortholeNamespacePickerElement;
  }
}

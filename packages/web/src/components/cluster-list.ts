import {css, html, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';
import {repeat} from 'lit/directives/repeat.js';

import type {Cluster} from '@porthole/core/control-plane';

import {lastSeen} from '../kube/age.js';
import {ClockController} from '../controllers/clock-controller.js';
import {LoadController} from '../controllers/load-controller.js';
import {fillHref} from './href-template.js';
import {PortholeElement} from './porthole-element.js';
import {problemView} from './problem-view.js';
import {connectivityBadge} from './status-badge.js';
import {dialogStyles, theme} from './theme.js';

/** `detail` of `porthole-cluster-select`. */
export interface ClusterSelectDetail {
  cluster: Cluster;
}

/** `detail` of `porthole-cluster-deleted`. */
export interface ClusterDeletedDetail {
  name: string;
}

/**
 * The clusters the signed-in user holds a role on: name, connectivity status (colour and
 * text), agent and Kubernetes versions, nodes and when the agent was last heard from, polled
 * live from the control plane.
 *
 * @fires porthole-cluster-select - a cluster's name was activated (without `href-template`); `detail.cluster`
 * @fires porthole-cluster-deleted - a cluster was deleted after confirmation; `detail.name`
 * @slot empty - shown when there are no clusters (default: a sentence)
 * @csspart table - the table
 * @csspart row - each cluster's row
 * @csspart status - the connectivity badge (also `status-ok`, `status-danger`, …)
 * @csspart delete-button - each row's "Delete" button (with `allow-delete`)
 * @csspart dialog - the confirmation dialog
 * @csspart problem - an error
 * @csspart message - loading, empty and signed-out notes
 * @example
 *   <porthole-cluster-list config="/console/config.json" href-template="/clusters/{name}"></porthole-cluster-list>
 */
@customElement('porthole-cluster-list')
export class PortholeClusterListElement extends PortholeElement {
  static override styles = [
    theme,
    dialogStyles,
    css`
      .name {
        font-weight: 600;
      }
      button.link {
        min-height: 0;
        padding: 0;
        border: 0;
        background: none;
        color: var(--_accent);
        font-weight: 600;
      }
      button.link:hover {
        text-decoration: underline;
      }
      .stale {
        margin-bottom: var(--_space);
      }
      dialog h2 {
        margin-bottom: var(--_space);
      }
      dialog .buttons {
        display: flex;
        justify-content: flex-end;
        gap: var(--_space);
        margin-top: calc(var(--_space) * 3);
      }
      code {
        font-family: var(--_mono);
      }
    `,
  ];

  /** Seconds between refreshes. Default 10. */
  @property({type: Number, attribute: 'poll-interval'}) pollInterval = 10;
  /** The name of the cluster to show as selected. */
  @property() selected: string | undefined;
  /** Names link here instead of firing `porthole-cluster-select`; `{name}` is the cluster's. */
  @property({attribute: 'href-template'}) hrefTemplate: string | undefined;
  /** Offer a "Delete" button on each row (the control plane still decides who may). */
  @property({type: Boolean, attribute: 'allow-delete'}) allowDelete = false;

  @state() private _deleting: string | undefined;
  @state() private _deleteBusy = false;
  @state() private _deleteError: unknown;
  @query('dialog') private _dialog!: HTMLDialogElement;

  readonly #clock = new ClockController(this);
  readonly #clusters = new LoadController(this, {
    args: () => {
      const context = this.porthole.context;
      const account = context?.session?.account;
      if (context === undefined || (context.session !== undefined && account === undefined))
        return undefined;
      return [context, account?.username] as const;
    },
    load: ([context], signal) => context.controlPlane.listClusters(signal),
    intervalMs: () => Math.max(1, this.pollInterval) * 1000,
  });

  /** Loads the list again now. */
  refresh(): Promise<void> {
    return this.#clusters.refresh();
  }

  protected override render(): TemplateResult {
    const unready = this.renderUnready('Sign in to see your clusters.');
    if (unready !== undefined) return unready;
    const {status, value, error} = this.#clusters.state;
    if (value === undefined && status === 'error') return problemView(error, 'Listing clusters');
    if (value !== undefined && value.length === 0)
      return html`<slot name="empty"
        ><p class="message" part="message">No clusters are connected yet.</p></slot
      >`;
    return html`${
        status === 'error'
          ? html`<div class="stale">${problemView(error, 'Refreshing the clusters')}</div>`
          : nothing
      }
      <div class="table-frame">
        <table part="table" aria-busy=${value === undefined ? 'true' : 'false'}>
          <caption class="visually-hidden">
            Clusters
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Agent</th>
              <th scope="col">Kubernetes</th>
              <th scope="col" class="number">Nodes</th>
              <th scope="col">Last seen</th>
              ${
                this.allowDelete
                  ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>`
                  : nothing
              }
            </tr>
          </thead>
          <tbody>
            ${
              value === undefined
                ? this.#skeletonRows()
                : repeat(
                    value,
                    (cluster) => cluster.name,
                    (cluster) => this.#row(cluster),
                  )
            }
          </tbody>
        </table>
      </div>
      ${this.#dialogView()}`;
  }

  #row(cluster: Cluster): TemplateResult {
    const now = this.#clock.now;
    return html`<tr part="row" class=${cluster.name === this.selected ? 'selected' : ''}>
      <th scope="row" class="name">
        ${
          this.hrefTemplate === undefined
            ? html`<button class="link" @click=${() => this._onSelect(cluster)}>
                ${cluster.name}
              </button>`
            : html`<a
                href=${fillHref(this.hrefTemplate, {name: cluster.name})}
                aria-current=${cluster.name === this.selected ? 'true' : 'false'}
                >${cluster.name}</a
              >`
        }
      </th>
      <td>${connectivityBadge(cluster.connectivityStatus)}</td>
      <td class="mono">${cluster.agentVersion ?? '–'}</td>
      <td class="mono">${cluster.kubernetesVersion ?? '–'}</td>
      <td class="number">${cluster.totalNodeCount ?? '–'}</td>
      <td>
        <time
          datetime=${cluster.lastConnectivityTime ?? nothing}
          title=${cluster.lastConnectivityTime ?? 'never'}
          >${lastSeen(cluster.lastConnectivityTime, now)}</time
        >
      </td>
      ${
        this.allowDelete
          ? html`<td class="actions">
              <button
                class="danger quiet"
                part="delete-button"
                aria-label="Delete cluster ${cluster.name}"
                @click=${() => this._onDeleteRequest(cluster.name)}
              >
                Delete
              </button>
            </td>`
          : nothing
      }
    </tr>`;
  }

  #skeletonRows(): TemplateResult[] {
    const columns = this.allowDelete ? 7 : 6;
    return [0, 1, 2].map(
      () =>
        html`<tr>
          ${Array.from({length: columns}, () => html`<td><span class="skeleton"></span></td>`)}
        </tr>`,
    );
  }

  #dialogView(): TemplateResult {
    const name = this._deleting ?? '';
    return html`<dialog part="dialog" aria-labelledby="delete-title" @close=${this._onDialogClose}>
      <h2 id="delete-title">Delete cluster ${name}?</h2>
      <p>
        Its agent is disconnected at once and its credential revoked; nobody reaches the cluster
        through Porthole any more. The agent's resources stay in the cluster: remove them with
        <code>porthole delete -n ${name}</code>.
      </p>
      ${this._deleteError === undefined ? nothing : problemView(this._deleteError, 'Deleting')}
      <div class="buttons">
        <button ?disabled=${this._deleteBusy} @click=${() => this._dialog.close()}>Cancel</button>
        <button
          class="danger primary"
          ?disabled=${this._deleteBusy}
          @click=${this._onDeleteConfirm}
        >
          ${this._deleteBusy ? 'Deleting…' : 'Delete cluster'}
        </button>
      </div>
    </dialog>`;
  }

  private _onSelect(cluster: Cluster): void {
    this.emit('porthole-cluster-select', {cluster});
  }

  private async _onDeleteRequest(name: string): Promise<void> {
    this._deleting = name;
    this._deleteError = undefined;
    await this.updateComplete;
    this._dialog.showModal();
  }

  private _onDialogClose(): void {
    this._deleting = undefined;
  }

  private async _onDeleteConfirm(): Promise<void> {
    const name = this._deleting;
    const context = this.porthole.context;
    if (name === undefined || context === undefined) return;
    this._deleteBusy = true;
    this._deleteError = undefined;
    try {
      await context.controlPlane.deleteCluster(name);
      this._dialog.close();
      this.emit('porthole-cluster-deleted', {name});
      await this.#clusters.refresh();
    } catch (error) {
      this._deleteError = error;
    } finally {
      this._deleteBusy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-cluster-list': PortholeClusterListElement;
  }
  interface GlobalEventHandlersEventMap {
    'porthole-cluster-select': CustomEvent<ClusterSelectDetail>;
    'porthole-cluster-deleted': CustomEvent<ClusterDeletedDetail>;
  }
}

import {css, html, LitElement, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property} from 'lit/decorators.js';

import '../components/pod-table.js';
import {problemView} from '../components/problem-view.js';
import {connectivityBadge} from '../components/status-badge.js';
import {theme} from '../components/theme.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {ClockController} from '../controllers/clock-controller.js';
import {LoadController} from '../controllers/load-controller.js';
import {clusterFacts} from './cluster-summary.js';
import {consoleStyles} from './console-styles.js';
import './events-table.js';
import './kubectl-dialog.js';
import './namespace-picker.js';
import type {NamespaceChangeDetail} from './namespace-picker.js';
import {routeHref} from './routes.js';
import type {ClusterTab} from './routes.js';

/** A cluster: its status and facts, a namespace's pods (live) and events. */
@customElement('porthole-cluster-page')
export class PortholeClusterPageElement extends LitElement {
  static override styles = [
    theme,
    consoleStyles,
    css`
      .toolbar {
        margin-bottom: calc(var(--_space) * 2);
      }
      .problem {
        margin-bottom: calc(var(--_space) * 2);
      }
    `,
  ];

  @property({attribute: false}) context: PortholeContext | undefined;
  @property() cluster = '';
  @property() namespace = 'default';
  @property() tab: ClusterTab = 'pods';

  readonly #clock = new ClockController(this);
  readonly #info = new LoadController(this, {
    args: () => (this.context === undefined ? undefined : ([this.context, this.cluster] as const)),
    load: ([context, cluster], signal) => context.controlPlane.getCluster(cluster, signal),
    intervalMs: () => 10_000,
  });

  protected override render(): TemplateResult {
    const {value: info, error, status} = this.#info.state;
    const client = this.context?.cluster(this.cluster).client;
    const here = {cluster: this.cluster, namespace: this.namespace};
    return html`<nav class="breadcrumbs" aria-label="Breadcrumb">
        <ol>
          <li><a href=${routeHref({page: 'clusters'})}>Clusters</a></li>
          <li aria-current="page">${this.cluster}</li>
        </ol>
      </nav>
      <div class="page-header">
        <h1>${this.cluster} ${info ? connectivityBadge(info.connectivityStatus) : nothing}</h1>
        <span class="spacer"></span>
        <a class="button" href=${routeHref({page: 'role-assignments', cluster: this.cluster})}
          >Role assignments</a
        >
        <button class="primary" @click=${this._onUseFromKubectl}>Use from kubectl</button>
      </div>
      <porthole-kubectl-dialog
        .context=${this.context}
        .cluster=${this.cluster}
        .namespace=${this.namespace}
      ></porthole-kubectl-dialog>
      ${status === 'error' ? problemView(error, 'Reading the cluster') : nothing}
      ${clusterFacts(info, this.#clock.now)}
      <div class="toolbar">
        <porthole-namespace-picker
          .client=${client}
          .namespace=${this.namespace}
          @porthole-namespace-change=${this._onNamespace}
        ></porthole-namespace-picker>
      </div>
      <nav class="tabs" aria-label="Cluster views">
        <a
          href=${routeHref({page: 'cluster', ...here, tab: 'pods'})}
          aria-current=${this.tab === 'pods' ? 'page' : 'false'}
          >Pods</a
        >
        <a
          href=${routeHref({page: 'cluster', ...here, tab: 'events'})}
          aria-current=${this.tab === 'events' ? 'page' : 'false'}
          >Events</a
        >
      </nav>
      ${
        this.tab === 'pods'
          ? html`<porthole-pod-table
              .context=${this.context}
              .cluster=${this.cluster}
              .namespace=${this.namespace}
              href-template="#/clusters/{cluster}/namespaces/{namespace}/pods/{name}/logs"
            ></porthole-pod-table>`
          : html`<porthole-events-table
              .context=${this.context}
              .cluster=${this.cluster}
              .namespace=${this.namespace}
            ></porthole-events-table>`
      }`;
  }

  private _onUseFromKubectl(): void {
    void this.shadowRoot?.querySelector('porthole-kubectl-dialog')?.open();
  }

  private _onNamespace(event: CustomEvent<NamespaceChangeDetail>): void {
    location.hash = routeHref({
      page: 'cluster',
      cluster: this.cluster,
      namespace: event.detail.namespace,
      tab: this.tab,
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-cluster-page': PortholeClusterPageElement;
  }
  interface GlobalEventHandlersEventMap {
    'porthole-namespace-change': CustomEvent<NamespaceChangeDetail>;
  }
}

import {css, html, LitElement, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property} from 'lit/decorators.js';

import '../components/logs.js';
import {problemView} from '../components/problem-view.js';
import {statusBadge} from '../components/status-badge.js';
import '../components/terminal.js';
import {theme} from '../components/theme.js';
import type {PortholeContext} from '../context/porthole-context.js';
import {ClockController} from '../controllers/clock-controller.js';
import {LoadController} from '../controllers/load-controller.js';
import {PODS} from '../kube/kube-types.js';
import type {Pod} from '../kube/kube-types.js';
import {podSummary} from '../kube/pod-summary.js';
import {unreachable} from '../lib/unreachable.js';
import {consoleStyles} from './console-styles.js';
import './object-yaml-view.js';
import {routeHref} from './routes.js';
import type {PodTab} from './routes.js';

/** A pod: its status and facts, and its logs (live), a terminal in it, and its YAML. */
@customElement('porthole-pod-page')
export class PortholePodPageElement extends LitElement {
  static override styles = [
    theme,
    consoleStyles,
    css`
      .problem {
        margin-bottom: calc(var(--_space) * 2);
      }
    `,
  ];

  @property({attribute: false}) context: PortholeContext | undefined;
  @property() cluster = '';
  @property() namespace = 'default';
  @property() pod = '';
  @property() tab: PodTab = 'logs';

  readonly #clock = new ClockController(this);
  readonly #pod = new LoadController(this, {
    args: () =>
      this.context === undefined
        ? undefined
        : ([this.context.cluster(this.cluster).client, this.namespace, this.pod] as const),
    load: ([client, namespace, pod], signal) =>
      client.get<Pod>({...PODS, namespace}, pod, {signal}),
    intervalMs: () => 5_000,
  });

  protected override render(): TemplateResult {
    const {value, error, status} = this.#pod.state;
    const summary = value === undefined ? undefined : podSummary(value, this.#clock.now);
    const here = {cluster: this.cluster, namespace: this.namespace, pod: this.pod};
    const tab = (name: PodTab, label: string) =>
      html`<a
        href=${routeHref({page: 'pod', ...here, tab: name})}
        aria-current=${this.tab === name ? 'page' : 'false'}
        >${label}</a
      >`;
    return html`<nav class="breadcrumbs" aria-label="Breadcrumb">
        <ol>
          <li><a href=${routeHref({page: 'clusters'})}>Clusters</a></li>
          <li>
            <a
              href=${routeHref({page: 'cluster', cluster: this.cluster, namespace: this.namespace, tab: 'pods'})}
              >${this.cluster}</a
            >
          </li>
          <li>${this.namespace}</li>
          <li aria-current="page">${this.pod}</li>
        </ol>
      </nav>
      <div class="page-header">
        <h1>${this.pod} ${summary ? statusBadge(summary.status, summary.tone) : nothing}</h1>
      </div>
      ${status === 'error' ? problemView(error, 'Reading the pod') : nothing}
      <dl class="meta" aria-busy=${summary === undefined ? 'true' : 'false'}>
        <div>
          <dt>Namespace</dt>
          <dd>${this.namespace}</dd>
        </div>
        <div>
          <dt>Node</dt>
          <dd class="mono">${summary?.node ?? '–'}</dd>
        </div>
        <div>
          <dt>IP</dt>
          <dd class="mono">${value?.status?.podIP ?? '–'}</dd>
        </div>
        <div>
          <dt>Ready</dt>
          <dd>${summary?.ready ?? '–'}</dd>
        </div>
        <div>
          <dt>Restarts</dt>
          <dd>${summary?.restarts ?? '–'}</dd>
        </div>
        <div>
          <dt>Age</dt>
          <dd>${summary?.age ?? '–'}</dd>
        </div>
      </dl>
      <nav class="tabs" aria-label="Pod views">
        ${tab('logs', 'Logs')} ${tab('terminal', 'Terminal')} ${tab('yaml', 'YAML')}
      </nav>
      ${this.#tabContent()}`;
  }

  #tabContent(): TemplateResult {
    switch (this.tab) {
      case 'logs':
        return html`<porthole-logs
          .context=${this.context}
          .cluster=${this.cluster}
          .namespace=${this.namespace}
          .pod=${this.pod}
        ></porthole-logs>`;
      case 'terminal':
        return html`<porthole-terminal
          .context=${this.context}
          .cluster=${this.cluster}
          .namespace=${this.namespace}
          .pod=${this.pod}
        ></porthole-terminal>`;
      case 'yaml':
        return html`<porthole-object-yaml
          .client=${this.context?.cluster(this.cluster).client}
          .ref=${{...PODS, namespace: this.namespace}}
          .name=${this.pod}
        ></porthole-object-yaml>`;
      default:
        return unreachable(this.tab);
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-pod-page': PortholePodPageElement;
  }
}

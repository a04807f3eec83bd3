import {css, html, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property} from 'lit/decorators.js';
import {repeat} from 'lit/directives/repeat.js';

import {ClockController} from '../controllers/clock-controller.js';
import {WatchListController} from '../controllers/watch-list-controller.js';
import {PODS} from '../kube/kube-types.js';
import type {Pod} from '../kube/kube-types.js';
import {podSummary} from '../kube/pod-summary.js';
import type {PodSummary} from '../kube/pod-summary.js';
import {fillHref} from './href-template.js';
import {PortholeElement} from './porthole-element.js';
import {problemView} from './problem-view.js';
import {statusBadge} from './status-badge.js';
import {theme} from './theme.js';

/** `detail` of `porthole-pod-select`. */
export interface PodSelectDetail {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * A cluster's pods in one namespace (or all), live: listed, then watched through the relay as
 * the signed-in user, so Kubernetes RBAC and Porthole role assignments apply. Shows status
 * (colour and text), ready containers, restarts, age and node.
 *
 * @fires porthole-pod-select - a pod's name was activated (without `href-template`); `detail` names it
 * @csspart table - the table
 * @csspart row - each pod's row
 * @csspart status - a pod's status badge (also `status-ok`, `status-danger`, …)
 * @csspart live - the "Live" indicator while the watch is open
 * @csspart problem - an error (a 403 names the missing permission)
 * @csspart message - loading, empty and signed-out notes
 * @example
 *   <porthole-pod-table config="/console/config.json" cluster="prod" namespace="web"></porthole-pod-table>
 */
@customElement('porthole-pod-table')
export class PortholePodTableElement extends PortholeElement {
  static override styles = [
    theme,
    css`
      .header {
        display: flex;
        align-items: center;
        justify-content: flex-end;
        min-height: 24px;
        margin-bottom: calc(var(--_space) * 0.5);
      }
      .live .dot {
        width: 7px;
        height: 7px;
        border-radius: 50%;
        background: var(--_ok);
      }
      .name a,
      .name button {
        font-weight: 600;
      }
      button.link {
        min-height: 0;
        padding: 0;
        border: 0;
        background: none;
        color: var(--_accent);
      }
      button.link:hover {
        text-decoration: underline;
      }
      .stale {
        margin-bottom: var(--_space);
      }
    `,
  ];

  /** The cluster's name, as the control plane knows it. */
  @property() cluster: string | undefined;
  /** The namespace; empty for all namespaces (a Namespace column then shows). */
  @property() namespace = 'default';
  /** The name of the pod to show as selected. */
  @property() selected: string | undefined;
  /** Names link here instead of firing `porthole-pod-select`: `{cluster}`, `{namespace}`, `{name}`. */
  @property({attribute: 'href-template'}) hrefTemplate: string | undefined;

  readonly #clock = new ClockController(this);
  readonly #pods = new WatchListController<Pod>(this, () => {
    const context = this.porthole.context;
    const account = context?.session?.account;
    if (context === undefined || this.cluster === undefined || this.cluster === '')
      return undefined;
    if (context.session !== undefined && account === undefined) return undefined;
    const client = context.cluster(this.cluster).client;
    const ref = this.namespace === '' ? PODS : {...PODS, namespace: this.namespace};
    return [{client, ref}, account?.username] as const;
  });

  protected override render(): TemplateResult {
    const unready = this.renderUnready('Sign in to see the pods.');
    if (unready !== undefined) return unready;
    if (this.cluster === undefined || this.cluster === '')
      return html`<p class="message" part="message">Choose a cluster to see its pods.</p>`;
    const {status, items, error, live} = this.#pods.state;
    const where = this.namespace === '' ? 'any namespace' : `namespace ${this.namespace}`;
    if (status === 'error' && items.length === 0) return problemView(error, 'Listing pods');
    if (status === 'ready' && items.length === 0)
      return html`<div class="header">${this.#liveView(live)}</div>
        <p class="message" part="message">No pods in ${where}.</p>`;
    const now = this.#clock.now;
    const allNamespaces = this.namespace === '';
    return html`<div class="header">${this.#liveView(live)}</div>
      ${
        status === 'error'
          ? html`<div class="stale">${problemView(error, 'Watching pods')}</div>`
          : nothing
      }
      <div class="table-frame">
        <table part="table" aria-busy=${status === 'loading' ? 'true' : 'false'}>
          <caption class="visually-hidden">
            Pods in ${where}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              ${allNamespaces ? html`<th scope="col">Namespace</th>` : nothing}
              <th scope="col">Status</th>
              <th scope="col" class="number">Ready</th>
              <th scope="col" class="number">Restarts</th>
              <th scope="col" class="number">Age</th>
              <th scope="col">Node</th>
            </tr>
          </thead>
          <tbody>
            ${
              status === 'loading'
                ? this.#skeletonRows(allNamespaces ? 7 : 6)
                : repeat(
                    items.map((pod) => podSummary(pod, now)),
                    (pod) => `${pod.namespace}/${pod.name}`,
                    (pod) => this.#row(pod, allNamespaces),
                  )
            }
          </tbody>
        </table>
      </div>`;
  }

  #liveView(live: boolean): TemplateResult | typeof nothing {
    return live
      ? html`<span class="live" part="live"><span class="dot" aria-hidden="true"></span>Live</span>`
      : nothing;
  }

  #row(pod: PodSummary, allNamespaces: boolean): TemplateResult {
    const selected = pod.name === this.selected;
    return html`<tr part="row" class=${selected ? 'selected' : ''}>
      <th scope="row" class="name">
        ${
          this.hrefTemplate === undefined
            ? html`<button class="link" @click=${() => this._onSelect(pod)}>${pod.name}</button>`
            : html`<a
                href=${fillHref(this.hrefTemplate, {
                  cluster: this.cluster ?? '',
                  namespace: pod.namespace,
                  name: pod.name,
                })}
                aria-current=${selected ? 'true' : 'false'}
                >${pod.name}</a
              >`
        }
      </th>
      ${allNamespaces ? html`<td>${pod.namespace}</td>` : nothing}
      <td>${statusBadge(pod.status, pod.tone)}</td>
      <td class="number">${pod.ready}</td>
      <td class="number">${pod.restarts}</td>
      <td class="number">${pod.age}</td>
      <td class="mono">${pod.node}</td>
    </tr>`;
  }

  #skeletonRows(columns: number): TemplateResult[] {
    return [0, 1, 2].map(
      () =>
        html`<tr>
          ${Array.from({length: columns}, () => html`<td><span class="skeleton"></span></td>`)}
        </tr>`,
    );
  }

  private _onSelect(pod: PodSummary): void {
    this.emit('porthole-pod-select', {
      cluster: this.cluster ?? '',
      namespace: pod.namespace,
      name: pod.name,
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-pod-table': PortholePodTableElement;
  }
  interface GlobalEventHandlersEventMap {
    'porthole-pod-select': CustomEvent<PodSelectDetail>;
  }
}

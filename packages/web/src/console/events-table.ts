import {css, html, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property} from 'lit/decorators.js';
import {repeat} from 'lit/directives/repeat.js';

import {PortholeElement} from '../components/porthole-element.js';
import {problemView} from '../components/problem-view.js';
import {statusBadge} from '../components/status-badge.js';
import {theme} from '../components/theme.js';
import {ClockController} from '../controllers/clock-controller.js';
import {WatchListController} from '../controllers/watch-list-controller.js';
import {eventSummary} from '../kube/event-summary.js';
import {EVENTS} from '../kube/kube-types.js';
import type {KubeEvent} from '../kube/kube-types.js';

/** The most recent events shown; a busy namespace has thousands. */
const MAX_ROWS = 200;

/** A namespace's events, newest first, live (`kubectl events -w`). */
@customElement('porthole-events-table')
export class PortholeEventsTableElement extends PortholeElement {
  static override styles = [
    theme,
    css`
      td.event-message {
        min-width: 280px;
        white-space: normal;
      }
      .header {
        min-height: 24px;
        margin-bottom: calc(var(--_space) * 0.5);
        text-align: right;
      }
    `,
  ];

  @property() cluster = '';
  @property() namespace = 'default';

  readonly #clock = new ClockController(this);
  readonly #events = new WatchListController<KubeEvent>(this, () => {
    const context = this.porthole.context;
    if (context === undefined || this.cluster === '') return undefined;
    return [
      {client: context.cluster(this.cluster).client, ref: {...EVENTS, namespace: this.namespace}},
    ] as const;
  });

  protected override render(): TemplateResult {
    const unready = this.renderUnready('Sign in to see events.');
    if (unready !== undefined) return unready;
    const {status, items, error, live} = this.#events.state;
    if (status === 'error' && items.length === 0) return problemView(error, 'Listing events');
    if (status === 'ready' && items.length === 0)
      return html`<p class="message">No events in namespace ${this.namespace} lately.</p>`;
    const now = this.#clock.now;
    const rows = items
      .map((event) => eventSummary(event, now))
      .sort((a, b) => b.time - a.time)
      .slice(0, MAX_ROWS);
    return html`<div class="header">
        ${
          live
            ? html`<span class="live"
                ><span class="badge tone-ok"><span class="dot"></span>Live</span></span
              >`
            : nothing
        }
      </div>
      <div class="table-frame">
        <table aria-busy=${status === 'loading' ? 'true' : 'false'}>
          <caption class="visually-hidden">
            Events in namespace ${this.namespace}
          </caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Reason</th>
              <th scope="col">Object</th>
              <th scope="col">Message</th>
              <th scope="col" class="number">Count</th>
              <th scope="col" class="number">Last seen</th>
            </tr>
          </thead>
          <tbody>
            ${
              status === 'loading'
                ? html`<tr>
                    <td colspan="6"><span class="skeleton"></span></td>
                  </tr>`
                : repeat(
                    rows,
                    (row) => row.key,
                    (row) =>
                      html`<tr>
                        <td>${statusBadge(row.type, row.tone)}</td>
                        <td>${row.reason}</td>
                        <td class="mono">${row.object}</td>
                        <td class="event-message">${row.message}</td>
                        <td class="number">${row.count}</td>
                        <td class="number">${row.age}</td>
                      </tr>`,
                  )
            }
          </tbody>
        </table>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-events-table': PortholeEventsTableElement;
  }
}

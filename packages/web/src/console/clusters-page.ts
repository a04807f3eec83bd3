import {css, html, LitElement} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query} from 'lit/decorators.js';

import '../components/cluster-list.js';
import type {PortholeClusterListElement} from '../components/cluster-list.js';
import {theme} from '../components/theme.js';
import type {PortholeContext} from '../context/porthole-context.js';
import './connect-cluster-dialog.js';
import type {PortholeConnectClusterDialogElement} from './connect-cluster-dialog.js';
import {consoleStyles} from './console-styles.js';

/** The console's home: every cluster the user may see, "Connect cluster", and delete. */
@customElement('porthole-clusters-page')
export class PortholeClustersPageElement extends LitElement {
  static override styles = [
    theme,
    consoleStyles,
    css`
      .empty-state p + p {
        margin-top: var(--_space);
      }
    `,
  ];

  @property({attribute: false}) context: PortholeContext | undefined;
  @query('porthole-connect-cluster-dialog') private _dialog!: PortholeConnectClusterDialogElement;
  @query('porthole-cluster-list') private _list!: PortholeClusterListElement;

  protected override render(): TemplateResult {
    return html`<div class="page-header">
        <h1>Clusters</h1>
        <span class="spacer"></span>
        <button class="primary" @click=${() => this._dialog.open()}>Connect cluster</button>
      </div>
      <p class="lead">
        Kubernetes clusters whose agents reach this relay. Select one to work in it.
      </p>
      <porthole-cluster-list
        .context=${this.context}
        allow-delete
        href-template="#/clusters/{name}"
        poll-interval="5"
      >
        <div slot="empty" class="empty-state">
          <h2>No clusters yet</h2>
          <p>
            Connect a cluster: its agent dials out to this relay, so it needs no inbound access.
          </p>
        </div>
      </porthole-cluster-list>
      <porthole-connect-cluster-dialog
        .context=${this.context}
        @porthole-cluster-connected=${() => void this._list.refresh()}
      ></porthole-connect-cluster-dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-clusters-page': PortholeClustersPageElement;
  }
}

import {css, html, nothing} from 'lit';
import type {PropertyValues, TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';

import {LoadController} from '../controllers/load-controller.js';
import {LogStreamController} from '../controllers/log-stream-controller.js';
import {PODS} from '../kube/kube-types.js';
import type {Pod} from '../kube/kube-types.js';
import {trueUnlessFalse} from './boolean-attribute.js';
import {PortholeElement} from './porthole-element.js';
import {problemView} from './problem-view.js';
import {streamState, theme} from './theme.js';

/** `detail` of `porthole-logs-end`. */
export interface LogsEndDetail {
  pod: string;
  container: string | undefined;
}

/**
 * A container's log, streaming live (`kubectl logs -f`) through the relay as the signed-in
 * user. It sticks to the bottom while you are there, keeps the last `max-lines` lines, and
 * offers the pod's containers when it has several.
 *
 * @fires porthole-logs-end - the stream ended (the container stopped, or the connection went); `detail` names the log
 * @fires porthole-error - the stream failed; `detail.error`
 * @csspart toolbar - the container choice, "Wrap lines" and the stream's state
 * @csspart log - the log text
 * @csspart problem - an error (a 403 names the missing permission)
 * @csspart message - signed-out and no-pod notes
 * @example
 *   <porthole-logs config="/console/config.json" cluster="prod" namespace="web" pod="web-0"></porthole-logs>
 */
@customElement('porthole-logs')
export class PortholeLogsElement extends PortholeElement {
  static override styles = [
    theme,
    streamState,
    css`
      :host {
        --_log-background: var(--porthole-log-background, #0d1117);
        --_log-text: var(--porthole-log-color, #e6edf3);
      }
      pre {
        height: var(--porthole-log-height, 420px);
        margin: 0;
        padding: calc(var(--_space) * 1.5);
        overflow: auto;
        border-radius: var(--_radius);
        background: var(--_log-background);
        color: var(--_log-text);
        font-family: var(--_mono);
        font-size: 12.5px;
        line-height: 1.55;
        white-space: pre;
        tab-size: 4;
      }
      pre.wrap {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      label.check {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        font-weight: 400;
      }
      .problem {
        margin-bottom: var(--_space);
      }
      .empty {
        color: #8b949e;
      }
    `,
  ];

  @property() cluster: string | undefined;
  @property() namespace = 'default';
  @property() pod: string | undefined;
  /** The container; default the pod's first. */
  @property() container: string | undefined;
  /** Start with this many of the last lines. Default 500. */
  @property({type: Number, attribute: 'tail-lines'}) tailLines = 500;
  /** Keep streaming lines written later (`follow="false"`: read once). Default true. */
  @property({converter: trueUnlessFalse}) follow = true;
  /** Lines kept on screen; older ones are dropped. Default 5000. */
  @property({type: Number, attribute: 'max-lines'}) maxLines = 5000;
  /** Wrap long lines. */
  @property({type: Boolean}) wrap = false;

  @state() private _container: string | undefined;
  @query('pre') private _pre!: HTMLPreElement | null;
  #stick = true;
  #endedAnnounced = false;

  readonly #podSpec = new LoadController(this, {
    args: () => {
      const context = this.porthole.context;
      if (context === undefined || !this.cluster || !this.pod) return undefined;
      if (context.session !== undefined && context.session.account === undefined) return undefined;
      return [context.cluster(this.cluster).client, this.namespace, this.pod] as const;
    },
    load: ([client, namespace, pod], signal) =>
      client.get<Pod>({...PODS, namespace}, pod, {signal}),
  });

  readonly #log = new LogStreamController(
    this,
    () => {
      const context = this.porthole.context;
      const container = this.container ?? this._container;
      if (context === undefined || !this.cluster || !this.pod) return undefined;
      if (context.session !== undefined && context.session.account === undefined) return undefined;
      // Without a container named, wait for the pod's spec to pick its first.
      if (container === undefined && this.#podSpec.state.status !== 'error') return undefined;
      return [
        {
          client: context.cluster(this.cluster).client,
          namespace: this.namespace,
          pod: this.pod,
          container,
          tailLines: this.tailLines,
          follow: this.follow,
        },
      ] as const;
    },
    () => this.maxLines,
  );

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('pod') || changed.has('namespace') || changed.has('cluster'))
      this._container = undefined;
    const spec = this.#podSpec.state.value;
    if (this._container === undefined && spec?.metadata?.name === this.pod)
      this._container = spec?.spec?.containers?.[0]?.name;
  }

  protected override updated(): void {
    const pre = this._pre;
    if (pre !== null && this.#stick) pre.scrollTop = pre.scrollHeight;
    const {status, error} = this.#log.state;
    if ((status === 'ended' || status === 'error') && !this.#endedAnnounced) {
      this.#endedAnnounced = true;
      if (status === 'error') this.emit('porthole-error', {error});
      else
        this.emit('porthole-logs-end', {
          pod: this.pod ?? '',
          container: this.container ?? this._container,
        });
    } else if (status === 'connecting' || status === 'streaming') this.#endedAnnounced = false;
  }

  protected override render(): TemplateResult {
    const unready = this.renderUnready('Sign in to see the logs.');
    if (unready !== undefined) return unready;
    if (!this.cluster || !this.pod)
      return html`<p class="message" part="message">Choose a pod to see its logs.</p>`;
    const {status, lines, error, dropped} = this.#log.state;
    const containers = this.#podSpec.state.value?.spec?.containers ?? [];
    const label = `Logs of pod ${this.pod}${this._container ? `, container ${this._container}` : ''}`;
    return html`<div class="toolbar" part="toolbar">
        ${
          this.container === undefined && containers.length > 1
            ? html`<label for="container">Container</label>
                <select id="container" @change=${this._onContainer}>
                  ${containers.map(
                    (container) =>
                      html`<option ?selected=${container.name === this._container}>
                        ${container.name}
                      </option>`,
                  )}
                </select>`
            : nothing
        }
        <label class="check"
          ><input type="checkbox" .checked=${this.wrap} @change=${this._onWrap} />Wrap lines</label
        >
        <span class="spacer"></span>
        ${this.#stateView(status)}
        ${
          status === 'ended' || status === 'error'
            ? html`<button @click=${() => this.#log.restart()}>Reconnect</button>`
            : nothing
        }
      </div>
      ${status === 'error' ? problemView(error, 'Streaming the logs') : nothing}
      <pre
        part="log"
        class=${this.wrap ? 'wrap' : ''}
        role="log"
        aria-label=${label}
        tabindex="0"
        @scroll=${this._onScroll}
      >
${
          dropped > 0
            ? html`<span class="empty">… ${dropped} earlier lines not kept … </span>`
            : nothing
        }${lines.join('\n')}${
          status !== 'connecting' && lines.length === 0
            ? html`<span class="empty">No log lines yet.</span>`
            : nothing
        }</pre>`;
  }

  #stateView(status: string): TemplateResult {
    const text: Record<string, string> = {
      idle: 'Waiting',
      connecting: 'Connecting…',
      streaming: this.follow ? 'Streaming' : 'Read',
      ended: 'Stream ended',
      error: 'Failed',
    };
    return html`<span class="state ${status}" role="status"
      ><span class="dot" aria-hidden="true"></span>${text[status] ?? status}</span
    >`;
  }

  private _onScroll(event: Event): void {
    const pre = event.currentTarget as HTMLPreElement;
    this.#stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
  }

  private _onContainer(event: Event): void {
    this._container = (event.currentTarget as HTMLSelectElement).value;
  }

  private _onWrap(event: Event): void {
    this.wrap = (event.currentTarget as HTMLInputElement).checked;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-logs': PortholeLogsElement;
  }
  interface GlobalEventHandlersEventMap {
    'porthole-logs-end': CustomEvent<LogsEndDetail>;
  }
}

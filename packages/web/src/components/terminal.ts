import {css, html, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';
import type {FitAddon} from '@xterm/addon-fit';
import type {Terminal} from '@xterm/xterm';

import {ExecSessionController} from '../controllers/exec-session-controller.js';
import {xtermStyles} from '../generated/xterm-css.js';
import {PortholeElement} from './porthole-element.js';
import {problemView} from './problem-view.js';
import {streamState, theme} from './theme.js';

/** `detail` of `porthole-terminal-exit`. */
export interface TerminalExitDetail {
  /** The command's exit code, when the cluster told it. */
  code: number | undefined;
}

/**
 * A terminal in a container (`kubectl exec -it POD -- sh`), rendered by xterm.js, over the
 * Kubernetes WebSocket streaming protocol inside the relay's tunnel, as the signed-in user:
 * exec needs `pods/exec` (a Porthole Writer role or higher), and a refusal is shown with the
 * permission it names.
 *
 * Theme it with `--porthole-terminal-background`, `--porthole-terminal-foreground`,
 * `--porthole-terminal-height` (360px) and `--porthole-mono-font-family`.
 *
 * @fires porthole-terminal-exit - the command ended; `detail.code`
 * @fires porthole-error - the session could not open or failed; `detail.error`
 * @csspart toolbar - the session's state and the "Reconnect"/"Disconnect" buttons
 * @csspart screen - the terminal
 * @csspart problem - an error (a 403 names the missing permission)
 * @csspart message - signed-out and no-pod notes
 * @example
 *   <porthole-terminal config="/console/config.json" cluster="prod" namespace="web" pod="web-0" command="bash"></porthole-terminal>
 */
@customElement('porthole-terminal')
export class PortholeTerminalElement extends PortholeElement {
  static override styles = [
    theme,
    streamState,
    xtermStyles,
    css`
      :host {
        --_terminal-background: var(--porthole-terminal-background, #0d1117);
        --_terminal-foreground: var(--porthole-terminal-foreground, #e6edf3);
      }
      .screen {
        height: var(--porthole-terminal-height, 360px);
        padding: var(--_space);
        overflow: hidden;
        border-radius: var(--_radius);
        background: var(--_terminal-background);
      }
      .xterm-host {
        width: 100%;
        height: 100%;
      }
      .screen.failed {
        display: none;
      }
      .problem {
        margin-bottom: var(--_space);
      }
    `,
  ];

  @property() cluster: string | undefined;
  @property() namespace = 'default';
  @property() pod: string | undefined;
  /** The container; default the pod's first (the apiserver's choice). */
  @property() container: string | undefined;
  /**
   * The command: words split at spaces (`sh`, `bash -l`), or a JSON array of them
   * (`["sh", "-c", "exec bash || exec sh"]`). Default `sh`.
   */
  @property() command = 'sh';

  @state() private _screen: Terminal | undefined;
  @query('.xterm-host') private _screenHost!: HTMLElement | null;
  #fit: FitAddon | undefined;
  #resizeObserver: ResizeObserver | undefined;
  #creating = false;
  #announced: string | undefined;

  readonly #session = new ExecSessionController(this, () => {
    const context = this.porthole.context;
    const screen = this._screen;
    if (context === undefined || screen === undefined || !this.cluster || !this.pod)
      return undefined;
    if (context.session !== undefined && context.session.account === undefined) return undefined;
    return [
      {
        client: context.cluster(this.cluster).client,
        namespace: this.namespace,
        pod: this.pod,
        container: this.container,
        command: commandWords(this.command),
        screen,
      },
    ] as const;
  });

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resizeObserver?.disconnect();
    this._screen?.dispose();
    this._screen = undefined;
  }

  /** Puts the keyboard in the terminal. */
  override focus(): void {
    this._screen?.focus();
  }

  protected override updated(): void {
    if (this._screen === undefined && this._screenHost !== null) void this.#createScreen();
    if (this._screen !== undefined && this._screen.element?.isConnected !== true) {
      // The screen's host was re-rendered (signed out and in again): start over.
      this._screen.dispose();
      this._screen = undefined;
    }
    const {status, exitCode, error} = this.#session.state;
    const key = `${status}:${String(exitCode)}`;
    if (key === this.#announced) return;
    this.#announced = key;
    if (status === 'exited') this.emit('porthole-terminal-exit', {code: exitCode});
    if (status === 'error') this.emit('porthole-error', {error});
  }

  protected override render(): TemplateResult {
    const unready = this.renderUnready('Sign in to open a terminal.');
    if (unready !== undefined) return unready;
    if (!this.cluster || !this.pod)
      return html`<p class="message" part="message">Choose a pod to open a terminal in it.</p>`;
    const {status, error} = this.#session.state;
    return html`<div class="toolbar" part="toolbar">
        ${this.#stateView()}
        <span class="spacer"></span>
        ${
          status === 'open'
            ? html`<button @click=${() => this.#session.disconnect()}>Disconnect</button>`
            : nothing
        }
        ${
          status === 'exited' || status === 'error'
            ? html`<button @click=${this._onReconnect}>Reconnect</button>`
            : nothing
        }
      </div>
      ${status === 'error' ? problemView(error, 'Opening a terminal') : nothing}
      <div
        class="screen ${status === 'error' ? 'failed' : ''}"
        part="screen"
        role="group"
        aria-label="Terminal in pod ${this.pod}"
      >
        <div class="xterm-host"></div>
      </div>`;
  }

  #stateView(): TemplateResult {
    const {status, exitCode} = this.#session.state;
    const text =
      status === 'idle'
        ? 'Starting…'
        : status === 'connecting'
          ? 'Connecting…'
          : status === 'open'
            ? `Connected to ${this.pod ?? ''}`
            : status === 'exited'
              ? exitCode === undefined
                ? 'Session ended'
                : `Session ended (exit code ${exitCode})`
              : 'Failed';
    return html`<span class="state ${status}" role="status"
      ><span class="dot" aria-hidden="true"></span>${text}</span
    >`;
  }

  private _onReconnect(): void {
    this.#session.restart();
    this._screen?.focus();
  }

  async #createScreen(): Promise<void> {
    if (this.#creating) return;
    this.#creating = true;
    try {
      // xterm.js is large: it loads when a terminal first shows.
      const [{Terminal}, {FitAddon}] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
      ]);
      const host = this._screenHost;
      if (host === null || !this.isConnected) return;
      const style = getComputedStyle(this);
      const color = (name: string, fallback: string) =>
        style.getPropertyValue(name).trim() || fallback;
      const screen = new Terminal({
        cursorBlink: true,
        fontFamily: color(
          '--porthole-mono-font-family',
          "ui-monospace, 'DejaVu Sans Mono', Menlo, monospace",
        ),
        fontSize: 13,
        scrollback: 5000,
        theme: {
          background: color('--porthole-terminal-background', '#0d1117'),
          foreground: color('--porthole-terminal-foreground', '#e6edf3'),
        },
      });
      const fit = new FitAddon();
      screen.loadAddon(fit);
      screen.open(host);
      fit.fit();
      screen.onResize(({cols, rows}) => {
        this.#session.resize(cols, rows);
      });
      this.#resizeObserver?.disconnect();
      this.#resizeObserver = new ResizeObserver(() => {
        fit.fit();
      });
      this.#resizeObserver.observe(host);
      this.#fit = fit;
      this._screen = screen;
    } finally {
      this.#creating = false;
    }
  }

  /** The fit add-on, for tests and embedders that resize the element themselves. */
  fit(): void {
    this.#fit?.fit();
  }
}

/** `sh -l` → `['sh', '-l']`; a JSON array as it is. */
export function commandWords(command: string): string[] {
  const trimmed = command.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((word) => typeof word === 'string')) return parsed;
    } catch {
      // Not JSON after all: words.
    }
  }
  return trimmed.split(/\s+/).filter((word) => word !== '');
}

declare global {
  interface HTMLElementTagNameMap {
    'porthole-terminal': PortholeTerminalElement;
  }
  interface GlobalEventHandlersEventMap {
    'porthole-terminal-exit': CustomEvent<TerminalExitDetail>;
  }
}

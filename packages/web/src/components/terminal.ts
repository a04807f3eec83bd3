import {css, html, nothing} from 'lit';
import type {TemplateResult} from 'lit';
import {customElement, property, query, state} from 'lit/decorators.js';
import type {FitAddon} from '@xterm/addon-fit';
import type {Terminal} from '@xterm/xterm';

import {ExecSessionController} from '../controllers/exec-session-controller.js';
import {xtermStyles} from '../generated/xterm-css.js';
import {unreachable} from '../lib/unreachable.js';
import {PortholeElement} from './porthole-element.js';
import {problemView} from './problem-view.js';
import {terminalKeyAction} from './terminal-keys.js';
import {streamState, theme} from './theme.js';

/** The toolbar's keyboard hint, which describes the terminal's input (same shadow root). */
const KEYS_HINT_ID = 'keys';

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
 * Keyboard: every key goes to the shell, Tab (completion) and Escape (vi) included, except
 * Ctrl+M, which switches "Tab moves focus" on and off as in VS Code's integrated terminal
 * (Control+Shift+M works too). While it is on, Tab and Shift+Tab move focus out of the
 * terminal like anywhere else in the page, so the terminal is no keyboard trap (WCAG 2.1
 * SC 2.1.2); Ctrl+M again gives Tab back to the shell. The shell never receives Ctrl+M, which
 * is only a carriage return there, the byte Enter sends. The toolbar says which way Tab goes,
 * and the terminal's input describes itself with the same words. The `tab-moves-focus`
 * attribute starts the terminal with it on.
 *
 * Theme it with `--porthole-terminal-background`, `--porthole-terminal-foreground`,
 * `--porthole-terminal-height` (360px) and `--porthole-mono-font-family`.
 *
 * @fires porthole-terminal-exit - the command ended; `detail.code`
 * @fires porthole-error - the session could not open or failed; `detail.error`
 * @csspart toolbar - the session's state, the keyboard hint and the "Reconnect"/"Disconnect"
 *   buttons
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
      .screen:focus-within {
        outline: 2px solid var(--_accent);
        outline-offset: 2px;
      }
      .screen.failed {
        display: none;
      }
      .keys {
        color: var(--_muted);
        font-size: 0.857em;
      }
      .keys kbd {
        padding: 0 4px;
        border: 1px solid var(--_border);
        border-radius: 4px;
        background: var(--_surface);
        font-family: var(--_mono);
        font-size: 0.93em;
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
  /**
   * Whether Tab and Shift+Tab move focus instead of reaching the shell; Ctrl+M in the terminal
   * toggles it. Default off: Tab completes.
   */
  @property({type: Boolean, attribute: 'tab-moves-focus', reflect: true}) tabMovesFocus = false;

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
        ${status === 'error' ? nothing : this.#keysHint()}
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

  /** The words the terminal's input is described by (WCAG 2.1.2 asks to tell the way out). */
  #keysHint(): TemplateResult {
    const ctrlM = html`<kbd>Ctrl</kbd>+<kbd>M</kbd>`;
    return html`<span class="keys" id=${KEYS_HINT_ID} aria-live="polite"
      >${
        this.tabMovesFocus
          ? html`<kbd>Tab</kbd> moves focus; ${ctrlM} gives Tab back to the shell`
          : html`${ctrlM}, then <kbd>Tab</kbd>, leaves the terminal`
      }</span
    >`;
  }

  /** xterm.js's custom key handler: `false` keeps a key from the shell. */
  #onScreenKey(event: KeyboardEvent): boolean {
    const action = terminalKeyAction(event, this.tabMovesFocus);
    switch (action) {
      case 'shell':
        return true;
      case 'move-focus':
        // Not cancelled: the browser's sequential focus navigation leaves the textarea.
        return false;
      case 'toggle-tab-focus':
        this.tabMovesFocus = !this.tabMovesFocus;
        event.preventDefault();
        return false;
      case 'swallow':
        event.preventDefault();
        return false;
      default:
        return unreachable(action);
    }
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
      screen.attachCustomKeyEventHandler((event) => this.#onScreenKey(event));
      screen.open(host);
      screen.textarea?.setAttribute('aria-describedby', KEYS_HINT_ID);
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

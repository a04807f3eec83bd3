import type {ReactiveController, ReactiveControllerHost} from 'lit';

/** What a {@link LoadController} shows: the last value stays while a reload runs. */
export interface LoadState<T> {
  status: 'idle' | 'loading' | 'ready' | 'error';
  value: T | undefined;
  error: unknown;
  /** A reload (a poll, or new arguments) is running. */
  refreshing: boolean;
}

/** What to load, from what, and how often. */
export interface LoadOptions<T, A extends readonly unknown[]> {
  /** The inputs; `undefined` while they are not all known (nothing loads). A change reloads. */
  args: () => A | undefined;
  load: (args: A, signal: AbortSignal) => Promise<T>;
  /** Load again this often while the host is connected; `undefined`: once. */
  intervalMs?: () => number | undefined;
}

/**
 * Loads data for an element when its inputs change, and polls it while the element is in
 * the page: the lifecycle lives here, not in `render()`. A reload keeps showing the last value
 * (no layout jump); a new set of inputs clears it.
 */
export class LoadController<T, A extends readonly unknown[]> implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #options: LoadOptions<T, A>;
  #state: LoadState<T> = {status: 'idle', value: undefined, error: undefined, refreshing: false};
  #args: A | undefined;
  #abort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connected = false;

  constructor(host: ReactiveControllerHost, options: LoadOptions<T, A>) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  get state(): LoadState<T> {
    return this.#state;
  }

  hostConnected(): void {
    this.#connected = true;
    this.#args = undefined;
  }

  hostUpdated(): void {
    const args = this.#options.args();
    if (args === undefined) {
      if (this.#args !== undefined) this.#reset();
      return;
    }
    if (this.#args !== undefined && sameArgs(args, this.#args)) return;
    this.#args = args;
    void this.#run(true);
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#reset();
  }

  /** Loads again now, keeping the value shown meanwhile. */
  refresh(): Promise<void> {
    return this.#run(false);
  }

  #reset(): void {
    this.#abort?.abort();
    clearTimeout(this.#timer);
    this.#args = undefined;
    this.#state = {status: 'idle', value: undefined, error: undefined, refreshing: false};
  }

  async #run(fresh: boolean): Promise<void> {
    const args = this.#args;
    if (args === undefined || !this.#connected) return;
    this.#abort?.abort();
    clearTimeout(this.#timer);
    const abort = new AbortController();
    this.#abort = abort;
    this.#state = fresh
      ? {status: 'loading', value: undefined, error: undefined, refreshing: false}
      : {...this.#state, refreshing: true};
    this.#host.requestUpdate();
    try {
      const value = await this.#options.load(args, abort.signal);
      if (abort.signal.aborted) return;
      this.#state = {status: 'ready', value, error: undefined, refreshing: false};
    } catch (error) {
      if (abort.signal.aborted) return;
      // A failed poll keeps the last value on screen, beside the error.
      this.#state = {status: 'error', value: this.#state.value, error, refreshing: false};
    }
    this.#host.requestUpdate();
    const interval = this.#options.intervalMs?.();
    if (interval !== undefined) this.#timer = setTimeout(() => void this.#run(false), interval);
  }
}

/** Whether two argument lists hold the same values (`Object.is`, element by element). */
export function sameArgs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, index) => Object.is(value, b[index]));
}

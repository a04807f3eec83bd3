import type {ReactiveController, ReactiveControllerHost} from 'lit';

/**
 * Re-renders its host every `intervalMs` while it is in the page, so that ages ("3m") and
 * "last seen" times stay true without reloading anything.
 */
export class ClockController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(host: ReactiveControllerHost, intervalMs = 10_000) {
    this.#host = host;
    this.#intervalMs = intervalMs;
    host.addController(this);
  }

  /** The time to render with. */
  get now(): number {
    return Date.now();
  }

  hostConnected(): void {
    this.#timer = setInterval(() => {
      this.#host.requestUpdate();
    }, this.#intervalMs);
  }

  hostDisconnected(): void {
    clearInterval(this.#timer);
  }
}

/** Reconnection delays: exponential from `initialMs`, capped, with full jitter. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A number in [0, 1); injected for tests. */
  random?: () => number;
}

/** The agent's schedule: 100 ms, doubling, at most 30 s. */
export const AGENT_BACKOFF: BackoffOptions = {initialMs: 100, maxMs: 30_000};

/**
 * Exponential backoff with full jitter (each delay uniform in [0, cap)), so that agents cut
 * off by the same relay restart do not all return in the same instant.
 */
export class Backoff {
  readonly #options: BackoffOptions;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** The delay before the next attempt; each call moves one step up the schedule. */
  next(): number {
    const cap = Math.min(this.#options.maxMs, this.#options.initialMs * 2 ** this.#attempt);
    this.#attempt++;
    return Math.floor((this.#options.random ?? Math.random)() * cap);
  }

  /** Back to the first step, after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}

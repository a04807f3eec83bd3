import type {ReactiveController, ReactiveControllerHost} from 'lit';

import {ChangedArgs} from './changed-args.js';

/**
 * What the watch, log and exec controllers share: something started for a target — a watch,
 * a stream, a session — while the host is in the page, started again when the target (or
 * anything listed after it) changes, and stopped when the host leaves.
 */
export abstract class TargetController<T> implements ReactiveController {
  protected readonly host: ReactiveControllerHost;
  readonly #target: () => readonly [T, ...unknown[]] | undefined;
  readonly #values: (target: T) => readonly unknown[];
  readonly #args = new ChangedArgs();
  #connected = false;

  /**
   * @param target the target, followed by anything else whose change starts it again;
   *   `undefined` while unknown
   * @param values the parts of a target that, changed, start it again
   */
  constructor(
    host: ReactiveControllerHost,
    target: () => readonly [T, ...unknown[]] | undefined,
    values: (target: T) => readonly unknown[],
  ) {
    this.host = host;
    this.#target = target;
    this.#values = values;
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    this.#args.forget();
  }

  hostUpdated(): void {
    const target = this.#target();
    const flat = target && [...this.#values(target[0]), ...target.slice(1)];
    if (!this.#args.changed(flat)) return;
    this.startAgain();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.stop();
    this.#args.forget();
  }

  /** Stops what runs and starts it afresh for the current target. */
  protected startAgain(): void {
    this.stop();
    this.start(this.#connected ? this.#target()?.[0] : undefined);
  }

  /** Starts for a target (what ran is stopped already); `undefined`: none, or not in the page. */
  protected abstract start(target: T | undefined): void;

  /** Stops what runs, if anything. */
  protected abstract stop(): void;
}

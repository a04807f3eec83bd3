import type {ReactiveController, ReactiveControllerHost} from 'lit';

import type {SettingsSource} from '../config/porthole-settings.js';
import {PortholeContext} from '../context/porthole-context.js';

/** Where an element's context stands. */
export type ContextState =
  | {status: 'loading'}
  | {status: 'ready'; context: PortholeContext}
  | {status: 'error'; error: unknown};

/** An element that acts against a relay: its settings, or a context handed to it. */
export interface ContextHost extends ReactiveControllerHost {
  /** A context set from outside (the console hands its own to each page). */
  context: PortholeContext | undefined;
  settingsSource(): SettingsSource & {redirectUri?: string | undefined};
}

/**
 * Finds an element's {@link PortholeContext} — the one set on it, or the page's one for its
 * settings attributes — and re-renders the element whenever the sign-in changes.
 */
export class ContextController implements ReactiveController {
  readonly #host: ContextHost;
  #state: ContextState = {status: 'loading'};
  #key: string | undefined;
  #subscribed: PortholeContext | undefined;
  readonly #onChange = () => {
    this.#host.requestUpdate();
  };

  constructor(host: ContextHost) {
    this.#host = host;
    host.addController(this);
  }

  get state(): ContextState {
    return this.#state;
  }

  /** The context once ready. */
  get context(): PortholeContext | undefined {
    return this.#state.status === 'ready' ? this.#state.context : undefined;
  }

  hostConnected(): void {
    this.#resolve();
  }

  hostUpdate(): void {
    this.#resolve();
  }

  hostDisconnected(): void {
    this.#subscribe(undefined);
  }

  #resolve(): void {
    const given = this.#host.context;
    if (given !== undefined) {
      if (this.context !== given) this.#ready(given);
      this.#key = undefined;
      return;
    }
    const source = this.#host.settingsSource();
    const key = JSON.stringify(source);
    if (key === this.#key) return;
    this.#key = key;
    this.#state = {status: 'loading'};
    PortholeContext.resolve(source).then(
      (context) => {
        if (this.#key === key) this.#ready(context);
      },
      (error: unknown) => {
        if (this.#key !== key) return;
        this.#state = {status: 'error', error};
        this.#host.requestUpdate();
      },
    );
  }

  #ready(context: PortholeContext): void {
    this.#state = {status: 'ready', context};
    this.#subscribe(context);
    this.#host.requestUpdate();
  }

  #subscribe(context: PortholeContext | undefined): void {
    this.#subscribed?.session?.removeEventListener('change', this.#onChange);
    this.#subscribed = context;
    context?.session?.addEventListener('change', this.#onChange);
  }
}

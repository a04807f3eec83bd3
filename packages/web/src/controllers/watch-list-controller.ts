import type {ReactiveControllerHost} from 'lit';

import type {KubeClient, KubeObject, ResourceRef} from '@porthole/core/kube';

import {TargetController} from './target-controller.js';

/** What a {@link WatchListController} shows. */
export interface WatchListState<T> {
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** Sorted by namespace, then name. Kept through errors and relists. */
  items: T[];
  error: unknown;
  /** A watch is open: changes appear as they happen. */
  live: boolean;
}

/** What to watch. */
export interface WatchTarget {
  client: KubeClient;
  ref: ResourceRef;
  fieldSelector?: string;
}

/** After an error, wait this long before listing again, doubling up to the maximum. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** The server ends each watch after this long; the controller then lists and watches again. */
const WATCH_TIMEOUT_SECONDS = 300;

/**
 * Keeps a live list of Kubernetes objects for an element: list, then watch from the list's
 * resource version, applying each event; when the watch ends (its timeout, a 410 Gone) it
 * lists again, and after an error it retries with backoff. The watch closes when the element
 * leaves the page or its target changes.
 */
export class WatchListController<T extends KubeObject> extends TargetController<WatchTarget> {
  #state: WatchListState<T> = {status: 'idle', items: [], error: undefined, live: false};
  #abort: AbortController | undefined;

  /**
   * @param target the client and resource, followed by anything else that should restart the
   *   watch when it changes; `undefined` while unknown
   */
  constructor(
    host: ReactiveControllerHost,
    target: () => readonly [WatchTarget, ...unknown[]] | undefined,
  ) {
    super(host, target, watchTargetValues);
  }

  get state(): WatchListState<T> {
    return this.#state;
  }

  protected start(target: WatchTarget | undefined): void {
    if (target === undefined) {
      this.#state = {status: 'idle', items: [], error: undefined, live: false};
      return;
    }
    this.#state = {status: 'loading', items: [], error: undefined, live: false};
    const abort = new AbortController();
    this.#abort = abort;
    void this.#loop(target, abort.signal);
    this.host.requestUpdate();
  }

  protected stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
  }

  #set(state: Partial<WatchListState<T>>): void {
    this.#state = {...this.#state, ...state};
    this.host.requestUpdate();
  }

  async #loop(target: WatchTarget, signal: AbortSignal): Promise<void> {
    const {client, ref, fieldSelector} = target;
    const selector = fieldSelector === undefined ? {} : {fieldSelector};
    const items = new Map<string, T>();
    const publish = (state: Partial<WatchListState<T>>) => {
      this.#set({...state, items: [...items.values()].sort(byNamespaceAndName)});
    };
    let retryMs = RETRY_MIN_MS;
    // A function, not the property: TypeScript would keep `signal.aborted` false across awaits.
    const stopped = () => signal.aborted;
    while (!stopped()) {
      try {
        const list = await client.list<T>(ref, {...selector, signal});
        items.clear();
        for (const item of list.items) items.set(keyOf(item), item);
        publish({status: 'ready', error: undefined, live: false});
        const watch = await client.watch<T>(ref, {
          ...selector,
          ...(list.metadata.resourceVersion === undefined
            ? {}
            : {resourceVersion: list.metadata.resourceVersion}),
          allowWatchBookmarks: true,
          timeoutSeconds: WATCH_TIMEOUT_SECONDS,
          signal,
        });
        const close = () => void watch.close();
        signal.addEventListener('abort', close);
        this.#set({live: true});
        retryMs = RETRY_MIN_MS;
        try {
          for await (const event of watch) {
            if (event.type === 'ADDED' || event.type === 'MODIFIED')
              items.set(keyOf(event.object), event.object);
            else if (event.type === 'DELETED') items.delete(keyOf(event.object));
            else if (event.type === 'ERROR')
              break; // 410 Gone: list again
            else continue;
            publish({});
          }
        } finally {
          signal.removeEventListener('abort', close);
          await watch.close();
        }
        if (!stopped()) this.#set({live: false});
      } catch (error) {
        if (stopped()) return;
        publish({status: 'error', error, live: false});
        await delay(retryMs, signal);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  return keyOf(a).localeCompare(keyOf(b));
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, {once: true});
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function watchTargetValues(target: WatchTarget): unknown[] {
  const {client, ref, fieldSelector} = target;
  return [client, ref.apiVersion, ref.resource, ref.namespace, fieldSelector];
}

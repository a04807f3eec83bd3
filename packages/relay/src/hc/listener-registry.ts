/** What the registry needs to know of a listener connection. */
export interface Listener {
  readonly trackingId: string;
  /** A draining listener (mux GOAWAY) gets no new work but keeps what it has. */
  readonly draining: boolean;
}

/**
 * The listeners of each hybrid connection, up to a limit, picked round-robin among those of
 * the wanted kind that are not draining (hybrid-connections.md §1.1: "balanced").
 */
export class ListenerRegistry<L extends Listener> {
  readonly #byEntity = new Map<string, {listeners: L[]; next: number}>();

  count(entity: string): number {
    return this.#byEntity.get(entity)?.listeners.length ?? 0;
  }

  all(entity: string): readonly L[] {
    return this.#byEntity.get(entity)?.listeners ?? [];
  }

  entities(): string[] {
    return [...this.#byEntity.keys()];
  }

  add(entity: string, listener: L): void {
    const entry = this.#byEntity.get(entity);
    if (entry) entry.listeners.push(listener);
    else this.#byEntity.set(entity, {listeners: [listener], next: 0});
  }

  remove(entity: string, listener: L): void {
    const entry = this.#byEntity.get(entity);
    if (!entry) return;
    entry.listeners = entry.listeners.filter((candidate) => candidate !== listener);
    if (entry.listeners.length === 0) this.#byEntity.delete(entity);
  }

  /** The next listener of the wanted kind for `entity` that takes new work, or `undefined`. */
  pick<K extends L>(entity: string, wanted: (listener: L) => listener is K): K | undefined {
    const entry = this.#byEntity.get(entity);
    if (!entry) return undefined;
    const {listeners} = entry;
    for (let i = 0; i < listeners.length; i++) {
      const index = (entry.next + i) % listeners.length;
      const candidate = listeners[index];
      if (candidate && wanted(candidate) && !candidate.draining) {
        entry.next = index + 1;
        return candidate;
      }
    }
    return undefined;
  }
}

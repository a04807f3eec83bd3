import type {Adapter, AdapterPayload} from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Milliseconds since the epoch; `Infinity` for artifacts without expiry. */
  expiresAt: number;
}

/**
 * oidc-provider's storage (sessions, interactions, grants, codes, refresh tokens) in memory,
 * one store per identity provider. oidc-provider's own memory adapter shares one module-wide
 * cache of 1,000 entries between every provider in the process; this one is per instance, so
 * a key rotation can hand the same store to the new provider, and is bounded by
 * `maxStoredArtifacts`, dropping the oldest first.
 */
export class ArtifactStore {
  readonly #entries = new Map<string, Entry>();
  /** Session `uid` → entry key. */
  readonly #sessionUids = new Map<string, string>();
  /** Device flow `userCode` → entry key. */
  readonly #userCodes = new Map<string, string>();
  /** Grant id → keys of the artifacts issued under it, for `revokeByGrantId`. */
  readonly #grants = new Map<string, Set<string>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  /** @param maxEntries artifacts held at once; the oldest go first beyond */
  constructor(maxEntries: number, now: () => number = Date.now) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** Artifacts held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  /** The oidc-provider adapter for one model (`Session`, `Grant`, `RefreshToken`, …). */
  adapter(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: (id, payload, expiresIn) => {
        this.#set(key(id), payload, expiresIn);
        return Promise.resolve();
      },
      find: (id) => Promise.resolve(this.#get(key(id))),
      findByUid: (uid) => Promise.resolve(this.#getIndexed(this.#sessionUids, uid)),
      findByUserCode: (userCode) => Promise.resolve(this.#getIndexed(this.#userCodes, userCode)),
      consume: (id) => {
        const payload = this.#get(key(id));
        if (payload) payload.consumed = Math.floor(this.#now() / 1000);
        return Promise.resolve();
      },
      destroy: (id) => {
        this.#delete(key(id));
        return Promise.resolve();
      },
      revokeByGrantId: (grantId) => {
        for (const entryKey of this.#grants.get(grantId) ?? []) this.#delete(entryKey);
        this.#grants.delete(grantId);
        return Promise.resolve();
      },
    };
  }

  #set(entryKey: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    this.#delete(entryKey);
    const expiresAt = expiresIn === undefined ? Infinity : this.#now() + expiresIn * 1000;
    this.#entries.set(entryKey, {payload, expiresAt});
    if (entryKey.startsWith('Session:') && typeof payload.uid === 'string') {
      this.#sessionUids.set(payload.uid, entryKey);
    }
    if (typeof payload.userCode === 'string') this.#userCodes.set(payload.userCode, entryKey);
    if (typeof payload.grantId === 'string') {
      const members = this.#grants.get(payload.grantId) ?? new Set<string>();
      members.add(entryKey);
      this.#grants.set(payload.grantId, members);
    }
    if (this.#entries.size > this.#maxEntries) this.#evict();
  }

  #getIndexed(index: ReadonlyMap<string, string>, value: string): AdapterPayload | undefined {
    const entryKey = index.get(value);
    return entryKey === undefined ? undefined : this.#get(entryKey);
  }

  #get(entryKey: string): AdapterPayload | undefined {
    const entry = this.#entries.get(entryKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#delete(entryKey);
      return undefined;
    }
    return entry.payload;
  }

  #delete(entryKey: string): void {
    const entry = this.#entries.get(entryKey);
    if (!entry) return;
    this.#entries.delete(entryKey);
    const {uid, userCode, grantId} = entry.payload;
    if (typeof uid === 'string' && this.#sessionUids.get(uid) === entryKey) {
      this.#sessionUids.delete(uid);
    }
    if (typeof userCode === 'string' && this.#userCodes.get(userCode) === entryKey) {
      this.#userCodes.delete(userCode);
    }
    if (typeof grantId === 'string') {
      const members = this.#grants.get(grantId);
      members?.delete(entryKey);
      if (members?.size === 0) this.#grants.delete(grantId);
    }
  }

  /** Expired artifacts first; if that is not enough, the oldest written. */
  #evict(): void {
    const now = this.#now();
    for (const [entryKey, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#delete(entryKey);
    }
    for (const entryKey of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#delete(entryKey);
    }
  }
}

import {
  COMMON_STORE_OPTION_NAMES,
  type CommonStoreOptions,
  checkOptionNames,
  type RecordKey,
  type RecordWrite,
  type Session,
  SessionStoreBase,
  type SessionStoreError,
  type StoredRecord,
  type StoredSession,
} from '@sessionstore/core';

/** Options for {@link KeyValueSessionStore}. */
export interface KeyValueSessionStoreOptions extends CommonStoreOptions {
  /**
   * The key-value backend: a `Map` of strings. One the application passes in is left as it
   * is by `close()`; without one, the store makes its own and empties it on `close()`.
   */
  map?: Map<string, string> | undefined;
  /** How often expired sessions are swept, in ms. Defaults to 60,000; `0` turns it off. */
  pruneIntervalMs?: number | undefined;
}

/**
 * Every option name {@link KeyValueSessionStoreOptions} declares: the common ones from core
 * and this store's own. The constructor rejects any other, so a misspelled `map` fails
 * instead of leaving the store on a private backend.
 */
export const OPTION_NAMES = [
  ...COMMON_STORE_OPTION_NAMES,
  'map',
] as const satisfies readonly (keyof KeyValueSessionStoreOptions)[];

/** What one session key holds, as JSON text. */
export interface StoredEntry {
  /** The encoded (and, with `signingSecret`, signed) session text from core. */
  record: string;
  expiresAtMs: number;
  lockVersion: number | null;
}

const STORE = 'example-session-store';
const SESSION_PREFIX = 'session:';
const USER_PREFIX = 'user:';

/**
 * The key of one session. The two ids go in as a JSON array, so no pair of ids can spell
 * the key of another pair: joining them with a separator would make user `a:b` with
 * session `c` and user `a` with session `b:c` the same key.
 */
export function sessionKey(userKey: string, sessionId: string): string {
  return `${SESSION_PREFIX}${JSON.stringify([userKey, sessionId])}`;
}

/** The key of a user's index: a JSON array of the user's session ids. */
export function userIndexKey(userKey: string): string {
  return `${USER_PREFIX}${JSON.stringify(userKey)}`;
}

/**
 * A session store over a string key-value backend (a `Map` here), laid out the way a store
 * over Redis or a similar service would be: one key per session, holding its record and
 * expiry, and one index key per user listing the user's session ids, for `getAll` and
 * `deleteAll`.
 *
 * It is written the way a third party would write an adapter: it extends core's
 * `SessionStoreBase`, which validates arguments, encodes and signs sessions, applies the
 * clock, reports unreadable records and handles `close()`; this class only moves records
 * in and out of the backend and keeps the index in step with them.
 *
 * Each method below runs without an `await`, so it completes before any other call starts:
 * that is what makes the compare-and-set of `writeRecord` atomic. A store over a networked
 * backend must get the same guarantee from the backend (a transaction, a script, a
 * conditional write), never from a read followed by a write.
 *
 * @example
 * ```ts
 * type DeviceSession = { id: string; userId: number; device: string };
 *
 * const store = new KeyValueSessionStore<DeviceSession>();
 * await store.upsert({ id: 'sid-1', userId: 42, device: 'laptop' }, 3600);
 * ```
 */
export class KeyValueSessionStore<S extends StoredSession = Session> extends SessionStoreBase<S> {
  readonly #map: Map<string, string>;
  readonly #ownsMap: boolean;

  /**
   * @param options - the backend and the common options; all optional.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an unknown option name or an
   *   invalid common option.
   */
  constructor(options: KeyValueSessionStoreOptions = {}) {
    // First, before any option is used: core's check names the unknown option and suggests
    // the one meant.
    checkOptionNames(options, OPTION_NAMES, { store: STORE, method: 'the constructor' });
    super(options, {
      store: STORE,
      pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
    });
    this.#ownsMap = options.map === undefined;
    this.#map = options.map ?? new Map();
    this.startPruneTimer();
  }

  /** The backend: for inspection and tests. What is written into it bypasses the store. */
  get map(): Map<string, string> {
    return this.#map;
  }

  protected override async readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    const entry = this.#entry(key.userKey, key.sessionId);
    return entry !== null && nowMs < entry.expiresAtMs ? entry.record : null;
  }

  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    const existing = this.#entry(write.userKey, write.sessionId);
    const live = existing !== null && write.nowMs < existing.expiresAtMs ? existing : null;
    const expected = write.expectedLockVersion;

    if (expected === 0 && live !== null) {
      return false;
    }
    if (expected !== undefined && expected > 0 && live?.lockVersion !== expected) {
      return false;
    }

    const entry: StoredEntry = {
      record: write.record,
      expiresAtMs: write.expiresAtMs,
      lockVersion: write.lockVersion,
    };
    this.#map.set(sessionKey(write.userKey, write.sessionId), JSON.stringify(entry));
    const { index } = this.#dropExpired(write.userKey, write.nowMs);
    this.#saveIndex(write.userKey, index.add(write.sessionId));
    return true;
  }

  protected override async deleteRecord(key: RecordKey): Promise<void> {
    this.#map.delete(sessionKey(key.userKey, key.sessionId));
    const index = this.#readIndex(key.userKey);
    index.delete(key.sessionId);
    this.#saveIndex(key.userKey, index);
  }

  protected override async readUserRecords(
    userKey: string,
    nowMs: number,
  ): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    for (const sessionId of this.#readIndex(userKey)) {
      const entry = this.#entry(userKey, sessionId);
      if (entry !== null && nowMs < entry.expiresAtMs) {
        records.push({ sessionId, record: entry.record });
      }
    }
    return records;
  }

  protected override async deleteUserRecords(userKey: string): Promise<void> {
    for (const sessionId of this.#readIndex(userKey)) {
      this.#map.delete(sessionKey(userKey, sessionId));
    }
    this.#map.delete(userIndexKey(userKey));
  }

  protected override async pruneExpired(nowMs: number): Promise<number> {
    let removed = 0;
    for (const key of [...this.#map.keys()]) {
      if (key.startsWith(USER_PREFIX)) {
        const userKey = JSON.parse(key.slice(USER_PREFIX.length)) as string;
        const dropped = this.#dropExpired(userKey, nowMs);
        this.#saveIndex(userKey, dropped.index);
        removed += dropped.removed;
      }
    }
    return removed;
  }

  protected override async closeBackend(): Promise<void> {
    if (this.#ownsMap) {
      this.#map.clear();
    }
  }

  /** The stored entry of one session, live or not; `null` when absent or unreadable. */
  #entry(userKey: string, sessionId: string): StoredEntry | null {
    const text = this.#map.get(sessionKey(userKey, sessionId));
    if (text === undefined) {
      return null;
    }

    try {
      return JSON.parse(text) as StoredEntry;
    } catch {
      // Not an entry this store wrote. Returning the raw text as the record lets the base
      // class report it as corrupt; it never expires on its own, so prune leaves it.
      return { record: text, expiresAtMs: Number.POSITIVE_INFINITY, lockVersion: null };
    }
  }

  #readIndex(userKey: string): Set<string> {
    const text = this.#map.get(userIndexKey(userKey));
    return new Set(text === undefined ? [] : (JSON.parse(text) as string[]));
  }

  /**
   * Deletes the user's expired sessions and returns the index without them (or any id
   * whose key is gone), so neither the keys nor the index grow past the user's live
   * sessions plus the ones written since. The caller saves the index.
   */
  #dropExpired(userKey: string, nowMs: number): { index: Set<string>; removed: number } {
    const index = this.#readIndex(userKey);
    let removed = 0;
    for (const sessionId of index) {
      const entry = this.#entry(userKey, sessionId);
      if (entry !== null && entry.expiresAtMs <= nowMs) {
        this.#map.delete(sessionKey(userKey, sessionId));
        removed++;
      }
      if (entry === null || entry.expiresAtMs <= nowMs) {
        index.delete(sessionId);
      }
    }
    return { index, removed };
  }

  #saveIndex(userKey: string, index: Set<string>): void {
    if (index.size === 0) {
      this.#map.delete(userIndexKey(userKey));
    } else {
      this.#map.set(userIndexKey(userKey), JSON.stringify([...index]));
    }
  }
}

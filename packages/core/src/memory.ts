import {
  COMMON_STORE_OPTION_NAMES,
  type RecordKey,
  type RecordWrite,
  SessionStoreBase,
  type StoredRecord,
} from './store-base.js';
import type { CommonStoreOptions, Session, StoredSession } from './types.js';
import { checkOptionNames } from './validate.js';

const STORE = '@sessionstore/core';

/** Options for {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions extends CommonStoreOptions {
  /** How often expired sessions are swept, in ms. Defaults to 60,000; `0` turns it off. */
  pruneIntervalMs?: number | undefined;
}

interface Entry {
  record: string;
  expiresAtMs: number;
  lockVersion: number | null;
}

/**
 * The reference store: every behaviour of the contract, held in this process's memory.
 * Use it in tests and single-process tools; sessions do not survive a restart.
 *
 * @example
 * ```ts
 * import { MemorySessionStore } from '@sessionstore/core';
 *
 * const store = new MemorySessionStore();
 * await store.upsert({ id: 'sid-1', userId: 42, device: 'laptop' }, 3600);
 * const session = await store.get('sid-1', 42);
 * ```
 */
export class MemorySessionStore<S extends StoredSession = Session> extends SessionStoreBase<S> {
  readonly #users = new Map<string, Map<string, Entry>>();

  /**
   * @param options - see {@link MemorySessionStoreOptions}; all optional.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an unknown or invalid option.
   */
  constructor(options: MemorySessionStoreOptions = {}) {
    checkOptionNames(options, COMMON_STORE_OPTION_NAMES, {
      store: STORE,
      method: 'the constructor',
    });
    super(options, {
      store: STORE,
      pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
    });
    this.startPruneTimer();
  }

  /** How many entries are held, expired or not: for tests of cleanup. */
  get size(): number {
    let count = 0;
    for (const sessions of this.#users.values()) {
      count += sessions.size;
    }
    return count;
  }

  protected override async readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    const entry = this.#users.get(key.userKey)?.get(key.sessionId);
    return entry !== undefined && nowMs < entry.expiresAtMs ? entry.record : null;
  }

  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    const sessions = this.#users.get(write.userKey) ?? new Map<string, Entry>();
    const existing = sessions.get(write.sessionId);
    const live =
      existing !== undefined && write.nowMs < existing.expiresAtMs ? existing : undefined;

    if (write.expectedLockVersion === 0 && live !== undefined) {
      return false;
    }
    if (write.expectedLockVersion !== undefined && write.expectedLockVersion > 0) {
      if (live === undefined || live.lockVersion !== write.expectedLockVersion) {
        return false;
      }
    }

    sessions.set(write.sessionId, {
      record: write.record,
      expiresAtMs: write.expiresAtMs,
      lockVersion: write.lockVersion,
    });
    this.#users.set(write.userKey, sessions);
    return true;
  }

  protected override async deleteRecord(key: RecordKey): Promise<void> {
    const sessions = this.#users.get(key.userKey);
    sessions?.delete(key.sessionId);
    if (sessions?.size === 0) {
      this.#users.delete(key.userKey);
    }
  }

  protected override async readUserRecords(
    userKey: string,
    nowMs: number,
  ): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    for (const [sessionId, entry] of this.#users.get(userKey) ?? []) {
      if (nowMs < entry.expiresAtMs) {
        records.push({ sessionId, record: entry.record });
      }
    }
    return records;
  }

  protected override async deleteUserRecords(userKey: string): Promise<void> {
    this.#users.delete(userKey);
  }

  protected override async pruneExpired(nowMs: number): Promise<number> {
    let removed = 0;
    for (const [userKey, sessions] of this.#users) {
      for (const [sessionId, entry] of sessions) {
        if (entry.expiresAtMs <= nowMs) {
          sessions.delete(sessionId);
          removed++;
        }
      }
      if (sessions.size === 0) {
        this.#users.delete(userKey);
      }
    }
    return removed;
  }

  protected override async closeBackend(): Promise<void> {
    this.#users.clear();
  }
}

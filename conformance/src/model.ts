import type { StoredSession, UserId } from '@sessionstore/core';

interface ModelEntry {
  session: StoredSession;
  expiresAtMs: number;
}

/** What {@link ReferenceModel.upsert} says a store must do. */
export type ModelUpsertOutcome = 'written' | 'CONFLICT';

/**
 * The contract as a plain in-memory model, without validation or encoding: what a correct
 * store returns for a sequence of valid calls. Cases compare a store with it step by step.
 */
export class ReferenceModel {
  readonly #users = new Map<string, Map<string, ModelEntry>>();
  readonly #clock: () => number;

  /** @param clock - the same clock the store under test uses. */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** The canonical form of a user id: its decimal string, or the string itself. */
  static userKey(userId: UserId): string {
    return typeof userId === 'string' ? userId : userId.toString();
  }

  get(sessionId: string, userId: UserId): StoredSession | null {
    return this.#live(ReferenceModel.userKey(userId), sessionId)?.session ?? null;
  }

  upsert(session: StoredSession, ttlSeconds: number): ModelUpsertOutcome {
    const userKey = ReferenceModel.userKey(session.userId);
    const live = this.#live(userKey, session.id);
    const expected = session.lockVersion;

    if (expected === 0 && live !== undefined) {
      return 'CONFLICT';
    }
    if (expected !== undefined && expected > 0 && live?.session.lockVersion !== expected) {
      return 'CONFLICT';
    }

    const stored =
      expected === undefined ? { ...session } : { ...session, lockVersion: expected + 1 };
    const sessions = this.#users.get(userKey) ?? new Map<string, ModelEntry>();
    sessions.set(session.id, { session: stored, expiresAtMs: this.#clock() + ttlSeconds * 1000 });
    this.#users.set(userKey, sessions);
    return 'written';
  }

  delete(sessionId: string, userId: UserId): void {
    this.#users.get(ReferenceModel.userKey(userId))?.delete(sessionId);
  }

  getAll(userId: UserId): StoredSession[] {
    const nowMs = this.#clock();
    const sessions = this.#users.get(ReferenceModel.userKey(userId)) ?? new Map();
    return [...sessions.values()]
      .filter((entry) => nowMs < entry.expiresAtMs)
      .map((entry) => entry.session);
  }

  deleteAll(userId: UserId): void {
    this.#users.delete(ReferenceModel.userKey(userId));
  }

  /** Removes expired entries and returns how many there were. */
  prune(): number {
    const nowMs = this.#clock();
    let removed = 0;
    for (const sessions of this.#users.values()) {
      for (const [sessionId, entry] of sessions) {
        if (entry.expiresAtMs <= nowMs) {
          sessions.delete(sessionId);
          removed++;
        }
      }
    }
    return removed;
  }

  /** The live copy's lock version, `null` for a copy without one, `undefined` when none. */
  lockVersionOf(sessionId: string, userId: UserId): number | null | undefined {
    const live = this.#live(ReferenceModel.userKey(userId), sessionId);
    return live === undefined ? undefined : (live.session.lockVersion ?? null);
  }

  /**
   * The expiry instants of the live entries, in ms, ascending and without repeats: where a
   * clock step lands exactly on (or just before) the moment a session expires.
   */
  liveExpiries(): number[] {
    const instants = new Set(this.liveEntries().map((entry) => entry.expiresAtMs));
    return [...instants].sort((a, b) => a - b);
  }

  /** The live entries: each session with its expiry instant, in ms. */
  liveEntries(): { session: StoredSession; expiresAtMs: number }[] {
    const nowMs = this.#clock();
    const entries: { session: StoredSession; expiresAtMs: number }[] = [];
    for (const sessions of this.#users.values()) {
      for (const { session, expiresAtMs } of sessions.values()) {
        if (nowMs < expiresAtMs) entries.push({ session, expiresAtMs });
      }
    }
    return entries;
  }

  /** An independent copy on the same clock, to try one order of a batch of calls on. */
  clone(): ReferenceModel {
    const copy = new ReferenceModel(this.#clock);
    for (const [userKey, sessions] of this.#users) {
      copy.#users.set(userKey, new Map(sessions));
    }
    return copy;
  }

  /**
   * A text that two models share exactly when their live entries are the same: the same
   * sessions, with the same expiry. Expired entries are left out, since no call but prune()
   * can tell them apart (see {@link ReferenceModel.absorbExpired}). Sessions are compared by
   * their JSON text, with bigints tagged apart from strings; that serves the plain sessions
   * the cases build.
   */
  liveFingerprint(): string {
    const nowMs = this.#clock();
    const parts: string[] = [];
    for (const [userKey, sessions] of this.#users) {
      for (const [sessionId, entry] of sessions) {
        if (nowMs >= entry.expiresAtMs) continue;
        parts.push(
          JSON.stringify([userKey, sessionId, entry.expiresAtMs, entry.session], (_key, value) =>
            typeof value === 'bigint' ? { bigint: `${value}` } : value,
          ),
        );
      }
    }
    return parts.sort().join('\n');
  }

  /**
   * Takes in the expired entries of `other` under keys this model does not hold, so that one
   * model stands for several whose live entries are equal. Expired entries are never live
   * again, and delete, deleteAll and upsert treat one alike whatever it holds, so the merged
   * model answers every call as each of them would, except that prune() may count more: a
   * check against it is never stricter than against any of them.
   */
  absorbExpired(other: ReferenceModel): void {
    const nowMs = this.#clock();
    for (const [userKey, sessions] of other.#users) {
      for (const [sessionId, entry] of sessions) {
        if (nowMs < entry.expiresAtMs || this.#users.get(userKey)?.has(sessionId)) continue;
        const own = this.#users.get(userKey) ?? new Map<string, ModelEntry>();
        own.set(sessionId, entry);
        this.#users.set(userKey, own);
      }
    }
  }

  #live(userKey: string, sessionId: string): ModelEntry | undefined {
    const entry = this.#users.get(userKey)?.get(sessionId);
    return entry !== undefined && this.#clock() < entry.expiresAtMs ? entry : undefined;
  }
}

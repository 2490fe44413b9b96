import type {
  SessionStore,
  SessionStoreLogger,
  SigningSecret,
  StoredSession,
  UserId,
} from '@sessionstore/core';

/** What the suite asks of a store when it opens one for a case. */
export interface HarnessCreateOptions {
  /**
   * The clock the store must use for expiry. The suite's manual clock starts at the real
   * time and only moves forward, so expiry cases take no real time.
   */
  clock: () => number;
  /** When set, the store should sweep expired entries on its own this often, in ms. */
  pruneIntervalMs?: number;
  /** When set, the store's `maxSessionBytes`. */
  maxSessionBytes?: number;
  /** When set, the store's logger; cases use it to see unreadable records reported. */
  logger?: SessionStoreLogger;
  /** When set, the store's `signingSecret`. */
  signingSecret?: SigningSecret;
}

/** Optional abilities of a store under test; a case that needs a missing one is skipped. */
export interface HarnessCapabilities {
  /** Run the opt-in real-time expiry case (a 1 s ttl, waited out for real). */
  realTimeExpiry?: boolean;
  /** In the real-time case, how long the backend's own cleanup may take, in ms. Default 5,000. */
  realTimeCleanupMs?: number;
  /**
   * A path or file URL of a module whose `default` or `harness` export is this harness. The
   * lifecycle case imports it in a child process to show that a store never keeps a
   * process alive.
   */
  harnessModule?: string;
  /** The store honours `HarnessCreateOptions.signingSecret`. */
  signing?: boolean;
  /**
   * In the lifecycle case, how long the child process may stay alive once its work is done,
   * in ms. Default 10,000. (Added after the first release of this interface; optional.)
   */
  childExitTimeoutMs?: number;
}

/** Ways into the backend beneath the store, for the cleanup and tampering cases. */
export interface HarnessHooks<S extends StoredSession = StoredSession> {
  /**
   * Counts everything the store holds in its backend, expired or not: records, index
   * entries, keys. 0 means it holds nothing.
   */
  countStored?(store: SessionStore<S>): Promise<number>;
  /**
   * Replaces the raw stored text of one session record (creating it when absent), exactly
   * as if someone had written it with the backend's own tools, with the given expiry.
   */
  writeRawRecord?(
    store: SessionStore<S>,
    userId: UserId,
    sessionId: string,
    record: string,
    expiresAtMs: number,
  ): Promise<void>;
  /** Reads the raw stored text of one session record, or `null`. */
  readRawRecord?(store: SessionStore<S>, userId: UserId, sessionId: string): Promise<string | null>;
  /**
   * Opens a second, independent store instance over the same data as `store`: the same table,
   * key prefix, collection or file, but its own connection, client or database handle where
   * the backend allows, so that nothing the first instance keeps in memory (a mutex, a cache)
   * is shared. `options` are the create options `store` was opened with (its clock among
   * them); pass them through as `create` does. The suite closes the sibling after the case,
   * right after `store`: release what the two share (a temporary file, a schema) only once
   * both are closed, or in `teardown`. The sibling cases show that a compare-and-set, a write and a deleteAll hold across
   * instances, as they must when several processes share one backend.
   */
  openSibling?(
    store: SessionStore<S>,
    options: HarnessCreateOptions,
  ): SessionStore<S> | Promise<SessionStore<S>>;
}

/**
 * How the suite reaches a store: any adapter, ours or a third party's, is tested through one.
 *
 * @example
 * ```ts
 * import { MemorySessionStore } from '@sessionstore/core';
 * import type { ConformanceHarness } from '@sessionstore/conformance';
 *
 * export const harness: ConformanceHarness = {
 *   name: 'memory',
 *   create: ({ clock, pruneIntervalMs }) => new MemorySessionStore({ clock, pruneIntervalMs }),
 * };
 * ```
 */
export interface ConformanceHarness<S extends StoredSession = StoredSession> {
  /** A name for reports. */
  name: string;
  /** Opens a fresh store. The suite closes every store it opens. */
  create(options: HarnessCreateOptions): SessionStore<S> | Promise<SessionStore<S>>;
  /** Called once after the last case; releases what the harness opened. */
  teardown?(): void | Promise<void>;
  capabilities?: HarnessCapabilities;
  hooks?: HarnessHooks<S>;
}

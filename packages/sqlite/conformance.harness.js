// @ts-check
// The conformance harness for SqliteSessionStore, used by `pnpm conformance` (the CLI) and
// by test/conformance.test.ts (the vitest binding). Plain ESM so the CLI can import it as it
// is; it loads the built package, so run `pnpm build` first.
import { canonicalUserId } from '@sessionstore/core';
import { SqliteSessionStore } from '@sessionstore/sqlite';

/** @typedef {import('@sessionstore/conformance').ConformanceHarness} ConformanceHarness */
/** @typedef {import('@sessionstore/core').SessionStore<any>} SessionStore */

const context = { store: 'sqlite conformance harness', method: 'a hook' };

/**
 * The store a hook was given, as the SQLite store it is.
 *
 * @param {SessionStore} store
 * @returns {SqliteSessionStore<any>}
 */
function sqlite(store) {
  if (!(store instanceof SqliteSessionStore)) {
    throw new TypeError('The sqlite harness was handed a store it did not create.');
  }
  return store;
}

/** @type {ConformanceHarness} */
export const harness = {
  name: 'sqlite (:memory:)',

  // One private in-memory database per store, owned and closed by the store.
  create: ({ clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }) =>
    new SqliteSessionStore({ clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }),

  capabilities: {
    realTimeExpiry: true,
    harnessModule: import.meta.url,
    signing: true,
  },

  hooks: {
    async countStored(store) {
      const { database, table } = sqlite(store);
      return /** @type {number} */ (
        database.prepare(`SELECT count(*) FROM "${table}"`).pluck().get()
      );
    },

    async writeRawRecord(store, userId, sessionId, record, expiresAtMs) {
      const { database, table } = sqlite(store);
      database
        .prepare(
          `INSERT INTO "${table}" (user_key, session_id, expires_at_ms, lock_version, record)
           VALUES (?, ?, ?, NULL, ?)
           ON CONFLICT (user_key, session_id) DO UPDATE SET
             expires_at_ms = excluded.expires_at_ms, record = excluded.record`,
        )
        .run(canonicalUserId(userId, context), sessionId, expiresAtMs, record);
    },

    async readRawRecord(store, userId, sessionId) {
      const { database, table } = sqlite(store);
      const record = database
        .prepare(`SELECT record FROM "${table}" WHERE user_key = ? AND session_id = ?`)
        .pluck()
        .get(canonicalUserId(userId, context), sessionId);
      return record === undefined ? null : String(record);
    },
  },
};

export default harness;

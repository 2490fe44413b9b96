// @ts-check
// The conformance harness for SqliteSessionStore, used by `pnpm conformance` (the CLI) and
// by test/conformance.test.ts (the vitest binding). Plain ESM so the CLI can import it as it
// is; it loads the built package, so run `pnpm build` first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** @typedef {import('@sessionstore/conformance').HarnessCreateOptions} HarnessCreateOptions */

/**
 * The directory of this process's database files, made on first use and removed by
 * teardown.
 *
 * @type {string | undefined}
 */
let directory;
let fileCount = 0;

/**
 * The database file of each store and how many stores still have it open: a sibling opens
 * the same file, and the file is removed when the last of them closes.
 *
 * @type {WeakMap<object, { path: string, open: number }>}
 */
const files = new WeakMap();

/** A store that removes its database file once it and every sibling on the file are closed. */
class HarnessStore extends SqliteSessionStore {
  #released = false;

  /**
   * @param {HarnessCreateOptions} options
   * @param {{ path: string, open: number }} file
   */
  constructor({ clock, pruneIntervalMs, maxSessionBytes, logger, signingSecret }, file) {
    super({
      database: file.path,
      clock,
      pruneIntervalMs,
      maxSessionBytes,
      logger,
      signingSecret,
    });
    file.open += 1;
    files.set(this, file);
  }

  /** @override */
  async close() {
    try {
      await super.close();
    } finally {
      const file = files.get(this);
      if (!this.#released && file !== undefined) {
        this.#released = true;
        file.open -= 1;
        if (file.open === 0) removeDatabaseFile(file.path);
      }
    }
  }
}

/** @param {string} path */
function removeDatabaseFile(path) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** @type {ConformanceHarness} */
export const harness = {
  name: 'sqlite (a file per store)',

  // One database file per store, opened (and closed) by the store, so that a sibling can
  // open the same file on a connection of its own, as a second process would.
  create: (options) => {
    directory ??= mkdtempSync(join(tmpdir(), 'sessionstore-sqlite-conformance-'));
    fileCount += 1;
    return new HarnessStore(options, { path: join(directory, `store-${fileCount}.db`), open: 0 });
  },

  teardown() {
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  },

  capabilities: {
    realTimeExpiry: true,
    harnessModule: import.meta.url,
    signing: true,
  },

  hooks: {
    // A second connection (a second better-sqlite3 Database) on the same file.
    openSibling(store, options) {
      const file = files.get(sqlite(store));
      if (file === undefined) {
        throw new TypeError('The sqlite harness was handed a store it did not create.');
      }
      return new HarnessStore(options, file);
    },

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

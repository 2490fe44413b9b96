import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import type { Session } from '@sessionstore/core';
import { createIndexSql, createTableSql, SqliteSessionStore } from '@sessionstore/sqlite';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import session from 'express-session';
import Keyv from 'keyv';
import { plansFor, type SessionApi } from '../operations.js';
import { TTL_SECONDS } from '../session.js';
import type { OpenSuite } from '../suite.js';
import { expressStoreApi } from './express.js';
import { keyvApi } from './keyv.js';
import { storeApi } from './ours.js';

const require = createRequire(import.meta.url);

/**
 * SQLite: each contender gets its own database file in a fresh temporary directory, in WAL
 * mode with `synchronous = NORMAL` (what our store sets on a file it opens).
 */
export async function openSqliteSuite(): Promise<OpenSuite> {
  const directory = mkdtempSync(join(tmpdir(), 'sessionstore-bench-'));
  const ours = new SqliteSessionStore({ database: join(directory, 'ours.db'), pruneIntervalMs: 0 });
  const raw = openWalDatabase(join(directory, 'raw.db'));
  const peerDatabase = openWalDatabase(join(directory, 'peer.db'));
  const keyv = new Keyv<Session>({
    store: new KeyvSqlite({ uri: `sqlite://${join(directory, 'keyv.db')}` }),
  });

  return {
    adapter: 'sqlite',
    setting: 'one database file per contender, WAL, synchronous = NORMAL (Keyv: its defaults)',
    contenders: [
      { name: 'sessionstore', role: 'ours', plans: plansFor(storeApi(ours)) },
      { name: 'better-sqlite3', role: 'raw', plans: plansFor(rawSqliteApi(raw)) },
      {
        name: 'better-sqlite3-session-store',
        role: 'peer',
        plans: plansFor(expressStoreApi(betterSqlite3SessionStore(peerDatabase))),
      },
      { name: 'keyv + @keyv/sqlite', role: 'peer', plans: plansFor(keyvApi(keyv)) },
    ],
    skipped: [],
    async close() {
      await ours.close();
      await keyv.disconnect();
      raw.close();
      peerDatabase.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function openWalDatabase(fileName: string): Database {
  const database = new BetterSqlite3(fileName);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  return database;
}

/**
 * better-sqlite3-session-store starts a sweep interval it never clears or unrefs; the
 * benchmark ends its process explicitly for that reason.
 */
function betterSqlite3SessionStore(database: Database): session.Store {
  const makeStore = require('better-sqlite3-session-store') as (
    module: typeof session,
  ) => new (options: {
    client: Database;
  }) => session.Store;
  const SqliteStore = makeStore(session);
  return new SqliteStore({ client: database });
}

/**
 * The least the same job needs on better-sqlite3: one prepared statement per call on a table
 * of the same shape as ours, JSON for the session, expiry in integer milliseconds, behind an
 * async function.
 */
export function rawSqliteApi(database: Database): SessionApi {
  // The same table and expiry index as ours, so both write the same pages.
  database.exec(createTableSql('raw_sessions'));
  database.exec(createIndexSql('raw_sessions'));
  const get = database
    .prepare<[string, string, number], string>(
      'SELECT record FROM raw_sessions WHERE user_key = ? AND session_id = ? AND expires_at_ms > ?',
    )
    .pluck();
  const put = database.prepare(`INSERT INTO raw_sessions VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (user_key, session_id) DO UPDATE SET expires_at_ms = excluded.expires_at_ms,
    lock_version = excluded.lock_version, record = excluded.record`);
  const update = database.prepare(`UPDATE raw_sessions SET expires_at_ms = ?, lock_version = ?,
    record = ? WHERE user_key = ? AND session_id = ? AND expires_at_ms > ? AND lock_version = ?`);
  const remove = database.prepare('DELETE FROM raw_sessions WHERE user_key = ? AND session_id = ?');
  const getAll = database
    .prepare<[string, number], string>(
      'SELECT record FROM raw_sessions WHERE user_key = ? AND expires_at_ms > ?',
    )
    .pluck();
  const removeAll = database.prepare('DELETE FROM raw_sessions WHERE user_key = ?');
  const expiresAtMs = () => Date.now() + TTL_SECONDS * 1000;

  return {
    get: async (sessionId, userId) => {
      const record = get.get(String(userId), sessionId, Date.now());
      return record === undefined ? null : JSON.parse(record);
    },
    put: async (session) => {
      put.run(String(session.userId), session.id, expiresAtMs(), null, JSON.stringify(session));
    },
    create: async (session) => {
      const stored = { ...session, lockVersion: 1 };
      put.run(String(session.userId), session.id, expiresAtMs(), 1, JSON.stringify(stored));
    },
    update: async (session) => {
      const expected = session.lockVersion as number;
      const record = JSON.stringify({ ...session, lockVersion: expected + 1 });
      const { changes } = update.run(
        expiresAtMs(),
        expected + 1,
        record,
        String(session.userId),
        session.id,
        Date.now(),
        expected,
      );
      if (changes !== 1) {
        throw new Error('raw compare-and-set found no live row at the expected version');
      }
    },
    delete: async (sessionId, userId) => {
      remove.run(String(userId), sessionId);
    },
    getAll: async (userId) =>
      getAll.all(String(userId), Date.now()).map((record) => JSON.parse(record)),
    deleteAll: async (userId) => {
      removeAll.run(String(userId));
    },
  };
}

import { type ArgumentContext, invalidArgument } from '@sessionstore/core';

/** The table a store uses when no `table` option is given. */
export const DEFAULT_TABLE = 'sessionstore_sessions';

/** How many expired rows one prune statement deletes at most. */
export const PRUNE_BATCH_SIZE = 1000;

/** The columns every sessionstore table has, in the order of {@link createTableSql}. */
export const COLUMNS = [
  'user_key',
  'session_id',
  'expires_at_ms',
  'lock_version',
  'record',
] as const;

/**
 * How {@link createTableSql} declares each column: its type, whether it is `NOT NULL`, and
 * its position in the primary key (0 when not in it), as `PRAGMA table_info` reports them.
 * The constructor holds an existing table to exactly this.
 */
export const COLUMN_DECLARATIONS: Readonly<
  Record<(typeof COLUMNS)[number], { type: string; notNull: boolean; primaryKey: number }>
> = {
  user_key: { type: 'TEXT', notNull: true, primaryKey: 1 },
  session_id: { type: 'TEXT', notNull: true, primaryKey: 2 },
  expires_at_ms: { type: 'INTEGER', notNull: true, primaryKey: 0 },
  lock_version: { type: 'INTEGER', notNull: false, primaryKey: 0 },
  record: { type: 'TEXT', notNull: true, primaryKey: 0 },
};

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks a table name: a plain identifier of 1 to 63 ASCII letters, digits and underscores,
 * not starting with a digit, and not in SQLite's reserved `sqlite_` namespace. Quoting
 * would make any name safe, but refusing anything unusual keeps a mistyped or injected
 * option from ever reaching the database.
 *
 * @returns the name unchanged.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function validateTableName(table: unknown, context: ArgumentContext): string {
  if (typeof table !== 'string' || !PLAIN_IDENTIFIER.test(table)) {
    throw invalidArgument(
      context,
      'table must be a plain identifier: 1 to 63 ASCII letters, digits and underscores, ' +
        'not starting with a digit',
    );
  }

  if (table.toLowerCase().startsWith('sqlite_')) {
    throw invalidArgument(context, 'table must not start with "sqlite_", which SQLite reserves');
  }

  return table;
}

/** Quotes a name already checked by {@link validateTableName}, or derived from one. */
function quote(identifier: string): string {
  return `"${identifier}"`;
}

/**
 * The name of the table's expiry index: the table name, a colon, `expires_at_ms`. No valid
 * table name contains a colon, so the index of one store's table can never take the name
 * another store wants for its table.
 */
export function expiryIndexName(table: string): string {
  return `${table}:expires_at_ms`;
}

/**
 * The table, created if it does not exist.
 *
 * It is a `STRICT` table: SQLite refuses a value of another type than the column's (a
 * BLOB session id, a TEXT expiry) with `SQLITE_CONSTRAINT_DATATYPE`, even from SQL written
 * by hand, so every row holds text ids and records and an integer expiry, and every
 * statement below can compare them as such: a row `getAll` lists is one `get` finds and
 * `delete` removes, and every expiry is a number that `prune` will reach.
 *
 * The primary key leads with the user, so one user's rows sit together and getAll and
 * deleteAll read one range of the key index. Expiry is integer milliseconds by the store's
 * clock, never the database's. `lock_version` is `NULL` for sessions written without
 * optimistic locking. The record is the encoded session as JSON text, readable with the
 * `sqlite3` shell.
 *
 * This is an ordinary rowid table, not `WITHOUT ROWID`: with records of a few hundred
 * bytes, a rowid table measured about 1.3 to 1.7 times faster for get and upsert on a WAL
 * file (the hot path), while `WITHOUT ROWID` only won on getAll (about 1.2 times), which
 * is called far less often. The rowid also gives prune a cheap handle for its batches.
 */
export function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quote(table)} (
  user_key TEXT NOT NULL,
  session_id TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  lock_version INTEGER,
  record TEXT NOT NULL,
  PRIMARY KEY (user_key, session_id)
) STRICT`;
}

/** The index that serves prune, created if it does not exist. */
export function createIndexSql(table: string): string {
  return `CREATE INDEX IF NOT EXISTS ${quote(expiryIndexName(table))}
  ON ${quote(table)} (expires_at_ms)`;
}

/**
 * The SQL of every statement the store prepares, one per operation. Values are always
 * bound as parameters, in the order listed beside each statement.
 */
export function statementSql(table: string) {
  const t = quote(table);
  return {
    /** (userKey, sessionId, nowMs) -> record text of the live row */
    get: `SELECT record FROM ${t}
  WHERE user_key = ? AND session_id = ? AND expires_at_ms > ?`,

    /** (userKey, nowMs) -> [sessionId, record] of every live row of the user */
    getAll: `SELECT session_id, record FROM ${t}
  WHERE user_key = ? AND expires_at_ms > ?`,

    /** (userKey, sessionId, expiresAtMs, lockVersion, record): an unconditional write */
    put: `INSERT INTO ${t} (user_key, session_id, expires_at_ms, lock_version, record)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_key, session_id) DO UPDATE SET
    expires_at_ms = excluded.expires_at_ms,
    lock_version = excluded.lock_version,
    record = excluded.record`,

    /**
     * (userKey, sessionId, expiresAtMs, lockVersion, record, nowMs): lockVersion 0, a create.
     * It inserts, or replaces a row that has expired; a live row is left alone and the
     * statement reports 0 changes.
     */
    create: `INSERT INTO ${t} (user_key, session_id, expires_at_ms, lock_version, record)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_key, session_id) DO UPDATE SET
    expires_at_ms = excluded.expires_at_ms,
    lock_version = excluded.lock_version,
    record = excluded.record
  WHERE ${t}.expires_at_ms <= ?`,

    /**
     * (expiresAtMs, lockVersion, record, userKey, sessionId, nowMs, expectedLockVersion):
     * lockVersion n > 0. An UPDATE, never an insert: a stale refresh of a session that was
     * deleted or has expired must not bring it back.
     */
    update: `UPDATE ${t} SET expires_at_ms = ?, lock_version = ?, record = ?
  WHERE user_key = ? AND session_id = ? AND expires_at_ms > ? AND lock_version = ?`,

    /** (userKey, sessionId) */
    delete: `DELETE FROM ${t} WHERE user_key = ? AND session_id = ?`,

    /** (userKey) */
    deleteAll: `DELETE FROM ${t} WHERE user_key = ?`,

    /** (nowMs, batchSize): one bounded batch of expired rows, oldest expiry first */
    pruneBatch: `DELETE FROM ${t} WHERE rowid IN (
  SELECT rowid FROM ${t} WHERE expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?
)`,
  };
}

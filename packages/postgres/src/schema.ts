import { createHash } from 'node:crypto';
import { type ArgumentContext, invalidArgument } from '@sessionstore/core';

/** The package name, the first word of every message. */
export const STORE_NAME = '@sessionstore/postgres';

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'public';

/** The table used when none is given. */
export const DEFAULT_TABLE = 'sessionstore_sessions';

/** How many expired rows one prune statement deletes at most. */
export const PRUNE_BATCH_SIZE = 1000;

// PostgreSQL truncates identifiers to 63 bytes. The expiry index is named after the table
// plus INDEX_SUFFIX, so table names stop where that name would still fit.
const MAX_IDENTIFIER_LENGTH = 63;
const INDEX_SUFFIX = '_expires_idx';
const MAX_TABLE_LENGTH = MAX_IDENTIFIER_LENGTH - INDEX_SUFFIX.length;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// One advisory lock key for every schema creation by this package: two stores creating
// different tables in the same new schema must not race on CREATE SCHEMA either. The key is
// the first 8 bytes of a hash of a fixed phrase, so it is stable across versions.
const SCHEMA_LOCK_KEY = createHash('sha256')
  .update('@sessionstore/postgres schema creation')
  .digest()
  .readBigInt64BE(0);

/** Where the sessions live: a schema and a table, both plain identifiers. */
export interface TableLocation {
  /**
   * The schema: a letter or `_` followed by letters, digits or `_`, at most 63 characters.
   * Defaults to `public`. Quoted in SQL, so its case is kept.
   */
  schema?: string;
  /**
   * The table: the same characters as `schema`, at most 51 characters (its index is named
   * after it). Defaults to `sessionstore_sessions`. Quoted in SQL, so its case is kept.
   */
  table?: string;
}

/** A validated {@link TableLocation} with its quoted forms. */
export interface ResolvedTable {
  schema: string;
  table: string;
  /** `"schema"."table"`, ready to put in SQL. */
  qualified: string;
}

/**
 * Checks a schema and table name and returns them with their quoted forms.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for anything but a plain identifier.
 */
export function resolveTable(location: TableLocation, context: ArgumentContext): ResolvedTable {
  const schema = checkIdentifier(location.schema ?? DEFAULT_SCHEMA, 'schema', 63, context);
  const table = checkIdentifier(
    location.table ?? DEFAULT_TABLE,
    'table',
    MAX_TABLE_LENGTH,
    context,
  );

  return { schema, table, qualified: `${quote(schema)}.${quote(table)}` };
}

/**
 * The SQL that creates the sessions table and its expiry index, for applications that run
 * their own migrations (then pass `createSchema: false` to the store). It is idempotent,
 * and when run as one transaction (as the store does) it holds an advisory lock, so several
 * processes can run it at once.
 *
 * The table holds one row per session: `user_key` (the canonical user id), `session_id`,
 * `expires_at_ms` (Unix milliseconds as `bigint`, which no time zone can shift),
 * `lock_version` and `record` (the encoded session as JSON text; `text` rather than `jsonb`,
 * which cannot hold an escaped U+0000). The primary key leads with `user_key`.
 *
 * @param location - the schema and table; the defaults are `public.sessionstore_sessions`.
 * @returns several SQL statements separated by semicolons, without parameters.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for a schema or table that is not a
 *   plain identifier.
 *
 * @example
 * ```ts
 * import { createSchemaSql } from '@sessionstore/postgres';
 *
 * await pool.query(createSchemaSql({ schema: 'auth', table: 'sessions' }));
 * ```
 */
export function createSchemaSql(location: TableLocation = {}): string {
  const { schema, table, qualified } = resolveTable(location, {
    store: STORE_NAME,
    method: 'createSchemaSql()',
  });
  // CREATE SCHEMA needs the CREATE privilege on the database even when the schema exists,
  // so it is left out for `public`, which every database has.
  const createSchema = schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS ${quote(schema)};\n`;

  return (
    `SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY});\n` +
    createSchema +
    `CREATE TABLE IF NOT EXISTS ${qualified} (\n` +
    '  user_key text NOT NULL,\n' +
    '  session_id text NOT NULL,\n' +
    '  expires_at_ms bigint NOT NULL,\n' +
    '  lock_version bigint,\n' +
    '  record text NOT NULL,\n' +
    '  PRIMARY KEY (user_key, session_id)\n' +
    ');\n' +
    `CREATE INDEX IF NOT EXISTS ${quote(table + INDEX_SUFFIX)} ON ${qualified} (expires_at_ms);\n`
  );
}

/** A named prepared statement. */
export interface Statement {
  /** Derived from the text, so equal names always mean equal text on any connection. */
  name: string;
  text: string;
}

/** Every statement the store runs, one per operation. */
export interface Statements {
  /** `$1` user key, `$2` session id, `$3` now: the live record. */
  get: Statement;
  /** `$1` user key, `$2` now: every live record of the user. */
  getAll: Statement;
  /** `$1`..`$5` the row: write whatever is stored. */
  write: Statement;
  /** `$1`..`$5` the row, `$6` now: write unless a live copy exists. */
  create: Statement;
  /** `$1`..`$5` the row, `$6` now, `$7` expected lock version: update the live copy. */
  update: Statement;
  /** `$1` user key, `$2` session id. */
  delete: Statement;
  /** `$1` user key. */
  deleteAll: Statement;
  /** `$1` now, `$2` batch size: delete one batch of expired rows. */
  prune: Statement;
}

/** Builds the statements for one table. */
export function buildStatements({ qualified }: ResolvedTable): Statements {
  const insert =
    `INSERT INTO ${qualified} AS stored ` +
    '(user_key, session_id, expires_at_ms, lock_version, record) ' +
    'VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_key, session_id) DO UPDATE SET ' +
    'expires_at_ms = EXCLUDED.expires_at_ms, lock_version = EXCLUDED.lock_version, ' +
    'record = EXCLUDED.record';

  return {
    get: statement(
      'get',
      `SELECT record FROM ${qualified} ` +
        'WHERE user_key = $1 AND session_id = $2 AND expires_at_ms > $3',
    ),
    // The user's rows are found by the primary key alone, and only then filtered by expiry:
    // OFFSET 0 keeps the planner from pushing the expiry test down into the scan, where, with
    // a generic plan or thin statistics, it would AND the primary key with the expiry index
    // and read every live session of the table to list ten.
    getAll: statement(
      'get_all',
      'SELECT session_id, record FROM (' +
        `SELECT session_id, record, expires_at_ms FROM ${qualified} WHERE user_key = $1 ` +
        'OFFSET 0) AS of_user WHERE expires_at_ms > $2',
    ),
    write: statement('write', insert),
    // A new key races safely: the loser of two concurrent inserts waits for the winner's
    // commit, then takes the DO UPDATE branch, whose WHERE sees the winner's live row.
    create: statement('create', `${insert} WHERE stored.expires_at_ms <= $6`),
    // An UPDATE, not an upsert: a refresh of a deleted session must not insert it again.
    update: statement(
      'update',
      `UPDATE ${qualified} SET expires_at_ms = $3, lock_version = $4, record = $5 ` +
        'WHERE user_key = $1 AND session_id = $2 AND expires_at_ms > $6 AND lock_version = $7',
    ),
    delete: statement('delete', `DELETE FROM ${qualified} WHERE user_key = $1 AND session_id = $2`),
    deleteAll: statement('delete_all', `DELETE FROM ${qualified} WHERE user_key = $1`),
    // The batch is picked by ctid so the delete is a TID scan, not a join over the table.
    // A row that a concurrent refresh updated in the meantime has moved to a new ctid and
    // is rechecked before it is deleted; the outer expiry test makes that recheck keep it
    // whatever the server version's TID recheck does.
    prune: statement(
      'prune',
      `DELETE FROM ${qualified} WHERE ctid = ANY(ARRAY(` +
        `SELECT ctid FROM ${qualified} WHERE expires_at_ms <= $1 LIMIT $2` +
        ')) AND expires_at_ms <= $1',
    ),
  };
}

/** The SQL that tells whether the table exists: `$1` is the quoted qualified name. */
export const TABLE_EXISTS_SQL = 'SELECT to_regclass($1) IS NOT NULL AS "exists"';

function statement(operation: string, text: string): Statement {
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return { name: `sessionstore_${operation}_${digest}`, text };
}

function checkIdentifier(
  value: unknown,
  option: string,
  maxLength: number,
  context: ArgumentContext,
): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > maxLength) {
    throw invalidArgument(
      context,
      `the ${option} option must be a letter or "_" followed by letters, digits or "_", ` +
        `at most ${maxLength} characters`,
    );
  }

  return value;
}

function quote(identifier: string): string {
  return `"${identifier}"`;
}

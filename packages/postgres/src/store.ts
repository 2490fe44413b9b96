import {
  type ArgumentContext,
  type CommonStoreOptions,
  invalidArgument,
  type RecordKey,
  type RecordWrite,
  type Session,
  SessionStoreBase,
  type SessionStoreError,
  type StoredRecord,
  type StoredSession,
} from '@sessionstore/core';
import pg from 'pg';
import { toPostgresError } from './errors.js';
import {
  buildStatements,
  createSchemaSql,
  PRUNE_BATCH_SIZE,
  type ResolvedTable,
  resolveTable,
  STORE_NAME,
  type Statement,
  type Statements,
  TABLE_EXISTS_SQL,
  type TableLocation,
} from './schema.js';

/** How long an owned pool waits for a new connection before the call fails, in ms. */
export const DEFAULT_CONNECTION_TIMEOUT_MILLIS = 10_000;

// A safety bound on one prune pass: 10,000 batches of 1,000 rows. A larger backlog is
// finished by the next pass instead of holding one call open indefinitely.
const MAX_PRUNE_BATCHES = 10_000;

/**
 * The part of a `pg.Pool` the store uses. A `pg.Pool` fits; so does any object with the same
 * `query` method, such as a pool from another copy of `pg`.
 */
export interface PostgresPool {
  /** Runs a statement, as `pg.Pool#query` does. */
  query(
    config: { name?: string; text: string; values?: unknown[] } | string,
  ): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** Options shared by both ways of opening a {@link PostgresSessionStore}. */
export interface PostgresStoreBaseOptions extends CommonStoreOptions, TableLocation {
  /**
   * How often expired rows are deleted in the background, in ms. Defaults to 60,000;
   * `0` turns the timer off (call `prune()` yourself, or not at all: expired rows are
   * never returned either way).
   */
  pruneIntervalMs?: number;
  /**
   * Whether the store creates its schema, table and index before its first statement
   * (idempotent, under an advisory lock). Defaults to `true`. Set `false` when migrations
   * run {@link createSchemaSql} instead, or when the database role may not create tables.
   */
  createSchema?: boolean;
}

/** Options for a store that uses the application's pool and leaves it open on `close()`. */
export interface PostgresPoolOptions extends PostgresStoreBaseOptions {
  /** The application's `pg.Pool`. The store never ends it. */
  pool: PostgresPool;
  /** Not with `pool`: the store either uses a pool or opens one. */
  connectionString?: never;
  /** Not with `pool`: set it on your own pool instead. */
  connectionTimeoutMillis?: never;
}

/** Options for a store that opens its own pool and ends it on `close()`. */
export interface PostgresConnectionStringOptions extends PostgresStoreBaseOptions {
  /**
   * A PostgreSQL connection URL, for example `postgres://user@127.0.0.1:5432/app`. It is
   * never put in an error message.
   */
  connectionString: string;
  /**
   * How long the store's pool waits for a new connection before the call fails with
   * `UNAVAILABLE`, in ms. Defaults to 10,000.
   */
  connectionTimeoutMillis?: number;
  /** Not with `connectionString`: the store either uses a pool or opens one. */
  pool?: never;
}

/** Options for {@link PostgresSessionStore}: give it a `pool` or a `connectionString`. */
export type PostgresSessionStoreOptions = PostgresPoolOptions | PostgresConnectionStringOptions;

/**
 * A session store over PostgreSQL through `pg`. One row per session, keyed by user and
 * session id; every call is one statement with all values as parameters, and expiry is
 * decided by the store's clock, never by the server's `now()`.
 *
 * @typeParam S - the session type.
 *
 * @example
 * ```ts
 * import type { StoredSession } from '@sessionstore/core';
 * import { PostgresSessionStore } from '@sessionstore/postgres';
 * import pg from 'pg';
 *
 * interface AppSession extends StoredSession {
 *   device: string;
 * }
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = new PostgresSessionStore<AppSession>({ pool, schema: 'auth', table: 'sessions' });
 * await store.upsert({ id: 'sid-1', userId: 42, device: 'laptop' }, 3600);
 * await store.close(); // the pool stays open: it is the application's
 * ```
 */
export class PostgresSessionStore<S extends StoredSession = Session> extends SessionStoreBase<S> {
  readonly #pool: PostgresPool;
  readonly #ownedPool: pg.Pool | undefined;
  readonly #table: ResolvedTable;
  readonly #statements: Statements;
  readonly #createSchema: boolean;
  #schemaReady: Promise<void> | undefined;

  /**
   * Opens a store. Nothing is sent to the server until the first call.
   *
   * @param options - a `pool` or a `connectionString`, and the options of
   *   {@link PostgresStoreBaseOptions}.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an invalid option, such as a
   *   schema or table name that is not a plain identifier, or both or neither of `pool`
   *   and `connectionString`.
   */
  constructor(options: PostgresSessionStoreOptions) {
    // `options ?? {}` lets a call from JavaScript without options reach the check below.
    super(options ?? {}, {
      store: STORE_NAME,
      pruneIntervalMs: options?.pruneIntervalMs ?? 60_000,
    });
    const context = { store: STORE_NAME, method: 'the constructor' };
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(context, 'options must be an object with a pool or a connectionString');
    }

    this.#table = resolveTable(options, context);
    this.#createSchema = checkCreateSchema(options.createSchema, context);
    this.#statements = buildStatements(this.#table);

    if (options.pool !== undefined) {
      checkPool(options.pool, options.connectionString, context);
      this.#pool = options.pool;
      this.#ownedPool = undefined;
    } else {
      this.#ownedPool = openPool(options, context);
      this.#pool = this.#ownedPool;
    }

    this.startPruneTimer();
  }

  protected override async readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    const { rows } = await this.#query(this.#statements.get, [
      key.userKey,
      key.sessionId,
      toBigintParam(nowMs),
    ]);
    const row = rows[0] as { record: string } | undefined;

    return row === undefined ? null : row.record;
  }

  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    const row = [
      write.userKey,
      write.sessionId,
      toBigintParam(write.expiresAtMs),
      write.lockVersion === null ? null : String(write.lockVersion),
      write.record,
    ];
    const nowMs = toBigintParam(write.nowMs);
    const expected = write.expectedLockVersion;

    if (expected === undefined) {
      return (await this.#query(this.#statements.write, row)).rowCount === 1;
    }

    // Either statement changes no row when the compare-and-set fails: that is the conflict.
    const result =
      expected === 0
        ? await this.#query(this.#statements.create, [...row, nowMs])
        : await this.#query(this.#statements.update, [...row, nowMs, String(expected)]);
    return result.rowCount === 1;
  }

  protected override async deleteRecord(key: RecordKey): Promise<void> {
    await this.#query(this.#statements.delete, [key.userKey, key.sessionId]);
  }

  protected override async readUserRecords(
    userKey: string,
    nowMs: number,
  ): Promise<StoredRecord[]> {
    const { rows } = await this.#query(this.#statements.getAll, [userKey, toBigintParam(nowMs)]);

    return (rows as { session_id: string; record: string }[]).map((row) => ({
      sessionId: row.session_id,
      record: row.record,
    }));
  }

  protected override async deleteUserRecords(userKey: string): Promise<void> {
    await this.#query(this.#statements.deleteAll, [userKey]);
  }

  protected override async pruneExpired(nowMs: number): Promise<number> {
    const values = [toBigintParam(nowMs), PRUNE_BATCH_SIZE];
    let removed = 0;

    for (let batch = 0; batch < MAX_PRUNE_BATCHES; batch++) {
      const { rowCount } = await this.#query(this.#statements.prune, values);
      removed += rowCount ?? 0;
      if ((rowCount ?? 0) < PRUNE_BATCH_SIZE) {
        break;
      }
    }

    return removed;
  }

  protected override async closeBackend(): Promise<void> {
    await this.#ownedPool?.end();
  }

  protected override toStoreError(error: unknown, method: string): SessionStoreError {
    return toPostgresError(error, this.storeName, method, this.#table.qualified);
  }

  async #query(
    statement: Statement,
    values: unknown[],
  ): Promise<{ rows: unknown[]; rowCount: number | null }> {
    await this.#ensureSchema();

    return this.#pool.query({ name: statement.name, text: statement.text, values });
  }

  // Runs once per store. A failed attempt is forgotten, so the next call tries again
  // rather than failing for the life of the store.
  #ensureSchema(): Promise<void> {
    if (!this.#createSchema) {
      return Promise.resolve();
    }

    this.#schemaReady ??= this.#createTable().catch((error: unknown) => {
      this.#schemaReady = undefined;
      throw error;
    });
    return this.#schemaReady;
  }

  async #createTable(): Promise<void> {
    const { rows } = await this.#pool.query({
      text: TABLE_EXISTS_SQL,
      values: [this.#table.qualified],
    });
    if ((rows[0] as { exists: boolean } | undefined)?.exists === true) {
      return;
    }

    // Several statements in one simple query run as one implicit transaction, so the
    // advisory lock at its start is held until the table and its index are committed.
    await this.#pool.query(createSchemaSql(this.#table));
  }
}

function openPool(options: PostgresConnectionStringOptions, context: ArgumentContext): pg.Pool {
  const { connectionString } = options;
  if (typeof connectionString !== 'string' || connectionString.trim() === '') {
    throw invalidArgument(context, 'give either a pool or a non-empty connectionString');
  }
  if (!canParseConnectionString(connectionString)) {
    // The string itself, and pg's error about it, are left out: they may hold a password.
    throw invalidArgument(context, 'the connectionString option could not be parsed');
  }

  const connectionTimeoutMillis =
    options.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MILLIS;
  if (!Number.isSafeInteger(connectionTimeoutMillis) || connectionTimeoutMillis < 1) {
    throw invalidArgument(context, 'connectionTimeoutMillis must be a positive integer');
  }

  const pool = new pg.Pool({
    connectionString,
    connectionTimeoutMillis,
    // Idle connections must not keep the process alive once its work is done.
    allowExitOnIdle: true,
  });
  pool.on('error', ignoreIdleClientError);
  return pool;
}

// pg parses a connection string in the Client constructor, which opens nothing; parsing it
// here turns a malformed string into INVALID_ARGUMENT now, rather than UNAVAILABLE on every
// call. pg's parser is the judge, since it accepts forms a WHATWG URL rejects (a socket
// directory in `?host=` with no host before it).
function canParseConnectionString(connectionString: string): boolean {
  try {
    new pg.Client({ connectionString });
    return true;
  } catch {
    return false;
  }
}

// The pool emits 'error' when an idle connection dies (a server restart, a terminated
// backend). It has already dropped that connection and the next call opens a new one;
// without a listener the event would crash the process.
function ignoreIdleClientError(): void {}

function checkPool(pool: unknown, connectionString: unknown, context: ArgumentContext): void {
  if (connectionString !== undefined) {
    throw invalidArgument(context, 'give either a pool or a connectionString, not both');
  }
  if (typeof (pool as { query?: unknown } | null)?.query !== 'function') {
    throw invalidArgument(context, 'the pool option must be a pg.Pool');
  }
}

function checkCreateSchema(value: unknown, context: ArgumentContext): boolean {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidArgument(context, 'the createSchema option must be a boolean');
  }
  return value ?? true;
}

// Milliseconds go to PostgreSQL as the decimal text of a whole number. A clock that
// returns fractions is truncated, which can only make a session expire early, never late.
function toBigintParam(ms: number): string {
  return Math.floor(ms).toFixed(0);
}

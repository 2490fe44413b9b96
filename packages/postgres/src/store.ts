import {
  type ArgumentContext,
  CallTimer,
  COMMON_STORE_OPTION_NAMES,
  type CommonStoreOptions,
  checkIntegerOption,
  checkOptionNames,
  invalidArgument,
  MAX_TIMER_MS,
  type RecordKey,
  type RecordWrite,
  type Session,
  SessionStoreBase,
  type SessionStoreError,
  type StoredRecord,
  type StoredSession,
} from '@sessionstore/core';
import pg from 'pg';
import { Deadline, QueryTimeoutError } from './deadline.js';
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

/** The default of {@link PostgresStoreBaseOptions.queryTimeoutMs}: 2 seconds. */
export const DEFAULT_QUERY_TIMEOUT_MS = 2000;

// TCP keepalive on the store's own connections: the first probe after this much idleness.
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

// The store's own sessions get a server-side statement_timeout a little shorter than
// queryTimeoutMs (a tenth of it, at most 100 ms shorter), so that a statement held up on the
// server (a row lock, a slow plan) is, as a rule, cancelled by the server just before the
// caller's bound runs out: the caller then learns of a statement that was rolled back
// (57014). When the call spent more than that margin waiting for a connection, its own bound
// comes first, and the server cancels the statement at most that wait later.
const MAX_STATEMENT_TIMEOUT_MARGIN_MS = 100;

// A safety bound on one prune pass: 10,000 batches of 1,000 rows. A larger backlog is
// finished by the next pass instead of holding one call open indefinitely.
const MAX_PRUNE_BATCHES = 10_000;

/**
 * The part of a `pg.Pool` the store uses. A `pg.Pool` fits; so does any object with the same
 * `query` method, such as a pool from another copy of `pg`.
 */
export interface PostgresPool {
  /** Runs a statement, as `pg.Pool#query` does. */
  query(config: PostgresQueryConfig | string): Promise<PostgresQueryResult>;
  /**
   * Checks out a connection, as `pg.Pool#connect` does. The store uses it when present, so
   * that a connection whose statement ran past `queryTimeoutMs` is closed (released with an
   * error) instead of staying busy in the pool; an object with `query` alone is still
   * accepted, but then the store can only stop waiting for it.
   */
  connect?(): Promise<PostgresPoolClient>;
}

/** The part of a `pg.PoolClient` the store uses. */
export interface PostgresPoolClient {
  /** Runs a statement, as `pg.Client#query` does. */
  query(config: PostgresQueryConfig): Promise<PostgresQueryResult>;
  /** Gives the connection back; with an error (or `true`) the pool closes it instead. */
  release(error?: Error | boolean): void;
}

/** A statement as the store sends it. */
export interface PostgresQueryConfig {
  name?: string;
  text: string;
  values?: unknown[];
}

/** The part of a query result the store reads. */
export interface PostgresQueryResult {
  rows: unknown[];
  rowCount: number | null;
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
  /**
   * The most one call may take, in ms, before it rejects with `UNAVAILABLE`: the wait for a
   * connection from the pool, on the first call the check for the table (and its creation),
   * and the statement itself. Defaults to 2,000. `prune()` runs its batches one after the
   * other, each within this bound.
   *
   * A write cut off while its statement was on the server may still be applied: as with
   * any `UNAVAILABLE`, its outcome is unknown. A call cut off before its statement was sent
   * never sends it. On the store's own pool the server also cancels a statement a little
   * before this bound (`statement_timeout`); on an application's pool the statement may run
   * on until the server ends it, so set `statement_timeout` on that pool too.
   */
  queryTimeoutMs?: number;
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
   * How long the store's pool lets a new connection take before it gives up on it, in ms.
   * Defaults to `queryTimeoutMs` plus one second, so that the store's own bound, which
   * says what the call was waiting for, runs out first. A call never waits longer than
   * `queryTimeoutMs` whatever
   * this says: a larger value only lets a slow connection finish opening after the call
   * that asked for it has failed, for the next call to use.
   */
  connectionTimeoutMillis?: number;
  /** Not with `connectionString`: the store either uses a pool or opens one. */
  pool?: never;
}

/** Options for {@link PostgresSessionStore}: give it a `pool` or a `connectionString`. */
export type PostgresSessionStoreOptions = PostgresPoolOptions | PostgresConnectionStringOptions;

/** Every option name {@link PostgresSessionStoreOptions} declares: the store rejects others. */
export const OPTION_NAMES = [
  ...COMMON_STORE_OPTION_NAMES,
  'pool',
  'connectionString',
  'connectionTimeoutMillis',
  'schema',
  'table',
  'createSchema',
  'queryTimeoutMs',
] as const satisfies readonly (keyof PostgresSessionStoreOptions)[];

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
  readonly #queryTimeoutMs: number;
  /**
   * The bound of every call. While a call is pending it holds the process open, for at most
   * the bound, so the caller is always answered; an idle store holds nothing.
   */
  readonly #calls: CallTimer;
  // Whether the pool has `connect`, so a connection can be closed after a timeout.
  readonly #canCheckOut: boolean;
  #schemaReady: Promise<void> | undefined;
  #schemaDone = false;

  /**
   * Opens a store. Nothing is sent to the server until the first call.
   *
   * @param options - a `pool` or a `connectionString`, and the options of
   *   {@link PostgresStoreBaseOptions}.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an unknown or invalid option,
   *   such as a misspelled name, a schema or table name that is not a plain identifier, or
   *   both or neither of `pool` and `connectionString`. No pool is opened then.
   */
  constructor(options: PostgresSessionStoreOptions) {
    const context = { store: STORE_NAME, method: 'the constructor' };
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(context, 'options must be an object with a pool or a connectionString');
    }
    checkOptionNames(options, OPTION_NAMES, context);
    super(options, {
      store: STORE_NAME,
      pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
    });

    this.#table = resolveTable(options, context);
    this.#createSchema = checkCreateSchema(options.createSchema, context);
    this.#queryTimeoutMs = checkTimeout(
      options.queryTimeoutMs,
      'queryTimeoutMs',
      DEFAULT_QUERY_TIMEOUT_MS,
      context,
    );
    this.#calls = new CallTimer(this.#queryTimeoutMs);
    this.#statements = buildStatements(this.#table);

    if (options.pool !== undefined) {
      checkPool(options.pool, options.connectionString, context);
      this.#pool = options.pool;
      this.#ownedPool = undefined;
    } else {
      this.#ownedPool = openPool(options, this.#queryTimeoutMs, context);
      this.#pool = this.#ownedPool;
    }
    this.#canCheckOut = typeof this.#pool.connect === 'function';

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

  /**
   * Runs one statement within `queryTimeoutMs`, counted from here: the wait for the table
   * (first call only), for a connection, and for the answer.
   */
  async #query(statement: Statement, values: unknown[]): Promise<PostgresQueryResult> {
    // Asked for before the call's own timer starts, so that a creation this call begins
    // times out just before the call does: the call then reports that, and a call right after
    // it starts a fresh attempt instead of sharing the one about to fail.
    const schemaReady = this.#schemaDone || !this.#createSchema ? undefined : this.#ensureSchema();
    const deadline = new Deadline(this.#calls);
    try {
      if (schemaReady !== undefined) {
        await deadline.race(schemaReady, 'schema');
      }
      return await this.#send({ name: statement.name, text: statement.text, values }, deadline);
    } finally {
      deadline.clear();
    }
  }

  /**
   * Sends one statement on a connection of its own, within what is left of `deadline`.
   *
   * A connection that arrives after the deadline is given straight back, unused, and a
   * statement is never sent once the deadline has passed. A connection whose statement
   * failed, or ran past the deadline, is released with the error, which makes the pool close
   * it (a busy connection is closed at once, its socket destroyed): a connection that may
   * still be waiting on the server, or on a server that is gone, must never be handed to the
   * next call. A pool without `connect` runs the statement itself; the call still stops
   * waiting at the deadline, but that pool keeps its connection until the server answers.
   */
  async #send(config: PostgresQueryConfig, deadline: Deadline): Promise<PostgresQueryResult> {
    const pool = this.#pool;
    if (!this.#canCheckOut) {
      if (deadline.expired) {
        throw new QueryTimeoutError(deadline.timeoutMs, 'connection');
      }
      return deadline.race(pool.query(config), 'statement');
    }

    const client = await deadline.race(
      (pool.connect as () => Promise<PostgresPoolClient>).call(pool),
      'connection',
      releaseUnused,
    );
    if (deadline.expired) {
      client.release();
      throw new QueryTimeoutError(deadline.timeoutMs, 'connection');
    }

    let result: PostgresQueryResult;
    try {
      result = await deadline.race(client.query(config), 'statement');
    } catch (error) {
      client.release(error instanceof Error ? error : new Error('The statement failed.'));
      throw error;
    }
    client.release();
    return result;
  }

  // Runs once per store, bounded by a deadline of its own, so that calls waiting for it are
  // never held past that bound either, even when the call that began it has gone. A failed
  // or timed-out attempt is forgotten, so the next call tries again rather than failing for
  // the life of the store.
  #ensureSchema(): Promise<void> {
    this.#schemaReady ??= this.#createTable().then(
      () => {
        this.#schemaDone = true;
      },
      (error: unknown) => {
        this.#schemaReady = undefined;
        throw error;
      },
    );
    return this.#schemaReady;
  }

  async #createTable(): Promise<void> {
    const deadline = new Deadline(this.#calls);
    try {
      const { rows } = await this.#send(
        { text: TABLE_EXISTS_SQL, values: [this.#table.qualified] },
        deadline,
      );
      if ((rows[0] as { exists: boolean } | undefined)?.exists === true) {
        return;
      }

      // Several statements in one simple query run as one implicit transaction, so the
      // advisory lock at its start is held until the table and its index are committed.
      await this.#send({ text: createSchemaSql(this.#table) }, deadline);
    } catch (error) {
      // For the calls waiting on it, none of whose own statements was sent.
      throw error instanceof QueryTimeoutError
        ? new QueryTimeoutError(error.timeoutMs, 'schema')
        : error;
    } finally {
      deadline.clear();
    }
  }
}

/** Gives back a connection that arrived after its call had gone. */
function releaseUnused(client: PostgresPoolClient): void {
  client.release();
}

/**
 * How much later than the store's own bound the owned pool's timers run out. With the same
 * length, pg's timer and the store's race, and pg's error, which cannot say what the call
 * was waiting for, would sometimes be the one the caller sees.
 */
const DRIVER_BOUND_MARGIN_MS = 1_000;

/** A driver timer of the owned pool: the store's bound plus the margin, within a timer's range. */
function behindStoreBound(queryTimeoutMs: number): number {
  return Math.min(queryTimeoutMs + DRIVER_BOUND_MARGIN_MS, MAX_TIMER_MS);
}

function openPool(
  options: PostgresConnectionStringOptions,
  queryTimeoutMs: number,
  context: ArgumentContext,
): pg.Pool {
  const { connectionString } = options;
  if (typeof connectionString !== 'string' || connectionString.trim() === '') {
    throw invalidArgument(context, 'give either a pool or a non-empty connectionString');
  }
  if (!canParseConnectionString(connectionString)) {
    // The string itself, and pg's error about it, are left out: they may hold a password.
    throw invalidArgument(context, 'the connectionString option could not be parsed');
  }

  const connectionTimeoutMillis = checkTimeout(
    options.connectionTimeoutMillis,
    'connectionTimeoutMillis',
    behindStoreBound(queryTimeoutMs),
    context,
  );

  const pool = new pg.Pool({
    connectionString,
    connectionTimeoutMillis,
    // pg's own bound on waiting for an answer, behind the store's; the store releases a
    // connection that timed out with the error either way, which closes it.
    query_timeout: behindStoreBound(queryTimeoutMs),
    // The server's bound: it cancels a statement, a lock wait included, about when the
    // caller's bound runs out, so a statement of a failed call does not run on for long.
    statement_timeout: serverStatementTimeout(queryTimeoutMs),
    // Lets the operating system notice a server that vanished under an idle connection.
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
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

function checkTimeout(
  value: unknown,
  name: string,
  fallback: number,
  context: ArgumentContext,
): number {
  return checkIntegerOption(value, name, { min: 1, max: MAX_TIMER_MS, fallback }, context);
}

/** The `statement_timeout` of the store's own sessions, in ms; see its constant above. */
export function serverStatementTimeout(queryTimeoutMs: number): number {
  const margin = Math.min(MAX_STATEMENT_TIMEOUT_MARGIN_MS, Math.floor(queryTimeoutMs / 10));
  return Math.max(1, queryTimeoutMs - margin);
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

import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type ArgumentContext,
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
  SessionStoreError,
  type StoredRecord,
  type StoredSession,
} from '@sessionstore/core';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import {
  COLUMN_DECLARATIONS,
  COLUMNS,
  createIndexSql,
  createTableSql,
  DEFAULT_TABLE,
  expiryIndexName,
  PRUNE_BATCH_SIZE,
  statementSql,
  validateTableName,
} from './schema.js';

const STORE = '@sessionstore/sqlite';

/** The default of {@link SqliteSessionStoreOptions.busyTimeoutMs}. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Options for {@link SqliteSessionStore}. */
export interface SqliteSessionStoreOptions extends CommonStoreOptions {
  /**
   * The database: a better-sqlite3 `Database` the application opened (the store leaves it
   * open after `close()`), or a file name for the store to open and own. Defaults to
   * `":memory:"`, a private in-memory database.
   */
  database?: Database | string | undefined;
  /**
   * The table name, a plain identifier of ASCII letters, digits and underscores. Defaults
   * to `"sessionstore_sessions"`. Created, with its index, if it does not exist.
   */
  table?: string | undefined;
  /** How often expired rows are swept, in ms. Defaults to 60,000; `0` turns it off. */
  pruneIntervalMs?: number | undefined;
  /**
   * How long a statement waits for another connection's write lock before failing with
   * `UNAVAILABLE`, in ms. Defaults to 5,000 on a database the store opens. On a `Database`
   * passed in, the store sets it only when this option is given.
   */
  busyTimeoutMs?: number | undefined;
}

/** Every option name {@link SqliteSessionStoreOptions} declares: the store rejects others. */
export const OPTION_NAMES = [
  ...COMMON_STORE_OPTION_NAMES,
  'database',
  'table',
  'busyTimeoutMs',
] as const satisfies readonly (keyof SqliteSessionStoreOptions)[];

interface Statements {
  get: Statement<[string, string, number], string>;
  getAll: Statement<[string, number], [string, string]>;
  put: Statement<[string, string, number, null, string]>;
  create: Statement<[string, string, number, number | null, string, number]>;
  update: Statement<[number, number | null, string, string, string, number, number]>;
  delete: Statement<[string, string]>;
  deleteAll: Statement<[string]>;
  pruneBatch: Statement<[number, number]>;
}

/**
 * A session store on SQLite through better-sqlite3: one prepared statement per operation,
 * compare-and-set inside that statement, expiry in integer milliseconds by the store's
 * clock. A database file it opens is put in WAL mode with a busy timeout, so several
 * processes can share it.
 *
 * @typeParam S - the session type; {@link Session} by default.
 *
 * @example
 * ```ts
 * import { SqliteSessionStore } from '@sessionstore/sqlite';
 *
 * type DeviceSession = { id: string; userId: number; device: string };
 *
 * const store = new SqliteSessionStore<DeviceSession>({ database: 'sessions.db' });
 * await store.upsert({ id: 'sid-1', userId: 42, device: 'laptop' }, 3600);
 * const session = await store.get('sid-1', 42);
 * await store.close();
 * ```
 */
export class SqliteSessionStore<S extends StoredSession = Session> extends SessionStoreBase<S> {
  readonly #database: Database;
  readonly #ownsDatabase: boolean;
  readonly #table: string;
  readonly #busyTimeoutMs: number | undefined;
  readonly #statements: Statements;

  /**
   * Opens the store: checks the options, opens the database when given a file name,
   * creates the table and its index if they are missing, and prepares every statement.
   *
   * @param options - see {@link SqliteSessionStoreOptions}; all optional.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an unknown or invalid option
   *   (nothing is opened or created then), or for a table name the database already gives
   *   to something the store cannot use: an index, view or trigger, or a table not declared
   *   as {@link createTableSql} declares it (nothing is created then either); `UNAVAILABLE`
   *   when the database cannot be opened or the table cannot be created, with the driver's
   *   error as `cause`.
   */
  constructor(options: SqliteSessionStoreOptions = {}) {
    const context = { store: STORE, method: 'the constructor' };
    // First: a misspelled `database` must not fall back to `:memory:`.
    checkOptionNames(options, OPTION_NAMES, context);
    super(options, { store: STORE, pruneIntervalMs: options.pruneIntervalMs ?? 60_000 });
    this.#table = validateTableName(options.table ?? DEFAULT_TABLE, context);
    this.#busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs, context);
    const database = options.database === undefined ? ':memory:' : options.database;
    checkDatabase(database, context);

    this.#ownsDatabase = typeof database === 'string';
    this.#database =
      typeof database === 'string'
        ? openDatabase(database, this.#busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)
        : database;

    try {
      this.#configure();
      this.#statements = this.#prepare();
    } catch (error) {
      const failure = this.toStoreError(error, context.method);
      if (this.#ownsDatabase) {
        this.#database.close();
      }
      throw failure;
    }

    this.startPruneTimer();
  }

  /**
   * The better-sqlite3 `Database` beneath the store: the one passed in, or the one it
   * opened (closed by {@link close}). Use it to inspect the table; rows written through it
   * bypass the store's validation, encoding and signing.
   *
   * @example
   * ```ts
   * const rows = store.database.prepare(`SELECT count(*) FROM ${store.table}`).pluck().get();
   * ```
   */
  get database(): Database {
    return this.#database;
  }

  /** The name of the table the store uses (validated, so safe to put in SQL unquoted). */
  get table(): string {
    return this.#table;
  }

  protected override async readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    return this.#statements.get.get(key.userKey, key.sessionId, nowMs) ?? null;
  }

  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    const { userKey, sessionId, record, nowMs, expiresAtMs, lockVersion } = write;
    const expected = write.expectedLockVersion;

    if (expected === undefined) {
      this.#statements.put.run(userKey, sessionId, expiresAtMs, null, record);
      return true;
    }

    const result =
      expected === 0
        ? this.#statements.create.run(userKey, sessionId, expiresAtMs, lockVersion, record, nowMs)
        : this.#statements.update.run(
            expiresAtMs,
            lockVersion,
            record,
            userKey,
            sessionId,
            nowMs,
            expected,
          );
    return result.changes === 1;
  }

  protected override async deleteRecord(key: RecordKey): Promise<void> {
    this.#statements.delete.run(key.userKey, key.sessionId);
  }

  protected override async readUserRecords(
    userKey: string,
    nowMs: number,
  ): Promise<StoredRecord[]> {
    const rows = this.#statements.getAll.all(userKey, nowMs);
    return rows.map(([sessionId, record]) => ({ sessionId, record }));
  }

  protected override async deleteUserRecords(userKey: string): Promise<void> {
    this.#statements.deleteAll.run(userKey);
  }

  /**
   * Deletes expired rows one bounded batch per statement, yielding to the event loop
   * between batches, so a large backlog never holds the write lock (or this process) for
   * long. Each batch commits on its own; a close() between batches ends the pass.
   */
  protected override async pruneExpired(nowMs: number): Promise<number> {
    let removed = 0;

    for (;;) {
      const { changes } = this.#statements.pruneBatch.run(nowMs, PRUNE_BATCH_SIZE);
      removed += changes;
      if (changes < PRUNE_BATCH_SIZE) {
        return removed;
      }

      await nextTurn();
      if (this.closed) {
        return removed;
      }
    }
  }

  protected override async closeBackend(): Promise<void> {
    if (this.#ownsDatabase && this.#database.open) {
      this.#database.close();
    }
  }

  /**
   * Recognises SQLite's own codes: a lock held past the busy timeout, and a damaged file,
   * both `UNAVAILABLE` with the driver's error as `cause`.
   */
  protected override toStoreError(error: unknown, method: string): SessionStoreError {
    if (error instanceof SessionStoreError) {
      return error;
    }

    const code = sqliteCode(error);
    const cause = { cause: error };
    if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
      const timeout =
        this.#busyTimeoutMs === undefined && !this.#ownsDatabase
          ? 'its busy timeout'
          : `busyTimeoutMs (${this.#busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS} ms)`;
      return new SessionStoreError(
        'UNAVAILABLE',
        `${STORE}: ${method} failed because another connection held the database locked ` +
          `for longer than ${timeout} (${code}).`,
        cause,
      );
    }
    if (code?.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
      return new SessionStoreError(
        'UNAVAILABLE',
        `${STORE}: ${method} failed because the database file is damaged or is not an SQLite ` +
          `database (${code}).`,
        cause,
      );
    }
    if (!this.#ownsDatabase && !this.#database.open) {
      return new SessionStoreError(
        'UNAVAILABLE',
        `${STORE}: ${method} failed because the database passed in was closed by its owner.`,
        cause,
      );
    }

    return super.toStoreError(error, method);
  }

  /** Applies the connection settings and creates the table and index if missing. */
  #configure(): void {
    const database = this.#database;
    if (this.#ownsDatabase && !database.memory) {
      // WAL lets readers and one writer work at once, across processes; NORMAL is safe
      // under WAL (a power cut may lose the last commits, never corrupt the file).
      const timeoutMs = this.#busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
      retryWhileBusy(() => database.pragma('journal_mode = WAL'), timeoutMs);
      database.pragma('synchronous = NORMAL');
    }
    if (!this.#ownsDatabase && this.#busyTimeoutMs !== undefined) {
      database.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
    }

    // IMMEDIATE takes the write lock up front, through the busy handler: two processes
    // creating the schema at once queue instead of failing a lock upgrade.
    database
      .transaction(() => {
        this.#checkNames();
        database.exec(createTableSql(this.#table));
        this.#checkTable();
        database.exec(createIndexSql(this.#table));
      })
      .immediate();
  }

  /**
   * Refuses a table name that an index, view or trigger already has (SQLite keeps them all
   * in one namespace), and an expiry index name that something other than this table's
   * index already has.
   */
  #checkNames(): void {
    const table = this.#table;
    const index = expiryIndexName(table);
    const objects = this.#database
      .prepare<[string, string], SchemaObject>(
        'SELECT type, name, tbl_name FROM sqlite_schema WHERE lower(name) IN (lower(?), lower(?))',
      )
      .all(table, index);

    for (const object of objects) {
      const isTableName = object.name.toLowerCase() === table.toLowerCase();
      if (isTableName && object.type !== 'table') {
        throw this.#incompatible(
          `the database already has ${describeObject(object)} named "${object.name}"`,
        );
      }

      const isOurIndex =
        object.type === 'index' && object.tbl_name.toLowerCase() === table.toLowerCase();
      if (!isTableName && !isOurIndex) {
        throw this.#incompatible(
          `the database already has ${describeObject(object)} named "${object.name}", the ` +
            `name of the table's expiry index`,
        );
      }
    }
  }

  /**
   * Holds an existing table to what {@link createTableSql} creates: the same columns,
   * declared alike, nothing more it would have to fill, and STRICT, so that no row can hold
   * a value of another type than the statements expect.
   */
  #checkTable(): void {
    const table = this.#table;
    const columns = this.#database.pragma(`table_info("${table}")`) as ColumnInfo[];
    const byName = new Map(columns.map((column) => [column.name, column]));

    const missing = COLUMNS.filter((name) => !byName.has(name));
    if (missing.length > 0) {
      throw this.#incompatible(
        `table "${table}" already exists without the column(s) ${missing.join(', ')}`,
      );
    }

    const different = COLUMNS.filter((name) => !isDeclaredAs(byName.get(name), name));
    if (different.length > 0) {
      throw this.#incompatible(
        `table "${table}" already exists with the column(s) ${different.join(', ')} declared ` +
          'with another type, NOT NULL or primary key than the store creates',
      );
    }

    const extra = columns.filter(
      (column) =>
        !(COLUMNS as readonly string[]).includes(column.name) &&
        (column.pk > 0 || (column.notnull === 1 && column.dflt_value === null)),
    );
    if (extra.length > 0) {
      throw this.#incompatible(
        `table "${table}" already exists with the column(s) ` +
          `${extra.map((column) => column.name).join(', ')}, which the store cannot fill`,
      );
    }

    const [listing] = this.#database.pragma(`table_list("${table}")`) as { strict: number }[];
    if (listing?.strict !== 1) {
      throw this.#incompatible(
        `table "${table}" already exists but is not a STRICT table, so it would keep values ` +
          'of the wrong type (tables made by earlier builds of this package were not STRICT)',
        'drop it, or choose another table name',
      );
    }
  }

  #incompatible(problem: string, remedy = 'choose another table name'): SessionStoreError {
    return invalidArgument({ store: STORE, method: 'the constructor' }, `${problem}; ${remedy}`);
  }

  #prepare(): Statements {
    const sql = statementSql(this.#table);
    const prepare = <P extends unknown[], R = unknown>(source: string) =>
      this.#database.prepare<P, R>(source);

    return {
      get: prepare<[string, string, number], string>(sql.get).pluck(),
      getAll: prepare<[string, number], [string, string]>(sql.getAll).raw(),
      put: prepare(sql.put),
      create: prepare(sql.create),
      update: prepare(sql.update),
      delete: prepare(sql.delete),
      deleteAll: prepare(sql.deleteAll),
      pruneBatch: prepare(sql.pruneBatch),
    };
  }
}

/** A row of `sqlite_schema`. */
interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
}

/** A row of `PRAGMA table_info`. */
interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

function describeObject(object: SchemaObject): string {
  if (object.type === 'index') {
    return `an index on table "${object.tbl_name}"`;
  }
  return `a ${object.type}`;
}

function isDeclaredAs(column: ColumnInfo | undefined, name: (typeof COLUMNS)[number]): boolean {
  const expected = COLUMN_DECLARATIONS[name];
  return (
    column !== undefined &&
    column.type.toUpperCase() === expected.type &&
    (column.notnull === 1) === expected.notNull &&
    column.pk === expected.primaryKey
  );
}

function checkBusyTimeout(value: unknown, context: ArgumentContext): number | undefined {
  const bounds = { min: 0, max: MAX_TIMER_MS, fallback: undefined } as const;
  return checkIntegerOption(value, 'busyTimeoutMs', bounds, context);
}

function checkDatabase(
  database: unknown,
  context: ArgumentContext,
): asserts database is Database | string {
  if (typeof database === 'string') {
    return;
  }

  const candidate = database as Partial<Database> | null;
  if (typeof candidate?.prepare !== 'function' || typeof candidate.pragma !== 'function') {
    throw invalidArgument(context, 'database must be a better-sqlite3 Database or a file name');
  }
  if (candidate.open === false) {
    throw invalidArgument(context, 'database is a Database that has already been closed');
  }
  if (candidate.readonly === true) {
    throw invalidArgument(context, 'database is a read-only Database; the store must write');
  }
}

function openDatabase(fileName: string, busyTimeoutMs: number): Database {
  try {
    return new BetterSqlite3(fileName, { timeout: busyTimeoutMs });
  } catch (error) {
    // The file name stays out of the message; the driver's error, as cause, names it.
    throw new SessionStoreError(
      'UNAVAILABLE',
      `${STORE}: the constructor could not open the database file given as the database ` +
        'option.',
      { cause: error },
    );
  }
}

/**
 * Runs a statement that SQLite may fail with SQLITE_BUSY without consulting the busy
 * handler, retrying it until `timeoutMs` has passed. Switching a new file to WAL is one:
 * SQLite reads the header, then upgrades to a write lock, and an upgrade that finds another
 * connection in the way fails at once. Two processes opening a new file together hit it.
 * The constructor is synchronous, so the wait blocks, as the busy handler itself does.
 */
function retryWhileBusy<T>(run: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return run();
    } catch (error) {
      const remainingMs = deadline - Date.now();
      if (!sqliteCode(error)?.startsWith('SQLITE_BUSY') || remainingMs <= 0) {
        throw error;
      }
      Atomics.wait(SLEEPER, 0, 0, Math.min(remainingMs, attempt * 5, 100));
    }
  }
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

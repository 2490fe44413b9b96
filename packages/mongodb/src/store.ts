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
import {
  type Collection,
  type CreateIndexesOptions,
  type Db,
  type DeleteOptions,
  type IndexDescription,
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type UpdateOptions,
} from 'mongodb';
import {
  byId,
  byUser,
  DEFAULT_COLLECTION,
  DEFAULT_TTL_GRACE_SECONDS,
  expired,
  expiredById,
  liveAtVersion,
  liveById,
  liveByUser,
  recordText,
  type SessionDocument,
  sessionIdOf,
  sessionIndexes,
  validateCollectionName,
  validateDatabaseName,
  validateTtlGraceSeconds,
  writtenFields,
} from './documents.js';

const STORE = '@sessionstore/mongodb';

/** The default of {@link MongoSessionStoreOptions.operationTimeoutMs}: 2 seconds. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 2000;

const DUPLICATE_KEY = 11000;

/** Where the store finds MongoDB: exactly one of `client`, `db` or `url`. */
export type MongoConnectionOptions =
  | {
      /** A client the application opened and closes; the store leaves it open. */
      client: MongoClient;
      /** The database to use on `client`. */
      database: string;
      db?: never;
      url?: never;
    }
  | {
      /** A database handle the application opened; its client is left open. */
      db: Db;
      client?: never;
      database?: never;
      url?: never;
    }
  | {
      /**
       * A connection string for a client the store opens, and closes in `close()`. Its
       * `serverSelectionTimeoutMS` is set to `operationTimeoutMs`. Like any open
       * `MongoClient`, it keeps the process alive until the store is closed.
       */
      url: string;
      /** The database to use; defaults to the one named in `url`, else MongoDB's `test`. */
      database?: string;
      client?: never;
      db?: never;
    };

/** Options for {@link MongoSessionStore}. */
export type MongoSessionStoreOptions = MongoConnectionOptions &
  CommonStoreOptions & {
    /**
     * The collection name. Defaults to `"sessions"`. It must not contain `$` or U+0000,
     * start or end with `.`, or start with `system.`.
     */
    collection?: string;
    /**
     * Whether the store creates its two indexes (see {@link sessionIndexes}) before its
     * first operation completes. Defaults to `true`. Pass `false` when the application's
     * database user may not create indexes, and create them in a migration instead, with
     * the same `ttlGraceSeconds`.
     */
    createIndexes?: boolean;
    /**
     * How long after a session expires, in seconds, MongoDB's TTL monitor may delete its
     * document: the TTL index's `expireAfterSeconds`. Defaults to 60.
     *
     * Liveness is always decided by the store's clock; this margin only keeps the TTL
     * monitor, which runs on the server's clock, from deleting a session the store's clock
     * still calls live when that clock runs behind the server's by up to the grace. A whole
     * number from 0 to 2,147,483,647. Changing it on a collection whose index already exists
     * needs `collMod` (see the README); until then every call rejects with `UNAVAILABLE`.
     */
    ttlGraceSeconds?: number;
    /**
     * How long one call may take before it rejects with `UNAVAILABLE`, in ms, including
     * server selection and, on the first call, index creation. Defaults to 2,000.
     */
    operationTimeoutMs?: number;
    /**
     * How often the store itself deletes expired documents (by its own clock), in ms.
     * Defaults to `0`, never: the TTL index frees the space `ttlGraceSeconds` after expiry,
     * and `prune()` does it at once.
     */
    pruneIntervalMs?: number;
  };

/** Every option name {@link MongoSessionStoreOptions} declares: the store rejects others. */
export const OPTION_NAMES = [
  ...COMMON_STORE_OPTION_NAMES,
  'client',
  'database',
  'db',
  'url',
  'collection',
  'createIndexes',
  'ttlGraceSeconds',
  'operationTimeoutMs',
] as const satisfies readonly (keyof MongoSessionStoreOptions)[];

/**
 * A session store on MongoDB through the official driver: one command per operation,
 * compare-and-set inside that command, expiry kept as a BSON date under a TTL index and
 * decided by the store's clock.
 *
 * Each session is one document, `{ _id: { u: userKey, s: sessionId }, expiresAt,
 * lockVersion, record }`, with the encoded session kept as text in `record`.
 *
 * @typeParam S - the session type; {@link Session} by default.
 *
 * @example
 * ```ts
 * import type { StoredSession } from '@sessionstore/core';
 * import { MongoSessionStore } from '@sessionstore/mongodb';
 * import { MongoClient } from 'mongodb';
 *
 * type DeviceSession = StoredSession & { device: string };
 *
 * const client = new MongoClient('mongodb://127.0.0.1:27017');
 * await client.connect();
 * const store = new MongoSessionStore<DeviceSession>({ client, database: 'auth' });
 * await store.upsert({ id: 'sid-1', userId: 42, device: 'laptop' }, 3600);
 * const session = await store.get('sid-1', 42);
 * await store.close(); // the client stays open
 * ```
 */
export class MongoSessionStore<S extends StoredSession = Session> extends SessionStoreBase<S> {
  readonly #collection: Collection<SessionDocument>;
  readonly #ownedClient: MongoClient | undefined;
  readonly #createIndexes: boolean;
  readonly #indexDescriptions: readonly IndexDescription[];
  readonly #operationTimeoutMs: number;
  #indexes: Promise<void> | undefined;

  /**
   * Checks the options and prepares the store. No I/O happens here: the first operation
   * connects (when needed) and creates the indexes.
   *
   * @param options - a `client` and `database`, a `db`, or a `url`, plus the optional
   *   settings of {@link MongoSessionStoreOptions}.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an unknown or invalid option,
   *   including a misspelled name and a connection string the driver cannot parse (the
   *   message never quotes it). No client is created then.
   */
  constructor(options: MongoSessionStoreOptions) {
    const context = { store: STORE, method: 'the constructor' };
    checkOptionNames(options, OPTION_NAMES, context);
    super(options, { store: STORE, pruneIntervalMs: options.pruneIntervalMs ?? 0 });
    const collectionName = validateCollectionName(
      options.collection ?? DEFAULT_COLLECTION,
      context,
    );
    this.#operationTimeoutMs = checkTimeout(options.operationTimeoutMs, context);
    this.#createIndexes = checkBoolean(options.createIndexes ?? true, 'createIndexes', context);
    this.#indexDescriptions = sessionIndexes(
      validateTtlGraceSeconds(
        options.ttlGraceSeconds === undefined ? DEFAULT_TTL_GRACE_SECONDS : options.ttlGraceSeconds,
        context,
      ),
    );

    const { db, ownedClient } = openDatabase(options, this.#operationTimeoutMs, context);
    this.#ownedClient = ownedClient;
    // A lagging secondary could return a session that was just revoked, so the store reads
    // from the primary whatever the client's default is.
    this.#collection = db.collection<SessionDocument>(collectionName, {
      readPreference: 'primary',
    });
    checkAcknowledged(this.#collection, context);

    this.startPruneTimer();
  }

  /**
   * The driver collection beneath the store, for inspection and maintenance. Documents
   * written through it bypass the store's validation, encoding and signing.
   *
   * @example
   * ```ts
   * const stored = await store.collection.countDocuments();
   * ```
   */
  get collection(): Collection<SessionDocument> {
    return this.#collection;
  }

  protected override readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    return this.#bounded(async (signal) => {
      const document = await this.#collection.findOne(liveById(key, nowMs), {
        projection: { _id: 0, record: 1 },
        maxTimeMS: this.#operationTimeoutMs,
        signal,
      });
      return document === null ? null : recordText(document);
    });
  }

  protected override writeRecord(write: RecordWrite): Promise<boolean> {
    const expected = write.expectedLockVersion;

    return this.#bounded((signal) => {
      if (expected === undefined) {
        return this.#put(write, signal);
      }
      return expected === 0 ? this.#create(write, signal) : this.#update(write, expected, signal);
    });
  }

  protected override deleteRecord(key: RecordKey): Promise<void> {
    return this.#bounded(async (signal) => {
      await this.#collection.deleteOne(byId(key), abortable<DeleteOptions>({}, signal));
    });
  }

  protected override readUserRecords(userKey: string, nowMs: number): Promise<StoredRecord[]> {
    return this.#bounded(async (signal) => {
      const documents = await this.#collection
        .find(liveByUser(userKey, nowMs), {
          projection: { _id: 1, record: 1 },
          maxTimeMS: this.#operationTimeoutMs,
          signal,
        })
        .toArray();
      return documents.map((document) => ({
        sessionId: sessionIdOf(document),
        record: recordText(document),
      }));
    });
  }

  protected override deleteUserRecords(userKey: string): Promise<void> {
    return this.#bounded(async (signal) => {
      await this.#collection.deleteMany(byUser(userKey), abortable<DeleteOptions>({}, signal));
    });
  }

  protected override pruneExpired(nowMs: number): Promise<number> {
    return this.#bounded(async (signal) => {
      const result = await this.#collection.deleteMany(
        expired(nowMs),
        abortable<DeleteOptions>({}, signal),
      );
      return result.deletedCount;
    });
  }

  protected override async closeBackend(): Promise<void> {
    await this.#ownedClient?.close();
  }

  /**
   * Describes a failure without quoting anything the driver said, since its messages can
   * name hosts; the driver's error stays available as `cause`.
   */
  protected override toStoreError(error: unknown, method: string): SessionStoreError {
    if (error instanceof SessionStoreError) {
      return error;
    }

    const indexSetup = error instanceof IndexSetupFailure;
    const cause = indexSetup ? error.cause : error;
    const during = indexSetup ? ' while creating the collection indexes' : '';
    const hint = indexSetup && cause instanceof MongoServerError ? INDEX_HINT : '';
    return new SessionStoreError(
      'UNAVAILABLE',
      `${STORE}: ${method} failed${during}: ${this.#describe(cause)}.${hint}`,
      { cause },
    );
  }

  #describe(error: unknown): string {
    if (error instanceof OperationTimeout) {
      return `MongoDB did not answer within operationTimeoutMs (${this.#operationTimeoutMs} ms)`;
    }
    if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError) {
      return `MongoDB could not be reached (${error.name})`;
    }
    const socketError = socketErrorCode(error);
    if (socketError !== undefined) {
      return `MongoDB could not be reached (${socketError})`;
    }
    if (isClosedClient(error)) {
      return 'the MongoDB client is closed';
    }
    if (error instanceof MongoServerError) {
      return `MongoDB answered with an error (${error.codeName ?? `code ${error.code}`})`;
    }
    return 'the MongoDB driver could not complete it';
  }

  /**
   * An unconditional write: update the document, or insert it when missing.
   *
   * Under real concurrency two upserts of the same new session can both find nothing and
   * both insert; `_id` is unique, so exactly one insert wins and the other fails with a
   * duplicate key error. The document exists from then on, so one retry becomes a plain
   * update that cannot collide again, unless the session is deleted and recreated in
   * between, which is another writer's newer state and reported as `UNAVAILABLE`.
   */
  async #put(write: RecordWrite, signal: AbortSignal): Promise<boolean> {
    const update = { $set: writtenFields(write) };
    const options = abortable({ upsert: true }, signal);

    try {
      await this.#collection.updateOne(byId(write), update, options);
    } catch (error) {
      if (!isIdCollision(error)) {
        throw error;
      }
      await this.#collection.updateOne(byId(write), update, options);
    }
    return true;
  }

  /**
   * A create (`lockVersion` 0): the filter matches only an expired copy, which is then
   * overwritten. With no copy at all the upsert inserts one. With a live copy the filter
   * matches nothing, the upsert tries to insert a second document with the same `_id`, and
   * the unique `_id` index refuses it: that duplicate key error is the conflict.
   *
   * Racing creates: with no copy, both insert and the unique index lets exactly one in. Over
   * an expired copy, both match it, but MongoDB updates one document at a time: the loser
   * hits a write conflict, is retried by the server against the updated (now live) copy, no
   * longer matches, and its insert collides on `_id`. Either way exactly one succeeds.
   */
  async #create(write: RecordWrite, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#collection.updateOne(
        expiredById(write, write.nowMs),
        { $set: writtenFields(write) },
        abortable({ upsert: true }, signal),
      );
      return true;
    } catch (error) {
      if (isIdCollision(error)) {
        return false;
      }
      throw error;
    }
  }

  /**
   * An update at `lockVersion` n: one document-level atomic update that matches only the
   * live copy at version n, never inserting, so a stale writer or a revoked session changes
   * nothing. Of racing writers at the same version, MongoDB applies the first; the others
   * hit a write conflict, are retried by the server against the new version, and no longer
   * match.
   */
  async #update(write: RecordWrite, expected: number, signal: AbortSignal): Promise<boolean> {
    const result = await this.#collection.updateOne(
      liveAtVersion(write, write.nowMs, expected),
      { $set: writtenFields(write) },
      abortable<UpdateOptions>({}, signal),
    );
    return result.matchedCount === 1;
  }

  /**
   * Runs one operation after the indexes exist, within `operationTimeoutMs` for the whole
   * call (see {@link withDeadline}).
   *
   * A client the store owns is connected explicitly first. The driver's implicit connect
   * closes the client for good when its first attempt fails (MongoDB down at start-up),
   * while `connect()` opens it afresh, so the store recovers once MongoDB is back. This
   * runs synchronously at the start of a call, which the base class only begins while the
   * store is open, so it can never reopen a client after `close()`. A client passed in is
   * the application's to connect.
   */
  #bounded<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.#operationTimeoutMs, async (signal) => {
      await this.#ownedClient?.connect();
      await this.#ensureIndexes();
      return operation(signal);
    });
  }

  /**
   * Creates the indexes once, shared by every call that arrives meanwhile. A failure is
   * not kept: the next call tries again, so a store started while MongoDB was down, or
   * before an operator fixed a conflicting index, recovers without a restart.
   * `createIndexes` is idempotent in MongoDB, so several processes may run it at once.
   */
  #ensureIndexes(): Promise<void> {
    if (!this.#createIndexes) {
      return Promise.resolve();
    }

    this.#indexes ??= withDeadline(this.#operationTimeoutMs, (signal) =>
      this.#collection.createIndexes(
        [...this.#indexDescriptions],
        abortable<CreateIndexesOptions>({}, signal),
      ),
    ).then(
      () => undefined,
      (error: unknown) => {
        this.#indexes = undefined;
        throw new IndexSetupFailure(error);
      },
    );
    return this.#indexes;
  }
}

/**
 * Runs `operation` and rejects with {@link OperationTimeout} if it has not settled within
 * `timeoutMs`. At the deadline the signal tells the driver to stop waiting (server
 * selection, pool checkout or the socket read). The race bounds the call where the driver
 * cannot stop: its implicit first connection, a retry it already scheduled, or an older
 * driver that ignores `signal`. The timer is cleared as soon as the operation settles, so it
 * never holds a process open.
 */
async function withDeadline<T>(
  timeoutMs: number,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new OperationTimeout()), timeoutMs);
  const deadline = rejectOnAbort(controller.signal);

  try {
    return await Promise.race([operation(controller.signal), deadline.promise]);
  } finally {
    clearTimeout(timer);
    deadline.dispose();
  }
}

const INDEX_HINT =
  " Fix or drop the conflicting index (collMod changes a TTL index's expireAfterSeconds in " +
  'place), or create the indexes in a migration and pass createIndexes: false.';

/** The deadline of one operation passed; see `operationTimeoutMs`. */
class OperationTimeout extends Error {
  constructor() {
    super('The operation did not complete within operationTimeoutMs.');
    this.name = 'OperationTimeout';
  }
}

/** Marks a failure of index creation, so the message can say so. */
class IndexSetupFailure extends Error {
  constructor(cause: unknown) {
    super('The collection indexes could not be created.', { cause });
    this.name = 'IndexSetupFailure';
  }
}

/**
 * Adds an abort signal to a driver options object. The driver's executor honours `signal`
 * on every operation, though its 7.x types declare it only on reads.
 */
function abortable<T extends object>(options: T, signal: AbortSignal): T & { signal: AbortSignal } {
  return { ...options, signal };
}

function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let listener = (): void => undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    listener = () => reject(signal.reason);
    signal.addEventListener('abort', listener, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', listener) };
}

/**
 * True for a duplicate key error on `_id`: the only unique index the store relies on. A
 * duplicate on some other unique index an application added is left to fail as it is.
 */
function isIdCollision(error: unknown): boolean {
  if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) {
    return false;
  }

  const keyPattern: unknown = error.keyPattern;
  // Servers older than 4.4 do not say which index; then `_id` is the only unique one here.
  if (keyPattern === undefined || keyPattern === null || typeof keyPattern !== 'object') {
    return true;
  }
  const fields = Object.keys(keyPattern);
  return fields.length === 1 && fields[0] === '_id';
}

/**
 * True when the client was closed, by its owner or by the driver after a failed first
 * connection. `MongoClientClosedError` is matched by name: older 6.x drivers lack the class.
 */
function isClosedClient(error: unknown): boolean {
  return (
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    (error instanceof Error && error.name === 'MongoClientClosedError')
  );
}

/**
 * The code of a socket error (`ECONNRESET`, `EPIPE`, ...) that reached the store unwrapped:
 * the driver passes some failures of a write to a connection the server dropped as is.
 */
function socketErrorCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && /^E[A-Z]{2,20}$/.test(code) ? code : undefined;
}

function openDatabase(
  options: MongoSessionStoreOptions,
  operationTimeoutMs: number,
  context: ArgumentContext,
): { db: Db; ownedClient: MongoClient | undefined } {
  const given = [options.client, options.db, options.url].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw invalidArgument(
      context,
      'exactly one of the client (with database), db or url options must be given',
    );
  }

  if (options.db !== undefined) {
    if (options.database !== undefined) {
      throw invalidArgument(context, 'database cannot be given with db, which names its own');
    }
    return { db: checkDb(options.db, context), ownedClient: undefined };
  }
  if (options.client !== undefined) {
    const client = checkClient(options.client, context);
    const database = validateDatabaseName(options.database, context);
    return { db: client.db(database), ownedClient: undefined };
  }

  const client = openClient(options.url, operationTimeoutMs, context);
  const database =
    options.database === undefined ? undefined : validateDatabaseName(options.database, context);
  return { db: client.db(database), ownedClient: client };
}

function openClient(url: unknown, operationTimeoutMs: number, context: ArgumentContext) {
  if (typeof url !== 'string' || url.length === 0) {
    throw invalidArgument(context, 'url must be a non-empty MongoDB connection string');
  }

  try {
    return new MongoClient(url, { serverSelectionTimeoutMS: operationTimeoutMs });
  } catch {
    // The driver's parse errors can quote parts of the connection string, user names
    // included, so neither its message nor the error itself is passed on.
    throw invalidArgument(context, 'url is not a MongoDB connection string the driver accepts');
  }
}

function checkClient(client: unknown, context: ArgumentContext): MongoClient {
  if (typeof (client as Partial<MongoClient> | null)?.db !== 'function') {
    throw invalidArgument(context, 'client must be a MongoClient');
  }
  return client as MongoClient;
}

function checkDb(db: unknown, context: ArgumentContext): Db {
  if (typeof (db as Partial<Db> | null)?.collection !== 'function') {
    throw invalidArgument(context, 'db must be a Db from the mongodb driver');
  }
  return db as Db;
}

function checkAcknowledged(collection: Collection<SessionDocument>, context: ArgumentContext) {
  const w = collection.writeConcern?.w;
  if (w === 0) {
    throw invalidArgument(
      context,
      'the client or db uses unacknowledged writes (w: 0), which cannot report a conflict',
    );
  }
}

function checkTimeout(value: unknown, context: ArgumentContext): number {
  const bounds = { min: 1, max: MAX_TIMER_MS, fallback: DEFAULT_OPERATION_TIMEOUT_MS } as const;
  return checkIntegerOption(value, 'operationTimeoutMs', bounds, context);
}

function checkBoolean(value: unknown, name: string, context: ArgumentContext): boolean {
  if (typeof value !== 'boolean') {
    throw invalidArgument(context, `${name} must be true or false`);
  }
  return value;
}

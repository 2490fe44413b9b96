import { DEFAULT_MAX_SESSION_BYTES, decodeSession, encodeSession } from './codec.js';
import { SessionStoreError } from './errors.js';
import { RecordSigner } from './signing.js';
import type {
  Clock,
  CommonStoreOptions,
  Session,
  SessionStore,
  SessionStoreEvent,
  SessionStoreLogger,
  StoredSession,
  UserId,
} from './types.js';
import {
  type ArgumentContext,
  canonicalUserId,
  checkIntegerOption,
  describe,
  invalidArgument,
  MAX_TIMER_MS,
  validateSessionId,
  validateSessionIdentity,
  validateTtlSeconds,
} from './validate.js';

/** Where one session lives: its canonical user id and its session id. */
export interface RecordKey {
  /** The canonical user id (see {@link canonicalUserId}). */
  userKey: string;
  sessionId: string;
}

/** One write, as a backend receives it: already validated, encoded and signed. */
export interface RecordWrite extends RecordKey {
  /** The stored text: the encoded session, signed when signing is on. */
  record: string;
  /** The store clock's reading for this call. */
  nowMs: number;
  /** When the session stops being live: `nowMs + ttlSeconds * 1000`. */
  expiresAtMs: number;
  /**
   * `undefined` for an unconditional write; `0` to write only when no live copy exists;
   * `n > 0` to write only when the live copy's lock version is `n`.
   */
  expectedLockVersion: number | undefined;
  /** The lock version stored with the record: `expectedLockVersion + 1`, or `null`. */
  lockVersion: number | null;
}

/** A stored record as a backend returns it from a per-user listing. */
export interface StoredRecord {
  sessionId: string;
  record: string;
}

/**
 * The names of the {@link CommonStoreOptions}, the options {@link SessionStoreBase} reads
 * (`pruneIntervalMs` through the subclass, which sets its default). An adapter composes the
 * list it gives `checkOptionNames` from this one and its own names, so a new common
 * option reaches every adapter's check at once.
 *
 * @example
 * ```ts
 * const OPTION_NAMES = [...COMMON_STORE_OPTION_NAMES, 'database', 'table'] as const;
 * ```
 */
export const COMMON_STORE_OPTION_NAMES = Object.freeze([
  'clock',
  'maxSessionBytes',
  'logger',
  'signingSecret',
  'pruneIntervalMs',
] as const satisfies readonly (keyof CommonStoreOptions)[]);

/** Options a {@link SessionStoreBase} subclass passes up. */
export interface StoreBaseSettings {
  /** The package name, the first word of every message. */
  store: string;
  /** How often expired entries are swept, in ms; `0` for never. */
  pruneIntervalMs: number;
}

/**
 * The shared half of every sessionstore adapter. It validates arguments before any I/O,
 * encodes, signs and decodes records, applies the store's clock, wraps backend errors,
 * reports unreadable records, runs the prune timer, and tracks `close()`. A subclass only
 * moves records: it implements the protected `…Record…` methods, one round trip each.
 *
 * @typeParam S - the session type.
 */
export abstract class SessionStoreBase<S extends StoredSession = Session>
  implements Required<SessionStore<S>>
{
  /** The package name, the first word of every message. */
  protected readonly storeName: string;
  readonly #clock: Clock;
  readonly #maxSessionBytes: number;
  readonly #logger: SessionStoreLogger | undefined;
  readonly #signer: RecordSigner | undefined;
  readonly #pruneIntervalMs: number;
  #pruneTimer: NodeJS.Timeout | undefined;
  #prunePass: Promise<void> | undefined;
  #latestMs = Number.NEGATIVE_INFINITY;
  #closing: Promise<void> | undefined;

  /**
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an invalid common option.
   */
  protected constructor(options: CommonStoreOptions, settings: StoreBaseSettings) {
    const context = { store: settings.store, method: 'the constructor' };
    this.storeName = settings.store;
    this.#clock = checkClock(options.clock, context);
    this.#maxSessionBytes = checkIntegerOption(
      options.maxSessionBytes,
      'maxSessionBytes',
      { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: DEFAULT_MAX_SESSION_BYTES },
      context,
    );
    this.#logger = checkLogger(options.logger, context);
    this.#signer =
      options.signingSecret === undefined
        ? undefined
        : new RecordSigner(options.signingSecret, settings.store);
    this.#pruneIntervalMs = checkIntegerOption(
      settings.pruneIntervalMs,
      'pruneIntervalMs',
      { min: 0, max: MAX_TIMER_MS, fallback: 0 },
      context,
    );
  }

  /** @inheritDoc SessionStore.get */
  async get(sessionId: string, userId: UserId): Promise<S | null> {
    const context = this.#context('get()');
    const key = {
      sessionId: validateSessionId(sessionId, context),
      userKey: canonicalUserId(userId, context),
    };
    this.#assertOpen(context);

    const nowMs = this.#now(context);
    const record = await this.#run(context, () => this.readRecord(key, nowMs));

    return record === null ? null : this.#open(record, key, nowMs, context);
  }

  /** @inheritDoc SessionStore.upsert */
  async upsert(session: S, ttlSeconds: number): Promise<void> {
    const context = this.#context('upsert()');
    const identity = validateSessionIdentity(session, context);
    validateTtlSeconds(ttlSeconds, context);
    const expected = identity.lockVersion;
    if (expected !== undefined) {
      identity.fields.lockVersion = expected + 1;
    }
    const text = encodeSession(identity.fields, context, this.#maxSessionBytes);
    this.#assertOpen(context);

    const nowMs = this.#now(context);
    const expiresAtMs = nowMs + ttlSeconds * 1000;
    const write: RecordWrite = {
      userKey: identity.userKey,
      sessionId: identity.sessionId,
      record: this.#signer?.sign(identity.userKey, identity.sessionId, text, expiresAtMs) ?? text,
      nowMs,
      expiresAtMs,
      expectedLockVersion: expected,
      lockVersion: expected === undefined ? null : expected + 1,
    };
    const written = await this.#run(context, () => this.writeRecord(write));

    if (!written) {
      throw new SessionStoreError(
        'CONFLICT',
        expected === 0
          ? `${this.storeName}: upsert() with lockVersion 0 could not create the session: a live ` +
              'copy already exists.'
          : `${this.storeName}: upsert() with lockVersion ${expected} found no live copy at that ` +
              'version: another writer updated it first, or it was deleted or expired.',
      );
    }
  }

  /** @inheritDoc SessionStore.delete */
  async delete(sessionId: string, userId: UserId): Promise<void> {
    const context = this.#context('delete()');
    const key = {
      sessionId: validateSessionId(sessionId, context),
      userKey: canonicalUserId(userId, context),
    };
    this.#assertOpen(context);

    // Revoking a session must not depend on the clock: it is read only to tidy on the way.
    const nowMs = this.#nowIfReadable(context);
    await this.#run(context, () => this.deleteRecord(key, nowMs));
  }

  /** @inheritDoc SessionStore.getAll */
  async getAll(userId: UserId): Promise<S[]> {
    const context = this.#context('getAll()');
    const userKey = canonicalUserId(userId, context);
    this.#assertOpen(context);

    const nowMs = this.#now(context);
    const records = await this.#run(context, () => this.readUserRecords(userKey, nowMs));

    const sessions: S[] = [];
    for (const { sessionId, record } of records) {
      const session = this.#open(record, { userKey, sessionId }, nowMs, context);
      if (session !== null) {
        sessions.push(session);
      }
    }
    return sessions;
  }

  /** @inheritDoc SessionStore.deleteAll */
  async deleteAll(userId: UserId): Promise<void> {
    const context = this.#context('deleteAll()');
    const userKey = canonicalUserId(userId, context);
    this.#assertOpen(context);

    await this.#run(context, () => this.deleteUserRecords(userKey));
  }

  /** @inheritDoc SessionStore.prune */
  async prune(): Promise<number> {
    const context = this.#context('prune()');
    this.#assertOpen(context);

    const nowMs = this.#now(context);
    return this.#run(context, () => this.pruneExpired(nowMs));
  }

  /** @inheritDoc SessionStore.close */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Reads the live record of one session, or `null`. */
  protected abstract readRecord(key: RecordKey, nowMs: number): Promise<string | null>;

  /**
   * Writes a record, applying the compare-and-set of `write.expectedLockVersion` atomically.
   *
   * @returns `false` when the compare-and-set failed and nothing was written.
   */
  protected abstract writeRecord(write: RecordWrite): Promise<boolean>;

  /**
   * Deletes one record, live or expired; succeeds when there is none. `nowMs` is the store's
   * clock reading, for a backend that tidies the user's expired records on the way; it is
   * `undefined` when the clock cannot be read and has never been, and the delete must then
   * go ahead without tidying.
   */
  protected abstract deleteRecord(key: RecordKey, nowMs: number | undefined): Promise<void>;

  /** Reads every live record of a user. */
  protected abstract readUserRecords(userKey: string, nowMs: number): Promise<StoredRecord[]>;

  /** Deletes every record of a user. */
  protected abstract deleteUserRecords(userKey: string): Promise<void>;

  /** Deletes every record with `expiresAtMs <= nowMs` and returns how many. */
  protected abstract pruneExpired(nowMs: number): Promise<number>;

  /** Releases what the store opened itself. Called once, by {@link close}. */
  protected abstract closeBackend(): Promise<void>;

  /**
   * Turns a backend failure into a {@link SessionStoreError}. The default makes it
   * `UNAVAILABLE`, with the driver's error as `cause` and its code, if any, in the message.
   * Subclasses may recognise more.
   */
  protected toStoreError(error: unknown, method: string): SessionStoreError {
    if (error instanceof SessionStoreError) {
      return error;
    }

    const code = (error as { code?: unknown } | null)?.code;
    const detail = typeof code === 'string' && /^[\w.-]{1,40}$/.test(code) ? ` (${code})` : '';
    return new SessionStoreError(
      'UNAVAILABLE',
      `${this.storeName}: ${method} failed because the backend could not complete it${detail}.`,
      { cause: error },
    );
  }

  /** Starts the unref()ed sweep timer, when the store has a prune interval. */
  protected startPruneTimer(): void {
    if (this.#pruneIntervalMs === 0 || this.#pruneTimer !== undefined || this.closed) {
      return;
    }

    this.#pruneTimer = setInterval(() => this.#runPrunePass(), this.#pruneIntervalMs);
    this.#pruneTimer.unref();
  }

  /**
   * Reports a stored record that the backend's own layout makes unreadable (an expiry the
   * adapter cannot parse, say), as the store reports a record that cannot be decoded: a
   * `corrupt-record` warning through the logger. The adapter then treats it as absent.
   *
   * @param method - the public method that met the record, for example `"get()"`.
   * @param problem - what is wrong, completing "skipped a stored record that ...".
   */
  protected reportCorruptRecord(key: RecordKey, method: string, problem: string): void {
    this.#reportUnreadable('corrupt-record', key, this.#context(method), problem);
  }

  /** Reports an event through the logger; a logger that throws or rejects is ignored. */
  protected report(level: 'warn' | 'error', message: string, event: SessionStoreEvent): void {
    try {
      const result: unknown = this.#logger?.[level](`${this.storeName}: ${message}`, event);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, ignoreLoggerFailure);
      }
    } catch {
      // A broken logger must not break the caller's request.
    }
  }

  #runPrunePass(): void {
    if (this.#prunePass !== undefined || this.closed) {
      return;
    }

    const context = this.#context('the prune timer');
    this.#prunePass = this.#run(context, () => this.pruneExpired(this.#now(context)))
      .then(
        () => undefined,
        (error: SessionStoreError) => {
          this.report('error', 'a background prune pass failed.', {
            type: 'prune-failed',
            store: this.storeName,
            error,
          });
        },
      )
      .finally(() => {
        this.#prunePass = undefined;
      });
  }

  async #close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    await this.#prunePass;
    await this.closeBackend();
  }

  #open(record: string, key: RecordKey, nowMs: number, context: ArgumentContext): S | null {
    const text = this.#signer === undefined ? record : this.#verified(record, key, nowMs, context);
    if (text === null) {
      return null;
    }

    let session: Record<string, unknown>;
    try {
      session = decodeSession(text, context);
    } catch (error) {
      this.#reportUnreadable('corrupt-record', key, context, 'could not be decoded', error);
      return null;
    }

    if (!this.#belongsTo(session, key, context)) {
      this.#reportUnreadable('tampered-record', key, context, 'holds another session');
      return null;
    }

    return session as unknown as S;
  }

  #verified(
    record: string,
    key: RecordKey,
    nowMs: number,
    context: ArgumentContext,
  ): string | null {
    const opened = this.#signer?.open(key.userKey, key.sessionId, record) ?? null;
    if (opened === null) {
      this.#reportUnreadable('tampered-record', key, context, 'has a missing or wrong signature');
      return null;
    }

    // The backend found it live, so an earlier signed expiry means its expiry was edited.
    if (opened.expiresAtMs <= nowMs) {
      this.#reportUnreadable('tampered-record', key, context, 'is live past its signed expiry');
      return null;
    }

    return opened.text;
  }

  #belongsTo(session: Record<string, unknown>, key: RecordKey, context: ArgumentContext): boolean {
    if (session.id !== key.sessionId) {
      return false;
    }

    try {
      return canonicalUserId(session.userId, context) === key.userKey;
    } catch {
      return false;
    }
  }

  #reportUnreadable(
    type: 'corrupt-record' | 'tampered-record',
    key: RecordKey,
    context: ArgumentContext,
    problem: string,
    cause?: unknown,
  ): void {
    const error = new SessionStoreError(
      'CORRUPT',
      `${this.storeName}: ${context.method} skipped a stored record that ${problem}.`,
      cause === undefined ? {} : { cause },
    );
    this.report(
      'warn',
      `${context.method} skipped an unreadable record; it is treated as absent.`,
      {
        type,
        store: this.storeName,
        sessionId: key.sessionId,
        userKey: key.userKey,
        error,
      },
    );
  }

  // Not an async function: on the hot path one fewer promise layer is measurably cheaper.
  #run<T>(context: ArgumentContext, operation: () => Promise<T>): Promise<T> {
    const wrap = (error: unknown): never => {
      throw this.toStoreError(error, context.method);
    };
    try {
      return operation().catch(wrap);
    } catch (error) {
      return Promise.reject(this.toStoreError(error, context.method));
    }
  }

  #assertOpen(context: ArgumentContext): void {
    if (this.closed) {
      throw new SessionStoreError(
        'CLOSED',
        `${this.storeName}: ${context.method} was called after close().`,
      );
    }
  }

  /**
   * Reads the clock. Its reading must be a finite number of ms; fractions are dropped, and a
   * reading earlier than one already seen counts as that one, so a clock stepped back (as
   * `Date.now` can be) never brings an expired session back.
   */
  #now(context: ArgumentContext): number {
    let reading: unknown;
    try {
      reading = this.#clock();
    } catch (error) {
      throw new SessionStoreError(
        'INVALID_ARGUMENT',
        `${this.storeName}: ${context.method} could not read the clock option.`,
        { cause: error },
      );
    }

    if (typeof reading !== 'number' || !Number.isFinite(reading)) {
      throw invalidArgument(
        context,
        `the clock option returned ${describe(reading)}, not a finite number of ms`,
      );
    }

    this.#latestMs = Math.max(this.#latestMs, Math.floor(reading));
    return this.#latestMs;
  }

  /**
   * The clock's reading, or, when the clock throws or returns something other than a
   * number, the latest reading seen (earlier than now, so nothing live looks expired by it),
   * or `undefined` if there was none.
   */
  #nowIfReadable(context: ArgumentContext): number | undefined {
    try {
      return this.#now(context);
    } catch {
      return Number.isFinite(this.#latestMs) ? this.#latestMs : undefined;
    }
  }

  #context(method: string): ArgumentContext {
    return { store: this.storeName, method };
  }
}

function ignoreLoggerFailure(): void {
  // A logger whose write failed must not turn into an unhandled rejection.
}

function checkClock(clock: unknown, context: ArgumentContext): Clock {
  if (clock === undefined) {
    return Date.now;
  }
  if (typeof clock !== 'function') {
    throw invalidArgument(context, 'the clock option must be a function returning milliseconds');
  }
  return clock as Clock;
}

function checkLogger(logger: unknown, context: ArgumentContext): SessionStoreLogger | undefined {
  if (logger === undefined) {
    return undefined;
  }
  const candidate = logger as Partial<SessionStoreLogger> | null;
  if (typeof candidate?.warn !== 'function' || typeof candidate.error !== 'function') {
    throw invalidArgument(context, 'the logger option must have warn() and error() methods');
  }
  return candidate as SessionStoreLogger;
}

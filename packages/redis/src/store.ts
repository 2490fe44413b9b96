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
  SessionStoreError,
  type StoredRecord,
  type StoredSession,
  type TimedCall,
} from '@sessionstore/core';
import { type Cluster, Redis } from 'ioredis';
import {
  checkPrefix,
  DEFAULT_PREFIX,
  indexKeyPattern,
  parseStoredValue,
  RECORD_FIELD_PREFIX,
  recordField,
  sessionsKeyOf,
  storedValue,
  type UserKeys,
  userKeysFromIndexKey,
  userKeysOf,
} from './keys.js';
import {
  DELETE_SCRIPT,
  PRUNE_SCRIPT,
  READ_ALL_SCRIPT,
  READ_SCRIPT,
  type RedisScript,
  UPSERT_SCRIPT,
} from './scripts.js';

const STORE_NAME = '@sessionstore/redis';

/** The default for {@link RedisSessionStoreOptions.commandTimeoutMs}. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** The default for {@link RedisSessionStoreOptions.keyExpiryGraceMs}. */
export const DEFAULT_KEY_EXPIRY_GRACE_MS = 60_000;

/** How many hash slots a Redis Cluster has. */
const CLUSTER_SLOT_COUNT = 16_384;

/** How many keys one SCAN step asks for while pruning. */
const SCAN_BATCH_SIZE = 500;

/**
 * The shortest time between two reconnects the store forces on its own connection, in ms,
 * so a server that is slow rather than gone is not sent a new connection on every call.
 */
export const FORCED_RECONNECT_INTERVAL_MS = 5_000;

/** When the store's own connection starts TCP keepalive probes on an idle socket, in ms. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** An ioredis client: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Options for {@link RedisSessionStore}. Give either `client` or `url`. */
export type RedisSessionStoreOptions = CommonStoreOptions &
  RedisConnectionOptions & {
    /**
     * Prepended to every key: 1 to 256 UTF-8 bytes without `{` or `}`. Two stores with
     * different prefixes never see each other's sessions, even when one prefix starts with
     * the other. Defaults to `"sessionstore:"`.
     */
    prefix?: string | undefined;
    /**
     * How long a call may wait for Redis, in ms, including any wait for a lost connection to
     * come back; past it the call rejects with `UNAVAILABLE`. Defaults to 2,000.
     */
    commandTimeoutMs?: number | undefined;
    /**
     * How long after a user's last session ends, in ms, Redis may drop the user's keys.
     * Liveness is always decided by the store's clock; this margin only keeps Redis's own
     * expiry, which runs on the server's clock, from removing a session the store's clock
     * still calls live when that clock runs behind the server's. Defaults to 60,000.
     */
    keyExpiryGraceMs?: number | undefined;
    /**
     * How often the store sweeps expired sessions itself, in ms. Defaults to `0` (never):
     * Redis key expiry frees a user's keys when their last session ends, and every write
     * drops the user's expired sessions. `prune()` works either way.
     */
    pruneIntervalMs?: number | undefined;
  };

/** Every option name {@link RedisSessionStoreOptions} declares: the store rejects others. */
export const OPTION_NAMES = [
  ...COMMON_STORE_OPTION_NAMES,
  'client',
  'url',
  'prefix',
  'commandTimeoutMs',
  'keyExpiryGraceMs',
] as const satisfies readonly (keyof RedisSessionStoreOptions)[];

/** Where the store's connection comes from. */
export type RedisConnectionOptions =
  | {
      /**
       * The application's ioredis `Redis` or `Cluster` client. The store never closes it,
       * never reconnects it and never changes its settings: give it `keepAlive` and
       * `socketTimeout` so it replaces a connection that goes silent.
       */
      client: RedisClient;
      url?: undefined;
    }
  | {
      /**
       * A `redis://` or `rediss://` URL. The store opens its own standalone connection and
       * closes it in `close()`. That connection uses TCP keepalive, is replaced when a call
       * runs out of time on it, and does not keep the process alive while no call is
       * pending; the README's "Setup with a URL" says more.
       */
      url: string;
      client?: undefined;
    };

/** The store's own timeout, told apart from driver errors in {@link RedisSessionStore}. */
class CommandTimeoutError extends Error {
  /**
   * @param connectionError - the connection's latest error while the call waited, if any:
   *   kept as the cause, since it says why Redis did not answer.
   */
  constructor(
    readonly timeoutMs: number,
    readonly connectionError?: Error,
  ) {
    super(`Redis did not answer within ${timeoutMs} ms.`, causeOption(connectionError));
    this.name = 'CommandTimeoutError';
  }
}

/** Some of a Cluster's hash slots had no master that `prune()` could scan. */
class UnsweptSlotsError extends Error {
  constructor(readonly unsweptSlots: number) {
    super(`${unsweptSlots} of ${CLUSTER_SLOT_COUNT} hash slots have no reachable master.`);
    this.name = 'UnsweptSlotsError';
  }
}

/**
 * The client ended, the store closed, or the store's own connection was refused its
 * credentials, while a call waited for a connection.
 */
class NotConnectedError extends Error {
  constructor(readonly connectionError?: Error) {
    super(
      connectionError === undefined
        ? 'The Redis client is not connected.'
        : 'The connection to Redis failed; its error is the cause.',
      causeOption(connectionError),
    );
    this.name = 'NotConnectedError';
  }
}

/**
 * A session store on Redis or Redis Cluster, through ioredis. Each user's sessions live in
 * two keys that share one hash tag: a sorted set of session ids scored by expiry, and a hash
 * of each session's expiry, lock version and record. Every call is one command on one slot:
 * a Lua script, run by SHA, for writes; `HGET`, `HGETALL` or `DEL` for the rest.
 *
 * @typeParam S - the session type.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisSessionStore } from '@sessionstore/redis';
 *
 * const client = new Redis('redis://127.0.0.1:6379');
 * const store = new RedisSessionStore({ client, prefix: 'myapp:sessions:' });
 * await store.upsert({ id: 'sid-1', userId: 42, device: 'laptop' }, 3600);
 * const sessions = await store.getAll(42);
 * ```
 */
export class RedisSessionStore<S extends StoredSession = Session> extends SessionStoreBase<S> {
  readonly #client: RedisClient;
  readonly #ownsClient: boolean;
  /**
   * False for a Cluster client that sends read-only commands to replicas: a replica lags its
   * master, so a plain read there could miss a session just written or return one just
   * deleted. Reads then run as scripts, which ioredis sends to the master.
   */
  readonly #readsOnMaster: boolean;
  readonly #prefix: string;
  readonly #commandTimeoutMs: number;
  /** The time bound of every call waiting for Redis or for its reply. */
  readonly #calls: CallTimer;
  readonly #keyExpiryGraceArg: string;
  #readiness: { promise: Promise<void>; stop: () => void } | undefined;
  /** Counts the `ready` events of the store's own connection: one per connection made. */
  #connectionEpoch = 0;
  /** The epoch of the last connection the store dropped for not answering. */
  #droppedEpoch = -1;
  #lastForcedReconnectMs = Number.NEGATIVE_INFINITY;
  /**
   * The latest error the connection reported since it was last ready, told to a call that
   * fails while waiting for it. See {@link #noteConnectionError} for when it is known.
   */
  #connectionError: Error | undefined;

  /**
   * @param options - `client` (an application's ioredis client, left open by `close()`) or
   *   `url` (a connection the store owns), plus `prefix`, `commandTimeoutMs`, `clock`,
   *   `maxSessionBytes`, `logger`, `signingSecret` and `pruneIntervalMs`.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an unknown or invalid option.
   *   Nothing is opened when the options are rejected.
   */
  constructor(options: RedisSessionStoreOptions) {
    const context = { store: STORE_NAME, method: 'the constructor' };
    checkOptionNames(checkOptionsObject(options), OPTION_NAMES, context);
    super(options, {
      store: STORE_NAME,
      pruneIntervalMs: options.pruneIntervalMs ?? 0,
    });
    this.#prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX, context);
    this.#commandTimeoutMs = checkTimeout(options.commandTimeoutMs, context);
    this.#calls = new CallTimer(this.#commandTimeoutMs);
    this.#keyExpiryGraceArg = String(checkGrace(options.keyExpiryGraceMs, context));
    if (options.client !== undefined && options.url !== undefined) {
      throw invalidArgument(context, 'give either a client or a url, not both');
    }
    this.#ownsClient = options.client === undefined;
    this.#client =
      options.client === undefined
        ? openClient(options.url, context, () => this.#shouldReconnect())
        : checkClient(options.client, context);
    this.#readsOnMaster = !isCluster(this.#client) || readsOnMaster(this.#client);
    if (this.#ownsClient) {
      this.#watchOwnedConnection(this.#client as Redis);
    }
    this.startPruneTimer();
  }

  /** The key prefix this store's keys start with. */
  get prefix(): string {
    return this.#prefix;
  }

  /** The client the store sends its commands through. */
  get client(): RedisClient {
    return this.#client;
  }

  protected override readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    const field = recordField(key.sessionId);
    const read = this.#readsOnMaster
      ? this.#send(() => this.#client.hget(sessionsKeyOf(this.#prefix, key.userKey), field))
      : this.#run(READ_SCRIPT, userKeysOf(this.#prefix, key.userKey), [field]);

    return read.then((value) =>
      typeof value === 'string' ? this.#liveRecord(value, key, nowMs, 'get()') : null,
    );
  }

  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    const keys = userKeysOf(this.#prefix, write.userKey);
    const reply = await this.#run(UPSERT_SCRIPT, keys, [
      write.sessionId,
      storedValue(write.record, write.expiresAtMs, write.lockVersion),
      String(write.nowMs),
      String(write.expiresAtMs),
      write.expectedLockVersion === undefined ? '' : String(write.expectedLockVersion),
      this.#keyExpiryGraceArg,
    ]);

    return reply === 1;
  }

  protected override async deleteRecord(key: RecordKey, nowMs: number | undefined): Promise<void> {
    const keys = userKeysOf(this.#prefix, key.userKey);
    const nowArg = nowMs === undefined ? '' : String(nowMs);
    await this.#run(DELETE_SCRIPT, keys, [key.sessionId, nowArg, this.#keyExpiryGraceArg]);
  }

  protected override async readUserRecords(
    userKey: string,
    nowMs: number,
  ): Promise<StoredRecord[]> {
    const fields = this.#readsOnMaster
      ? await this.#send(() => this.#client.hgetall(sessionsKeyOf(this.#prefix, userKey)))
      : pairsToObject(await this.#run(READ_ALL_SCRIPT, userKeysOf(this.#prefix, userKey), []));

    const records: StoredRecord[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith(RECORD_FIELD_PREFIX)) {
        continue;
      }
      const key = { userKey, sessionId: field.slice(RECORD_FIELD_PREFIX.length) };
      const record = this.#liveRecord(value, key, nowMs, 'getAll()');
      if (record !== null) {
        records.push({ sessionId: key.sessionId, record });
      }
    }
    return records;
  }

  protected override async deleteUserRecords(userKey: string): Promise<void> {
    const { index, sessions } = userKeysOf(this.#prefix, userKey);
    await this.#send(() => this.#client.del(index, sessions));
  }

  /**
   * The record of a stored value when its session is live at `nowMs`, else `null`. A value
   * whose expiry cannot be read is reported as corrupt and treated as absent: without an
   * expiry, the store cannot tell that it is live.
   */
  #liveRecord(value: string, key: RecordKey, nowMs: number, method: string): string | null {
    const stored = parseStoredValue(value);
    if (stored === null) {
      this.reportCorruptRecord(key, method, 'has no readable expiry');
      return null;
    }
    return stored.expiresAtMs > nowMs ? stored.record : null;
  }

  /**
   * Scans every master for this store's users and prunes each one. On a Cluster, the
   * masters the client can reach must serve all 16,384 slots: ioredis leaves a master it
   * lost out of its node list, so a pass over the list alone would skip that master's users
   * and still report success. The reachable masters are swept first, then the call rejects
   * with `UNAVAILABLE` saying how many slots were left unswept; the client is asked to
   * refresh its slot map meanwhile, so a later pass finds the master once it is back.
   */
  protected override async pruneExpired(nowMs: number): Promise<number> {
    await this.#bounded(() => this.#connected());

    const targets = this.#scanTargets();
    const unsweptSlots = isCluster(this.#client) ? countUnservedSlots(this.#client, targets) : 0;
    if (unsweptSlots > 0 && this.#client.status === 'ready') {
      // As a command routed to a lost master does, so a master that is back rejoins the list.
      (this.#client as Cluster).refreshSlotsCache();
    }
    let removed = 0;
    for (const node of targets) {
      removed += await this.#pruneNode(node, nowMs);
    }

    if (unsweptSlots > 0) {
      throw new UnsweptSlotsError(unsweptSlots);
    }
    return removed;
  }

  protected override async closeBackend(): Promise<void> {
    this.#readiness?.stop();

    if (!this.#ownsClient || this.#client.status === 'end') {
      return;
    }

    await this.#bounded(() => this.#quitOwnedClient()).catch(() => {
      // The connection is down or slow to close; dropping it is all that is left to do.
      this.#client.disconnect();
    });
  }

  /** Sends QUIT and waits until the socket is closed, so nothing of the store is left. */
  async #quitOwnedClient(): Promise<void> {
    const client = this.#client;
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));

    await client.quit();
    if (client.status !== 'end') {
      await ended;
    }
  }

  protected override toStoreError(error: unknown, method: string): SessionStoreError {
    if (error instanceof UnsweptSlotsError) {
      return new SessionStoreError(
        'UNAVAILABLE',
        `${STORE_NAME}: ${method} swept the masters it could reach, but ${error.unsweptSlots} ` +
          `of ${CLUSTER_SLOT_COUNT} hash slots have no reachable master, so expired sessions ` +
          'there were not removed.',
        { cause: error },
      );
    }
    if (error instanceof NotConnectedError) {
      return new SessionStoreError(
        'UNAVAILABLE',
        `${STORE_NAME}: ${method} failed because ${notConnectedReason(error.connectionError)}.`,
        { cause: error },
      );
    }
    if (!(error instanceof CommandTimeoutError)) {
      // A reply error carries the command's arguments: keys, session ids, records.
      return super.toStoreError(
        error instanceof Error ? withoutCommandArguments(error) : error,
        method,
      );
    }

    return new SessionStoreError(
      'UNAVAILABLE',
      `${STORE_NAME}: ${method} failed because ${timeoutReason(error)}.`,
      { cause: error },
    );
  }

  /**
   * Runs one script within the time bound, waiting first for a lost connection to return.
   * A call whose bound ran out while it waited is never sent: the caller was already told it
   * failed, so it must not change anything later. A call already sent when the connection
   * drops is out of the store's hands: an application's client may resend it after the
   * reconnect (ioredis's `autoResendUnfulfilledCommands`), which the store cannot turn off on
   * a client it does not own.
   */
  #run(script: RedisScript, keys: UserKeys, args: string[]): Promise<unknown> {
    const keyList = [keys.index, keys.sessions];
    return this.#send((call) => this.#evaluate(script, keyList, args, call));
  }

  /**
   * Sends one command within the time bound, as {@link #run} does for a script. When the
   * client is ready, the command goes out at once, with no wait in between.
   */
  #send<T>(command: (call: TimedCall) => Promise<T>): Promise<T> {
    return this.#bounded((call) => {
      if (this.#isReady()) {
        return command(call);
      }
      return this.#connected().then(() => {
        this.#assertInTime(call);
        return command(call);
      });
    });
  }

  /** Waits until the client can send commands, and rejects when the wait ends without that. */
  async #connected(): Promise<void> {
    await this.#whenReady();
    if (!this.#isReady()) {
      // Woken by the client ending, the store closing or a refused login: sending now would
      // only queue, or fail without saying why.
      throw new NotConnectedError(this.#connectionError);
    }
  }

  /** `EVALSHA`, then `EVAL` of the source when the server does not know the script. */
  #evaluate(
    script: RedisScript,
    keys: string[],
    args: string[],
    call: TimedCall,
  ): Promise<unknown> {
    return this.#client
      .evalsha(script.sha, keys.length, ...keys, ...args)
      .catch((error: unknown) => {
        if (!isNoScriptError(error)) {
          throw error;
        }
        this.#assertInTime(call);
        return this.#client.eval(script.lua, keys.length, ...keys, ...args);
      });
  }

  /** Stops a call whose bound ran out while it waited: it must send nothing any more. */
  #assertInTime(call: TimedCall): void {
    if (call.expired) {
      throw new CommandTimeoutError(this.#commandTimeoutMs);
    }
  }

  async #pruneNode(node: Redis, nowMs: number): Promise<number> {
    const keyPrefix = keyPrefixOf(this.#client);
    const pattern = indexKeyPattern(keyPrefix, this.#prefix);
    let removed = 0;
    let cursor = '0';

    do {
      const [nextCursor, indexKeys] = await this.#bounded(() =>
        node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH_SIZE, 'TYPE', 'zset'),
      );
      const pruned = indexKeys
        .map((indexKey) => userKeysFromIndexKey(indexKey, keyPrefix))
        .filter((keys): keys is UserKeys => keys !== null)
        .map((keys) => this.#run(PRUNE_SCRIPT, keys, [String(nowMs), this.#keyExpiryGraceArg]));
      for (const count of await Promise.all(pruned)) {
        removed += Number(count);
      }
      cursor = nextCursor;
    } while (cursor !== '0');

    return removed;
  }

  /** The connections whose keyspaces hold this store's keys: every master of a Cluster. */
  #scanTargets(): Redis[] {
    return isCluster(this.#client) ? this.#client.nodes('master') : [this.#client];
  }

  /**
   * Resolves once the client can send commands. Commands are never handed to a client
   * that is reconnecting, so none sits in its offline queue to run long after the caller
   * was told it failed. All waiting calls share one pair of listeners.
   */
  #whenReady(): Promise<void> {
    const status = this.#client.status;
    if (status === 'wait' || (status === 'end' && this.#ownsClient && !this.closed)) {
      // A lazyConnect client connects on its first command; start that now instead. The
      // store's own connection ends when it is lost while idle, and connects again here.
      this.#client.connect().catch(() => undefined);
    } else if (this.#isReady() || status === 'end') {
      // An ended client rejects commands at once, which is what the caller should see.
      if (!this.#ownsClient) {
        // An application's client is watched only during waits, so an error remembered from
        // an earlier one may be long past.
        this.#connectionError = undefined;
      }
      return Promise.resolve();
    }

    this.#readiness ??= this.#listenForReady();
    return this.#readiness.promise;
  }

  /**
   * Keeps the store's own connection from holding the process open: its socket is unref()ed
   * on every (re)connect, so a process that never closes the store exits once its work is
   * done. A call in flight keeps the process alive through its own time bound instead (see
   * {@link #bounded}), so its reply is still awaited.
   */
  #watchOwnedConnection(client: Redis): void {
    client.on('connect', () => {
      client.stream?.unref();
    });
    client.on('ready', () => {
      this.#connectionEpoch += 1;
      this.#connectionError = undefined;
    });
    // Without a listener, ioredis prints every connection error to the console.
    client.on('error', (error: unknown) => this.#noteConnectionError(error));
  }

  /**
   * Remembers the connection's latest error, so that a call failing while it waits for the
   * connection can say why; the connection's next `ready` forgets it. The store's own
   * connection is watched all the time. An application's client is watched only while a call
   * waits for it, and only when the application listens for its errors too: ioredis prints
   * the errors of a client that has no `error` listener, and a listener of the store's would
   * silence that.
   *
   * When the store's own connection is refused its credentials (`WRONGPASS`, `NOAUTH`), the
   * calls waiting for it fail at once rather than at the end of their bound: the URL cannot
   * change, so waiting would only delay the same answer. Each later call still tries a new
   * connection, and works once the server accepts the credentials.
   */
  #noteConnectionError(error: unknown): void {
    if (!(error instanceof Error)) {
      return;
    }

    this.#connectionError = withoutCommandArguments(error);
    if (this.#ownsClient && isRefusedLogin(error)) {
      this.#readiness?.stop();
    }
  }

  /**
   * The store's own connection reconnects while a call waits for it. Lost while idle, it
   * ends instead, leaving no reconnect timer to keep the process alive, and the next call
   * connects again.
   */
  #shouldReconnect(): boolean {
    return this.#calls.pending > 0 && !this.closed;
  }

  /** True when the client can send commands now: it is ready, on a connection not dropped. */
  #isReady(): boolean {
    return this.#client.status === 'ready' && this.#droppedEpoch !== this.#connectionEpoch;
  }

  /**
   * Drops the store's own connection when a call ran out of time on it although it was ready
   * the whole time: a connection whose peer vanished without a reset (a proxy or a NAT that
   * stopped forwarding) looks open for as long as the OS takes to notice, hours without
   * traffic, while a new one may work at once. The socket is destroyed rather than ended,
   * since ending waits for the dead peer, and ioredis reconnects as for any lost connection.
   * At most one such reconnect per {@link FORCED_RECONNECT_INTERVAL_MS}, so a slow server is
   * not sent a new connection on every call. An application's client is never touched.
   */
  #dropIfUnanswered(epochAtStart: number | undefined): void {
    const nowMs = performance.now();
    const sameConnection =
      epochAtStart !== undefined && this.#isReady() && epochAtStart === this.#connectionEpoch;
    if (
      !sameConnection ||
      this.closed ||
      nowMs - this.#lastForcedReconnectMs < FORCED_RECONNECT_INTERVAL_MS
    ) {
      return;
    }

    this.#lastForcedReconnectMs = nowMs;
    this.#droppedEpoch = this.#connectionEpoch;
    const client = this.#client as Redis;
    if (client.stream === undefined || client.stream === null) {
      client.disconnect(true);
    } else {
      client.stream.destroy();
    }
  }

  #listenForReady(): { promise: Promise<void>; stop: () => void } {
    const client = this.#client;
    // See #noteConnectionError for why an application's client is not always watched.
    const watchErrors = !this.#ownsClient && client.listenerCount('error') > 0;
    const onError = (error: unknown) => this.#noteConnectionError(error);
    let stop = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      const onReady = () => {
        this.#connectionError = undefined;
        stop();
      };
      stop = () => {
        client.off('ready', onReady);
        client.off('end', stop);
        client.off('error', onError);
        this.#readiness = undefined;
        resolve();
      };
      client.on('ready', onReady);
      client.on('end', stop);
    });

    if (!this.#ownsClient) {
      // What was remembered before this wait, while nothing listened, may be long past.
      this.#connectionError = undefined;
    }
    if (watchErrors) {
      client.on('error', onError);
    }
    return { promise, stop };
  }

  /**
   * Rejects with a {@link CommandTimeoutError} when `work` takes longer than the bound. The
   * work is handed its {@link TimedCall}, whose `expired` says whether the bound has run out,
   * so it can stop before sending anything. On the store's own connection, a bound that runs
   * out while the connection was ready throughout drops that connection (see
   * {@link #dropIfUnanswered}). Every call shares one timer (see `CallTimer`), which keeps
   * the process alive while a call is pending, for at most the bound, even when the socket
   * it waits on is unref()ed.
   */
  #bounded<T>(work: (call: TimedCall) => Promise<T>): Promise<T> {
    const epochAtStart = this.#ownsClient && this.#isReady() ? this.#connectionEpoch : undefined;

    return new Promise<T>((resolve, reject) => {
      const call = this.#calls.start(() => {
        this.#dropIfUnanswered(epochAtStart);
        reject(new CommandTimeoutError(this.#commandTimeoutMs, this.#connectionError));
      });
      let pending: Promise<T>;
      try {
        pending = work(call);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          call.finish();
          resolve(value);
        },
        (error: unknown) => {
          call.finish();
          reject(error);
        },
      );
    });
  }
}

function checkOptionsObject(options: RedisSessionStoreOptions): RedisSessionStoreOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(
      { store: STORE_NAME, method: 'the constructor' },
      'options must be an object with a client or a url',
    );
  }
  return options;
}

function checkTimeout(value: unknown, context: ArgumentContext): number {
  const bounds = { min: 1, max: MAX_TIMER_MS, fallback: DEFAULT_COMMAND_TIMEOUT_MS } as const;
  return checkIntegerOption(value, 'commandTimeoutMs', bounds, context);
}

function checkGrace(value: unknown, context: ArgumentContext): number {
  const bounds = {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    fallback: DEFAULT_KEY_EXPIRY_GRACE_MS,
  } as const;
  return checkIntegerOption(value, 'keyExpiryGraceMs', bounds, context);
}

function checkClient(client: unknown, context: ArgumentContext): RedisClient {
  const candidate = client as Partial<Redis> | null;
  const looksLikeClient =
    typeof candidate?.evalsha === 'function' &&
    typeof candidate.eval === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.status === 'string';

  if (!looksLikeClient) {
    throw invalidArgument(context, 'client must be an ioredis Redis or Cluster instance');
  }
  return client as RedisClient;
}

/**
 * Opens the store's own connection. It keeps no offline queue and does not resend commands
 * after a reconnect: a call that failed must not run later behind the caller's back. TCP
 * keepalive lets the OS notice a dead peer on an idle connection too. It reconnects only
 * while `shouldReconnect()` says a call is waiting.
 */
function openClient(url: unknown, context: ArgumentContext, shouldReconnect: () => boolean): Redis {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw invalidArgument(context, 'give either a client or a url that starts with redis://');
  }

  let client: Redis;
  try {
    client = new Redis(url, {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      keepAlive: KEEPALIVE_INITIAL_DELAY_MS,
      retryStrategy: (attempt) => (shouldReconnect() ? Math.min(50 * 2 ** attempt, 2000) : null),
    });
  } catch {
    // The parser's error repeats the URL, password included, so it is not kept as the cause.
    throw invalidArgument(context, 'url is not a valid Redis URL');
  }
  return client;
}

function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** True when a Cluster client sends read-only commands to masters only (its default). */
function readsOnMaster(cluster: Cluster): boolean {
  const scaleReads: unknown = cluster.options.scaleReads;
  return scaleReads === undefined || scaleReads === 'master';
}

/** The flat field, value, field, value list of a script's `HGETALL`, as an object. */
function pairsToObject(reply: unknown): Record<string, string> {
  const fields: Record<string, string> = Object.create(null);
  if (!Array.isArray(reply)) {
    return fields;
  }
  for (let position = 0; position + 1 < reply.length; position += 2) {
    fields[String(reply[position])] = String(reply[position + 1]);
  }
  return fields;
}

/**
 * How many slots of the Cluster's slot map are served by none of `masters`: slots the map
 * does not assign, and slots whose master is not among them.
 */
function countUnservedSlots(cluster: Cluster, masters: Redis[]): number {
  const masterKeys = new Set(masters.map((node) => `${node.options.host}:${node.options.port}`));
  let unserved = 0;
  for (let slot = 0; slot < CLUSTER_SLOT_COUNT; slot++) {
    const owner = cluster.slots[slot]?.[0];
    if (owner === undefined || !masterKeys.has(owner)) {
      unserved += 1;
    }
  }
  return unserved;
}

function keyPrefixOf(client: RedisClient): string {
  const keyPrefix: unknown = client.options.keyPrefix;
  return typeof keyPrefix === 'string' ? keyPrefix : '';
}

function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** A code of capital letters, digits and underscores, which names a failure and nothing else. */
const SAFE_ERROR_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;

/**
 * A code that names a connection error without its details: the `code` of a socket, DNS or
 * TLS error (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`), or the first word of a Redis
 * error reply (`WRONGPASS`, `NOAUTH`, `LOADING`), which Redis always starts with one. The
 * rest of those messages can name a host, a port or a user, so it stays in the cause.
 */
function safeErrorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    return SAFE_ERROR_CODE.test(code) ? code : undefined;
  }
  if (error.name !== 'ReplyError') {
    return undefined;
  }

  const firstWord = error.message.split(' ', 1)[0] ?? '';
  return SAFE_ERROR_CODE.test(firstWord) ? firstWord : undefined;
}

/** True for Redis refusing a connection's credentials, or its lack of them. */
function isRefusedLogin(error: Error): boolean {
  const code = safeErrorCode(error);
  return code === 'WRONGPASS' || code === 'NOAUTH';
}

/** Why a call timed out, naming the connection's error by its code when it had one. */
function timeoutReason(error: CommandTimeoutError): string {
  const bound = `commandTimeoutMs (${error.timeoutMs} ms)`;
  if (error.connectionError === undefined) {
    return `Redis did not answer within ${bound}`;
  }
  return `${connectionFailure(error.connectionError)} and did not recover within ${bound}`;
}

/** Why a call found no connection, naming the connection's error by its code when it had one. */
function notConnectedReason(connectionError: Error | undefined): string {
  if (connectionError === undefined) {
    return 'the Redis client is not connected';
  }
  if (isRefusedLogin(connectionError)) {
    return `Redis refused the connection's credentials (${safeErrorCode(connectionError)})`;
  }
  return connectionFailure(connectionError);
}

function connectionFailure(connectionError: Error): string {
  const code = safeErrorCode(connectionError);
  return `the connection to Redis failed${code === undefined ? '' : ` with ${code}`}`;
}

/** A Redis error reply, kept as a cause with only the name of the command it answered. */
class ReplyWithoutArguments extends Error {
  constructor(
    reply: Error,
    readonly command: { name: string },
  ) {
    super(reply.message);
    this.name = reply.name;
    if (reply.stack !== undefined) {
      this.stack = reply.stack;
    }
  }
}

/**
 * The error to keep as a cause. ioredis attaches the failed command to an error reply, and
 * before version 6 with its arguments unredacted: for the AUTH or HELLO of a handshake, the
 * password; for the store's scripts, keys, session ids and records. An error with a command
 * is therefore kept as a copy without the arguments.
 */
function withoutCommandArguments(error: Error): Error {
  const command: unknown = (error as { command?: unknown }).command;
  if (command === undefined || command === null) {
    return error;
  }

  const name = (command as { name?: unknown }).name;
  return new ReplyWithoutArguments(error, { name: String(name) });
}

/** The options that make `error` the cause of a new error, when there is one. */
function causeOption(error: Error | undefined): ErrorOptions | undefined {
  return error === undefined ? undefined : { cause: error };
}

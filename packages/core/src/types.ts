import type { SessionStoreError } from './errors.js';

/**
 * A user id. A number must be a safe integer, a bigint any integer, and a string 1 to 512
 * UTF-8 bytes. `123`, `123n` and `"123"` name the same user: ids are compared in their
 * decimal string form. A returned session carries its `userId` exactly as it was stored.
 */
export type UserId = string | number | bigint;

/** The fields a store needs. Applications add any fields of their own. */
export interface StoredSession {
  /** The session id: 1 to 512 UTF-8 bytes, any characters except U+0000. */
  id: string;
  /** The user the session belongs to. */
  userId: UserId;
  /**
   * When a number, {@link SessionStore.upsert} is a compare-and-set: `0` creates, `n > 0`
   * updates the live copy whose `lockVersion` is `n`, and the stored copy gets `n + 1`.
   */
  lockVersion?: number | undefined;
}

/**
 * The session shape of the Charon auth library, in TypeScript: the default session type.
 * Stores never interpret these fields; they store and return the whole object.
 */
export interface Session extends StoredSession {
  /** The session type, for example `"full"`. */
  type: string;
  /** Unix seconds at creation. */
  createdAt: number;
  /** Unix seconds at the last refresh. */
  refreshedAt: number;
  /** Unix seconds at which the session ends, or `"infinite"`. */
  expiresAt: number | 'infinite';
  /** Unix seconds at which the current refresh token ends. */
  refreshExpiresAt: number;
  /** The id of the current refresh token. */
  refreshTokenId: string;
  /** Unix seconds from which issued tokens are fresh. */
  tokensFreshFrom: number;
  /** The previous value of `tokensFreshFrom`, kept for a grace period. */
  prevTokensFreshFrom: number;
  /** Application data carried with the session. */
  extraPayload: Record<string, unknown>;
  /**
   * The version of the session's own format, for the application's migrations. Unrelated to
   * {@link StoredSession.lockVersion}, which the store uses for compare-and-set.
   */
  version: number;
}

/**
 * A session store. Every method validates its arguments before any I/O and rejects with a
 * {@link SessionStoreError}.
 *
 * @typeParam S - the session type; {@link Session} by default.
 */
export interface SessionStore<S extends StoredSession = Session> {
  /**
   * Reads a live session by its id and its user together.
   *
   * @param sessionId - the session id.
   * @param userId - the owner; a session of another user with the same id is not returned.
   * @returns the session as stored, or `null` when there is none, it expired, or its stored
   *   record could not be decoded (which is reported through the logger).
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT`, `UNAVAILABLE` or `CLOSED`.
   */
  get(sessionId: string, userId: UserId): Promise<S | null>;

  /**
   * Writes the whole session and sets it to expire `ttlSeconds` from now by the store's
   * clock. With a numeric `session.lockVersion` this is a compare-and-set (see
   * {@link StoredSession.lockVersion}).
   *
   * @param session - the session; `id` and `userId` say where it is stored.
   * @param ttlSeconds - an integer from 1 to 2,147,483,647.
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT`, `PAYLOAD_TOO_LARGE`, `CONFLICT`,
   *   `UNAVAILABLE` or `CLOSED`. A rejected call writes nothing.
   */
  upsert(session: S, ttlSeconds: number): Promise<void>;

  /**
   * Deletes a session. Deleting what does not exist succeeds.
   *
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT`, `UNAVAILABLE` or `CLOSED`.
   */
  delete(sessionId: string, userId: UserId): Promise<void>;

  /**
   * Lists every live session of a user, in no particular order.
   *
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT`, `UNAVAILABLE` or `CLOSED`.
   */
  getAll?(userId: UserId): Promise<S[]>;

  /**
   * Deletes every session of a user ("log out everywhere"). Once it resolves, no session
   * whose upsert resolved before this call can be read.
   *
   * @throws {@link SessionStoreError} `INVALID_ARGUMENT`, `UNAVAILABLE` or `CLOSED`.
   */
  deleteAll?(userId: UserId): Promise<void>;

  /**
   * Removes expired entries now, rather than waiting for the store's own cleanup.
   *
   * @returns how many expired sessions were removed.
   */
  prune?(): Promise<number>;

  /**
   * Stops timers and closes what the store opened itself. A client passed in stays open.
   * Idempotent; every later call rejects with `CLOSED`.
   */
  close?(): Promise<void>;
}

/** A clock in milliseconds since the Unix epoch, like `Date.now`. */
export type Clock = () => number;

/** What a store reports to its logger. */
export type SessionStoreEvent =
  | {
      /** A stored record could not be decoded; it was treated as absent. */
      type: 'corrupt-record';
      store: string;
      sessionId?: string;
      /** The canonical user id. */
      userKey?: string;
      error: SessionStoreError;
    }
  | {
      /** A stored record failed its signature check or names another session; treated as absent. */
      type: 'tampered-record';
      store: string;
      sessionId?: string;
      userKey?: string;
      error: SessionStoreError;
    }
  | {
      /** A background prune pass failed; the next pass tries again. */
      type: 'prune-failed';
      store: string;
      error: SessionStoreError;
    };

/**
 * Where a store reports what an operator needs to see. `console` fits, and so does any
 * logger with `warn` and `error` methods that take a message and an object.
 */
export interface SessionStoreLogger {
  warn(message: string, event: SessionStoreEvent): void;
  error(message: string, event: SessionStoreEvent): void;
}

/** Options every store takes. */
export interface CommonStoreOptions {
  /** The clock that decides expiry, on write and on read. Defaults to `Date.now`. */
  clock?: Clock | undefined;
  /** The largest encoded session accepted, in bytes. Defaults to 1 MiB (1,048,576). */
  maxSessionBytes?: number | undefined;
  /** Where decode failures and failed prune passes are reported. Silent by default. */
  logger?: SessionStoreLogger | undefined;
  /**
   * How often the store sweeps expired entries on its own, in ms; `0` turns the sweep off.
   * Each store has its own default (60 s where nothing else removes expired entries).
   */
  pruneIntervalMs?: number | undefined;
  /**
   * Secrets for signing stored records with HMAC-SHA256. The first signs; every one is
   * accepted when reading, so a secret can be rotated. Unset means records are not signed.
   */
  signingSecret?: string | Uint8Array | readonly (string | Uint8Array)[] | undefined;
}

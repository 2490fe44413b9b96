import { type ArgumentContext, invalidArgument, type RecordKey } from '@sessionstore/core';
import type { Filter, IndexDescription, MatchKeysAndValues } from 'mongodb';

/** The collection used when the `collection` option is not given. */
export const DEFAULT_COLLECTION = 'sessions';

/**
 * The `_id` of a session document: the canonical user id first, then the session id.
 *
 * Field order is part of the value: MongoDB compares embedded documents field by field, in
 * order, so every `_id` is built by {@link documentId} and nowhere else.
 */
export interface SessionDocumentId {
  /** The canonical user id (decimal text for numeric ids). */
  u: string;
  /** The session id. */
  s: string;
}

/**
 * One stored session. The session itself is kept as one string, the encoded (and, when
 * signing is on, signed) JSON text, so no key an application puts in its payload (`$where`,
 * `a.b`, the empty key) ever becomes a MongoDB field name, operator or path.
 */
export interface SessionDocument {
  /** The user and the session: unique, and the only unique index the store relies on. */
  _id: SessionDocumentId;
  /**
   * When the session stops being live by the store's clock. The TTL index frees the space
   * once the server's clock is `ttlGraceSeconds` past it.
   */
  expiresAt: Date;
  /** The compare-and-set version, or `null` for a session written without one. */
  lockVersion: number | null;
  /** The encoded session. */
  record: string;
}

/** The default of the store's `ttlGraceSeconds` option: 60 seconds. */
export const DEFAULT_TTL_GRACE_SECONDS = 60;

/** The largest `expireAfterSeconds` MongoDB accepts. */
const MAX_EXPIRE_AFTER_SECONDS = 2_147_483_647;

/**
 * The indexes the store creates (unless `createIndexes` is `false`), for a given
 * `ttlGraceSeconds`. Their names are the ones MongoDB derives from the keys, so an
 * application that creates the same indexes in its own migrations, with default names, does
 * not clash with the store.
 *
 * - `expiresAt_1`, a TTL index on `expiresAt` with `expireAfterSeconds: ttlGraceSeconds`:
 *   MongoDB's TTL monitor deletes a document once the server's clock has passed its
 *   `expiresAt` by the grace. `expiresAt` comes from the store's clock, so the grace is what
 *   keeps a store clock running behind the server's from losing a session it still calls
 *   live. It only frees space; the store never relies on it to hide an expired session.
 * - `_id.u_1_expiresAt_1`, `{ '_id.u': 1, expiresAt: 1 }`: serves `getAll()` (user and
 *   live) and `deleteAll()` (user), which the `_id` index cannot, since it orders whole `_id`
 *   values. It is also a valid shard key index for a collection sharded on `{ '_id.u': 1 }`.
 *
 * @param ttlGraceSeconds - the TTL index's `expireAfterSeconds`, a whole number of seconds
 *   from 0 to 2,147,483,647; {@link DEFAULT_TTL_GRACE_SECONDS} when left out.
 * @returns the index descriptions, ready for `Collection.createIndexes()`.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for any other grace.
 *
 * @example
 * ```ts
 * // In a migration, for stores opened with ttlGraceSeconds: 300 and createIndexes: false:
 * await client.db('auth').collection('sessions').createIndexes([...sessionIndexes(300)]);
 * ```
 */
export function sessionIndexes(
  ttlGraceSeconds: number = DEFAULT_TTL_GRACE_SECONDS,
): readonly IndexDescription[] {
  const expireAfterSeconds = validateTtlGraceSeconds(ttlGraceSeconds, {
    store: '@sessionstore/mongodb',
    method: 'sessionIndexes()',
  });
  return Object.freeze([
    Object.freeze({ key: { expiresAt: 1 }, name: 'expiresAt_1', expireAfterSeconds }),
    Object.freeze({ key: { '_id.u': 1, expiresAt: 1 }, name: '_id.u_1_expiresAt_1' }),
  ]) as readonly IndexDescription[];
}

/** The indexes the store creates with the default `ttlGraceSeconds`; see {@link sessionIndexes}. */
export const SESSION_INDEXES: readonly IndexDescription[] = sessionIndexes();

/**
 * Checks a TTL grace: a whole number of seconds from 0 to 2,147,483,647, the range MongoDB
 * accepts for `expireAfterSeconds`.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function validateTtlGraceSeconds(value: unknown, context: ArgumentContext): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(context, 'ttlGraceSeconds must be a non-negative integer');
  }

  if (value > MAX_EXPIRE_AFTER_SECONDS) {
    throw invalidArgument(context, `ttlGraceSeconds must be at most ${MAX_EXPIRE_AFTER_SECONDS}`);
  }

  return value;
}

/** Builds the `_id` of a session, always with the user first. */
export function documentId(key: RecordKey): SessionDocumentId {
  return { u: key.userKey, s: key.sessionId };
}

/** Matches one session document, live or expired. */
export function byId(key: RecordKey): Filter<SessionDocument> {
  return { _id: documentId(key) };
}

/** Matches one session document while it is live at `nowMs` by the store's clock. */
export function liveById(key: RecordKey, nowMs: number): Filter<SessionDocument> {
  return { _id: documentId(key), expiresAt: { $gt: new Date(nowMs) } };
}

/**
 * Matches one session document only when it has expired at `nowMs`. Used with `upsert` to
 * create a session: an expired copy is overwritten, a missing one inserted, and a live one
 * is left alone because the insert then collides with its `_id`.
 */
export function expiredById(key: RecordKey, nowMs: number): Filter<SessionDocument> {
  return { _id: documentId(key), expiresAt: { $lte: new Date(nowMs) } };
}

/** Matches one live session document whose lock version is `lockVersion`. */
export function liveAtVersion(
  key: RecordKey,
  nowMs: number,
  lockVersion: number,
): Filter<SessionDocument> {
  return { _id: documentId(key), lockVersion, expiresAt: { $gt: new Date(nowMs) } };
}

/** Matches every session document of a user, live or expired. */
export function byUser(userKey: string): Filter<SessionDocument> {
  return { '_id.u': userKey };
}

/** Matches the live session documents of a user. */
export function liveByUser(userKey: string, nowMs: number): Filter<SessionDocument> {
  return { '_id.u': userKey, expiresAt: { $gt: new Date(nowMs) } };
}

/** Matches every document that has expired at `nowMs`. */
export function expired(nowMs: number): Filter<SessionDocument> {
  return { expiresAt: { $lte: new Date(nowMs) } };
}

/**
 * The fields every write sets. `_id` is not among them: an update never changes it, and an
 * upsert takes it from the filter's equality on `_id`.
 */
export function writtenFields(write: {
  record: string;
  expiresAtMs: number;
  lockVersion: number | null;
}): MatchKeysAndValues<SessionDocument> {
  return {
    expiresAt: new Date(write.expiresAtMs),
    lockVersion: write.lockVersion,
    record: write.record,
  };
}

/**
 * The stored text of a document read back. A `record` that is not a string was not written
 * by this store; it is returned as the empty text, which never decodes, so the shared base
 * class reports it as unreadable and treats the session as absent instead of throwing.
 */
export function recordText(document: { record?: unknown }): string {
  return typeof document.record === 'string' ? document.record : '';
}

/**
 * The session id of a document read back from a per-user listing. An `_id.s` that is not a
 * string was not written by this store; its text form never matches the session inside
 * the record, so the base class reports the record instead of returning it.
 */
export function sessionIdOf(document: { _id?: unknown }): string {
  const id = document._id as { s?: unknown } | null | undefined;
  return typeof id?.s === 'string' ? id.s : String(id?.s);
}

const FORBIDDEN_DATABASE_CHARACTERS = /[/\\. "$*<>:|?]/;
const MAX_DATABASE_NAME_BYTES = 63;
const MAX_COLLECTION_NAME_BYTES = 200;

/**
 * Checks a database name against MongoDB's rules: 1 to 63 UTF-8 bytes, none of
 * `/\. "$*<>:|?` and no U+0000.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function validateDatabaseName(name: unknown, context: ArgumentContext): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgument(context, 'database must be a non-empty string');
  }

  if (FORBIDDEN_DATABASE_CHARACTERS.test(name) || name.includes('\u0000')) {
    throw invalidArgument(context, 'database must not contain any of /\\. "$*<>:|? or U+0000');
  }

  if (!name.isWellFormed() || Buffer.byteLength(name, 'utf8') > MAX_DATABASE_NAME_BYTES) {
    throw invalidArgument(
      context,
      `database must be well-formed text of at most ${MAX_DATABASE_NAME_BYTES} UTF-8 bytes`,
    );
  }

  return name;
}

/**
 * Checks a collection name: 1 to 200 UTF-8 bytes of well-formed text, without `$` or
 * U+0000, not starting or ending with `.`, and outside the reserved `system.` namespace.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function validateCollectionName(name: unknown, context: ArgumentContext): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgument(context, 'collection must be a non-empty string');
  }

  if (name.includes('$') || name.includes('\u0000')) {
    throw invalidArgument(context, 'collection must not contain $ or U+0000');
  }

  if (name.startsWith('.') || name.endsWith('.') || name.startsWith('system.')) {
    throw invalidArgument(
      context,
      'collection must not start or end with "." nor start with "system."',
    );
  }

  if (!name.isWellFormed() || Buffer.byteLength(name, 'utf8') > MAX_COLLECTION_NAME_BYTES) {
    throw invalidArgument(
      context,
      `collection must be well-formed text of at most ${MAX_COLLECTION_NAME_BYTES} UTF-8 bytes`,
    );
  }

  return name;
}

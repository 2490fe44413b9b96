import {
  type ArgumentContext,
  canonicalUserId,
  invalidArgument,
  type UserId,
} from '@sessionstore/core';

/** The key prefix used when none is given. */
export const DEFAULT_PREFIX = 'sessionstore:';

/** The longest key prefix accepted, in UTF-8 bytes. */
export const MAX_PREFIX_BYTES = 256;

/** Where a session's record lives inside the user's sessions hash: `r:` and the session id. */
export const RECORD_FIELD_PREFIX = 'r:';

const INDEX_SUFFIX = ':index';
const SESSIONS_SUFFIX = ':sessions';

/** The two keys that hold one user's sessions. Both carry the same hash tag. */
export interface UserKeys {
  /** A sorted set of the user's session ids, each scored by its `expiresAtMs`. */
  index: string;
  /**
   * A hash of `r:<sessionId>` to the session's stored value: its expiry, its lock version and
   * its record (see {@link storedValue}).
   */
  sessions: string;
}

/**
 * Encodes a canonical user id as a hash tag body that no id can break out of: `%`, `{` and
 * `}` become `%25`, `%7B` and `%7D`, everything else stays as it is. The result never holds a
 * brace, so the tag always ends where the encoded id ends, and two ids never share an
 * encoding.
 *
 * @param userKey - a canonical user id (see `canonicalUserId` in `@sessionstore/core`).
 * @returns the encoded id, at least one character long.
 */
export function encodeUserTag(userKey: string): string {
  return userKey.replace(/[%{}]/g, (character) => ESCAPES[character as '%' | '{' | '}']);
}

const ESCAPES = { '%': '%25', '{': '%7B', '}': '%7D' } as const;

/**
 * The keys of one user's sessions under a key prefix: `<prefix>{<tag>}:index` and
 * `<prefix>{<tag>}:sessions`, where `<tag>` is {@link encodeUserTag} of the canonical id.
 *
 * @param prefix - the store's key prefix.
 * @param userKey - a canonical user id.
 */
export function userKeysOf(prefix: string, userKey: string): UserKeys {
  const base = userBaseKey(prefix, userKey);
  return { index: `${base}${INDEX_SUFFIX}`, sessions: `${base}${SESSIONS_SUFFIX}` };
}

/** The sessions key of {@link userKeysOf} alone, for the reads that need no other. */
export function sessionsKeyOf(prefix: string, userKey: string): string {
  return `${userBaseKey(prefix, userKey)}${SESSIONS_SUFFIX}`;
}

/** What both keys of a user start with: the prefix and the user's hash tag. */
function userBaseKey(prefix: string, userKey: string): string {
  return `${prefix}{${encodeUserTag(userKey)}}`;
}

/**
 * The keys that hold a user's sessions in a store with the given prefix, for operators and
 * tests that inspect Redis directly.
 *
 * @param prefix - the store's key prefix, for example `"sessionstore:"`.
 * @param userId - the user id, in any of the forms the store accepts.
 * @returns the user's index and sessions keys.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for an invalid prefix or user id.
 *
 * @example
 * ```ts
 * userKeys('sessionstore:', 42);
 * // { index: 'sessionstore:{42}:index', sessions: 'sessionstore:{42}:sessions' }
 * ```
 */
export function userKeys(prefix: string, userId: UserId): UserKeys {
  const context = { store: '@sessionstore/redis', method: 'userKeys()' };
  return userKeysOf(checkPrefix(prefix, context), canonicalUserId(userId, context));
}

/** The hash field that holds a session's record: `r:<sessionId>`. */
export function recordField(sessionId: string): string {
  return `${RECORD_FIELD_PREFIX}${sessionId}`;
}

/** A session's stored value, taken apart by {@link parseStoredValue}. */
export interface StoredValue {
  /** When the session expires, in ms since the epoch on the store's clock. */
  expiresAtMs: number;
  /** The lock version of the stored copy, or `null` when it has none. */
  lockVersion: number | null;
  /** The record: the encoded session, or its signed envelope. */
  record: string;
}

/** The longest expiry a stored value may carry: a safe integer has at most 16 digits. */
const MAX_EXPIRY_DIGITS = 16;

/** The character code of `-`, which starts an expiry before 1970 on an odd clock. */
const MINUS = 45;

/**
 * The value a session's hash field holds: `<expiresAtMs>:<lockVersion>:<record>`, the lock
 * version empty when the session has none. Keeping the expiry in front of the record lets a
 * read decide liveness from the one value it fetches, and lets the scripts check a
 * compare-and-set without reading a second field.
 *
 * @param record - the encoded session or its signed envelope.
 * @param expiresAtMs - a non-negative integer number of ms since the epoch.
 * @param lockVersion - the stored copy's lock version, or `null`.
 *
 * @example
 * ```ts
 * storedValue('{"id":"s1","userId":7}', 1767225600000, 3);
 * // '1767225600000:3:{"id":"s1","userId":7}'
 * ```
 */
export function storedValue(
  record: string,
  expiresAtMs: number,
  lockVersion: number | null,
): string {
  return `${expiresAtMs}:${lockVersion ?? ''}:${record}`;
}

/**
 * Takes a stored value apart.
 *
 * @returns the parts, or `null` when the value is not in the form {@link storedValue} writes.
 */
export function parseStoredValue(value: string): StoredValue | null {
  const expiryEnd = value.indexOf(':');
  if (expiryEnd < 1 || expiryEnd > MAX_EXPIRY_DIGITS + 1) {
    return null;
  }
  const versionEnd = value.indexOf(':', expiryEnd + 1);
  if (versionEnd < 0) {
    return null;
  }

  const negative = value.charCodeAt(0) === MINUS;
  const magnitude = digitsValue(value, negative ? 1 : 0, expiryEnd);
  const expiresAtMs = magnitude === null || (negative && expiryEnd === 1) ? null : magnitude;
  const hasLockVersion = versionEnd > expiryEnd + 1;
  const lockVersion = hasLockVersion ? digitsValue(value, expiryEnd + 1, versionEnd) : null;
  if (expiresAtMs === null || (hasLockVersion && lockVersion === null)) {
    return null;
  }
  return {
    expiresAtMs: negative ? -expiresAtMs : expiresAtMs,
    lockVersion,
    record: value.slice(versionEnd + 1),
  };
}

/** The integer written in `text[start, end)` in ASCII digits, or `null` if it is not one. */
function digitsValue(text: string, start: number, end: number): number | null {
  if (end - start > MAX_EXPIRY_DIGITS) {
    return null;
  }
  let value = 0;
  for (let position = start; position < end; position++) {
    const digit = text.charCodeAt(position) - 48;
    if (digit < 0 || digit > 9) {
      return null;
    }
    value = value * 10 + digit;
  }
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * Checks a key prefix: a string of 1 to 256 UTF-8 bytes without `{`, `}` or U+0000. With no
 * brace in the prefix, the first `{` of every key opens the user's hash tag, so the prefix
 * ends there and one prefix never reads another's keys, even when it is a prefix of it.
 *
 * @returns the prefix unchanged.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function checkPrefix(prefix: unknown, context: ArgumentContext): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw invalidArgument(context, 'prefix must be a non-empty string');
  }

  const forbidden = prefix.includes('{') || prefix.includes('}') || prefix.includes('\u0000');
  if (forbidden || !prefix.isWellFormed()) {
    throw invalidArgument(context, 'prefix must not contain "{", "}", U+0000 or a lone surrogate');
  }

  if (Buffer.byteLength(prefix, 'utf8') > MAX_PREFIX_BYTES) {
    throw invalidArgument(context, `prefix must be at most ${MAX_PREFIX_BYTES} UTF-8 bytes`);
  }

  return prefix;
}

/**
 * The SCAN pattern that matches every index key of a prefix, and nothing of another prefix.
 *
 * @param keyPrefix - the client's own `keyPrefix` option, which ioredis adds to keys but not
 *   to SCAN patterns.
 * @param prefix - the store's key prefix.
 */
export function indexKeyPattern(keyPrefix: string, prefix: string): string {
  return `${escapeGlob(keyPrefix + prefix)}{*}${INDEX_SUFFIX}`;
}

/**
 * The user keys that belong to an index key found by SCAN, without the client's `keyPrefix`
 * (ioredis adds it again when the keys are sent).
 *
 * @returns the keys, or `null` when the key is not an index key of this layout.
 */
export function userKeysFromIndexKey(indexKey: string, keyPrefix: string): UserKeys | null {
  if (!indexKey.startsWith(keyPrefix) || !indexKey.endsWith(INDEX_SUFFIX)) {
    return null;
  }

  const base = indexKey.slice(keyPrefix.length, -INDEX_SUFFIX.length);
  return { index: `${base}${INDEX_SUFFIX}`, sessions: `${base}${SESSIONS_SUFFIX}` };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

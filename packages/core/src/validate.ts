import { SessionStoreError } from './errors.js';

/** The longest session id or string user id accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;

// The canonical form of a bigint user id, like a string one, is at most 512 bytes long.
const BIGINT_LIMIT = 10n ** 512n;

/** The largest `ttlSeconds` accepted: 2^31 - 1. */
export const MAX_TTL_SECONDS = 2_147_483_647;

/** Where a validation call came from, for error messages. */
export interface ArgumentContext {
  /** The package name, first word of every message. */
  store: string;
  /** The method, for example `get()`. */
  method: string;
}

/**
 * Checks a session id: a well-formed string of 1 to 512 UTF-8 bytes without U+0000.
 * Colons, braces, quotes, `%`, `_`, `*` and every other character are ordinary.
 *
 * @returns the id unchanged.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function validateSessionId(
  sessionId: unknown,
  context: ArgumentContext,
  name = 'sessionId',
): string {
  checkIdString(sessionId, name, context);
  return sessionId;
}

/**
 * Checks a user id and returns its canonical form: the decimal string of a number or bigint,
 * or the string itself. `123`, `123n` and `"123"` all give `"123"`; `"0123"` stays `"0123"`.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for a number that is not a safe
 *   integer, or a string that is empty, longer than 512 UTF-8 bytes, contains U+0000 or is
 *   not well-formed UTF-16.
 */
export function canonicalUserId(
  userId: unknown,
  context: ArgumentContext,
  name = 'userId',
): string {
  if (typeof userId === 'number') {
    if (!Number.isSafeInteger(userId)) {
      throw invalidArgument(context, `${name} must be a safe integer, not ${describe(userId)}`);
    }
    return String(userId);
  }

  if (typeof userId === 'bigint') {
    // Compared before writing it out: a bigint of millions of digits takes seconds to print.
    if (userId >= BIGINT_LIMIT || userId <= -BIGINT_LIMIT / 10n) {
      throw invalidArgument(context, `${name} must be at most ${MAX_ID_BYTES} digits long`);
    }
    return userId.toString();
  }

  if (typeof userId !== 'string') {
    throw invalidArgument(
      context,
      `${name} must be a string, a safe integer or a bigint, not ${describe(userId)}`,
    );
  }

  checkIdString(userId, name, context);
  return userId;
}

/**
 * Checks a time to live: an integer number of seconds from 1 to 2,147,483,647.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for anything else, including 0,
 *   negatives, fractions, NaN, Infinity and numeric strings.
 */
export function validateTtlSeconds(ttlSeconds: unknown, context: ArgumentContext): number {
  const valid =
    typeof ttlSeconds === 'number' &&
    Number.isInteger(ttlSeconds) &&
    ttlSeconds >= 1 &&
    ttlSeconds <= MAX_TTL_SECONDS;

  if (!valid) {
    throw invalidArgument(
      context,
      `ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}, not ${describe(ttlSeconds)}`,
    );
  }

  return ttlSeconds;
}

/**
 * Checks a lock version: `undefined` (an unconditional write) or a safe integer from 0.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` otherwise.
 */
export function validateLockVersion(
  lockVersion: unknown,
  context: ArgumentContext,
): number | undefined {
  if (lockVersion === undefined) {
    return undefined;
  }

  if (typeof lockVersion !== 'number' || !Number.isSafeInteger(lockVersion) || lockVersion < 0) {
    throw invalidArgument(
      context,
      `session.lockVersion must be a non-negative safe integer or absent, not ${describe(lockVersion)}`,
    );
  }

  if (lockVersion === Number.MAX_SAFE_INTEGER) {
    throw invalidArgument(context, 'session.lockVersion cannot be incremented any further');
  }

  return lockVersion;
}

/**
 * Checks that a session is a plain object and returns its identity, read from a shallow copy
 * taken with one read of every field, so a getter cannot show this check one id and the
 * stored copy another.
 *
 * @returns the canonical identity, the lock version, and `fields`: the copy to store.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` when it is not an object or its `id`,
 *   `userId` or `lockVersion` is invalid.
 */
export function validateSessionIdentity(
  session: unknown,
  context: ArgumentContext,
): {
  sessionId: string;
  userKey: string;
  lockVersion: number | undefined;
  fields: Record<string, unknown>;
} {
  if (session === null || typeof session !== 'object' || Array.isArray(session)) {
    throw invalidArgument(context, `session must be an object, not ${describe(session)}`);
  }

  const prototype = Object.getPrototypeOf(session);
  if (prototype !== Object.prototype && prototype !== null) {
    throw invalidArgument(context, 'session must be a plain object, not a class instance');
  }

  const fields: Record<string, unknown> = { ...(session as Record<string, unknown>) };
  const sessionId = validateSessionId(fields.id, context, 'session.id');
  const userKey = canonicalUserId(fields.userId, context, 'session.userId');
  const lockVersion = validateLockVersion(fields.lockVersion, context);

  return { sessionId, userKey, lockVersion, fields };
}

/** Builds the `INVALID_ARGUMENT` error every check throws. */
export function invalidArgument(context: ArgumentContext, problem: string): SessionStoreError {
  return new SessionStoreError(
    'INVALID_ARGUMENT',
    `${context.store}: ${context.method} was called with an invalid argument: ${problem}.`,
  );
}

function checkIdString(
  value: unknown,
  name: string,
  context: ArgumentContext,
): asserts value is string {
  if (typeof value !== 'string') {
    throw invalidArgument(context, `${name} must be a string, not ${describe(value)}`);
  }

  if (value.length === 0) {
    throw invalidArgument(context, `${name} must not be empty`);
  }

  if (value.includes('\u0000')) {
    throw invalidArgument(context, `${name} must not contain U+0000`);
  }

  if (!value.isWellFormed()) {
    throw invalidArgument(context, `${name} must be well-formed Unicode (it has a lone surrogate)`);
  }

  // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so short ids need no count.
  if (value.length * 3 <= MAX_ID_BYTES) {
    return;
  }

  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_ID_BYTES) {
    throw invalidArgument(
      context,
      `${name} must be at most ${MAX_ID_BYTES} UTF-8 bytes, not ${bytes}`,
    );
  }
}

/** A short, safe description of a value for an error message: never the whole of it. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case 'number':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}

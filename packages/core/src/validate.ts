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

/**
 * Checks that an options object names only options the store reads, so that a misspelled
 * name (`databse` for `database`) fails loudly instead of being ignored while the store
 * falls back to a default. Call it first in a store's constructor, before any option is
 * used and before anything is opened.
 *
 * Only the object's own enumerable string keys are checked. A key whose value is
 * `undefined` is skipped, whatever its name, so options spread from optional configuration
 * never fail for a setting that was left out. A misspelled name that is within a small
 * edit distance of a known one is reported with it as a suggestion.
 *
 * @param options - the options the constructor received.
 * @param knownNames - every option name the store reads; compose an adapter's list from
 *   {@link COMMON_STORE_OPTION_NAMES} and its own names.
 * @param context - the package name and method, for the message.
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` when `options` is not an object (the
 *   message gives only its type, never its value), or names an option not in `knownNames`.
 *
 * @example
 * ```ts
 * import { COMMON_STORE_OPTION_NAMES, checkOptionNames } from '@sessionstore/core';
 *
 * const OPTION_NAMES = [...COMMON_STORE_OPTION_NAMES, 'path'];
 * const context = { store: 'my-file-store', method: 'the constructor' };
 *
 * checkOptionNames({ path: 'sessions.db' }, OPTION_NAMES, context); // passes
 * checkOptionNames({ paht: 'sessions.db' }, OPTION_NAMES, context);
 * // throws INVALID_ARGUMENT: "my-file-store: the constructor was called with an invalid
 * // argument: unknown option `paht` (did you mean `path`?)."
 * ```
 */
export function checkOptionNames(
  options: unknown,
  knownNames: readonly string[],
  context: ArgumentContext,
): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    // Only the type: a string given in place of the options may be a connection string.
    throw invalidArgument(context, `options must be an object, not ${describeType(options)}`);
  }

  const known = new Set(knownNames);
  const unknown = Object.keys(options).filter(
    (name) => !known.has(name) && (options as Record<string, unknown>)[name] !== undefined,
  );
  if (unknown.length === 0) {
    return;
  }

  const suggestions = unknown.map((name) => closestName(name, knownNames));
  const described = unknown.map((name, index) => {
    const suggestion = suggestions[index];
    return suggestion === undefined
      ? quoteName(name)
      : `${quoteName(name)} (did you mean ${quoteName(suggestion)}?)`;
  });
  const listed =
    suggestions.includes(undefined) && knownNames.length > 0
      ? `; the options it reads are ${knownNames.map(quoteName).join(', ')}`
      : '';

  throw invalidArgument(
    context,
    `unknown option${unknown.length === 1 ? '' : 's'} ${described.join(', ')}${listed}`,
  );
}

/**
 * The known name closest to a misspelled one, compared without regard to case, when it is
 * close enough to be the name meant: one edit for a name of up to 7 characters, and one more
 * for every 4 characters after that (so `connectionTimeoutMs` still finds
 * `connectionTimeoutMillis`). `undefined` when none is.
 */
function closestName(name: string, knownNames: readonly string[]): string | undefined {
  const maxDistance = Math.max(1, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestDistance = maxDistance + 1;

  for (const known of knownNames) {
    const distance = editDistance(name.toLowerCase(), known.toLowerCase(), maxDistance);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }

  return best;
}

/**
 * The edit distance between two strings, counting an insertion, a deletion, a substitution
 * or a swap of two neighbouring characters as one edit. Returns `limit + 1` as soon as the
 * distance is known to exceed `limit`, so a long name costs little.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) {
    return limit + 1;
  }

  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current.push(distance);
      rowMinimum = Math.min(rowMinimum, distance);
    }
    if (rowMinimum > limit) {
      return limit + 1;
    }
    beforePrevious = previous;
    previous = current;
  }

  return previous[b.length] ?? limit + 1;
}

/** An option name for a message: a plain name in backticks, anything else described. */
function quoteName(name: string): string {
  return /^[A-Za-z_$][\w$]{0,39}$/.test(name) ? `\`${name}\`` : describe(name);
}

/** The type of a value, never its contents: `null`, `an array`, `a string`, `undefined`. */
function describeType(value: unknown): string {
  if (value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** The longest delay a Node.js timer takes, in ms: 2^31 - 1. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The bounds of an integer option, for {@link checkIntegerOption}. */
export interface IntegerOptionBounds<F extends number | undefined> {
  /** `0` for a non-negative option, `1` for a positive one. */
  min: 0 | 1;
  /** The largest value accepted. */
  max: number;
  /** What an absent (`undefined`) option stands for. */
  fallback: F;
}

/**
 * Checks an integer option of a store, such as a timeout in ms: a safe integer from `min` to
 * `max`, or `undefined` for the fallback.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` naming the option otherwise.
 */
export function checkIntegerOption<F extends number | undefined>(
  value: unknown,
  name: string,
  bounds: IntegerOptionBounds<F>,
  context: ArgumentContext,
): number | F {
  if (value === undefined) {
    return bounds.fallback;
  }

  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < bounds.min) {
    const kind = bounds.min === 0 ? 'a non-negative' : 'a positive';
    throw invalidArgument(context, `${name} must be ${kind} integer`);
  }

  if (value > bounds.max) {
    throw invalidArgument(context, `${name} must be at most ${bounds.max}`);
  }

  return value;
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

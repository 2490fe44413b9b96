import type { SessionStoreErrorCode } from '@sessionstore/core';
import { SESSION_STORE_ERROR_CODES, SessionStoreError } from '@sessionstore/core';

/** What every failed assertion of the suite throws. */
export class ConformanceAssertionError extends Error {
  /** The value the case expected, when there is one. */
  readonly expected: unknown;
  /** The value the store produced, when there is one. */
  readonly actual: unknown;

  constructor(message: string, details: { expected?: unknown; actual?: unknown } = {}) {
    super(message);
    this.name = 'ConformanceAssertionError';
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/**
 * Fails the case.
 *
 * @throws {@link ConformanceAssertionError} always.
 */
export function fail(message: string): never {
  throw new ConformanceAssertionError(message);
}

/** Fails the case with `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new ConformanceAssertionError(message);
  }
}

/** Fails unless `actual` and `expected` are the same value (`Object.is`). */
export function assertSame(actual: unknown, expected: unknown, message: string): void {
  if (!Object.is(actual, expected)) {
    throw new ConformanceAssertionError(
      `${message}: expected ${show(expected)}, got ${show(actual)}.`,
      { expected, actual },
    );
  }
}

/**
 * Fails unless `actual` deep-equals `expected` by {@link findDifference}'s rules.
 *
 * @param message - what was being checked, for example `get() after upsert()`.
 */
export function assertDeepEqual(actual: unknown, expected: unknown, message: string): void {
  const difference = findDifference(actual, expected);
  if (difference !== null) {
    throw new ConformanceAssertionError(`${message}: ${difference}.`, { expected, actual });
  }
}

/** True when `actual` deep-equals `expected` by {@link findDifference}'s rules. */
export function deepEqual(actual: unknown, expected: unknown): boolean {
  return findDifference(actual, expected) === null;
}

/**
 * Compares two values the way a session must round-trip, and describes the first
 * difference, or returns `null` when there is none.
 *
 * - Numbers by `Object.is`: `-0` and `0` differ, `NaN` equals `NaN`.
 * - A bigint equals only a bigint of the same value (`1n` is not `1`).
 * - A `Date` equals a `Date` with the same time.
 * - A `Uint8Array` (a `Buffer` included) equals another with the same bytes.
 * - Arrays by length and items; plain objects by their own enumerable string keys (in any
 *   order, `__proto__` included when it is an own property) and values.
 * - Any other object (a `Map`, a class instance) equals only itself.
 */
export function findDifference(actual: unknown, expected: unknown, path = 'value'): string | null {
  if (typeof expected !== 'object' || expected === null) {
    return Object.is(actual, expected)
      ? null
      : `${path} is ${show(actual)} where ${show(expected)} was expected`;
  }

  if (typeof actual !== 'object' || actual === null) {
    return `${path} is ${show(actual)} where ${show(expected)} was expected`;
  }

  if (expected instanceof Date) {
    return compareDates(actual, expected, path);
  }

  if (expected instanceof Uint8Array) {
    return compareBytes(actual, expected, path);
  }

  if (Array.isArray(expected)) {
    return compareArrays(actual, expected, path);
  }

  if (!isPlainObject(expected)) {
    return actual === expected ? null : `${path} is not the very ${show(expected)} expected`;
  }

  return comparePlainObjects(actual, expected, path);
}

function compareDates(actual: object, expected: Date, path: string): string | null {
  if (!(actual instanceof Date)) {
    return `${path} is ${show(actual)} where a Date was expected`;
  }
  return Object.is(actual.getTime(), expected.getTime())
    ? null
    : `${path} is ${show(actual)} where ${show(expected)} was expected`;
}

function compareBytes(actual: object, expected: Uint8Array, path: string): string | null {
  if (!(actual instanceof Uint8Array)) {
    return `${path} is ${show(actual)} where a Uint8Array was expected`;
  }
  if (actual.length !== expected.length) {
    return `${path} has ${actual.length} bytes where ${expected.length} were expected`;
  }
  const index = actual.findIndex((byte, position) => byte !== expected[position]);
  return index === -1
    ? null
    : `${path}[${index}] is byte ${actual[index]} where ${expected[index]} was expected`;
}

function compareArrays(actual: object, expected: unknown[], path: string): string | null {
  if (!Array.isArray(actual)) {
    return `${path} is ${show(actual)} where an array was expected`;
  }
  if (actual.length !== expected.length) {
    return `${path} has ${actual.length} items where ${expected.length} were expected`;
  }
  for (let index = 0; index < expected.length; index++) {
    const difference = findDifference(actual[index], expected[index], `${path}[${index}]`);
    if (difference !== null) {
      return difference;
    }
  }
  return null;
}

function comparePlainObjects(actual: object, expected: object, path: string): string | null {
  if (Array.isArray(actual) || actual instanceof Date || actual instanceof Uint8Array) {
    return `${path} is ${show(actual)} where a plain object was expected`;
  }

  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  const missing = expectedKeys.find((key) => !Object.hasOwn(actual, key));
  if (missing !== undefined) {
    return `${path} lacks the property ${JSON.stringify(missing)}`;
  }
  const extra = actualKeys.find((key) => !Object.hasOwn(expected, key));
  if (extra !== undefined) {
    return `${path} has an unexpected property ${JSON.stringify(extra)}`;
  }

  for (const key of expectedKeys) {
    const difference = findDifference(
      ownValue(actual, key),
      ownValue(expected, key),
      `${path}${propertyPath(key)}`,
    );
    if (difference !== null) {
      return difference;
    }
  }
  return null;
}

// Reads an own property without falling through to Object.prototype.__proto__.
function ownValue(target: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(target, key)?.value;
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A short, readable description of a value for a failure message. Long strings are cut,
 * so a failure never floods a report.
 */
export function show(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 60
        ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`
        : JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'undefined':
    case 'boolean':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    default:
      return showObject(value as object | null);
  }
}

function showObject(value: object | null): string {
  if (value === null) return 'null';
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length} bytes)`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isPlainObject(value)) {
    const text = safeJson(value);
    return text.length > 120 ? `${text.slice(0, 100)}…}` : text;
  }
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return `an instance of ${name ?? 'an unknown class'}`;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'bigint' ? `${item}n` : item,
    );
  } catch {
    return 'an object';
  }
}

/** True when `error` is a {@link SessionStoreError} with one of the known codes. */
export function isSessionStoreError(error: unknown): error is SessionStoreError {
  if (error instanceof SessionStoreError) {
    return true;
  }

  // A store built against another copy of @sessionstore/core throws that copy's class, which
  // `instanceof` cannot see; its name and code say the same.
  const candidate = error as { name?: unknown; code?: unknown } | null;
  return (
    error instanceof Error &&
    candidate?.name === 'SessionStoreError' &&
    SESSION_STORE_ERROR_CODES.includes(candidate.code as SessionStoreErrorCode)
  );
}

/**
 * Calls `action` and fails unless it returns a promise that rejects with a
 * {@link SessionStoreError} with `code`. A synchronous throw fails too: the contract's
 * methods reject, they do not throw.
 *
 * @param what - the call, for failure messages, for example `get("", "u1")`.
 * @returns the error, for further checks.
 */
export async function assertRejects(
  action: () => unknown,
  code: SessionStoreErrorCode,
  what: string,
): Promise<SessionStoreError> {
  let pending: unknown;
  try {
    pending = action();
  } catch (error) {
    throw new ConformanceAssertionError(
      `${what} threw synchronously (${describeError(error)}) instead of returning a rejected ` +
        'promise.',
      { actual: error },
    );
  }

  if (!isThenable(pending)) {
    throw new ConformanceAssertionError(`${what} did not return a promise.`, { actual: pending });
  }

  try {
    const value = await pending;
    throw new ConformanceAssertionError(
      `${what} resolved (to ${show(value)}) where it should reject with ${code}.`,
      { expected: code, actual: value },
    );
  } catch (error) {
    if (error instanceof ConformanceAssertionError) {
      throw error;
    }
    if (!isSessionStoreError(error)) {
      throw new ConformanceAssertionError(
        `${what} rejected with ${describeError(error)}, not a SessionStoreError with code ${code}.`,
        { expected: code, actual: error },
      );
    }
    if (error.code !== code) {
      throw new ConformanceAssertionError(
        `${what} rejected with code ${error.code} where ${code} was expected: ${error.message}`,
        { expected: code, actual: error.code },
      );
    }
    return error;
  }
}

/**
 * Calls `action` and fails unless it returns a promise that resolves; a rejection's code and
 * message are put in the failure.
 *
 * @returns what the promise resolved to.
 */
export async function assertResolves<T>(action: () => Promise<T>, what: string): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new ConformanceAssertionError(`${what} rejected: ${describeError(error)}.`, {
      actual: error,
    });
  }
}

/** A one-line description of an error: its name, code and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const codeText = typeof code === 'string' ? ` ${code}` : '';
    return `${error.name}${codeText}: ${error.message}`;
  }
  return show(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

import { SessionStoreError } from './errors.js';

/** The default limit on an encoded session: 1 MiB. */
export const DEFAULT_MAX_SESSION_BYTES = 1_048_576;

/**
 * Nesting deeper than this is rejected rather than risking a stack overflow while encoding
 * or decoding. No real session comes near it.
 */
export const MAX_NESTING_DEPTH = 256;

// Tagged values are single-key objects whose key starts with exactly one `$`. Every key of
// the application's own that starts with `$` is stored with one more `$` in front, so a
// payload can never be mistaken for a tag, whatever keys it uses.
const DATE_TAG = '$date';
const BIGINT_TAG = '$bigint';
const BYTES_TAG = '$bytes';
const NUMBER_TAG = '$number';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where an encode or decode call came from, for error messages. */
export interface CodecContext {
  /** The package name, first word of every message. */
  store: string;
  /** The method, for example `upsert()`. */
  method: string;
}

/**
 * Encodes a session as JSON text that the backend's own tools can read. Dates, bigints and
 * Uint8Arrays (Buffers included) are stored as tagged objects and come back as themselves.
 * Properties whose value is `undefined` are dropped.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for any value outside those rules
 *   (functions, symbols, class instances, Maps, cycles, NaN, Infinity, holes or `undefined`
 *   in arrays), naming where in the session it was found; `PAYLOAD_TOO_LARGE` when the text
 *   is longer than `maxSessionBytes` in UTF-8.
 */
export function encodeSession(
  session: object,
  context: CodecContext,
  maxSessionBytes = DEFAULT_MAX_SESSION_BYTES,
): string {
  // Most sessions hold nothing that needs a tag; for those, one validating walk and the
  // native JSON.stringify of the session itself give the same text as the rebuilt tree.
  const needsTags = inspect(session, 'session', new Set(), context);
  const text = JSON.stringify(
    needsTags ? toJsonValue(session, 'session', new Set(), context) : session,
  );
  const bytes = Buffer.byteLength(text, 'utf8');

  if (bytes > maxSessionBytes) {
    throw new SessionStoreError(
      'PAYLOAD_TOO_LARGE',
      `${context.store}: ${context.method} was given a session that encodes to ${bytes} bytes, ` +
        `more than maxSessionBytes (${maxSessionBytes}).`,
    );
  }

  return text;
}

/**
 * Decodes what {@link encodeSession} wrote.
 *
 * @throws {@link SessionStoreError} `CORRUPT` when the text is not a record this codec wrote.
 */
export function decodeSession(text: string, context: CodecContext): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(context, 'is not valid JSON', error);
  }

  // Without `"$` in the text there is no tag and no escaped key, so the parsed value is final.
  const value = text.includes('"$') ? fromJsonValue(parsed, 0, context) : parsed;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw corrupt(context, 'is not an object');
  }

  return value as Record<string, unknown>;
}

/**
 * Checks every rule of {@link toJsonValue} without building anything, and says whether the
 * value holds something that must be tagged or escaped (a Date, bigint, Uint8Array, -0, or a
 * key starting with `$`). Throws exactly what {@link toJsonValue} would.
 */
function inspect(
  value: unknown,
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): boolean {
  if (typeof value !== 'object' || value === null) {
    toJsonValue(value, path, ancestors, context); // throws for what JSON cannot hold
    return typeof value === 'bigint' || Object.is(value, -0);
  }

  if (value instanceof Date || value instanceof Uint8Array) {
    return true;
  }

  if (ancestors.has(value)) {
    throw invalid(context, path, 'refers back to an object that contains it (a cycle)');
  }

  if (ancestors.size >= MAX_NESTING_DEPTH) {
    throw invalid(context, path, `is nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }

  ancestors.add(value);
  const found = Array.isArray(value)
    ? inspectArray(value, path, ancestors, context)
    : inspectObject(value, path, ancestors, context);
  ancestors.delete(value);

  return found;
}

function inspectArray(
  value: unknown[],
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): boolean {
  checkArray(value, path, context);
  let found = false;
  for (let index = 0; index < value.length; index++) {
    found = inspect(value[index], `${path}[${index}]`, ancestors, context) || found;
  }
  return found;
}

function inspectObject(
  value: object,
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): boolean {
  checkPlainObject(value, path, context);
  let found = false;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) {
      found = inspect(item, `${path}.${key}`, ancestors, context) || key.startsWith('$') || found;
    }
  }
  return found;
}

function toJsonValue(
  value: unknown,
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw invalid(context, path, `is ${value}, which JSON cannot hold`);
      }
      return Object.is(value, -0) ? { [NUMBER_TAG]: '-0' } : value;
    case 'bigint':
      return { [BIGINT_TAG]: value.toString() };
    case 'object':
      return value === null ? null : objectToJsonValue(value, path, ancestors, context);
    default:
      throw invalid(context, path, `is a ${typeof value}, which cannot be stored`);
  }
}

function objectToJsonValue(
  value: object,
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): JsonValue {
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) {
      throw invalid(context, path, 'is an invalid Date');
    }
    return { [DATE_TAG]: value.toISOString() };
  }

  if (value instanceof Uint8Array) {
    return {
      [BYTES_TAG]: Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64'),
    };
  }

  if (ancestors.has(value)) {
    throw invalid(context, path, 'refers back to an object that contains it (a cycle)');
  }

  if (ancestors.size >= MAX_NESTING_DEPTH) {
    throw invalid(context, path, `is nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }

  ancestors.add(value);
  const result = Array.isArray(value)
    ? arrayToJsonValue(value, path, ancestors, context)
    : plainObjectToJsonValue(value, path, ancestors, context);
  ancestors.delete(value);

  return result;
}

function arrayToJsonValue(
  value: unknown[],
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): JsonValue[] {
  checkArray(value, path, context);

  const result: JsonValue[] = new Array(value.length);
  for (let index = 0; index < value.length; index++) {
    result[index] = toJsonValue(value[index], `${path}[${index}]`, ancestors, context);
  }

  return result;
}

function plainObjectToJsonValue(
  value: object,
  path: string,
  ancestors: Set<object>,
  context: CodecContext,
): { [key: string]: JsonValue } {
  checkPlainObject(value, path, context);

  const result: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) {
      continue;
    }
    const storedKey = key.startsWith('$') ? `$${key}` : key;
    defineValue(result, storedKey, toJsonValue(item, `${path}.${key}`, ancestors, context));
  }

  return result;
}

function checkArray(value: unknown[], path: string, context: CodecContext): void {
  if (Object.getPrototypeOf(value) !== Array.prototype) {
    throw invalid(context, path, 'is an instance of an Array subclass');
  }

  for (let index = 0; index < value.length; index++) {
    if (!(index in value) || value[index] === undefined) {
      throw invalid(
        context,
        `${path}[${index}]`,
        'is undefined or a hole, which an array cannot store',
      );
    }
  }
}

function checkPlainObject(value: object, path: string, context: CodecContext): void {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw invalid(context, path, `is ${describeObject(value)}, not a plain object`);
  }

  if (Object.getOwnPropertySymbols(value).length > 0) {
    throw invalid(context, path, 'has symbol-keyed properties, which cannot be stored');
  }
}

function fromJsonValue(value: unknown, depth: number, context: CodecContext): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }

  if (depth > MAX_NESTING_DEPTH + 1) {
    throw corrupt(context, `is nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }

  if (Array.isArray(value)) {
    return value.map((item) => fromJsonValue(item, depth + 1, context));
  }

  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const onlyKey = keys.length === 1 ? keys[0] : undefined;
  if (onlyKey?.startsWith('$') && !onlyKey.startsWith('$$')) {
    return fromTag(onlyKey, record[onlyKey], context);
  }

  const result: Record<string, unknown> = {};
  for (const key of keys) {
    if (key.startsWith('$') && !key.startsWith('$$')) {
      throw corrupt(context, `has an unknown tag "${key.slice(0, 32)}"`);
    }
    const originalKey = key.startsWith('$') ? key.slice(1) : key;
    defineValue(result, originalKey, fromJsonValue(record[key], depth + 1, context));
  }

  return result;
}

function fromTag(tag: string, payload: unknown, context: CodecContext): unknown {
  if (typeof payload !== 'string') {
    throw corrupt(context, `has a ${tag} tag without a string value`);
  }

  switch (tag) {
    case DATE_TAG: {
      const date = new Date(payload);
      if (Number.isNaN(date.getTime())) {
        throw corrupt(context, 'has a $date tag that is not a date');
      }
      return date;
    }
    case BIGINT_TAG:
      if (!/^-?\d+$/.test(payload)) {
        throw corrupt(context, 'has a $bigint tag that is not an integer');
      }
      return BigInt(payload);
    case BYTES_TAG: {
      const bytes = Buffer.from(payload, 'base64');
      return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }
    case NUMBER_TAG:
      if (payload !== '-0') {
        throw corrupt(context, 'has a $number tag other than -0');
      }
      return -0;
    default:
      throw corrupt(context, `has an unknown tag "${tag.slice(0, 32)}"`);
  }
}

// Assignment would treat a "__proto__" key as the prototype; defining keeps it a property.
function defineValue(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

function describeObject(value: object): string {
  if (value instanceof Map) return 'a Map';
  if (value instanceof Set) return 'a Set';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} (only Uint8Array is stored)`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'a class instance';
}

function invalid(context: CodecContext, path: string, problem: string): SessionStoreError {
  return new SessionStoreError(
    'INVALID_ARGUMENT',
    `${context.store}: ${context.method} was given a session whose ${path} ${problem}.`,
  );
}

function corrupt(context: CodecContext, problem: string, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    'CORRUPT',
    `${context.store}: ${context.method} read a stored record that ${problem}.`,
    cause === undefined ? {} : { cause },
  );
}

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
 * Properties whose value is `undefined` are dropped. Every value is read exactly once, so a
 * getter cannot show the check one value and the stored text another, and `toJSON` methods
 * play no part.
 *
 * @throws {@link SessionStoreError} `INVALID_ARGUMENT` for any value outside those rules
 *   (functions, symbols, class instances, Maps, cycles, NaN, Infinity, holes or `undefined`
 *   in arrays, or a value whose reading throws), naming where in the session it was found;
 *   `PAYLOAD_TOO_LARGE` when the text is longer than `maxSessionBytes` in UTF-8, detected
 *   while walking, before a text that large is ever built.
 */
export function encodeSession(
  session: object,
  context: CodecContext,
  maxSessionBytes = DEFAULT_MAX_SESSION_BYTES,
): string {
  const encoder = new Encoder(context, maxSessionBytes);
  let tree: JsonValue;
  try {
    tree = encoder.value(session);
  } catch (error) {
    throw error instanceof SessionStoreError
      ? error
      : invalid(context, encoder.path, 'could not be read', error);
  }

  const text = JSON.stringify(tree);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxSessionBytes) {
    throw tooLarge(context, bytes, maxSessionBytes);
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
  } catch {
    // The parser's message quotes the stored text, which may hold secrets: leave it out.
    throw corrupt(context, 'is not valid JSON');
  }

  // Without `"$` in the text there is no tag and no escaped key, so the parsed value is final.
  const value = text.includes('"$') ? fromJsonValue(parsed, 0, context) : parsed;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw corrupt(context, 'is not an object');
  }

  return value as Record<string, unknown>;
}

/**
 * Builds the JSON tree of a session in one walk, checking every rule on the way. The walk
 * counts a lower bound of the text's size (every string and key costs at least its length
 * in bytes), so a session far over the limit is refused before its text is built. Where it
 * is in the session is kept as a stack of keys and indexes, written out only for an error.
 */
class Encoder {
  /** The objects and arrays from the root down to the one being walked, for cycles. */
  readonly #ancestors: object[] = [];
  /** The keys and indexes from the root down to the value being walked. */
  readonly #path: (string | number)[] = [];
  readonly #context: CodecContext;
  readonly #maxSessionBytes: number;
  #minimumBytes = 0;

  constructor(context: CodecContext, maxSessionBytes: number) {
    this.#context = context;
    this.#maxSessionBytes = maxSessionBytes;
  }

  /** Where the walk is, as the error messages name it: `session.a.b[2]`. */
  get path(): string {
    let path = 'session';
    for (const step of this.#path) {
      path += typeof step === 'number' ? `[${step}]` : `.${step}`;
    }
    return path;
  }

  value(value: unknown): JsonValue {
    switch (typeof value) {
      case 'string':
        this.#count(value.length + 2);
        return value;
      case 'boolean':
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          throw this.#invalid(`is ${value}, which JSON cannot hold`);
        }
        return Object.is(value, -0) ? { [NUMBER_TAG]: '-0' } : value;
      case 'bigint':
        return { [BIGINT_TAG]: this.#counted(value.toString()) };
      case 'object':
        return value === null ? null : this.#object(value);
      default:
        throw this.#invalid(`is a ${typeof value}, which cannot be stored`);
    }
  }

  #object(value: object): JsonValue {
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Date.prototype) {
      return { [DATE_TAG]: this.#date(value as Date) };
    }

    if (prototype === Uint8Array.prototype || Buffer.isBuffer(value)) {
      const bytes = value as Uint8Array;
      this.#count(Math.ceil(bytes.length / 3) * 4);
      return {
        [BYTES_TAG]: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64'),
      };
    }

    if (this.#ancestors.includes(value)) {
      throw this.#invalid('refers back to an object that contains it (a cycle)');
    }

    if (this.#ancestors.length >= MAX_NESTING_DEPTH) {
      throw this.#invalid(`is nested more than ${MAX_NESTING_DEPTH} levels deep`);
    }

    this.#ancestors.push(value);
    const result =
      prototype === Array.prototype
        ? this.#array(value as unknown[])
        : this.#plainObject(value, prototype);
    this.#ancestors.pop();

    return result;
  }

  #date(date: Date): string {
    const time = date.getTime();
    if (Number.isNaN(time)) {
      throw this.#invalid('is an invalid Date');
    }
    return date.toISOString();
  }

  #array(array: unknown[]): JsonValue[] {
    const result: JsonValue[] = new Array(array.length);
    for (let index = 0; index < array.length; index++) {
      this.#path.push(index);
      const item = array[index];
      if (item === undefined) {
        throw this.#invalid('is undefined or a hole, which an array cannot store');
      }
      result[index] = this.value(item);
      this.#path.pop();
    }
    return result;
  }

  #plainObject(value: object, prototype: unknown): { [key: string]: JsonValue } {
    if (prototype !== Object.prototype && prototype !== null) {
      throw this.#invalid(`is ${describeObject(value)}, not a plain object`);
    }

    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw this.#invalid('has symbol-keyed properties, which cannot be stored');
    }

    const result: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) {
        continue;
      }
      this.#count(key.length + 3);
      this.#path.push(key);
      const storedKey = key.charCodeAt(0) === DOLLAR ? `$${key}` : key;
      defineValue(result, storedKey, this.value(item));
      this.#path.pop();
    }
    return result;
  }

  #invalid(problem: string): SessionStoreError {
    return invalid(this.#context, this.path, problem);
  }

  #counted(text: string): string {
    this.#count(text.length);
    return text;
  }

  #count(minimumBytes: number): void {
    this.#minimumBytes += minimumBytes;
    if (this.#minimumBytes > this.#maxSessionBytes) {
      throw tooLarge(this.#context, undefined, this.#maxSessionBytes);
    }
  }
}

/** The character code of `$`. */
const DOLLAR = 36;

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

function invalid(
  context: CodecContext,
  path: string,
  problem: string,
  cause?: unknown,
): SessionStoreError {
  return new SessionStoreError(
    'INVALID_ARGUMENT',
    `${context.store}: ${context.method} was given a session whose ${path} ${problem}.`,
    cause === undefined ? {} : { cause },
  );
}

/** `bytes` is the encoded size when known; the walk stops before it knows it. */
function tooLarge(
  context: CodecContext,
  bytes: number | undefined,
  maxSessionBytes: number,
): SessionStoreError {
  const size =
    bytes === undefined
      ? `more than maxSessionBytes (${maxSessionBytes})`
      : `${bytes} bytes, more than maxSessionBytes (${maxSessionBytes})`;
  return new SessionStoreError(
    'PAYLOAD_TOO_LARGE',
    `${context.store}: ${context.method} was given a session that encodes to ${size}.`,
  );
}

function corrupt(context: CodecContext, problem: string, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    'CORRUPT',
    `${context.store}: ${context.method} read a stored record that ${problem}.`,
    cause === undefined ? {} : { cause },
  );
}

import { type Document, EJSON } from 'bson';

/**
 * A stable string for a BSON value, used as a hash-map key for `_id` and for unique index
 * entries. Field order inside embedded documents counts, as it does in MongoDB; numbers are
 * compared by value because deserialisation has already merged int32, int64 and double.
 */
export function canonicalKey(value: unknown): string {
  if (value === undefined) return 'null';

  return EJSON.stringify(value as Document, { relaxed: false });
}

/** Reads a dotted path such as `a.b.c`; undefined when any step is missing. */
export function getPath(document: Document, path: string): unknown {
  let current: unknown = document;
  for (const step of path.split('.')) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/** Writes a dotted path, creating embedded documents on the way. */
export function setPath(document: Document, path: string, value: unknown): void {
  const steps = path.split('.');
  const last = steps.pop() as string;
  let current: Record<string, unknown> = document;
  for (const step of steps) {
    const next = current[step];
    if (!isPlainObject(next)) current[step] = {};
    current = current[step] as Record<string, unknown>;
  }
  current[last] = value;
}

/**
 * Copies plain objects, arrays and dates so an update can change the copy freely; other BSON
 * values (ObjectId, Binary, Long, ...) are treated as immutable and shared.
 */
export function deepClone<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((item) => deepClone(item)) as T;
  if (!isPlainObject(value)) return value;

  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = deepClone(item);
  return copy as T;
}

/** True for an object literal (a BSON embedded document), false for class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;

  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** True when a document's first key is an operator such as `$set`. */
export function isOperatorDocument(value: unknown): value is Document {
  if (!isPlainObject(value)) return false;

  const firstKey = Object.keys(value)[0];
  return firstKey?.startsWith('$') ?? false;
}

/** Reads an optional numeric command field (int32, int64 or double) as a JS number. */
export function toNumber(value: unknown, fallback: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object' && value !== null && 'toNumber' in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  return fallback;
}

/** Reads a BSON truthy flag as MongoDB does: `true`, or any non-zero number. */
export function isTruthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;

  return toNumber(value, 0) !== 0;
}

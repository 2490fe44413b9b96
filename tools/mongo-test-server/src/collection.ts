import { type Document, ObjectId } from 'bson';
import { Query } from 'mingo';
import { CommandError, ErrorCodes } from './errors.js';
import { canonicalKey, getPath } from './values.js';

/** The options of an index, as `createIndexes` receives them and `listIndexes` reports them. */
export interface IndexSpec {
  readonly name: string;
  readonly key: Document;
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly expireAfterSeconds?: number;
  readonly partialFilterExpression?: Document;
}

/** The name MongoDB gives the index every collection has on `_id`. */
export const ID_INDEX_NAME = '_id_';

/**
 * An index. Only unique indexes hold entries (a hash map from the indexed values to the
 * document's `_id` key); other indexes are kept so they can be listed and used by the TTL
 * monitor, since queries scan the collection anyway.
 */
class Index {
  /** Replaced, never changed in place, when `collMod` sets `expireAfterSeconds`. */
  spec: IndexSpec;
  readonly fields: string[];
  readonly #entries = new Map<string, string>();
  readonly #partialFilter: Query | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.#partialFilter =
      spec.partialFilterExpression === undefined
        ? undefined
        : new Query(spec.partialFilterExpression, {});
  }

  /** The entry key for a document, or undefined when the index leaves the document out. */
  entryKey(document: Document): string | undefined {
    if (!this.spec.unique) return undefined;
    if (this.#partialFilter !== undefined && !this.#partialFilter.test(document)) return undefined;

    const values = this.fields.map((field) => getPath(document, field));
    if (this.spec.sparse && values.every((value) => value === undefined)) return undefined;
    return canonicalKey(values.map((value) => value ?? null));
  }

  /**
   * True when this is a TTL index (one field, `expireAfterSeconds`) that covers the document
   * and the document's date plus `expireAfterSeconds` is at or before `nowMs`.
   */
  hasExpired(document: Document, nowMs: number): boolean {
    const expireAfterSeconds = this.spec.expireAfterSeconds;
    const field = this.fields[0];
    if (expireAfterSeconds === undefined || field === undefined || this.fields.length > 1) {
      return false;
    }
    if (this.#partialFilter !== undefined && !this.#partialFilter.test(document)) return false;

    const expiresAtMs = expiryOf(getPath(document, field), expireAfterSeconds);
    return expiresAtMs !== undefined && expiresAtMs <= nowMs;
  }

  /** The `_id` key of the document holding `entryKey`, if any. */
  owner(entryKey: string): string | undefined {
    return this.#entries.get(entryKey);
  }

  add(document: Document, idKey: string): void {
    const entryKey = this.entryKey(document);
    if (entryKey !== undefined) this.#entries.set(entryKey, idKey);
  }

  remove(document: Document): void {
    const entryKey = this.entryKey(document);
    if (entryKey !== undefined) this.#entries.delete(entryKey);
  }

  clear(): void {
    this.#entries.clear();
  }

  duplicateKeyError(namespace: string, document: Document): CommandError {
    const keyValue: Document = {};
    for (const field of this.fields) keyValue[field] = getPath(document, field) ?? null;
    const shown = Object.entries(keyValue)
      .map(([field, value]) => `${field}: ${JSON.stringify(value)}`)
      .join(', ');
    const message =
      `E11000 duplicate key error collection: ${namespace} ` +
      `index: ${this.spec.name} dup key: { ${shown} }`;
    return new CommandError(ErrorCodes.DuplicateKey, message, {
      keyPattern: this.spec.key,
      keyValue,
    });
  }
}

/** The documents of one namespace, in insertion order, keyed by their canonical `_id`. */
export class Collection {
  readonly database: string;
  readonly name: string;
  readonly #documents = new Map<string, Document>();
  readonly #indexes = new Map<string, Index>();

  constructor(database: string, name: string) {
    this.database = database;
    this.name = name;
    this.#indexes.set(ID_INDEX_NAME, new Index(idIndexSpec()));
  }

  /** `database.collection`, as error messages and cursor replies name it. */
  get namespace(): string {
    return `${this.database}.${this.name}`;
  }

  get size(): number {
    return this.#documents.size;
  }

  /** The documents in insertion order; callers must not change them. */
  documents(): Document[] {
    return [...this.#documents.values()];
  }

  /** The document with this `_id`, if stored; a hash lookup, so equality filters are cheap. */
  findById(id: unknown): Document | undefined {
    return this.#documents.get(canonicalKey(id));
  }

  /** Inserts a document; `_id` goes first, and becomes a new ObjectId when missing. */
  insert(document: Document): Document {
    const id = document._id === undefined ? new ObjectId() : document._id;
    if (Array.isArray(id) || id instanceof RegExp) {
      throw new CommandError(ErrorCodes.BadValue, `can't use a ${typeOfId(id)} for _id`);
    }

    // `_id` leads, as in MongoDB; assigned again so `_id: undefined` keeps the generated id.
    return this.#store(Object.assign({ _id: id }, document, { _id: id }));
  }

  #store(stored: Document): Document {
    const idKey = canonicalKey(stored._id);
    if (this.#documents.has(idKey)) throw this.#idIndex().duplicateKeyError(this.namespace, stored);

    this.#checkUnique(stored, idKey);
    this.#documents.set(idKey, stored);
    for (const index of this.#indexes.values()) index.add(stored, idKey);
    return stored;
  }

  /** Replaces the stored document with the same `_id` by `next`, checking unique indexes. */
  replace(previous: Document, next: Document): void {
    const idKey = canonicalKey(previous._id);
    if (canonicalKey(next._id) !== idKey) {
      throw new CommandError(
        ErrorCodes.ImmutableField,
        "Performing an update on the path '_id' would modify the immutable field '_id'",
      );
    }

    this.#checkUnique(next, idKey);
    for (const index of this.#indexes.values()) index.remove(previous);
    this.#documents.set(idKey, next);
    for (const index of this.#indexes.values()) index.add(next, idKey);
  }

  /** Removes a stored document; returns false when it was already gone. */
  remove(document: Document): boolean {
    const idKey = canonicalKey(document._id);
    const stored = this.#documents.get(idKey);
    if (stored === undefined) return false;

    for (const index of this.#indexes.values()) index.remove(stored);
    this.#documents.delete(idKey);
    return true;
  }

  indexSpecs(): IndexSpec[] {
    return [...this.#indexes.values()].map((index) => index.spec);
  }

  /**
   * Adds an index; returns false when an identical one exists. Throws code 85 or 86 when an
   * index with the same name or key exists with other options, and 11000 when a unique index
   * cannot be built over the documents already stored.
   */
  createIndex(spec: IndexSpec): boolean {
    if (this.#hasIdentical(spec)) return false;

    const index = new Index(spec);
    for (const [idKey, document] of this.#documents) {
      const entryKey = index.entryKey(document);
      if (entryKey !== undefined && index.owner(entryKey) !== undefined) {
        throw index.duplicateKeyError(this.namespace, document);
      }
      index.add(document, idKey);
    }
    this.#indexes.set(spec.name, index);
    return true;
  }

  /** Drops an index by name; the `_id` index cannot be dropped. */
  dropIndex(name: string): void {
    if (name === ID_INDEX_NAME) {
      throw new CommandError(ErrorCodes.InvalidOptions, 'cannot drop _id index');
    }
    if (!this.#indexes.delete(name)) {
      throw new CommandError(ErrorCodes.IndexNotFound, `index not found with name [${name}]`);
    }
  }

  /** Drops every index except the one on `_id`. */
  dropAllIndexes(): void {
    for (const name of [...this.#indexes.keys()]) {
      if (name !== ID_INDEX_NAME) this.#indexes.delete(name);
    }
  }

  /**
   * Sets the `expireAfterSeconds` of an index, as `collMod` does, and returns the previous
   * value. Only a single-field index other than the one on `_id` can be a TTL index.
   */
  setExpireAfterSeconds(name: string, expireAfterSeconds: number): number | undefined {
    const index = this.#indexes.get(name);
    if (index === undefined) {
      throw new CommandError(ErrorCodes.IndexNotFound, `cannot find index ${name}`);
    }
    if (name === ID_INDEX_NAME || index.fields.length !== 1) {
      throw new CommandError(
        ErrorCodes.InvalidOptions,
        'expireAfterSeconds applies only to a single-field index other than _id',
      );
    }

    const previous = index.spec.expireAfterSeconds;
    index.spec = { ...index.spec, expireAfterSeconds };
    return previous;
  }

  /** Finds an index name by key pattern, for `dropIndexes` given a key document. */
  indexNameForKey(key: Document): string | undefined {
    const wanted = canonicalKey(key);
    for (const index of this.#indexes.values()) {
      if (canonicalKey(index.spec.key) === wanted) return index.spec.name;
    }
    return undefined;
  }

  /** Deletes documents whose TTL-indexed date has passed; returns how many went. */
  expire(nowMs: number): number {
    let deletedCount = 0;
    for (const index of this.#indexes.values()) {
      for (const document of this.documents()) {
        if (index.hasExpired(document, nowMs) && this.remove(document)) deletedCount += 1;
      }
    }
    return deletedCount;
  }

  /** Removes every document, keeping the indexes. */
  clear(): void {
    this.#documents.clear();
    for (const index of this.#indexes.values()) index.clear();
  }

  #idIndex(): Index {
    return this.#indexes.get(ID_INDEX_NAME) as Index;
  }

  #checkUnique(document: Document, idKey: string): void {
    for (const index of this.#indexes.values()) {
      const entryKey = index.entryKey(document);
      if (entryKey === undefined) continue;

      const owner = index.owner(entryKey);
      if (owner !== undefined && owner !== idKey) {
        throw index.duplicateKeyError(this.namespace, document);
      }
    }
  }

  /**
   * True when an identical index exists. Throws, as MongoDB does, when the name is taken by
   * another key (86) or other options (85), or the key is indexed under another name (85).
   */
  #hasIdentical(spec: IndexSpec): boolean {
    const sameName = this.#indexes.get(spec.name)?.spec;
    if (sameName !== undefined) {
      checkSameNameMatches(sameName, spec);
      return true;
    }

    const sameKey = this.indexSpecs().find(
      (existing) =>
        canonicalKey(existing.key) === canonicalKey(spec.key) &&
        canonicalKey(existing.partialFilterExpression) ===
          canonicalKey(spec.partialFilterExpression),
    );
    if (sameKey !== undefined) {
      throw new CommandError(
        ErrorCodes.IndexOptionsConflict,
        `Index already exists with a different name: ${sameKey.name}`,
      );
    }
    return false;
  }
}

function typeOfId(id: unknown): string {
  return Array.isArray(id) ? 'array' : 'regex';
}

function checkSameNameMatches(existing: IndexSpec, requested: IndexSpec): void {
  if (canonicalKey(existing.key) !== canonicalKey(requested.key)) {
    throw new CommandError(
      ErrorCodes.IndexKeySpecsConflict,
      `An existing index has the same name as the requested index but a different key: ` +
        requested.name,
    );
  }
  if (optionsKey(existing) !== optionsKey(requested)) {
    throw new CommandError(
      ErrorCodes.IndexOptionsConflict,
      `An existing index has the same name as the requested index but different options: ` +
        requested.name,
    );
  }
}

function idIndexSpec(): IndexSpec {
  return { name: ID_INDEX_NAME, key: { _id: 1 }, unique: true, sparse: false };
}

function optionsKey(spec: IndexSpec): string {
  return canonicalKey({
    unique: spec.unique,
    sparse: spec.sparse,
    expireAfterSeconds: spec.expireAfterSeconds ?? null,
    partialFilterExpression: spec.partialFilterExpression ?? null,
  });
}

/** The moment a TTL-indexed value expires; for an array of dates, the earliest one counts. */
function expiryOf(value: unknown, expireAfterSeconds: number): number | undefined {
  const dates = (Array.isArray(value) ? value : [value]).filter(
    (item): item is Date => item instanceof Date,
  );
  if (dates.length === 0) return undefined;

  const earliestMs = Math.min(...dates.map((date) => date.getTime()));
  return earliestMs + expireAfterSeconds * 1000;
}

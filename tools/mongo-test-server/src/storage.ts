import { Collection } from './collection.js';
import { CommandError, ErrorCodes } from './errors.js';

/** Every database and collection the server holds, created on first write as MongoDB does. */
export class Storage {
  readonly #databases = new Map<string, Map<string, Collection>>();

  /** The collection, or undefined when nothing has created it yet. */
  find(database: string, name: string): Collection | undefined {
    return this.#databases.get(database)?.get(name);
  }

  /** The collection, created empty when missing. */
  ensure(database: string, name: string): Collection {
    checkName(database, name);
    const collections = this.#databases.get(database) ?? new Map<string, Collection>();
    this.#databases.set(database, collections);

    const existing = collections.get(name);
    if (existing !== undefined) return existing;

    const created = new Collection(database, name);
    collections.set(name, created);
    return created;
  }

  /** Drops one collection; returns it, or undefined when it did not exist. */
  drop(database: string, name: string): Collection | undefined {
    const collection = this.find(database, name);
    this.#databases.get(database)?.delete(name);
    return collection;
  }

  dropDatabase(database: string): void {
    this.#databases.delete(database);
  }

  collections(database: string): Collection[] {
    return [...(this.#databases.get(database)?.values() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()];
  }

  /** Every collection of every database. */
  all(): Collection[] {
    return [...this.#databases.values()].flatMap((collections) => [...collections.values()]);
  }

  clear(): void {
    this.#databases.clear();
  }
}

function checkName(database: string, name: string): void {
  if (database === '' || name === '' || name.startsWith('$') || name.includes('\0')) {
    throw new CommandError(ErrorCodes.InvalidNamespace, `Invalid namespace: ${database}.${name}`);
  }
}

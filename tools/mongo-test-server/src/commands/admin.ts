import type { Document } from 'bson';
import type { Collection, IndexSpec } from '../collection.js';
import { CommandError, ErrorCodes } from '../errors.js';
import { compileQuery } from '../matching.js';
import { isPlainObject, isTruthy, toNumber } from '../values.js';
import {
  type CommandContext,
  type CommandHandler,
  documentArray,
  optionalDocument,
  targetCollection,
} from './context.js';

const createIndexes: CommandHandler = (body, context) => {
  const name = targetCollection(body);
  const existed = context.storage.find(context.database, name) !== undefined;
  const collection = context.storage.ensure(context.database, name);
  const specs = documentArray(body, 'indexes').map(parseIndexSpec);
  const numIndexesBefore = collection.indexSpecs().length;

  const created: string[] = [];
  try {
    for (const spec of specs) if (collection.createIndex(spec)) created.push(spec.name);
  } catch (error) {
    // A failed command leaves no index behind, as MongoDB builds them all or none.
    for (const createdName of created) collection.dropIndex(createdName);
    throw error;
  }

  const reply: Document = {
    createdCollectionAutomatically: !existed,
    numIndexesBefore,
    numIndexesAfter: collection.indexSpecs().length,
    ok: 1,
  };
  if (created.length === 0) reply.note = 'all indexes already exist';
  return reply;
};

function parseIndexSpec(raw: Document): IndexSpec {
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError(ErrorCodes.BadValue, 'An index needs a non-empty key document.');
  }
  if (typeof raw.name !== 'string' || raw.name === '') {
    throw new CommandError(ErrorCodes.BadValue, 'An index needs a name.');
  }

  const spec: { -readonly [K in keyof IndexSpec]: IndexSpec[K] } = {
    name: raw.name,
    key,
    unique: isTruthy(raw.unique),
    sparse: isTruthy(raw.sparse),
  };
  if (raw.expireAfterSeconds !== undefined) {
    spec.expireAfterSeconds = toNumber(raw.expireAfterSeconds, 0);
  }
  if (isPlainObject(raw.partialFilterExpression)) {
    spec.partialFilterExpression = raw.partialFilterExpression;
  }
  return spec;
}

/** An index as `listIndexes` reports it. */
function describeIndex(spec: IndexSpec): Document {
  const description: Document = { v: 2, key: spec.key, name: spec.name };
  if (spec.unique && spec.name !== '_id_') description.unique = true;
  if (spec.sparse) description.sparse = true;
  if (spec.expireAfterSeconds !== undefined) {
    description.expireAfterSeconds = spec.expireAfterSeconds;
  }
  if (spec.partialFilterExpression !== undefined) {
    description.partialFilterExpression = spec.partialFilterExpression;
  }
  return description;
}

const listIndexes: CommandHandler = (body, context) => {
  const collection = existingCollection(body, context);
  const namespace = `${context.database}.${collection.name}`;
  const cursorOptions = optionalDocument(body, 'cursor') ?? {};
  const indexes = collection.indexSpecs().map(describeIndex);
  return {
    cursor: context.cursors.open(namespace, indexes, { batchSize: cursorOptions.batchSize }),
    ok: 1,
  };
};

const dropIndexes: CommandHandler = (body, context) => {
  const collection = existingCollection(body, context);
  const nIndexesWas = collection.indexSpecs().length;
  const target = body.index;

  if (target === '*') collection.dropAllIndexes();
  else if (typeof target === 'string') collection.dropIndex(target);
  else if (Array.isArray(target)) for (const name of target) collection.dropIndex(String(name));
  else if (isPlainObject(target)) collection.dropIndex(indexNameForKey(collection, target));
  else throw new CommandError(ErrorCodes.BadValue, "The field 'index' must name an index.");
  return { nIndexesWas, ok: 1 };
};

function indexNameForKey(collection: Collection, key: Document): string {
  const name = collection.indexNameForKey(key);
  if (name !== undefined) return name;

  throw new CommandError(
    ErrorCodes.IndexNotFound,
    `can't find index with key: ${JSON.stringify(key)}`,
  );
}

function existingCollection(body: Document, context: CommandContext): Collection {
  const name = targetCollection(body);
  const collection = context.storage.find(context.database, name);
  if (collection !== undefined) return collection;

  throw new CommandError(
    ErrorCodes.NamespaceNotFound,
    `ns does not exist: ${context.database}.${name}`,
  );
}

/**
 * `collMod` as far as changing a TTL index goes: `index: { name or keyPattern,
 * expireAfterSeconds }`. Any other collection change is refused.
 */
const collMod: CommandHandler = (body, context) => {
  const collection = existingCollection(body, context);
  const index = body.index;
  if (!isPlainObject(index) || index.expireAfterSeconds === undefined) {
    throw new CommandError(
      ErrorCodes.InvalidOptions,
      "This server's collMod only sets an index's expireAfterSeconds.",
    );
  }

  const expireAfterSeconds = toNumber(index.expireAfterSeconds, Number.NaN);
  if (!Number.isSafeInteger(expireAfterSeconds) || expireAfterSeconds < 0) {
    throw new CommandError(
      ErrorCodes.InvalidOptions,
      'expireAfterSeconds must be a non-negative integer.',
    );
  }

  const name =
    typeof index.name === 'string'
      ? index.name
      : indexNameForKey(collection, isPlainObject(index.keyPattern) ? index.keyPattern : {});
  const previous = collection.setExpireAfterSeconds(name, expireAfterSeconds);
  if (previous === expireAfterSeconds) return { ok: 1 };

  return {
    ...(previous === undefined ? {} : { expireAfterSeconds_old: previous }),
    expireAfterSeconds_new: expireAfterSeconds,
    ok: 1,
  };
};

const drop: CommandHandler = (body, context) => {
  const name = targetCollection(body);
  const dropped = context.storage.drop(context.database, name);
  // MongoDB 7 answers ok for a collection that does not exist.
  if (dropped === undefined) return { ok: 1 };

  return { ns: dropped.namespace, nIndexesWas: dropped.indexSpecs().length, ok: 1 };
};

const dropDatabase: CommandHandler = (_body, context) => {
  context.storage.dropDatabase(context.database);
  return { dropped: context.database, ok: 1 };
};

const create: CommandHandler = (body, context) => {
  // Creating a collection that exists answers ok, as mongod 7 does for identical options;
  // this server keeps no collection options to compare.
  context.storage.ensure(context.database, targetCollection(body));
  return { ok: 1 };
};

const listCollections: CommandHandler = (body, context) => {
  const nameOnly = isTruthy(body.nameOnly);
  const all = context.storage.collections(context.database).map((collection) =>
    nameOnly
      ? { name: collection.name, type: 'collection' }
      : {
          name: collection.name,
          type: 'collection',
          options: {},
          info: { readOnly: false },
          idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
        },
  );
  const filter = optionalDocument(body, 'filter') ?? {};
  const query = compileQuery(filter);
  const matching = all.filter((entry) => query.test(entry));
  const cursorOptions = optionalDocument(body, 'cursor') ?? {};
  return {
    cursor: context.cursors.open(`${context.database}.$cmd.listCollections`, matching, {
      batchSize: cursorOptions.batchSize,
    }),
    ok: 1,
  };
};

const listDatabases: CommandHandler = (body, context) => {
  const databases = context.storage.databaseNames().map((name) => ({
    name,
    sizeOnDisk: 0,
    empty: context.storage.collections(name).every((collection) => collection.size === 0),
  }));
  if (isTruthy(body.nameOnly)) return { databases: databases.map(({ name }) => ({ name })), ok: 1 };

  return { databases, totalSize: 0, ok: 1 };
};

/** Index, collection and database commands, by their canonical names. */
export const adminCommands: Record<string, CommandHandler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  collMod,
  drop,
  dropDatabase,
  create,
  listCollections,
  listDatabases,
};

import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import type { Collection } from '../collection.js';
import { CommandError, ErrorCodes } from '../errors.js';
import { compileQuery } from '../matching.js';
import {
  canonicalKey,
  deepClone,
  getPath,
  isOperatorDocument,
  isTruthy,
  toNumber,
} from '../values.js';
import {
  type CommandHandler,
  documentArray,
  optionalDocument,
  targetCollection,
} from './context.js';

/** How a read selects and shapes documents. */
export interface Selection {
  readonly filter?: Document | undefined;
  readonly sort?: Document | undefined;
  readonly projection?: Document | undefined;
  readonly skip?: number;
  readonly limit?: number;
}

/** The stored documents matching a selection, sorted, skipped, limited and projected. */
export function select(collection: Collection | undefined, selection: Selection): Document[] {
  if (collection === undefined) return [];

  const filter = selection.filter ?? {};
  const projection = nonEmpty(selection.projection);
  let cursor = compileQuery(filter, projection).find<Document>(
    candidates(collection, filter),
    projection,
  );
  const sort = nonEmpty(withoutNatural(selection.sort));
  if (sort !== undefined) cursor = cursor.sort(sort);
  if (selection.skip !== undefined && selection.skip > 0) cursor = cursor.skip(selection.skip);
  if (selection.limit !== undefined && selection.limit > 0) cursor = cursor.limit(selection.limit);
  return cursor.all();
}

/**
 * The documents a filter can match: with an `_id` equality only the one found by hash, so the
 * store's per-key operations do not scan the collection; otherwise all of them.
 */
function candidates(collection: Collection, filter: Document): Document[] {
  const id: unknown = filter._id;
  if (id === undefined || isOperatorDocument(id) || id instanceof RegExp) {
    return collection.documents();
  }

  const found = collection.findById(id);
  return found === undefined ? [] : [found];
}

/** Applies a projection to one document, as `findAndModify` returns it. */
export function project(document: Document, projection: Document | undefined): Document {
  const fields = nonEmpty(projection);
  if (fields === undefined) return document;

  return compileQuery({}, fields).find<Document>([document], fields).all()[0] ?? document;
}

const find: CommandHandler = (body, context) => {
  const name = targetCollection(body);
  const limit = toNumber(body.limit, 0);
  const documents = select(context.storage.find(context.database, name), {
    filter: optionalDocument(body, 'filter'),
    sort: optionalDocument(body, 'sort'),
    projection: optionalDocument(body, 'projection'),
    skip: toNumber(body.skip, 0),
    limit: Math.abs(limit),
  });
  const singleBatch = isTruthy(body.singleBatch) || limit < 0;
  const namespace = `${context.database}.${name}`;
  return {
    cursor: context.cursors.open(namespace, documents, { batchSize: body.batchSize, singleBatch }),
    ok: 1,
  };
};

const getMore: CommandHandler = (body, context) => ({
  cursor: context.cursors.next(body.getMore, body.batchSize),
  ok: 1,
});

const killCursors: CommandHandler = (body, context) => {
  const { killed, notFound } = context.cursors.kill(documentArray(body, 'cursors'));
  return {
    cursorsKilled: killed,
    cursorsNotFound: notFound,
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
};

const aggregate: CommandHandler = (body, context) => {
  const pipeline = documentArray(body, 'pipeline');
  rejectWritingStages(pipeline);

  const name = typeof body.aggregate === 'string' ? body.aggregate : undefined;
  // Stages may change the documents they receive, so they get copies of the stored ones.
  const stored = name === undefined ? [] : select(context.storage.find(context.database, name), {});
  const source = stored.map((document) => deepClone(document));
  const results = new Aggregator(pipeline, {}).run(source) as Document[];
  const cursorOptions = optionalDocument(body, 'cursor') ?? {};
  const namespace = `${context.database}.${name ?? '$cmd.aggregate'}`;
  return {
    cursor: context.cursors.open(namespace, results, { batchSize: cursorOptions.batchSize }),
    ok: 1,
  };
};

const count: CommandHandler = (body, context) => {
  const documents = select(context.storage.find(context.database, targetCollection(body)), {
    filter: optionalDocument(body, 'query'),
    skip: toNumber(body.skip, 0),
    limit: Math.abs(toNumber(body.limit, 0)),
  });
  return { n: documents.length, ok: 1 };
};

const distinct: CommandHandler = (body, context) => {
  const key = body.key;
  if (typeof key !== 'string') {
    throw new CommandError(ErrorCodes.FailedToParse, "The field 'key' must be a string.");
  }

  const documents = select(context.storage.find(context.database, targetCollection(body)), {
    filter: optionalDocument(body, 'query'),
  });
  const values = new Map<string, unknown>();
  for (const document of documents) {
    const value = getPath(document, key);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) values.set(canonicalKey(item), item);
    }
  }
  return { values: [...values.values()], ok: 1 };
};

function rejectWritingStages(pipeline: Document[]): void {
  for (const stage of pipeline) {
    const operator = Object.keys(stage)[0];
    if (operator === '$out' || operator === '$merge') {
      throw new CommandError(
        ErrorCodes.BadValue,
        `${operator} is not supported by the test server.`,
      );
    }
  }
}

function nonEmpty(document: Document | undefined): Document | undefined {
  if (document === undefined || Object.keys(document).length === 0) return undefined;

  return document;
}

function withoutNatural(sort: Document | undefined): Document | undefined {
  if (sort === undefined || !('$natural' in sort)) return sort;

  const { $natural: _natural, ...rest } = sort;
  return rest;
}

/** The read commands, by their canonical names. */
export const readCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  aggregate,
  count,
  distinct,
};

import type { Document } from 'bson';
import type { Collection } from '../collection.js';
import { CommandError, ErrorCodes, toCommandError, writeErrorEntry } from '../errors.js';
import { type UpdateSpec, updateDocument, upsertDocument } from '../update.js';
import { isTruthy, toNumber } from '../values.js';
import {
  type CommandHandler,
  documentArray,
  optionalDocument,
  targetCollection,
} from './context.js';
import { project, select } from './read.js';

/** Counts one write statement adds to its command's reply. */
interface StatementResult {
  readonly matchedCount: number;
  readonly modifiedCount: number;
  readonly upsertedId?: unknown;
}

/**
 * Runs the statements of a write command one after another. An ordered write stops at its
 * first failing statement; an unordered one reports every failure and carries on.
 */
function runStatements(
  body: Document,
  statements: Document[],
  run: (statement: Document) => StatementResult,
): { results: Array<StatementResult & { index: number }>; writeErrors: Document[] } {
  const ordered = body.ordered === undefined || isTruthy(body.ordered);
  const results: Array<StatementResult & { index: number }> = [];
  const writeErrors: Document[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      results.push({ index, ...run(statement) });
    } catch (error) {
      writeErrors.push(writeErrorEntry(index, toCommandError(error)));
      if (ordered) break;
    }
  }
  return { results, writeErrors };
}

function withWriteErrors(reply: Document, writeErrors: Document[]): Document {
  return writeErrors.length === 0 ? { ...reply, ok: 1 } : { ...reply, writeErrors, ok: 1 };
}

const insert: CommandHandler = (body, context) => {
  const collection = context.storage.ensure(context.database, targetCollection(body));
  const { results, writeErrors } = runStatements(body, documentArray(body, 'documents'), (doc) => {
    collection.insert(doc);
    return { matchedCount: 1, modifiedCount: 0 };
  });
  return withWriteErrors({ n: results.length }, writeErrors);
};

const update: CommandHandler = (body, context) => {
  const collection = context.storage.ensure(context.database, targetCollection(body));
  const { results, writeErrors } = runStatements(
    body,
    documentArray(body, 'updates'),
    (statement) => runUpdateStatement(collection, statement),
  );

  const upserted = results
    .filter((result) => result.upsertedId !== undefined)
    .map((result) => ({ index: result.index, _id: result.upsertedId }));
  const reply: Document = {
    n: results.reduce((sum, result) => sum + result.matchedCount, 0) + upserted.length,
    nModified: results.reduce((sum, result) => sum + result.modifiedCount, 0),
  };
  if (upserted.length > 0) reply.upserted = upserted;
  return withWriteErrors(reply, writeErrors);
};

function runUpdateStatement(collection: Collection, statement: Document): StatementResult {
  const filter = optionalDocument(statement, 'q') ?? {};
  const spec = updateSpecOf(statement.u);
  const arrayFilters = Array.isArray(statement.arrayFilters) ? statement.arrayFilters : undefined;
  const context = arrayFilters === undefined ? { filter } : { filter, arrayFilters };
  const matches = select(collection, {
    filter,
    sort: optionalDocument(statement, 'sort'),
    limit: isTruthy(statement.multi) ? 0 : 1,
  });

  if (matches.length === 0) {
    if (!isTruthy(statement.upsert)) return { matchedCount: 0, modifiedCount: 0 };

    const inserted = collection.insert(upsertDocument(spec, context));
    return { matchedCount: 0, modifiedCount: 0, upsertedId: inserted._id };
  }

  let modifiedCount = 0;
  for (const current of matches) {
    const outcome = updateDocument(current, spec, context);
    if (!outcome.modified) continue;

    collection.replace(current, outcome.document);
    modifiedCount += 1;
  }
  return { matchedCount: matches.length, modifiedCount };
}

const remove: CommandHandler = (body, context) => {
  const collection = context.storage.find(context.database, targetCollection(body));
  const { results, writeErrors } = runStatements(body, documentArray(body, 'deletes'), (stmt) => {
    const matches = select(collection, {
      filter: optionalDocument(stmt, 'q') ?? {},
      limit: toNumber(stmt.limit, 0) === 1 ? 1 : 0,
    });
    const removedCount = matches.filter((document) => collection?.remove(document)).length;
    return { matchedCount: removedCount, modifiedCount: 0 };
  });
  return withWriteErrors(
    { n: results.reduce((sum, result) => sum + result.matchedCount, 0) },
    writeErrors,
  );
};

const findAndModify: CommandHandler = (body, context) => {
  const removing = isTruthy(body.remove);
  if (removing === (body.update !== undefined)) {
    throw new CommandError(
      ErrorCodes.FailedToParse,
      'findAndModify needs exactly one of an update and remove: true.',
    );
  }

  const name = targetCollection(body);
  const collection = removing
    ? context.storage.find(context.database, name)
    : context.storage.ensure(context.database, name);
  const filter = optionalDocument(body, 'query') ?? {};
  const current = select(collection, { filter, sort: optionalDocument(body, 'sort'), limit: 1 })[0];
  const fields = optionalDocument(body, 'fields');

  if (removing || collection === undefined) {
    if (current !== undefined) collection?.remove(current);
    return modifyReply(current, fields, { n: current === undefined ? 0 : 1 });
  }
  return modifyWithUpdate(collection, current, body, filter);
};

function modifyWithUpdate(
  collection: Collection,
  current: Document | undefined,
  body: Document,
  filter: Document,
): Document {
  const spec = updateSpecOf(body.update);
  const arrayFilters = Array.isArray(body.arrayFilters) ? body.arrayFilters : undefined;
  const context = arrayFilters === undefined ? { filter } : { filter, arrayFilters };
  const returnNew = isTruthy(body.new);
  const fields = optionalDocument(body, 'fields');

  if (current === undefined) {
    if (!isTruthy(body.upsert)) {
      return modifyReply(undefined, fields, { n: 0, updatedExisting: false });
    }

    const inserted = collection.insert(upsertDocument(spec, context));
    const value = returnNew ? inserted : undefined;
    return modifyReply(value, fields, { n: 1, updatedExisting: false, upserted: inserted._id });
  }

  const outcome = updateDocument(current, spec, context);
  if (outcome.modified) collection.replace(current, outcome.document);
  const value = returnNew ? outcome.document : current;
  return modifyReply(value, fields, { n: 1, updatedExisting: true });
}

function modifyReply(
  value: Document | undefined,
  fields: Document | undefined,
  lastErrorObject: Document,
): Document {
  return {
    lastErrorObject,
    value: value === undefined ? null : project(value, fields),
    ok: 1,
  };
}

function updateSpecOf(value: unknown): UpdateSpec {
  if (typeof value === 'object' && value !== null) return value as UpdateSpec;

  throw new CommandError(ErrorCodes.FailedToParse, 'An update must be a document or a pipeline.');
}

/** The write commands, by their canonical names. */
export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: remove,
  findAndModify,
};

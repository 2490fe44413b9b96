import type { Document } from 'bson';
import { updateOne as applyPipeline } from 'mingo';
import type { PipelineStage } from 'mingo/updater';
import { CommandError, ErrorCodes } from './errors.js';
import { applyUpdateOperators } from './matching.js';
import { canonicalKey, deepClone, isOperatorDocument, isPlainObject, setPath } from './values.js';

/** An update as a write statement carries it: operators, a replacement, or a pipeline. */
export type UpdateSpec = Document | Document[];

/** The result of applying an update to one document. */
export interface UpdateOutcome {
  /** The new document; the original is left untouched. */
  readonly document: Document;
  /** False when the update left the document as it was (it then counts as matched only). */
  readonly modified: boolean;
}

/** Context that some update forms need. */
export interface UpdateContext {
  /** The statement's filter, for the positional `$` operator. */
  readonly filter: Document;
  readonly arrayFilters?: Document[];
}

/** Applies an update to a copy of an existing document. */
export function updateDocument(
  current: Document,
  spec: UpdateSpec,
  context: UpdateContext,
): UpdateOutcome {
  const next = applySpec(current, spec, context, false);
  return { document: next, modified: canonicalKey(next) !== canonicalKey(current) };
}

/**
 * Builds the document an upsert inserts: seeded from the filter's equality fields, then the
 * update applied, with `$setOnInsert` honoured (mingo does not know that operator).
 */
export function upsertDocument(spec: UpdateSpec, context: UpdateContext): Document {
  const seed = seedFromFilter(context.filter);
  if (Array.isArray(spec) || isOperatorDocument(spec)) {
    return applySpec(seed, spec, { filter: {}, ...withArrayFilters(context) }, true);
  }

  const replacement = checkReplacement(spec);
  if (replacement._id !== undefined || seed._id === undefined) return replacement;
  return { _id: seed._id, ...replacement };
}

function applySpec(
  current: Document,
  spec: UpdateSpec,
  context: UpdateContext,
  inserting: boolean,
): Document {
  if (Array.isArray(spec)) return applyPipelineUpdate(current, spec);
  if (isOperatorDocument(spec)) return applyOperatorUpdate(current, spec, context, inserting);

  const replacement = checkReplacement(spec);
  if (replacement._id !== undefined) return replacement;
  return { _id: current._id, ...replacement };
}

function applyOperatorUpdate(
  current: Document,
  spec: Document,
  context: UpdateContext,
  inserting: boolean,
): Document {
  const { $setOnInsert, ...operators } = spec;
  const next = deepClone(current);
  if (Object.keys(operators).length > 0) {
    try {
      applyUpdateOperators(next, operators, context.arrayFilters, context.filter);
    } catch (error) {
      throw translateUpdateError(error);
    }
  }
  if (inserting && isPlainObject($setOnInsert)) {
    for (const [path, value] of Object.entries($setOnInsert)) setPath(next, path, deepClone(value));
  }
  return next;
}

/** Gives mingo's update errors the codes MongoDB uses for the same mistakes. */
function translateUpdateError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.message.includes('immutable field')) {
    return new CommandError(ErrorCodes.ImmutableField, error.message);
  }
  if (error.message.startsWith('Unknown update operator')) {
    return new CommandError(ErrorCodes.FailedToParse, error.message);
  }
  return error;
}

function applyPipelineUpdate(current: Document, stages: Document[]): Document {
  const documents = [deepClone(current)];
  applyPipeline(documents, {}, stages as PipelineStage[]);
  return documents[0] as Document;
}

function checkReplacement(spec: Document): Document {
  for (const key of Object.keys(spec)) {
    if (key.startsWith('$')) {
      throw new CommandError(
        ErrorCodes.FailedToParse,
        `A replacement document cannot contain the operator ${key}.`,
      );
    }
  }
  return spec;
}

/** The equality fields of a filter (`{a: 1}`, `{a: {$eq: 1}}`, and those inside `$and`). */
function seedFromFilter(filter: Document): Document {
  const seed: Document = {};
  addEqualities(seed, filter);
  return seed;
}

function addEqualities(seed: Document, filter: Document): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) addEqualities(seed, clause);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (!isOperatorDocument(value)) {
      setPath(seed, key, deepClone(value));
      continue;
    }
    if ('$eq' in value) setPath(seed, key, deepClone(value.$eq));
  }
}

function withArrayFilters(context: UpdateContext): Pick<UpdateContext, 'arrayFilters'> {
  return context.arrayFilters === undefined ? {} : { arrayFilters: context.arrayFilters };
}

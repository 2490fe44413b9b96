import type { Document } from 'bson';
import { Context, Query as FullQuery, update as fullUpdate } from 'mingo';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import { update as plainUpdate } from 'mingo/updater';
import { isPlainObject } from './values.js';

/*
 * mingo copies every operator it knows into a fresh context for each query and each update,
 * and the aggregation expression operators alone number in the hundreds: that copy was most
 * of the cost of a command. Filters, projections and updates that use only query and
 * projection operators run here on small contexts built once; anything else (`$expr`, an
 * aggregation expression in a projection, an operator this list lacks) takes mingo's full
 * context as before, so no filter behaves differently, only faster.
 */

/** The query and projection operators, built once. */
const QUERY_CONTEXT = Context.init({ query: queryOperators, projection: projectionOperators });

/** An empty context: mingo's updater adds the query operators it needs itself. */
const UPDATE_CONTEXT = Context.init();

const SMALL_CONTEXT_OPERATORS = new Set(
  [...Object.keys(queryOperators), ...Object.keys(projectionOperators)].filter(
    (name) => name !== '$expr',
  ),
);

/** A compiled filter, with an optional projection, for `test()` and `find()`. */
export function compileQuery(filter: Document, projection?: Document): Query {
  if (needsFullContext(filter) || needsFullContext(projection)) {
    return new FullQuery(filter, {});
  }
  return new Query(filter, { context: QUERY_CONTEXT });
}

/**
 * Applies update operators to `document` in place. `filter` serves the positional `$`
 * operator and `arrayFilters` the `$[name]` ones.
 */
export function applyUpdateOperators(
  document: Document,
  operators: Document,
  arrayFilters: Document[] | undefined,
  filter: Document,
): void {
  if (needsFullContext(filter) || needsFullContext(arrayFilters)) {
    fullUpdate(document, operators, arrayFilters, filter);
    return;
  }
  plainUpdate(document, operators, arrayFilters, filter, {
    queryOptions: { context: UPDATE_CONTEXT },
  });
}

/**
 * True when a filter or projection names an operator outside the query and projection
 * operators, or `$expr`, anywhere inside: those need mingo's expression operators.
 */
function needsFullContext(value: unknown, depth = 0): boolean {
  // Deeper than any filter the server's clients send; the full context is always correct.
  if (depth > 100) return true;

  if (Array.isArray(value)) return value.some((item) => needsFullContext(item, depth + 1));
  if (!isPlainObject(value)) return false;

  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$') && !SMALL_CONTEXT_OPERATORS.has(key)) return true;
    if (needsFullContext(item, depth + 1)) return true;
  }
  return false;
}

import type { Document } from 'bson';
import { CommandError, ErrorCodes, errorReply, writeErrorEntry } from './errors.js';
import { isOperatorDocument } from './values.js';

/** The commands a failure set with `failNextWrite` can hit. */
export type WriteCommandName = 'insert' | 'update' | 'delete' | 'findAndModify';

/**
 * How the next write fails.
 *
 * - `duplicateKey`: a duplicate key error (code 11000) with `keyPattern` and `keyValue`, as
 *   a `writeErrors` entry for insert, update and delete, and as a command error for
 *   findAndModify. The key defaults to the statement's `_id`.
 * - `network`: the connection is destroyed without a reply. With `afterWrite: true` the
 *   write is applied first, as when a reply is lost on the way back.
 * - `command`: the command fails with `{ ok: 0, code, codeName, errmsg }`.
 *
 * Except for `network` with `afterWrite`, the write is not applied.
 */
export type WriteFailure =
  | { readonly kind: 'duplicateKey'; readonly keyPattern?: Document; readonly keyValue?: Document }
  | { readonly kind: 'network'; readonly afterWrite?: boolean }
  | {
      readonly kind: 'command';
      readonly code: number;
      readonly codeName: string;
      readonly errmsg: string;
    };

/** Which writes a failure may hit; a write matches when it matches every field given. */
export interface WriteFailureFilter {
  /** Only writes to this collection (by name, in any database). */
  readonly collection?: string;
  /** Only this write command. */
  readonly command?: WriteCommandName;
}

interface PendingFailure {
  readonly failure: WriteFailure;
  readonly filter: WriteFailureFilter;
}

/** Failures waiting for a write to hit; each one is used once, in the order they were set. */
export class FailureQueue {
  #pending: PendingFailure[] = [];

  add(failure: WriteFailure, filter: WriteFailureFilter): void {
    this.#pending.push({ failure, filter });
  }

  /** Removes and returns the first failure that matches this write, if any. */
  take(command: string, collection: string | undefined): WriteFailure | undefined {
    const index = this.#pending.findIndex(
      ({ filter }) =>
        (filter.collection === undefined || filter.collection === collection) &&
        (filter.command === undefined || filter.command === command),
    );
    if (index < 0) return undefined;

    const [taken] = this.#pending.splice(index, 1);
    return taken?.failure;
  }

  clear(): void {
    this.#pending = [];
  }
}

/** The reply a real server would send for the failure; not used for network failures. */
export function failureReply(
  command: string,
  body: Document,
  failure: Exclude<WriteFailure, { kind: 'network' }>,
): Document {
  if (failure.kind === 'command') {
    const { code, codeName, errmsg } = failure;
    return errorReply(new CommandError({ code, codeName }, errmsg));
  }

  const error = duplicateKeyError(body, failure);
  if (command === 'findAndModify') return errorReply(error);

  const counts = command === 'update' ? { n: 0, nModified: 0 } : { n: 0 };
  return { ...counts, writeErrors: [writeErrorEntry(0, error)], ok: 1 };
}

function duplicateKeyError(
  body: Document,
  failure: { readonly keyPattern?: Document; readonly keyValue?: Document },
): CommandError {
  const keyValue = failure.keyValue ?? { _id: statementId(body) };
  const keyPattern =
    failure.keyPattern ?? Object.fromEntries(Object.keys(keyValue).map((field) => [field, 1]));
  const namespace = `${String(body.$db ?? 'test')}.${String(Object.values(body)[0])}`;
  return new CommandError(
    ErrorCodes.DuplicateKey,
    `E11000 duplicate key error collection: ${namespace} (set by failNextWrite)`,
    { keyPattern, keyValue },
  );
}

/** The `_id` the first statement of a write names, or null. */
function statementId(body: Document): unknown {
  const first =
    firstOf(body.documents) ?? firstOf(body.updates)?.q ?? firstOf(body.deletes)?.q ?? body.query;
  const id = first?._id;
  if (id === undefined || isOperatorDocument(id)) return null;
  return id;
}

function firstOf(value: unknown): Document | undefined {
  return Array.isArray(value) ? (value[0] as Document | undefined) : undefined;
}

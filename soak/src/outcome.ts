import { inspect, isDeepStrictEqual } from 'node:util';
import { SessionStoreError } from '@sessionstore/core';

/** What one call did: resolved with a value, or rejected with an error code. */
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** The code given to a call that did not settle within the per-call timeout. */
export const TIMEOUT = 'TIMEOUT';

/** The code given to a rejection that is not a `SessionStoreError`. */
export const NOT_A_STORE_ERROR = 'NOT_A_STORE_ERROR';

/**
 * Runs `work` and records how it settled. A call still pending after `timeoutMs` counts as a
 * {@link TIMEOUT}, so a hung store cannot hold the soak past its time bound.
 */
export async function settle(work: () => Promise<unknown>, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, code: TIMEOUT, message: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });

  try {
    return await Promise.race([run(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function run(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return toErrorOutcome(error);
  }
}

function toErrorOutcome(error: unknown): Outcome {
  if (error instanceof SessionStoreError) {
    return { ok: false, code: error.code, message: error.message };
  }
  return { ok: false, code: NOT_A_STORE_ERROR, message: inspect(error, { depth: 1 }) };
}

/**
 * True when the store's outcome is the model's: both resolved with deep-equal values (type
 * of every user id, `Date`, `bigint` and `Uint8Array` included), or both rejected with the
 * same code. Messages may differ: the contract fixes codes, not wording.
 */
export function sameOutcome(store: Outcome, model: Outcome): boolean {
  if (store.ok && model.ok) {
    return isDeepStrictEqual(store.value, model.value);
  }
  if (!store.ok && !model.ok) {
    return store.code === model.code;
  }
  return false;
}

/**
 * A `getAll` result in a fixed order (by session id), so two listings compare as sets.
 * Anything that is not an array of sessions is returned as it is, to be reported.
 */
export function sortedById(value: unknown): unknown {
  if (!Array.isArray(value)) {
    return value;
  }
  return [...value].sort((left: { id?: unknown }, right: { id?: unknown }) =>
    String(left?.id) < String(right?.id) ? -1 : String(left?.id) > String(right?.id) ? 1 : 0,
  );
}

/** A one-line description of an outcome for the divergence report. */
export function showOutcome(outcome: Outcome): string {
  if (!outcome.ok) {
    return `rejected ${outcome.code}: ${outcome.message}`;
  }
  const text = inspect(outcome.value, { depth: 6, breakLength: Number.POSITIVE_INFINITY });
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
}

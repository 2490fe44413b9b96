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

/**
 * A one-line description of an outcome for the divergence report: a session as its id,
 * user id, lock version and refresh token; a listing as a list of those. The fields that
 * differ are named by {@link describeDifference}.
 */
export function showOutcome(outcome: Outcome): string {
  if (!outcome.ok) {
    return `rejected ${outcome.code}: ${outcome.message}`;
  }
  if (outcome.value === undefined) {
    return 'resolved';
  }

  const value = Array.isArray(outcome.value)
    ? outcome.value.map(sessionSummary)
    : sessionSummary(outcome.value);
  const text = inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
}

/**
 * Where two resolved values differ: for listings, the session ids only one side has and
 * the fields that differ in the others; for sessions, the fields that differ.
 */
export function describeDifference(store: Outcome, model: Outcome): string {
  if (!store.ok || !model.ok) {
    return '';
  }
  if (Array.isArray(store.value) && Array.isArray(model.value)) {
    return listingDifference(store.value, model.value);
  }
  if (isRecord(store.value) && isRecord(model.value)) {
    return `fields differ: ${differingFields(store.value, model.value).join(', ')}`;
  }
  return '';
}

function listingDifference(store: unknown[], model: unknown[]): string {
  const storeById = byId(store);
  const modelById = byId(model);
  const onlyStore = [...storeById.keys()].filter((id) => !modelById.has(id));
  const onlyModel = [...modelById.keys()].filter((id) => !storeById.has(id));
  const changed = [...storeById].flatMap(([id, session]) => {
    const other = modelById.get(id);
    if (other === undefined || isDeepStrictEqual(session, other)) {
      return [];
    }
    return [`${JSON.stringify(id)} (${differingFields(session, other).join(', ')})`];
  });

  return [
    onlyStore.length > 0 ? `only the store lists ${JSON.stringify(onlyStore)}` : '',
    onlyModel.length > 0 ? `only the model lists ${JSON.stringify(onlyModel)}` : '',
    changed.length > 0 ? `contents differ for ${changed.join(', ')}` : '',
    store.length !== storeById.size ? 'the store lists an id twice' : '',
  ]
    .filter((part) => part !== '')
    .join('; ');
}

function byId(sessions: unknown[]): Map<string, Record<string, unknown>> {
  return new Map(
    sessions.filter(isRecord).map((session) => [String(session.id), session] as const),
  );
}

function differingFields(store: Record<string, unknown>, model: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(store), ...Object.keys(model)]);
  return [...keys].filter((key) => !isDeepStrictEqual(store[key], model[key]));
}

function sessionSummary(value: unknown): unknown {
  if (!isRecord(value)) {
    return value;
  }
  const { id, userId, lockVersion, refreshTokenId } = value;
  return { id, userId, lockVersion, refreshTokenId };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

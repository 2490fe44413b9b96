import type {
  SessionStore,
  SessionStoreEvent,
  SessionStoreLogger,
  StoredSession,
  UserId,
} from '@sessionstore/core';
import { assertDeepEqual, fail, findDifference, show } from './assert.js';
import type { TestSession } from './types.js';

export type { TestSession } from './types.js';

/**
 * Builds a session in Charon's shape, with fixed field values so that two calls with the
 * same arguments give deep-equal sessions.
 *
 * @param fields - fields to add or override, `lockVersion` among them.
 */
export function makeSession(
  id: string,
  userId: UserId,
  fields: Record<string, unknown> = {},
): TestSession {
  return {
    id,
    userId,
    type: 'full',
    createdAt: 1_700_000_000,
    refreshedAt: 1_700_000_000,
    expiresAt: 1_700_086_400,
    refreshExpiresAt: 1_700_086_400,
    refreshTokenId: `rt-${id.length}`,
    tokensFreshFrom: 1_700_000_000,
    prevTokensFreshFrom: 0,
    extraPayload: { device: 'laptop' },
    version: 1,
    ...fields,
  };
}

/** The session a store should return after an upsert of `session`: the lock version bumped. */
export function storedCopyOf(session: TestSession): TestSession {
  const stored = { ...session };
  if (typeof session.lockVersion === 'number') {
    stored.lockVersion = session.lockVersion + 1;
  }
  return stored;
}

/** One report a {@link RecordingLogger} received. */
export interface LoggedEvent {
  level: 'warn' | 'error';
  message: string;
  event: SessionStoreEvent;
}

/** A logger that keeps what it is told, for cases that check reports. */
export interface RecordingLogger extends SessionStoreLogger {
  readonly events: LoggedEvent[];
  /** The events of one type. */
  ofType(type: SessionStoreEvent['type']): LoggedEvent[];
}

/** Makes a {@link RecordingLogger}. */
export function recordingLogger(): RecordingLogger {
  const events: LoggedEvent[] = [];
  return {
    events,
    warn(message, event) {
      events.push({ level: 'warn', message, event });
    },
    error(message, event) {
      events.push({ level: 'error', message, event });
    },
    ofType(type) {
      return events.filter((entry) => entry.event?.type === type);
    },
  };
}

/**
 * A small seeded pseudo-random generator (mulberry32), so a failing random case can be run
 * again with the seed it printed.
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let mixed = this.#state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** One item of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) {
      throw new RangeError('SeededRandom.pick() needs a non-empty list.');
    }
    return item;
  }
}

/** A random hex string of `length` characters, for ids that must look secret. */
export function randomHex(random: SeededRandom, length: number): string {
  let text = '';
  while (text.length < length) {
    text += random.below(16).toString(16);
  }
  return text;
}

/** Fails unless `store.get(id, userId)` returns a session deep-equal to `expected`. */
export async function expectSession(
  store: SessionStore<StoredSession>,
  id: string,
  userId: UserId,
  expected: unknown,
  when = '',
): Promise<void> {
  const actual = await store.get(id, userId);
  const call = `get(${show(id)}, ${show(userId)})${when === '' ? '' : ` ${when}`}`;
  if (actual === null) {
    fail(`${call} returned null where a session was expected.`);
  }
  assertDeepEqual(actual, expected, call);
}

/** Fails unless `store.get(id, userId)` returns `null`. */
export async function expectNoSession(
  store: SessionStore<StoredSession>,
  id: string,
  userId: UserId,
  when = '',
): Promise<void> {
  const actual = await store.get(id, userId);
  if (actual !== null) {
    const call = `get(${show(id)}, ${show(userId)})${when === '' ? '' : ` ${when}`}`;
    fail(`${call} returned ${show(actual)} where null was expected.`);
  }
}

/**
 * Fails unless `store.getAll(userId)` returns exactly `expected`, in any order (sessions are
 * matched by id).
 */
export async function expectListed(
  store: SessionStore<StoredSession>,
  userId: UserId,
  expected: readonly unknown[],
  when = '',
): Promise<void> {
  const getAll = requireMethod(store, 'getAll');
  const actual = await getAll.call(store, userId);
  const call = `getAll(${show(userId)})${when === '' ? '' : ` ${when}`}`;
  if (!Array.isArray(actual)) {
    fail(`${call} returned ${show(actual)} where an array was expected.`);
  }

  const byId = new Map<unknown, unknown>();
  for (const session of actual) {
    const id = (session as { id?: unknown } | null)?.id;
    if (byId.has(id)) {
      fail(`${call} listed the session ${show(id)} twice.`);
    }
    byId.set(id, session);
  }

  for (const wanted of expected) {
    const id = (wanted as { id: unknown }).id;
    if (!byId.has(id)) {
      fail(`${call} did not list the session ${show(id)} (it listed ${listIds(actual)}).`);
    }
    const difference = findDifference(byId.get(id), wanted, `the listed session ${show(id)}`);
    if (difference !== null) {
      fail(`${call}: ${difference}.`);
    }
    byId.delete(id);
  }

  if (byId.size > 0) {
    fail(`${call} listed sessions it should not have: ${listIds([...byId.values()])}.`);
  }
}

function listIds(sessions: readonly unknown[]): string {
  if (sessions.length === 0) {
    return 'none';
  }
  const ids = sessions.slice(0, 8).map((session) => show((session as { id?: unknown })?.id));
  return sessions.length > 8 ? `${ids.join(', ')}, …` : ids.join(', ');
}

/** Returns an optional method of the store, or fails when it has none. */
export function requireMethod<K extends 'getAll' | 'deleteAll' | 'prune' | 'close'>(
  store: SessionStore<StoredSession>,
  name: K,
): NonNullable<SessionStore<StoredSession>[K]> {
  const method = store[name];
  if (typeof method !== 'function') {
    fail(`The store has no ${name}() method.`);
  }
  return method as NonNullable<SessionStore<StoredSession>[K]>;
}

/** Resolves after `ms` of real time, or at once when `signal` is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });

    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Polls `probe` every `intervalMs` until it returns true or `timeoutMs` of real time pass.
 *
 * @returns whether `probe` returned true in time.
 */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  signal: AbortSignal,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted) {
    if (await probe()) {
      return true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())), signal);
  }
  return false;
}

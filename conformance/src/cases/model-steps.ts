// The steps of the model cases: what they generate, how a step becomes a call on the store
// and on the model, and how the two results are compared and described.
import type { StoredSession, UserId } from '@sessionstore/core';
import * as fc from 'fast-check';
import { describeError, findDifference, isSessionStoreError, show } from '../assert.js';
import { makeSession } from '../fixtures.js';
import type { ReferenceModel } from '../model.js';
import type { ConformanceStore } from '../types.js';

/** The three forms of one numeric user; half the sequences stay on it. */
const ONE_USER: readonly UserId[] = [7, 7n, '7'];

/**
 * The users the model cases work with, grouped by the user they are: ids that look alike
 * (a prefix, a separator, braces of a hash tag) and the three forms of one numeric user.
 */
const USER_GROUPS: readonly (readonly UserId[])[] = [['u1'], ['u10'], ['u1:x'], ['{u1}'], ONE_USER];

/** Any user, each as likely as another, in any of its forms. */
const anyUserId: fc.Arbitrary<UserId> = fc.oneof(
  ...USER_GROUPS.map((group) => fc.constantFrom(...group)),
);

/** One id of each user, to read the state back with. */
export const READ_BACK_USER_IDS: readonly UserId[] = ['u1', 'u10', 'u1:x', '{u1}', '7'];

/**
 * Two sessions per user; `("u1", "x:s1")` and `("u1:x", "s1")` join to the same text with a
 * ":" between them.
 */
export const SESSION_IDS = ['s1', 'x:s1'] as const;

const TTLS_SECONDS = [2, 5, 60, 600] as const;

const CLOCK_STEPS_MS = [1, 999, 1_000, 30_000] as const;

/**
 * The lock version an upsert asks for, decided against the model when the step runs: none,
 * 0 (create), the live copy's current version, a stale one (the version before it, or one it
 * never had), or the next one (ahead of the live copy, or 1 with no versioned copy).
 */
type LockChoice = 'none' | 'zero' | 'current' | 'stale' | 'ahead';

const LOCK_CHOICES: readonly LockChoice[] = ['none', 'zero', 'current', 'stale', 'ahead'];

/** Lock choices for a generated upsert: unconditional and current-version writes more often. */
const lockChoices = fc.constantFrom<LockChoice>('none', 'current', ...LOCK_CHOICES);

/**
 * What an upsert stores besides the fixed fields: each variant adds or drops fields, so a
 * store that merges instead of replacing keeps a field the model does not.
 */
const VARIANTS: readonly (() => Record<string, unknown>)[] = [
  () => ({ variant: 0 }),
  () => ({ variant: 1, note: 'a' }),
  () => ({ variant: 2, extraPayload: { device: 'phone', tags: ['x', 'y'] } }),
  () => ({ variant: 3, note: 'b', seenAt: new Date(1_700_000_000_123), counter: 2n ** 60n }),
];

/** get(sessionId, userId). */
export interface GetOperation {
  kind: 'get';
  userId: UserId;
  sessionId: string;
}

interface UpsertOperation {
  kind: 'upsert';
  userId: UserId;
  sessionId: string;
  lock: LockChoice;
  ttlSeconds: number;
  variant: number;
}

interface DeleteOperation {
  kind: 'delete';
  userId: UserId;
  sessionId: string;
}

interface GetAllOperation {
  kind: 'getAll';
  userId: UserId;
}

interface DeleteAllOperation {
  kind: 'deleteAll';
  userId: UserId;
}

interface PruneOperation {
  kind: 'prune';
}

/** One call on the store. */
export type StoreOperation =
  | GetOperation
  | UpsertOperation
  | DeleteOperation
  | GetAllOperation
  | DeleteAllOperation
  | PruneOperation;

/** A clock step: by a fixed amount, or to (or 1 ms before) the rank-th next expiry. */
export type ClockStep =
  | { kind: 'by'; ms: number }
  | { kind: 'to-expiry'; rank: number; earlyMs: 0 | 1 };

interface ClockOperation {
  kind: 'clock';
  step: ClockStep;
}

interface BatchOperation {
  kind: 'batch';
  operations: StoreOperation[];
}

/** One step of a sequential run: a call, or a clock step. */
export type SequentialStep = StoreOperation | ClockOperation;

/** One step of a concurrent run: a batch of parallel calls, or a clock step. */
export type ConcurrentStep = BatchOperation | ClockOperation;

/** The optional methods the store under test has; the cases call only those. */
export interface StoreMethods {
  getAll: boolean;
  deleteAll: boolean;
  prune: boolean;
}

/** What the store did: resolved with a value, or rejected. */
export type Outcome = { kind: 'resolved'; value: unknown } | { kind: 'rejected'; error: unknown };

/** What the model says the store must do. */
type Expected =
  | { kind: 'session'; session: StoredSession | null }
  | { kind: 'list'; sessions: StoredSession[] }
  | { kind: 'count'; count: number }
  | { kind: 'written' }
  | { kind: 'conflict' }
  | { kind: 'done' };

/** A step with its arguments settled: what to call on the store and on the model. */
export interface StoreCall {
  readonly text: string;
  onStore(store: ConformanceStore): Promise<Outcome>;
  onModel(model: ReferenceModel): Expected;
}

// ---------------------------------------------------------------------------------------
// Generating steps

function storeOperations(
  methods: StoreMethods,
  userIds: fc.Arbitrary<UserId>,
  upsertWeight = 6,
): fc.Arbitrary<StoreOperation> {
  const sessionIds = fc.constantFrom(...SESSION_IDS);
  const choices: fc.WeightedArbitrary<StoreOperation>[] = [
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('get'), userId: userIds, sessionId: sessionIds }),
    },
    {
      weight: upsertWeight,
      arbitrary: fc.record({
        kind: fc.constant('upsert'),
        userId: userIds,
        sessionId: sessionIds,
        lock: lockChoices,
        ttlSeconds: fc.constantFrom(...TTLS_SECONDS),
        variant: fc.nat({ max: VARIANTS.length - 1 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('delete'), userId: userIds, sessionId: sessionIds }),
    },
  ];
  if (methods.getAll) {
    choices.push({
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('getAll'), userId: userIds }),
    });
  }
  if (methods.deleteAll) {
    choices.push({
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('deleteAll'), userId: userIds }),
    });
  }
  if (methods.prune) {
    choices.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('prune') }) });
  }
  return fc.oneof(...choices);
}

const clockOperations: fc.Arbitrary<ClockOperation> = fc.record({
  kind: fc.constant('clock'),
  step: fc.oneof(
    fc.record({ kind: fc.constant('by'), ms: fc.constantFrom(...CLOCK_STEPS_MS) }),
    fc.record({
      kind: fc.constant('to-expiry'),
      rank: fc.nat({ max: 2 }),
      earlyMs: fc.constantFrom(0 as const, 1 as const),
    }),
  ),
});

/**
 * Sequences of up to 60 steps. Half of them range over every user; the other half stay on
 * one user (in its three forms), so that the same two sessions are written, versioned,
 * deleted and expired many times over.
 */
export function sequences(methods: StoreMethods): fc.Arbitrary<SequentialStep[]> {
  const over = (userIds: fc.Arbitrary<UserId>) =>
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: storeOperations(methods, userIds) },
        { weight: 1, arbitrary: clockOperations },
      ),
      { minLength: 1, maxLength: 60, size: 'max' },
    );
  return fc.oneof(over(anyUserId), over(fc.constantFrom(...ONE_USER)));
}

/**
 * Batches of 2 to 4 parallel calls: over any users, or (twice as often) contended, where
 * every call is on one user (any of its forms), most calls are upserts and every upsert asks
 * for the same kind of lock version, so that creates and compare-and-sets of one session,
 * and writes of one user's index, race.
 */
export function batches(methods: StoreMethods): fc.Arbitrary<ConcurrentStep[]> {
  const anyUser = fc.array(storeOperations(methods, anyUserId), {
    minLength: 2,
    maxLength: 4,
  });
  const contended = fc.tuple(fc.constantFrom(...USER_GROUPS), lockChoices).chain(([group, lock]) =>
    fc
      .array(storeOperations(methods, fc.constantFrom(...group), 12), {
        minLength: 2,
        maxLength: 4,
      })
      .map((operations) =>
        operations.map((operation) =>
          operation.kind === 'upsert' ? { ...operation, lock } : operation,
        ),
      ),
  );
  const operations = fc.oneof(
    { weight: 1, arbitrary: anyUser },
    { weight: 2, arbitrary: contended },
  );
  const batch = fc.record({ kind: fc.constant('batch'), operations });
  const step = fc.oneof({ weight: 4, arbitrary: batch }, { weight: 1, arbitrary: clockOperations });
  return fc.array(step, { minLength: 1, maxLength: 20, size: 'max' });
}

// ---------------------------------------------------------------------------------------
// Settling a step into calls

function resolveLockVersion(
  choice: LockChoice,
  current: number | null | undefined,
): number | undefined {
  const versioned = typeof current === 'number' ? current : undefined;
  switch (choice) {
    case 'none':
      return undefined;
    case 'zero':
      return 0;
    case 'current':
      return versioned ?? 1;
    case 'stale':
      return versioned !== undefined && versioned >= 2 ? versioned - 1 : 2;
    case 'ahead':
      return (versioned ?? 0) + 1;
  }
}

/**
 * Settles a step into a call: the lock version an upsert asks for is decided against `model`,
 * the state the step runs on.
 */
export function resolveCall(operation: StoreOperation, model: ReferenceModel): StoreCall {
  switch (operation.kind) {
    case 'get':
      return getCall(operation);
    case 'upsert':
      return upsertCall(operation, model);
    case 'delete':
      return deleteCall(operation);
    case 'getAll':
      return getAllCall(operation.userId);
    case 'deleteAll':
      return deleteAllCall(operation.userId);
    case 'prune':
      return pruneCall();
  }
}

async function settle(action: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { kind: 'resolved', value: await action() };
  } catch (error) {
    return { kind: 'rejected', error };
  }
}

/** The call get(sessionId, userId): the model's live copy, or null. */
export function getCall({ userId, sessionId }: GetOperation): StoreCall {
  return {
    text: `get(${show(sessionId)}, ${show(userId)})`,
    onStore: (store) => settle(() => store.get(sessionId, userId)),
    onModel: (model) => ({ kind: 'session', session: model.get(sessionId, userId) }),
  };
}

function upsertCall(operation: UpsertOperation, model: ReferenceModel): StoreCall {
  const { userId, sessionId, ttlSeconds } = operation;
  const current = model.lockVersionOf(sessionId, userId);
  const lockVersion = resolveLockVersion(operation.lock, current);
  const variantFields = VARIANTS[operation.variant] ?? (() => ({}));
  // The store and each model get their own copy, so a store that changes its argument
  // changes nothing the model sees.
  const build = () =>
    makeSession(sessionId, userId, {
      ...variantFields(),
      ...(lockVersion === undefined ? {} : { lockVersion }),
    });
  const lock = lockVersion === undefined ? '' : `, lockVersion ${lockVersion} (${operation.lock})`;
  return {
    text:
      `upsert(${show(sessionId)}, ${show(userId)}, variant ${operation.variant}${lock}, ` +
      `ttl ${ttlSeconds} s)`,
    onStore: (store) => settle(() => store.upsert(build(), ttlSeconds)),
    onModel: (target) =>
      target.upsert(build(), ttlSeconds) === 'written' ? { kind: 'written' } : { kind: 'conflict' },
  };
}

function deleteCall({ userId, sessionId }: DeleteOperation): StoreCall {
  return {
    text: `delete(${show(sessionId)}, ${show(userId)})`,
    onStore: (store) => settle(() => store.delete(sessionId, userId)),
    onModel: (model) => {
      model.delete(sessionId, userId);
      return { kind: 'done' };
    },
  };
}

/** The call getAll(userId): the model's live sessions of the user, as a set. */
export function getAllCall(userId: UserId): StoreCall {
  return {
    text: `getAll(${show(userId)})`,
    onStore: (store) => settle(async () => store.getAll?.(userId)),
    onModel: (model) => ({ kind: 'list', sessions: model.getAll(userId) }),
  };
}

function deleteAllCall(userId: UserId): StoreCall {
  return {
    text: `deleteAll(${show(userId)})`,
    onStore: (store) => settle(async () => store.deleteAll?.(userId)),
    onModel: (model) => {
      model.deleteAll(userId);
      return { kind: 'done' };
    },
  };
}

function pruneCall(): StoreCall {
  return {
    text: 'prune()',
    onStore: (store) => settle(async () => store.prune?.()),
    onModel: (model) => ({ kind: 'count', count: model.prune() }),
  };
}

// ---------------------------------------------------------------------------------------
// Comparing

/** How the store's outcome differs from what the model expects, or `null` when it does not. */
export function differenceOf(actual: Outcome, expected: Expected): string | null {
  if (actual.kind === 'rejected') {
    const conflict = isSessionStoreError(actual.error) && actual.error.code === 'CONFLICT';
    return conflict && expected.kind === 'conflict'
      ? null
      : `rejected with ${describeError(actual.error)} where ${expectation(expected)} was expected`;
  }

  const { value } = actual;
  switch (expected.kind) {
    case 'session':
      return sessionDifference(value, expected.session);
    case 'list':
      return listDifference(value, expected.sessions);
    case 'count':
      return countDifference(value, expected.count);
    case 'conflict':
      return 'resolved where CONFLICT was expected';
    default:
      return null;
  }
}

function expectation(expected: Expected): string {
  switch (expected.kind) {
    case 'session':
      return expected.session === null ? 'null' : summary(expected.session);
    case 'list':
      return `[${expected.sessions.map(summary).join(', ')}]`;
    case 'count':
      return `a count of at most ${expected.count}`;
    case 'conflict':
      return 'CONFLICT';
    default:
      return 'success';
  }
}

function sessionDifference(actual: unknown, expected: StoredSession | null): string | null {
  if ((actual === null) !== (expected === null)) {
    return `returned ${describeValue(actual)} where ${describeValue(expected)} was expected`;
  }
  return findDifference(actual, expected, 'the session');
}

/** getAll() as a set: each expected session once, by id, and nothing else. */
function listDifference(actual: unknown, expected: readonly StoredSession[]): string | null {
  if (!Array.isArray(actual)) {
    return `resolved to ${show(actual)} where an array was expected`;
  }
  const ids = actual.map((session: { id?: unknown } | null) => session?.id);
  if (new Set(ids).size !== ids.length) {
    return `listed a session twice (${ids.map(show).join(', ')})`;
  }
  if (ids.length !== expected.length || expected.some((session) => !ids.includes(session.id))) {
    return `listed [${actual.map(summary).join(', ')}] where [${expected.map(summary).join(', ')}] was expected`;
  }
  for (const session of expected) {
    const listed = actual[ids.indexOf(session.id)];
    const difference = findDifference(listed, session, `the listed session ${show(session.id)}`);
    if (difference !== null) return difference;
  }
  return null;
}

// A backend may remove expired entries on its own (key expiry, a write that tidies its user's
// index) before prune() runs, so prune() may count fewer than the model, never more.
function countDifference(actual: unknown, expired: number): string | null {
  if (typeof actual !== 'number' || !Number.isInteger(actual) || actual < 0) {
    return `resolved to ${show(actual)} where a count from 0 to ${expired} was expected`;
  }
  return actual <= expired ? null : `counted ${actual} where at most ${expired} had expired`;
}

/** A short description of a session the cases built: its id, user, lock version and variant. */
function summary(session: unknown): string {
  if (typeof session !== 'object' || session === null) return show(session);
  const { id, userId, lockVersion, variant } = session as Record<string, unknown>;
  const lock = lockVersion === undefined ? '' : ` v${show(lockVersion)}`;
  return `${show(id)}@${show(userId)}${lock} variant ${show(variant)}`;
}

/** What the store did, in a few words: `resolved`, an error code, or the sessions returned. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === 'rejected') {
    const error = outcome.error;
    return isSessionStoreError(error) ? error.code : describeError(error);
  }
  return outcome.value === undefined ? 'resolved' : describeValue(outcome.value);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(summary).join(', ')}]`;
  return typeof value === 'object' && value !== null ? summary(value) : show(value);
}

// ---------------------------------------------------------------------------------------
// Describing steps (for a failure that is not a divergence, such as a store that cannot open)

function describeOperation(operation: StoreOperation): string {
  switch (operation.kind) {
    case 'get':
    case 'delete':
      return `${operation.kind}(${show(operation.sessionId)}, ${show(operation.userId)})`;
    case 'upsert':
      return (
        `upsert(${show(operation.sessionId)}, ${show(operation.userId)}, variant ` +
        `${operation.variant}, lockVersion ${operation.lock}, ttl ${operation.ttlSeconds} s)`
      );
    case 'getAll':
    case 'deleteAll':
      return `${operation.kind}(${show(operation.userId)})`;
    case 'prune':
      return 'prune()';
  }
}

/** A generated step as one line, before it is settled against a model. */
export function describeStep(step: SequentialStep | ConcurrentStep): string {
  switch (step.kind) {
    case 'clock':
      return step.step.kind === 'by'
        ? `clock +${step.step.ms} ms`
        : `clock ${step.step.earlyMs === 0 ? 'to' : '1 ms before'} expiry #${step.step.rank + 1}`;
    case 'batch':
      return `in parallel: ${step.operations.map(describeOperation).join(' ‖ ')}`;
    default:
      return describeOperation(step);
  }
}

import type { StoredSession, UserId } from '@sessionstore/core';
import * as fc from 'fast-check';
import { describeError, findDifference, isSessionStoreError, show } from '../assert.js';
import type { ManualClock } from '../clock.js';
import { makeSession } from '../fixtures.js';
import { ReferenceModel } from '../model.js';
import { checkProperty, ModelDivergence } from '../property.js';
import type { CaseContext, ConformanceCase, ConformanceStore } from '../types.js';

const category = 'model';

/**
 * The users the model cases work with, grouped by the user they are: ids that look alike
 * (a prefix, a separator, braces of a hash tag) and the three forms of one numeric user.
 */
const USER_GROUPS: readonly (readonly UserId[])[] = [
  ['u1'],
  ['u10'],
  ['u1:x'],
  ['{u1}'],
  [7, 7n, '7'],
];

/** Any user, each as likely as another, in any of its forms. */
const anyUserId: fc.Arbitrary<UserId> = fc.oneof(
  ...USER_GROUPS.map((group) => fc.constantFrom(...group)),
);

/** The forms of one user, for sequences that stay on it. */
const ONE_USER: readonly UserId[] = [7, 7n, '7'];

/** One id of each user, to read the state back with. */
const READ_BACK_USER_IDS: readonly UserId[] = ['u1', 'u10', 'u1:x', '{u1}', '7'];

/**
 * Two sessions per user; `("u1", "x:s1")` and `("u1:x", "s1")` join to the same text with a
 * ":" between them.
 */
const SESSION_IDS = ['s1', 'x:s1'] as const;

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

/** The millisecond within the second at which every run starts, so runs repeat exactly. */
const RUN_START_PHASE_MS = 437;

/** How many expiry instants a run walks through at its end. */
const FINAL_EXPIRY_CHECKS = 3;

/** Above this many possible states after a batch, the concurrent case reads the state back. */
const MAX_CANDIDATES = 8;

interface GetOperation {
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
type StoreOperation =
  | GetOperation
  | UpsertOperation
  | DeleteOperation
  | GetAllOperation
  | DeleteAllOperation
  | PruneOperation;

/** A clock step: by a fixed amount, or to (or 1 ms before) the rank-th next expiry. */
type ClockStep = { kind: 'by'; ms: number } | { kind: 'to-expiry'; rank: number; earlyMs: 0 | 1 };

interface ClockOperation {
  kind: 'clock';
  step: ClockStep;
}

interface BatchOperation {
  kind: 'batch';
  operations: StoreOperation[];
}

type SequentialStep = StoreOperation | ClockOperation;

type ConcurrentStep = BatchOperation | ClockOperation;

/** The optional methods the store under test has; the cases call only those. */
interface StoreMethods {
  getAll: boolean;
  deleteAll: boolean;
  prune: boolean;
}

/** What the store did: resolved with a value, or rejected. */
type Outcome = { kind: 'resolved'; value: unknown } | { kind: 'rejected'; error: unknown };

/** What the model says the store must do. */
type Expected =
  | { kind: 'session'; session: StoredSession | null }
  | { kind: 'list'; sessions: StoredSession[] }
  | { kind: 'count'; count: number }
  | { kind: 'written' }
  | { kind: 'conflict' }
  | { kind: 'done' };

/** A step with its arguments settled: what to call on the store and on the model. */
interface StoreCall {
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
function sequences(methods: StoreMethods): fc.Arbitrary<SequentialStep[]> {
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
function batches(methods: StoreMethods): fc.Arbitrary<ConcurrentStep[]> {
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

function resolveCall(operation: StoreOperation, model: ReferenceModel): StoreCall {
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

function getCall({ userId, sessionId }: GetOperation): StoreCall {
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
  const variant = VARIANTS[operation.variant] ?? VARIANTS[0];
  // The store and each model get their own copy, so a store that changes its argument
  // changes nothing the model sees.
  const build = () =>
    makeSession(sessionId, userId, {
      ...variant?.(),
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

function getAllCall(userId: UserId): StoreCall {
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
function differenceOf(actual: Outcome, expected: Expected): string | null {
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

function describeOutcome(outcome: Outcome): string {
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
// Running

/** Moves the clock as a step says, using the model's expiries; returns the step's text. */
function advanceClock(clock: ManualClock, model: ReferenceModel, step: ClockStep): string {
  if (step.kind === 'by') {
    clock.advance(step.ms);
    return `clock +${step.ms} ms`;
  }

  const expiries = model.liveExpiries();
  const target = expiries[Math.min(step.rank, expiries.length - 1)];
  if (target === undefined) {
    return 'clock unchanged (no live session to expire)';
  }
  const movedMs = target - step.earlyMs - clock.now();
  clock.advanceTo(target - step.earlyMs);
  const where = step.earlyMs === 0 ? 'to' : '1 ms before';
  return `clock +${movedMs} ms, ${where} an expiry`;
}

/**
 * Opens a fresh store for one run, with the clock moved to or past the real time (so a
 * backend's own expiry, on real time, never runs ahead of the model) and to a fixed
 * millisecond within the second (so a rerun sees the same expiry phases). Closes it after.
 */
async function withRunStore(
  context: CaseContext,
  run: (store: ConformanceStore) => Promise<void>,
): Promise<void> {
  context.clock.advanceTo(Math.max(context.clock.now(), Date.now()));
  context.clock.advanceToPhase(RUN_START_PHASE_MS);
  const store = await context.open();
  try {
    await run(store);
  } catch (error) {
    await store.close?.().catch(() => {
      // The divergence is the failure worth reporting; the runner closes the store again.
    });
    throw error;
  }
  await store.close?.();
}

async function runSequence(
  context: CaseContext,
  steps: readonly SequentialStep[],
  methods: StoreMethods,
): Promise<void> {
  await withRunStore(context, async (store) => {
    const model = new ReferenceModel(context.clock.now);
    const transcript: string[] = [];
    for (const step of steps) {
      if (step.kind === 'clock') {
        transcript.push(advanceClock(context.clock, model, step.step));
        continue;
      }
      const call = resolveCall(step, model);
      const expected = call.onModel(model);
      const actual = await call.onStore(store);
      transcript.push(`${call.text} → ${describeOutcome(actual)}`);
      const difference = differenceOf(actual, expected);
      if (difference !== null) {
        throw new ModelDivergence(`${call.text} ${difference}.`, transcript);
      }
    }
    await expectFinalState(context, store, [model], methods, transcript);
  });
}

async function runBatches(
  context: CaseContext,
  steps: readonly ConcurrentStep[],
  methods: StoreMethods,
): Promise<void> {
  await withRunStore(context, async (store) => {
    let candidates = [new ReferenceModel(context.clock.now)];
    const transcript: string[] = [];
    for (const step of steps) {
      const [model] = candidates;
      if (model === undefined) break;
      if (step.kind === 'clock') {
        transcript.push(advanceClock(context.clock, model, step.step));
        continue;
      }
      candidates = await runBatch(store, candidates, step.operations, transcript);
      if (candidates.length > MAX_CANDIDATES) {
        candidates = await narrow(store, candidates, methods, transcript, 'after the batch');
      }
    }
    await expectFinalState(context, store, candidates, methods, transcript);
  });
}

/** Issues a batch in parallel; returns the states of the orders of it that explain the outcomes. */
async function runBatch(
  store: ConformanceStore,
  candidates: readonly ReferenceModel[],
  operations: readonly StoreOperation[],
  transcript: string[],
): Promise<ReferenceModel[]> {
  const [model] = candidates;
  if (model === undefined) return [];
  const calls = operations.map((operation) => resolveCall(operation, model));
  const outcomes = await Promise.all(calls.map((call) => call.onStore(store)));
  const lines = calls.map(
    (call, index) => `${call.text} → ${describeOutcome(outcomes[index] as Outcome)}`,
  );
  transcript.push(`in parallel: ${lines.join(' ‖ ')}`);

  const explained = explainBatch(candidates, calls, outcomes);
  if (explained.length === 0) {
    throw new ModelDivergence(
      `No order of the parallel calls ${calls.map((call) => call.text).join(', ')} gives the ` +
        `outcomes the store gave (${outcomes.map(describeOutcome).join(', ')}).`,
      transcript,
    );
  }
  return explained;
}

/**
 * The states the model reaches by every order of the calls, from every candidate state, that
 * gives exactly the outcomes seen; states with the same live entries are kept once.
 */
function explainBatch(
  candidates: readonly ReferenceModel[],
  calls: readonly StoreCall[],
  outcomes: readonly Outcome[],
): ReferenceModel[] {
  const states = new Map<string, ReferenceModel>();
  for (const candidate of candidates) {
    for (const order of permutations(calls.length)) {
      const model = candidate.clone();
      const explains = order.every((index) => {
        const call = calls[index] as StoreCall;
        return differenceOf(outcomes[index] as Outcome, call.onModel(model)) === null;
      });
      if (!explains) continue;
      const key = model.liveFingerprint();
      const known = states.get(key);
      if (known === undefined) states.set(key, model);
      else known.absorbExpired(model);
    }
  }
  return [...states.values()];
}

/** Every order of the indices 0 to count - 1. */
function permutations(count: number): number[][] {
  if (count <= 1) return [Array.from({ length: count }, (_, index) => index)];
  const orders: number[][] = [];
  for (const rest of permutations(count - 1)) {
    for (let position = 0; position <= rest.length; position++) {
      orders.push([...rest.slice(0, position), count - 1, ...rest.slice(position)]);
    }
  }
  return orders;
}

/**
 * Reads every user's sessions one call at a time (getAll, or get of each session id when
 * the store has no getAll) and keeps the candidate states that agree with what was read.
 *
 * @throws {@link ModelDivergence} when none does.
 */
function narrow(
  store: ConformanceStore,
  candidates: readonly ReferenceModel[],
  methods: StoreMethods,
  transcript: string[],
  when: string,
): Promise<ReferenceModel[]> {
  return readBack(store, candidates, readBackCalls(methods), transcript, when);
}

/**
 * Makes read-only calls one at a time and keeps the candidate states that agree with each.
 *
 * @throws {@link ModelDivergence} when none does.
 */
async function readBack(
  store: ConformanceStore,
  candidates: readonly ReferenceModel[],
  calls: readonly StoreCall[],
  transcript: string[],
  when: string,
): Promise<ReferenceModel[]> {
  let remaining = [...candidates];
  for (const call of calls) {
    const actual = await call.onStore(store);
    transcript.push(`${call.text} → ${describeOutcome(actual)} (read back ${when})`);
    const agreeing = remaining.filter(
      (model) => differenceOf(actual, call.onModel(model)) === null,
    );
    if (agreeing.length === 0) {
      const [first] = remaining;
      const difference = first === undefined ? '' : ` ${differenceOf(actual, call.onModel(first))}`;
      throw new ModelDivergence(`Read back ${when}, ${call.text}${difference}.`, transcript);
    }
    remaining = agreeing;
  }
  return remaining;
}

function readBackCalls(methods: StoreMethods): StoreCall[] {
  return READ_BACK_USER_IDS.flatMap((userId) =>
    methods.getAll
      ? [getAllCall(userId)]
      : SESSION_IDS.map((sessionId) => getCall({ kind: 'get', userId, sessionId })),
  );
}

/**
 * The final state, read back user by user, must be one the model allows; then the clock
 * walks through the first few expiry instants of the live sessions, and at 1 ms before each
 * and at each, the sessions that expire there are read again.
 */
async function expectFinalState(
  context: CaseContext,
  store: ConformanceStore,
  candidates: readonly ReferenceModel[],
  methods: StoreMethods,
  transcript: string[],
): Promise<void> {
  let remaining = await narrow(store, candidates, methods, transcript, 'at the end');
  const instants = new Set(remaining.flatMap((model) => model.liveExpiries()));
  const firstInstants = [...instants].sort((a, b) => a - b).slice(0, FINAL_EXPIRY_CHECKS);

  for (const instantMs of firstInstants) {
    const calls = remaining
      .flatMap((model) => model.liveEntries())
      .filter((entry) => entry.expiresAtMs === instantMs)
      .map(({ session }) =>
        getCall({ kind: 'get', userId: session.userId, sessionId: session.id }),
      );
    for (const earlyMs of [1, 0]) {
      const movedMs = instantMs - earlyMs - context.clock.now();
      context.clock.advanceTo(instantMs - earlyMs);
      transcript.push(`clock +${movedMs} ms, ${earlyMs === 0 ? 'to' : '1 ms before'} an expiry`);
      remaining = await readBack(store, remaining, calls, transcript, 'at an expiry');
    }
  }
}

/** Opens a store to see which optional methods it has, and closes it. */
async function probeMethods(context: CaseContext): Promise<StoreMethods> {
  const store = await context.open();
  const methods = {
    getAll: typeof store.getAll === 'function',
    deleteAll: typeof store.deleteAll === 'function',
    prune: typeof store.prune === 'function',
  };
  await store.close?.();
  return methods;
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

function describeStep(step: SequentialStep | ConcurrentStep): string {
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

export const modelCases: ConformanceCase[] = [
  {
    id: 'model.sequential.matches-model',
    category,
    title:
      'random sequences of every call and clock step, over look-alike users, match a reference model step by step',
    async run(context) {
      const methods = await probeMethods(context);
      context.note(
        `seed ${context.seed} (set SESSIONSTORE_CONFORMANCE_SEED or --seed to repeat it)`,
      );
      await checkProperty(context, {
        arbitrary: sequences(methods),
        run: (steps) => runSequence(context, steps, methods),
        describe: (steps) => steps.map(describeStep),
        numRuns: 30,
        minRuns: 5,
      });
    },
  },
  {
    id: 'model.concurrent.serialisable',
    category,
    title:
      'random batches of parallel calls give outcomes that some order of each batch gives, and end in a state the model allows',
    async run(context) {
      const methods = await probeMethods(context);
      context.note(
        `seed ${context.seed} (set SESSIONSTORE_CONFORMANCE_SEED or --seed to repeat it)`,
      );
      await checkProperty(context, {
        arbitrary: batches(methods),
        run: (steps) => runBatches(context, steps, methods),
        describe: (steps) => steps.map(describeStep),
        numRuns: 20,
        minRuns: 5,
      });
    },
  },
];

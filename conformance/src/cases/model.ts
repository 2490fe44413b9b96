import type { ManualClock } from '../clock.js';
import { ReferenceModel } from '../model.js';
import { checkProperty, ModelDivergence } from '../property.js';
import type { CaseContext, ConformanceCase, ConformanceStore } from '../types.js';
import {
  batches,
  type ClockStep,
  type ConcurrentStep,
  describeOutcome,
  describeStep,
  differenceOf,
  getAllCall,
  getCall,
  type Outcome,
  READ_BACK_USER_IDS,
  resolveCall,
  SESSION_IDS,
  type SequentialStep,
  type StoreCall,
  type StoreMethods,
  type StoreOperation,
  sequences,
} from './model-steps.js';

const category = 'model';

/** The millisecond within the second at which every run starts, so runs repeat exactly. */
const RUN_START_PHASE_MS = 437;

/** How many expiry instants a run walks through at its end. */
const FINAL_EXPIRY_CHECKS = 3;

/** Above this many possible states after a batch, the concurrent case reads the state back. */
const MAX_CANDIDATES = 8;

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

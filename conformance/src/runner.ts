import type { SessionStore, StoredSession } from '@sessionstore/core';
import { describeError } from './assert.js';
import { conformanceCases } from './cases/index.js';
import { ManualClock } from './clock.js';
import type { ConformanceHarness, HarnessCreateOptions } from './harness.js';
import type {
  CaseContext,
  CaseResult,
  ConformanceCase,
  ConformanceNeed,
  ConformanceOptions,
  ConformanceResults,
  ConformanceStore,
  OpenStoreOptions,
} from './types.js';

/** The watchdog's default limit per case, in ms. */
export const DEFAULT_CASE_TIMEOUT_MS = 15_000;

/** How long closing a case's stores may take before it is given up on, in ms. */
const CLOSE_TIMEOUT_MS = 5_000;

/** What a failing watchdog throws. */
export class CaseTimeoutError extends Error {
  constructor(caseId: string, timeoutMs: number) {
    super(
      `The case ${caseId} hangs: it did not settle within ${timeoutMs} ms (a store call that ` +
        'never resolves, or a deadlock). Raise the limit with caseTimeoutMs or --timeout if the ' +
        'backend is merely slow.',
    );
    this.name = 'CaseTimeoutError';
  }
}

// Thrown by CaseContext.skip(); the runner turns it into a skipped result.
class CaseSkip extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CaseSkip';
  }
}

type StoreMethod = 'getAll' | 'deleteAll' | 'prune' | 'close';

/**
 * A prepared run: the harness, what its stores offer and the options. The bindings run cases
 * one by one through it; {@link runConformance} runs them all.
 */
export interface ConformanceRun {
  readonly harness: ConformanceHarness<StoredSession>;
  readonly caseTimeoutMs: number;
  readonly seed: number;
  /** The optional methods a store of this harness has; `undefined` when it could not be seen. */
  readonly methods: ReadonlySet<StoreMethod> | undefined;
}

/**
 * Prepares a run: opens one store to see which optional methods it has, then closes it.
 * When that store cannot be opened, no case is skipped for a missing method; each fails on
 * its own instead.
 */
export async function prepareRun<S extends StoredSession>(
  harness: ConformanceHarness<S>,
  options: Pick<ConformanceOptions, 'caseTimeoutMs' | 'seed'> = {},
): Promise<ConformanceRun> {
  const generic = harness as unknown as ConformanceHarness<StoredSession>;
  return {
    harness: generic,
    caseTimeoutMs: checkTimeout(options.caseTimeoutMs),
    seed: options.seed ?? defaultSeed(),
    methods: await probeMethods(generic, checkTimeout(options.caseTimeoutMs)),
  };
}

/** The cases `grep` selects, in order: those whose id or title contains it, ignoring case. */
export function selectCases(
  cases: readonly ConformanceCase[],
  grep: string | undefined,
): ConformanceCase[] {
  if (grep === undefined || grep === '') {
    return [...cases];
  }
  const needle = grep.toLowerCase();
  return cases.filter(
    (item) => item.id.toLowerCase().includes(needle) || item.title.toLowerCase().includes(needle),
  );
}

/**
 * Why a case will be skipped on this run, or `undefined` when it will run. A need is met
 * when the harness provides the hook or capability, or the store has the method.
 */
export function skipReason(run: ConformanceRun, item: ConformanceCase): string | undefined {
  for (const need of item.needs ?? []) {
    const missing = missingNeed(run, need);
    if (missing !== undefined) {
      return missing;
    }
  }
  return undefined;
}

function missingNeed(run: ConformanceRun, need: ConformanceNeed): string | undefined {
  const { harness } = run;
  switch (need) {
    case 'getAll':
    case 'deleteAll':
    case 'prune':
    case 'close':
      return run.methods === undefined || run.methods.has(need)
        ? undefined
        : `needs the store's optional ${need}() method, which it does not have`;
    case 'hooks.countStored':
    case 'hooks.writeRawRecord':
    case 'hooks.readRawRecord':
    case 'hooks.openSibling': {
      const hook = need.slice('hooks.'.length) as keyof NonNullable<typeof harness.hooks>;
      return typeof harness.hooks?.[hook] === 'function'
        ? undefined
        : `needs the harness hook ${need}, which the harness does not provide`;
    }
    case 'capabilities.harnessModule':
      return typeof harness.capabilities?.harnessModule === 'string' &&
        harness.capabilities.harnessModule !== ''
        ? undefined
        : 'needs capabilities.harnessModule (the harness module path), which is not set';
    case 'capabilities.realTimeExpiry':
      return harness.capabilities?.realTimeExpiry === true
        ? undefined
        : 'needs capabilities.realTimeExpiry (opt-in: it waits on the real clock)';
    case 'capabilities.signing':
      return harness.capabilities?.signing === true
        ? undefined
        : 'needs capabilities.signing (the store honours signingSecret), which is not declared';
  }
}

/** The watchdog limit for one case: the run's limit plus the real time the case plans to wait. */
export function caseTimeout(run: ConformanceRun, item: ConformanceCase): number {
  const extra =
    typeof item.extraTimeMs === 'function' ? item.extraTimeMs(run.harness) : item.extraTimeMs;
  return run.caseTimeoutMs + (extra ?? 0);
}

/**
 * Runs one case: skips it when a need is missing, runs it under its watchdog, and closes
 * every store it opened. Never rejects; the outcome is in the result.
 */
export async function runCase(run: ConformanceRun, item: ConformanceCase): Promise<CaseResult> {
  const base = { id: item.id, category: item.category, title: item.title };
  const reason = skipReason(run, item);
  if (reason !== undefined) {
    return { ...base, status: 'skipped', durationMs: 0, skipReason: reason, notes: [] };
  }

  const startedMs = performance.now();
  const timeoutMs = caseTimeout(run, item);
  const context = new RunningCase(run, timeoutMs);
  let outcome: Outcome = await settleWithin(() => item.run(context), timeoutMs);
  if (outcome.kind === 'timeout') {
    context.abort();
  }

  const closeError = await context.closeAll();
  if (outcome.kind === 'passed' && closeError !== undefined) {
    outcome = { kind: 'failed', error: closeError };
  }

  const durationMs = Math.round(performance.now() - startedMs);
  const notes = context.notes;
  switch (outcome.kind) {
    case 'passed':
      return { ...base, status: 'passed', durationMs, notes };
    case 'timeout':
      return {
        ...base,
        status: 'failed',
        durationMs,
        error: new CaseTimeoutError(item.id, timeoutMs),
        timedOut: true,
        notes,
      };
    default:
      return outcome.error instanceof CaseSkip
        ? { ...base, status: 'skipped', durationMs, skipReason: outcome.error.reason, notes }
        : { ...base, status: 'failed', durationMs, error: outcome.error, notes };
  }
}

/**
 * Runs the conformance suite against a harness: every selected case, one after another,
 * never stopping at a failure; then calls `harness.teardown`.
 *
 * @returns every result, with counts.
 *
 * @example
 * ```ts
 * import { runConformance } from '@sessionstore/conformance';
 *
 * const results = await runConformance(harness, { grep: 'expiry' });
 * if (results.failed > 0) process.exitCode = 1;
 * ```
 */
export async function runConformance<S extends StoredSession>(
  harness: ConformanceHarness<S>,
  options: ConformanceOptions = {},
): Promise<ConformanceResults> {
  const startedMs = performance.now();
  const cases = selectCases(options.cases ?? conformanceCases, options.grep);
  const results: CaseResult[] = [];

  try {
    const run = await prepareRun(harness, options);
    for (const item of cases) {
      const result = await runCase(run, item);
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await teardownWithin(harness, TEARDOWN_TIMEOUT_MS);
  }

  return summarize(harness.name, results, performance.now() - startedMs);
}

/** How long `harness.teardown` may take, in ms. */
export const TEARDOWN_TIMEOUT_MS = 60_000;

/**
 * Calls `harness.teardown`, if any, and waits for it at most `timeoutMs`.
 *
 * @throws the teardown's own error, or an Error when it did not finish in time.
 */
export async function teardownWithin(
  harness: Pick<ConformanceHarness<StoredSession>, 'teardown'>,
  timeoutMs: number = TEARDOWN_TIMEOUT_MS,
): Promise<void> {
  const outcome = await settleWithin(async () => {
    await harness.teardown?.();
  }, timeoutMs);
  if (outcome.kind === 'failed') {
    throw outcome.error;
  }
  if (outcome.kind === 'timeout') {
    throw new Error(`The harness's teardown() did not finish within ${timeoutMs} ms.`);
  }
}

/** Counts results into {@link ConformanceResults}. */
export function summarize(
  harnessName: string,
  results: CaseResult[],
  durationMs: number,
): ConformanceResults {
  const count = (status: CaseResult['status']) =>
    results.filter((result) => result.status === status).length;
  return {
    harness: harnessName,
    results,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    durationMs: Math.round(durationMs),
  };
}

/** A failed case's error as one readable block: message, then notes such as the seed. */
export function formatFailure(result: CaseResult): string {
  const lines = [describeError(result.error)];
  for (const note of result.notes) {
    lines.push(note);
  }
  return lines.join('\n');
}

type Outcome = { kind: 'passed' } | { kind: 'failed'; error: unknown } | { kind: 'timeout' };

async function settleWithin(action: () => Promise<void>, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  const work = (async (): Promise<Outcome> => {
    try {
      await action();
      return { kind: 'passed' };
    } catch (error) {
      return { kind: 'failed', error };
    }
  })();

  try {
    return await Promise.race([work, watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

class RunningCase implements CaseContext {
  readonly harness: ConformanceHarness<StoredSession>;
  readonly clock = new ManualClock();
  readonly seed: number;
  readonly timeLimitMs: number;
  readonly notes: string[] = [];
  readonly #abort = new AbortController();
  readonly #stores: SessionStore<StoredSession>[] = [];
  readonly #options = new Map<SessionStore<StoredSession>, HarnessCreateOptions>();

  constructor(run: ConformanceRun, timeLimitMs: number) {
    this.harness = run.harness;
    this.seed = run.seed;
    this.timeLimitMs = timeLimitMs;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  async open(options: OpenStoreOptions = {}): Promise<ConformanceStore> {
    const createOptions: HarnessCreateOptions = {
      ...options,
      clock: options.clock ?? this.clock.now,
    };
    const store = await this.harness.create(createOptions);
    this.#stores.push(store);
    this.#options.set(store, createOptions);
    return store as ConformanceStore;
  }

  async openSibling(store: ConformanceStore): Promise<ConformanceStore> {
    const openSibling = this.harness.hooks?.openSibling;
    if (openSibling === undefined) {
      return this.skip('needs the harness hook hooks.openSibling');
    }
    const options = this.#options.get(store);
    if (options === undefined) {
      throw new Error('openSibling() was given a store this case did not open.');
    }

    const sibling = await openSibling(store, options);
    if (sibling === store) {
      throw new Error('hooks.openSibling returned the store it was given, not a second one.');
    }
    this.#stores.push(sibling);
    this.#options.set(sibling, options);
    return sibling as ConformanceStore;
  }

  note(message: string): void {
    this.notes.push(message);
  }

  skip(reason: string): never {
    throw new CaseSkip(reason);
  }

  abort(): void {
    this.#abort.abort();
  }

  /** Closes every store the case opened; returns the first failure, if any. */
  async closeAll(): Promise<unknown> {
    let firstError: unknown;
    for (const store of this.#stores.splice(0)) {
      const error = await closeWithin(store, CLOSE_TIMEOUT_MS);
      firstError ??= error;
    }
    return firstError;
  }
}

async function closeWithin(
  store: SessionStore<StoredSession>,
  timeoutMs: number,
): Promise<unknown> {
  if (typeof store.close !== 'function') {
    return undefined;
  }

  const outcome = await settleWithin(async () => {
    await store.close?.();
  }, timeoutMs);
  switch (outcome.kind) {
    case 'passed':
      return undefined;
    case 'failed':
      return new Error(`Closing a store after the case failed: ${describeError(outcome.error)}`, {
        cause: outcome.error,
      });
    default:
      return new Error(`Closing a store after the case did not finish within ${timeoutMs} ms.`);
  }
}

async function probeMethods(
  harness: ConformanceHarness<StoredSession>,
  timeoutMs: number,
): Promise<Set<StoreMethod> | undefined> {
  let store: SessionStore<StoredSession> | undefined;
  const outcome = await settleWithin(async () => {
    store = await harness.create({ clock: new ManualClock().now });
  }, timeoutMs);
  if (outcome.kind !== 'passed' || store === undefined) {
    // Each case opens its own store and reports the failure (or the hang) where it happens.
    return undefined;
  }

  const methods = new Set<StoreMethod>();
  for (const name of ['getAll', 'deleteAll', 'prune', 'close'] as const) {
    if (typeof store[name] === 'function') {
      methods.add(name);
    }
  }
  await closeWithin(store, CLOSE_TIMEOUT_MS);
  return methods;
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) {
    return DEFAULT_CASE_TIMEOUT_MS;
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`caseTimeoutMs must be a positive number of ms, not ${timeoutMs}.`);
  }
  return timeoutMs;
}

/**
 * The seed of every run under CI (the `CI` environment variable set, as CI services do), unless
 * `SESSIONSTORE_CONFORMANCE_SEED` or the `seed` option names another: CI then runs the same
 * random cases every time, and a local run explores new ones.
 */
export const CI_SEED = 20_240_607;

function defaultSeed(): number {
  const fromEnvironment = process.env.SESSIONSTORE_CONFORMANCE_SEED;
  if (fromEnvironment !== undefined && /^\d+$/.test(fromEnvironment)) {
    return Number(fromEnvironment) >>> 0;
  }
  if (isCi(process.env.CI)) {
    return CI_SEED;
  }
  return Math.floor(Math.random() * 4_294_967_296);
}

// CI services set CI to "true" (or "1"); an empty value or "false" means a local run.
function isCi(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

import type { SessionStore, StoredSession } from '@sessionstore/core';
import type { ManualClock } from './clock.js';
import type { ConformanceHarness, HarnessCreateOptions } from './harness.js';

/** The categories cases are grouped in; the first part of every case id. */
export type ConformanceCategory =
  | 'contract'
  | 'upsert'
  | 'identity'
  | 'user-ids'
  | 'session-ids'
  | 'expiry'
  | 'ttl'
  | 'locking'
  | 'values'
  | 'bad-input'
  | 'errors'
  | 'concurrency'
  | 'cleanup'
  | 'lifecycle'
  | 'records'
  | 'real-time'
  | 'model';

/**
 * Something a case needs beyond `get`, `upsert` and `delete`. A case whose need the store or
 * harness does not meet is reported as skipped, with the need as its reason.
 *
 * - `getAll`, `deleteAll`, `prune`, `close`: the store has that optional method.
 * - `hooks.*`: the harness provides that hook.
 * - `capabilities.*`: the harness declares that capability (`harnessModule` set,
 *   `realTimeExpiry` or `signing` true).
 */
export type ConformanceNeed =
  | 'getAll'
  | 'deleteAll'
  | 'prune'
  | 'close'
  | 'hooks.countStored'
  | 'hooks.writeRawRecord'
  | 'hooks.readRawRecord'
  | 'hooks.openSibling'
  | 'capabilities.realTimeExpiry'
  | 'capabilities.harnessModule'
  | 'capabilities.signing';

/** Every need, in a stable order. */
export const CONFORMANCE_NEEDS: readonly ConformanceNeed[] = Object.freeze([
  'getAll',
  'deleteAll',
  'prune',
  'close',
  'hooks.countStored',
  'hooks.writeRawRecord',
  'hooks.readRawRecord',
  'hooks.openSibling',
  'capabilities.realTimeExpiry',
  'capabilities.harnessModule',
  'capabilities.signing',
]);

/** A session as the cases build it: the fields a store needs plus any of the case's own. */
export type TestSession = StoredSession & Record<string, unknown>;

/** A store as cases see it. */
export type ConformanceStore = SessionStore<TestSession>;

/** What {@link CaseContext.open} accepts: the harness's create options, the clock optional. */
export type OpenStoreOptions = Partial<HarnessCreateOptions>;

/**
 * What a case receives. Every store it opens through {@link CaseContext.open} is closed
 * after the case, whether it passed or not.
 */
export interface CaseContext {
  /** The harness under test. */
  readonly harness: ConformanceHarness<StoredSession>;
  /** This case's manual clock; it starts at the real time and only moves forward. */
  readonly clock: ManualClock;
  /** The seed for anything random in this case; printed with any failure. */
  readonly seed: number;
  /** Aborted when the case's watchdog fires; long waits should stop then. */
  readonly signal: AbortSignal;
  /**
   * How long the case may run before its watchdog fires, in ms. A case that bounds its own
   * work by time (the model cases) stays well inside it.
   */
  readonly timeLimitMs: number;
  /**
   * Opens a store through the harness, with this case's manual clock unless `options.clock`
   * is given.
   */
  open(options?: OpenStoreOptions): Promise<ConformanceStore>;
  /**
   * Opens a second instance over the same data as `store` (a store this case opened) through
   * `hooks.openSibling`, with the options `store` was opened with; it is closed after the
   * case like every other store. Skips the case when the harness has no such hook.
   */
  openSibling(store: ConformanceStore): Promise<ConformanceStore>;
  /** Adds a line to the case's result (shown with a failure), for example a seed. */
  note(message: string): void;
  /**
   * Ends the case as skipped, with a reason: for a need that can only be seen while running.
   */
  skip(reason: string): never;
}

/**
 * One behavioural case.
 *
 * @example
 * ```ts
 * const conformanceCase: ConformanceCase = {
 *   id: 'myadapter.get.after-restart',
 *   category: 'contract',
 *   title: 'get() finds a session written before the store was reopened',
 *   async run(context) {
 *     const store = await context.open();
 *     // ...
 *   },
 * };
 * ```
 */
export interface ConformanceCase {
  /** A stable id, `category.subject.detail`; used by `--grep` and in every report. */
  id: string;
  /**
   * The category: one of {@link ConformanceCategory} for the suite's own cases (and the first
   * part of their ids), or any name for an adapter's extra cases.
   */
  category: string;
  /** One sentence: the call and the result it must have. */
  title: string;
  /** What the case needs beyond the three required methods. */
  needs?: readonly ConformanceNeed[];
  /**
   * Real time the case knowingly spends waiting (for a backend's own cleanup, a child
   * process), in ms; added to the watchdog's limit.
   */
  extraTimeMs?: number | ((harness: ConformanceHarness<StoredSession>) => number);
  /** Runs the case; it passes when this resolves and fails when it rejects. */
  run(context: CaseContext): Promise<void>;
}

/** The outcome of one case. */
export type CaseStatus = 'passed' | 'failed' | 'skipped';

/** One case's result. */
export interface CaseResult {
  id: string;
  category: string;
  title: string;
  status: CaseStatus;
  /** Wall time spent on the case, in ms. */
  durationMs: number;
  /** Why the case was skipped. */
  skipReason?: string;
  /** Why the case failed. */
  error?: unknown;
  /** True when the case failed because its watchdog fired. */
  timedOut?: boolean;
  /** Lines the case added with {@link CaseContext.note}, such as its seed. */
  notes: string[];
}

/** What {@link runConformance} resolves to. */
export interface ConformanceResults {
  /** The harness's name. */
  harness: string;
  results: CaseResult[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

/** Options for {@link runConformance} and the test-runner bindings. */
export interface ConformanceOptions {
  /** Runs only cases whose id or title contains this text (case-insensitive). */
  grep?: string;
  /** How long one case may take before it is reported as hanging, in ms. Default 15,000. */
  caseTimeoutMs?: number;
  /**
   * The seed for the random cases. Defaults to `SESSIONSTORE_CONFORMANCE_SEED` when set, else
   * to {@link CI_SEED} when the `CI` environment variable is set (so CI runs the same cases
   * every time), else to a random one; it is printed with any failure so a run can be
   * repeated.
   */
  seed?: number;
  /** Called with each result as soon as it is known. */
  onResult?: (result: CaseResult) => void;
  /** The cases to run. Defaults to {@link conformanceCases}; pass more to add your own. */
  cases?: readonly ConformanceCase[];
}

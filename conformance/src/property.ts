import * as fc from 'fast-check';
import { describeError, fail } from './assert.js';
import type { CaseContext } from './types.js';

/**
 * What a run of a property case throws when the store and the model disagree: where, and
 * every step of the run as it went, so the failure shows the sequence that led there.
 */
export class ModelDivergence extends Error {
  /** The steps of the run up to the divergence, one line each, with what the store did. */
  readonly steps: readonly string[];

  constructor(message: string, steps: readonly string[]) {
    super(message);
    this.name = 'ModelDivergence';
    this.steps = [...steps];
  }
}

/** How a property case generates its runs, runs them, and bounds them in count and time. */
export interface PropertySettings<T> {
  /** Generates one run's input: a sequence of steps. */
  arbitrary: fc.Arbitrary<T>;
  /** Runs one input against a fresh store; rejects (with a {@link ModelDivergence}) on a divergence. */
  run(input: T): Promise<void>;
  /** The input as lines, for a failure that is not a divergence. */
  describe(input: T): string[];
  /** How many runs to try. */
  numRuns: number;
  /** How many runs must finish, when time runs out first, for the case to pass. */
  minRuns: number;
}

/** Share of the case's time limit given to finding a failing run. */
const SEARCH_SHARE = 0.4;

/** Share of the case's time limit by which shrinking a failing run must stop. */
const SHRINK_SHARE = 0.65;

/**
 * Runs a property with fast-check on the case's seed: up to `numRuns` runs, each on its own
 * store, within a share of the case's time limit. A failing run is shrunk (within a further
 * share) and reported with its steps and the seed. A property stopped by time passes only
 * when at least `minRuns` runs finished, all of them passing.
 *
 * @throws {@link ConformanceAssertionError} on a failing run, or when too few runs finished.
 */
export async function checkProperty<T>(
  context: CaseContext,
  settings: PropertySettings<T>,
): Promise<void> {
  const startedMs = performance.now();
  const searchUntilMs = startedMs + context.timeLimitMs * SEARCH_SHARE;
  const shrinkUntilMs = startedMs + context.timeLimitMs * SHRINK_SHARE;
  let shrinking = false;

  const property = fc.asyncProperty(settings.arbitrary, async (input) => {
    // Stops between runs, never during one: a run owns its store until it closes it.
    const untilMs = shrinking ? shrinkUntilMs : searchUntilMs;
    if (performance.now() >= untilMs || context.signal.aborted) {
      throw new fc.PreconditionFailure(true);
    }
    try {
      await settings.run(input);
    } catch (error) {
      shrinking = true;
      throw error;
    }
  });
  const details = await fc.check(property, { seed: context.seed, numRuns: settings.numRuns });
  const elapsedMs = Math.round(performance.now() - startedMs);

  if (details.failed && details.counterexample !== null) {
    fail(failureReport(context.seed, details, settings.describe(details.counterexample[0])));
  }
  if (details.failed || details.numRuns < Math.min(settings.minRuns, settings.numRuns)) {
    fail(
      `Only ${details.numRuns} of ${settings.numRuns} runs finished within ${elapsedMs} ms ` +
        `(seed ${context.seed}); at least ${settings.minRuns} must. Each run opens a fresh ` +
        'store: a backend this slow needs a larger caseTimeoutMs (--timeout).',
    );
  }
}

type FailureDetails = Pick<
  fc.RunDetails<unknown>,
  'errorInstance' | 'interrupted' | 'numRuns' | 'numShrinks'
>;

function failureReport(seed: number, details: FailureDetails, input: string[]): string {
  const error = details.errorInstance;
  const shrunk = `run ${details.numRuns} of seed ${seed}, shrunk ${details.numShrinks} times`;
  const cut = details.interrupted ? ' (shrinking stopped when its time ran out)' : '';
  const lines =
    error instanceof ModelDivergence
      ? [
          `The store diverged from the model (${shrunk}${cut}): ${error.message}`,
          'The steps of the shrunk run, with what the store did:',
          ...numbered(error.steps),
        ]
      : [
          `A run failed (${shrunk}${cut}): ${describeError(error)}`,
          'The steps of the shrunk run:',
          ...numbered(input),
        ];
  lines.push(`Repeat it with SESSIONSTORE_CONFORMANCE_SEED=${seed} (or --seed ${seed}).`);
  return lines.join('\n');
}

function numbered(steps: readonly string[]): string[] {
  const width = String(steps.length).length;
  return steps.map((step, index) => `  ${String(index + 1).padStart(width)}. ${step}`);
}

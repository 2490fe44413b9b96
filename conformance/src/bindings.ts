import type { StoredSession } from '@sessionstore/core';
import { describeError } from './assert.js';
import { conformanceCases } from './cases/index.js';
import type { ConformanceHarness } from './harness.js';
import {
  type ConformanceRun,
  caseTimeout,
  prepareRun,
  runCase,
  selectCases,
  skipReason,
} from './runner.js';
import type { CaseResult, ConformanceCase, ConformanceOptions } from './types.js';

/** Extra time a test runner allows beyond the suite's own watchdog, so the watchdog speaks first. */
export const RUNNER_MARGIN_MS = 10_000;

/** How long the runner's `afterAll` may spend in `harness.teardown`, in ms. */
export const TEARDOWN_TIMEOUT_MS = 60_000 + RUNNER_MARGIN_MS;

/** One case as a test runner registers it. */
export interface PlannedCase {
  case: ConformanceCase;
  /** The test's name: the case id and title, or the id and why it is skipped. */
  name: string;
  /** Why the case is skipped, when it is. */
  skipReason: string | undefined;
  /** The test runner's own timeout for it, in ms. */
  timeoutMs: number;
}

/** Prepares a run and plans one test per selected case: what the bindings share. */
export async function planConformance<S extends StoredSession>(
  harness: ConformanceHarness<S>,
  options: ConformanceOptions,
): Promise<{ run: ConformanceRun; planned: PlannedCase[] }> {
  const run = await prepareRun(harness, options);
  const planned = selectCases(options.cases ?? conformanceCases, options.grep).map((item) => {
    const reason = skipReason(run, item);
    return {
      case: item,
      name: reason === undefined ? `${item.id} — ${item.title}` : `${item.id} (skipped: ${reason})`,
      skipReason: reason,
      timeoutMs: caseTimeout(run, item) + RUNNER_MARGIN_MS,
    };
  });
  return { run, planned };
}

/**
 * Runs a planned case and turns a failure into an error a test runner shows: the case id,
 * what went wrong, and any notes such as the seed.
 *
 * @returns the result, when it passed or was skipped while running.
 */
export async function runPlannedCase(
  run: ConformanceRun,
  planned: PlannedCase,
  options: ConformanceOptions,
): Promise<CaseResult> {
  const result = await runCase(run, planned.case);
  options.onResult?.(result);
  if (result.status === 'failed') {
    const message = [`${result.id}: ${describeError(result.error)}`, ...result.notes].join('\n');
    // A new error without the assertion's expected and actual values: a runner that diffs
    // them would print a whole 1 MiB session.
    const error = new Error(message, { cause: result.error });
    error.name = 'ConformanceFailure';
    throw error;
  }
  return result;
}
